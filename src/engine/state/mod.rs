//! Terraform-compatible state: the S3 backend with DynamoDB locking, byte for byte where it
//! matters, so that state written by real Terraform and by stagegate are interchangeable.

mod document;
mod lock;
mod store;

pub use crate::foundation::component::{BadComponent, Component};
pub use document::{StateInstance, StateResource, TerraformState, md5_hex, restore_onto};
pub use lock::{LockInfo, OPERATION_APPLY, OPERATION_PLAN, who_am_i};
pub use store::{LockEntry, StateBucketReport, StateStore, StateVersion, StoredState};

use crate::foundation::exit;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Terraform's wording, so operators recognise it.
    #[error(
        "Error acquiring the state lock: ConditionalCheckFailedException: the conditional request failed\nLock Info:\n{holder}"
    )]
    Locked { holder: Box<LockInfo> },
    #[error("lock ID {given:?} does not match the lock held on {path}:\n{held}")]
    LockIdMismatch { path: String, given: String, held: Box<LockInfo> },
    #[error("no lock is held on {path}")]
    NotLocked { path: String },
    #[error("refusing to write {path}: the caller does not hold its lock (lock ID {id})")]
    LockNotHeld { path: String, id: String },
    #[error(
        "state data in S3 does not have the expected content: the checksum calculated for {path} ({actual}) does not match the digest stored in {table} ({expected})"
    )]
    DigestMismatch { path: String, table: String, actual: String, expected: String },
    #[error("{path}: not a Terraform state (v4 JSON): {reason}")]
    Malformed { path: String, reason: String },
    #[error("cannot restore {path}: version lineage {found} differs from the current lineage {current}")]
    LineageMismatch { path: String, found: String, current: String },
    #[error("{path}: no state version {version}")]
    NoSuchVersion { path: String, version: String },
    #[error(
        "refusing to touch {env}'s state: the credentials belong to account {actual}{actual_env}, not {env}'s account {expected}"
    )]
    WrongAccount { env: String, expected: String, actual: String, actual_env: String },
    #[error(
        "the {env} state backend ({bucket}, {table}) does not exist in account {account}: run `stagegate state bootstrap --env {env}`"
    )]
    NoBackend { env: String, bucket: String, table: String, account: String },
    #[error("{operation} {resource}: {detail}")]
    Aws { operation: &'static str, resource: String, detail: crate::aws::AwsError },
}

impl StateError {
    /// The state bucket addressed does not exist: an environment never bootstrapped.
    pub fn is_missing_bucket(&self) -> bool {
        matches!(self, StateError::Aws { detail, .. } if detail.is_no_such_bucket())
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            StateError::Locked { .. }
            | StateError::LockIdMismatch { .. }
            | StateError::NotLocked { .. }
            | StateError::LockNotHeld { .. }
            | StateError::DigestMismatch { .. }
            | StateError::LineageMismatch { .. }
            | StateError::WrongAccount { .. }
            | StateError::NoBackend { .. } => exit::RULE_FAILED,
            StateError::Malformed { .. } | StateError::NoSuchVersion { .. } => exit::BAD_INPUT,
            StateError::Aws { .. } => exit::INFRASTRUCTURE,
        }
    }
}

impl StateStore {
    /// `env`'s state backend, reached with `env`'s own credentials.
    pub async fn for_environment(
        endpoint: &crate::emulator::Endpoint,
        env: crate::Environment,
        region: &str,
    ) -> StateStore {
        StateStore::new(crate::aws::AwsClients::for_environment(endpoint, env, region).await, env)
    }

    /// Makes `version_id` the component's current state under its lock, taken for `who` and
    /// released on every path; a failed restore is reported before a failed unlock.
    pub async fn restore_locked(
        &self,
        c: &Component,
        version_id: &str,
        who: &str,
        info: &str,
    ) -> Result<StoredState, StateError> {
        let lock = self.lock(c, OPERATION_APPLY, who, info).await?;
        let restored = self.restore(c, version_id, &lock).await;
        let released = self.unlock(c, &lock.id).await;
        let restored = restored?;
        released?;
        Ok(restored)
    }
}
