//! The error of a whole command (a deploy, a rollback, a rehearsal), and its exit code.

use crate::emulator::{EmulatorError, UnknownBackend};
use crate::engine::state::StateError;
use crate::foundation::environment::UnknownEnvironment;
use crate::foundation::exit;
use crate::foundation::repo::RepoError;

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
    Desired(#[from] crate::engine::desired::DesiredError),
    #[error(transparent)]
    Plan(#[from] crate::engine::plan::PlanError),
    #[error(transparent)]
    Apply(#[from] crate::engine::apply::ApplyError),
    #[error(transparent)]
    Clock(#[from] crate::foundation::clock::BadInstant),
    #[error(transparent)]
    Rollback(#[from] crate::release::rollback::RollbackError),
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
            Error::Rollback(e) => e.exit_code(),
            Error::Plan(crate::engine::plan::PlanError::State(e)) => e.exit_code(),
            Error::Plan(crate::engine::plan::PlanError::Live(_)) => exit::INFRASTRUCTURE,
            Error::Plan(crate::engine::plan::PlanError::Refused { .. }) => exit::RULE_FAILED,
            Error::Plan(_) => exit::BAD_INPUT,
            Error::Apply(crate::engine::apply::ApplyError::State(e)) => e.exit_code(),
            Error::Apply(_) => exit::RULE_FAILED,
        }
    }
}
