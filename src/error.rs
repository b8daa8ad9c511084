//! The library's error, and the CLI contract's exit codes.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::emulator::{EmulatorError, UnknownBackend};
use crate::environment::UnknownEnvironment;
use crate::repo::RepoError;
use crate::state::StateError;

/// Exit codes of every command (DESIGN.md, "CLI contract").
pub mod exit {
    pub const OK: u8 = 0;
    /// A check or rule failed (findings, a refused gate, a held lock).
    pub const RULE_FAILED: u8 = 1;
    /// Bad usage or unusable input.
    pub const BAD_INPUT: u8 = 2;
    /// The infrastructure (emulator, AWS, Docker) failed.
    pub const INFRASTRUCTURE: u8 = 3;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Environment(#[from] UnknownEnvironment),
    #[error(transparent)]
    Backend(#[from] UnknownBackend),
    #[error(transparent)]
    Emulator(#[from] EmulatorError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Desired(#[from] crate::desired::DesiredError),
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    #[error(transparent)]
    Apply(#[from] crate::apply::ApplyError),
    #[error(transparent)]
    Clock(#[from] crate::clock::BadInstant),
    #[error("{0}")]
    Usage(String),
    /// A rehearsal, drill or rollback whose outcome failed (exit 1).
    #[error("{0}")]
    Failed(String),
    /// A tool or resource stagegate needs failed: git, a scratch directory (exit 3).
    #[error("{0}")]
    Infrastructure(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Environment(_) | Error::Backend(_) | Error::Repo(_) | Error::Usage(_) => exit::BAD_INPUT,
            Error::Emulator(EmulatorError::BadEndpoint(_) | EmulatorError::NoEndpoint) => exit::BAD_INPUT,
            Error::Emulator(_) => exit::INFRASTRUCTURE,
            Error::State(e) => e.exit_code(),
            Error::Desired(_) | Error::Clock(_) => exit::BAD_INPUT,
            Error::Failed(_) => exit::RULE_FAILED,
            Error::Infrastructure(_) => exit::INFRASTRUCTURE,
            Error::Plan(crate::plan::PlanError::State(e)) => e.exit_code(),
            Error::Plan(crate::plan::PlanError::Live(_)) => exit::INFRASTRUCTURE,
            Error::Plan(crate::plan::PlanError::Refused { .. }) => exit::RULE_FAILED,
            Error::Plan(_) => exit::BAD_INPUT,
            Error::Apply(crate::apply::ApplyError::State(e)) => e.exit_code(),
            Error::Apply(_) => exit::RULE_FAILED,
        }
    }
}

/// An SDK error in one line: the service's code and message when the service answered,
/// else the whole cause chain (connection refused, timeout, ...).
pub fn describe_sdk<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e.as_service_error() {
        Some(se) => format!(
            "{}: {}",
            se.code().unwrap_or("ServiceError"),
            se.message().unwrap_or("no message from the service")
        ),
        None => DisplayErrorContext(e).to_string(),
    }
}
