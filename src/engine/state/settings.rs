//! How one state backend is used: the locking mode, the Terraform version written, and how long
//! a read waits for S3 to catch up with the stored digest.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::foundation::policy::{POLICY_FILE, PolicyError, StateNames};
pub use crate::foundation::state_backend::{StateLocking, TerraformVersion};

/// How long Terraform's S3 backend retries a state whose checksum does not match the stored
/// digest (`consistencyRetryTimeout`), and how often (`consistencyRetryPollInterval`).
pub const CONSISTENCY_WINDOW: Duration = Duration::from_secs(10);
pub const CONSISTENCY_POLL: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSettings {
    pub locking: StateLocking,
    /// Written into every state (`terraform_version`) and lock info (`Version`).
    pub terraform_version: String,
    /// A digest mismatch is read again until this has passed, then refused.
    pub consistency_window: Duration,
    pub consistency_poll: Duration,
}

impl Default for StateSettings {
    fn default() -> Self {
        StateSettings::new(StateLocking::default(), None)
    }
}

impl StateSettings {
    pub fn new(locking: StateLocking, version: Option<&TerraformVersion>) -> StateSettings {
        StateSettings {
            locking,
            terraform_version: version
                .map_or_else(|| locking.default_terraform_version().to_owned(), |v| v.to_string()),
            consistency_window: CONSISTENCY_WINDOW,
            consistency_poll: CONSISTENCY_POLL,
        }
    }

    /// The settings pipeline.yml's `state:` section gives.
    pub fn from_names(names: &StateNames) -> StateSettings {
        StateSettings::new(names.locking, names.terraform_version.as_ref())
    }

    /// A shorter (or longer) digest window, e.g. for tests; the poll never exceeds it.
    pub fn with_consistency_window(mut self, window: Duration) -> StateSettings {
        self.consistency_window = window;
        self.consistency_poll = CONSISTENCY_POLL.min((window / 5).max(Duration::from_millis(10)));
        self
    }

    pub fn with_locking(mut self, locking: StateLocking) -> StateSettings {
        if self.terraform_version == self.locking.default_terraform_version() {
            self.terraform_version = locking.default_terraform_version().to_owned();
        }
        self.locking = locking;
        self
    }

    /// The `state:` section of the repo's pipeline.yml (defaults without the file). Only that
    /// section is read, so commands that need no other policy are not stopped by it.
    pub fn for_repo(root: &Path) -> Result<StateSettings, PolicyError> {
        #[derive(Deserialize)]
        struct StateOnly {
            state: Option<StateNames>,
        }
        let path = root.join(POLICY_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(StateSettings::default()),
            Err(e) => return Err(PolicyError::Unreadable { path: path.display().to_string(), reason: e.to_string() }),
        };
        let invalid = |line: usize, column: usize, reason: String| PolicyError::Invalid {
            path: path.display().to_string(),
            line,
            column,
            reason,
        };
        let parsed: StateOnly = serde_norway::from_str(&text).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            let reason = e.to_string();
            invalid(line, column, reason.split(" at line ").next().unwrap_or(&reason).to_owned())
        })?;
        let Some(names) = parsed.state else { return Ok(StateSettings::default()) };
        crate::foundation::state_backend::check_locking(names.locking, names.terraform_version.as_ref()).map_err(
            |reason| {
                let line = text.lines().position(|l| l.starts_with("state:")).map_or(0, |i| i + 1);
                invalid(line, 1, reason)
            },
        )?;
        Ok(StateSettings::from_names(&names))
    }
}
