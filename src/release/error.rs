//! The error of a whole command (a deploy, a rollback, a rehearsal): every library error it
//! can meet, typed, with the exit code of its kind (DESIGN.md, "CLI contract").

use std::path::PathBuf;

use crate::checks::iam::IamError;
use crate::checks::validate::ValidateError;
use crate::checks::workflows::WorkflowError;
use crate::emulator::{EmulatorError, UnknownBackend};
use crate::engine::apply::ApplyError;
use crate::engine::cost::CostError;
use crate::engine::desired::DesiredError;
use crate::engine::plan::PlanError;
use crate::engine::state::StateError;
use crate::foundation::clock::BadInstant;
use crate::foundation::environment::UnknownEnvironment;
use crate::foundation::exit;
use crate::foundation::git::GitError;
use crate::foundation::policy::PolicyError;
use crate::foundation::repo::RepoError;
use crate::foundation::tickets::{BadTicketId, TicketError};
use crate::release::gate::BadInput;
use crate::release::notify::WebhookError;
use crate::release::rollback::RollbackError;
use crate::release::tags::TagError;

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
    Desired(#[from] DesiredError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Clock(#[from] BadInstant),
    #[error(transparent)]
    Rollback(#[from] RollbackError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Tickets(#[from] TicketError),
    #[error(transparent)]
    TicketId(#[from] BadTicketId),
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error(transparent)]
    Gate(#[from] BadInput),
    #[error(transparent)]
    Validate(#[from] ValidateError),
    #[error(transparent)]
    Workflows(#[from] WorkflowError),
    /// `scan --actions FILE` that is not a recorded apply.
    #[error("--actions {0}")]
    RecordedActions(IamError),
    #[error(transparent)]
    Cost(#[from] CostError),
    #[error(transparent)]
    Tags(#[from] TagError),
    #[error(transparent)]
    Git(#[from] GitError),
    /// A file named on the command line that cannot be read or written.
    #[error("{flag} {}: {source}", path.display())]
    File { flag: &'static str, path: PathBuf, source: std::io::Error },
    /// Flags that do not go together.
    #[error("{0}")]
    Usage(String),
    /// A rehearsal or drill whose outcome failed (exit 1).
    #[error("{0}")]
    Failed(String),
    /// A resource stagegate needs on this machine failed: a scratch directory, a lock table
    /// that cannot be read (exit 3).
    #[error("{0}")]
    Infrastructure(String),
    #[error(transparent)]
    Watch(#[from] crate::release::watch::WatchError),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Environment(_)
            | Error::Backend(_)
            | Error::Repo(_)
            | Error::Desired(_)
            | Error::Clock(_)
            | Error::Policy(_)
            | Error::Tickets(_)
            | Error::TicketId(_)
            | Error::Webhook(_)
            | Error::Gate(_)
            | Error::Validate(_)
            | Error::Workflows(_)
            | Error::RecordedActions(_)
            | Error::Cost(_)
            | Error::File { .. }
            | Error::Usage(_) => exit::BAD_INPUT,
            Error::Emulator(EmulatorError::BadEndpoint(_) | EmulatorError::NoEndpoint) => exit::BAD_INPUT,
            Error::Emulator(_) | Error::Git(_) | Error::Infrastructure(_) => exit::INFRASTRUCTURE,
            Error::Tags(TagError::Exhausted { .. }) | Error::Failed(_) => exit::RULE_FAILED,
            Error::Tags(TagError::Git(_)) => exit::INFRASTRUCTURE,
            Error::State(e) => e.exit_code(),
            Error::Rollback(e) => e.exit_code(),
            Error::Plan(PlanError::State(e)) => e.exit_code(),
            Error::Plan(PlanError::Live(_)) => exit::INFRASTRUCTURE,
            Error::Plan(PlanError::Refused { .. }) => exit::RULE_FAILED,
            Error::Plan(_) => exit::BAD_INPUT,
            Error::Apply(ApplyError::State(e)) => e.exit_code(),
            Error::Apply(ApplyError::Unsupported(_)) => exit::BAD_INPUT,
            Error::Apply(_) => exit::RULE_FAILED,
            Error::Watch(e) => e.exit_code(),
        }
    }
}
