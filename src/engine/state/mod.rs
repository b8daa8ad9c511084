//! Terraform-compatible state: the S3 backend with DynamoDB locking, byte for byte where it
//! matters, so that state written by real Terraform and by stagegate are interchangeable.

mod document;
mod lock;
mod settings;
mod store;

pub use crate::foundation::component::{BadComponent, Component};
pub use document::{StateInstance, StateResource, TerraformState, md5_hex, restore_onto};
pub use lock::{LockInfo, OPERATION_APPLY, OPERATION_PLAN, OPERATION_STATE_PUSH, who_am_i};
pub use settings::{CONSISTENCY_POLL, CONSISTENCY_WINDOW, StateLocking, StateSettings, TerraformVersion};
pub use store::{LockEntry, StateBucketReport, StateStore, StateVersion, StoredState};

use crate::foundation::exit;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Terraform's wording, so operators recognise it.
    /// Terraform's wording; `cause` is what the lock table or the bucket answered.
    #[error("Error acquiring the state lock: {cause}\nLock Info:\n{holder}")]
    Locked { holder: Box<LockInfo>, cause: &'static str },
    /// R53: the lock file was taken but the lock table refused, and the lock file could not be
    /// released again (Terraform's "failed to clean up file lock after DynamoDB lock error").
    #[error(
        "failed to clean up the lock file {lock_file} after the lock table refused the lock: {cleanup}; the lock table answered: {refused}"
    )]
    LockCleanup { lock_file: String, cleanup: Box<StateError>, refused: Box<StateError> },
    #[error("lock ID {given:?} does not match the lock held on {path}:\n{held}")]
    LockIdMismatch { path: String, given: String, held: Box<LockInfo> },
    /// A lock item or lock file that is not Terraform's LockInfo: its ID cannot be checked.
    #[error("{path}: the lock held is not Terraform's LockInfo ({reason}); once nobody holds it, delete it by hand")]
    BadLock { path: String, reason: String },
    #[error("no lock is held on {path}")]
    NotLocked { path: String },
    #[error("refusing to write {path}: the caller does not hold its lock (lock ID {id})")]
    LockNotHeld { path: String, id: String },
    /// Terraform's `badChecksumError`, after the same consistency window; `actual` is empty
    /// when the object is missing or empty.
    #[error(
        "state data in S3 does not have the expected content.\n\nThe checksum calculated for the state stored in S3 does not match the checksum\nstored in DynamoDB ({table}).\n\nBucket: {bucket}\nKey:    {key}\nCalculated checksum: {actual}\nStored checksum:     {expected}\n\nThis may be caused by unusually long delays in S3 processing a previous state\nupdate. Please wait for a minute or two and try again.\n\n{}",
        digest_resolution(actual)
    )]
    DigestMismatch { bucket: String, key: String, table: String, actual: String, expected: String },
    /// An OpenTofu state encrypted with `encryption {}` (R54): its resources cannot be read.
    #[error(
        "{path}: an OpenTofu encrypted state (encryption_version {version}): stagegate cannot read it; decrypt it with `tofu` (a `fallback` method, or `unencrypted`) or keep this component out of stagegate"
    )]
    Encrypted { path: String, version: String },
    #[error("{path}: not a Terraform state (v4 JSON): {reason}")]
    Malformed { path: String, reason: String },
    /// A deployment or check record in the state bucket that stagegate did not write.
    #[error("{path}: not a stagegate record: {reason}; move it out of the records' prefix")]
    MalformedRecord { path: String, reason: String },
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
            | StateError::LockCleanup { .. }
            | StateError::LockIdMismatch { .. }
            | StateError::NotLocked { .. }
            | StateError::LockNotHeld { .. }
            | StateError::DigestMismatch { .. }
            | StateError::LineageMismatch { .. }
            | StateError::WrongAccount { .. }
            | StateError::NoBackend { .. } => exit::RULE_FAILED,
            StateError::Malformed { .. }
            | StateError::MalformedRecord { .. }
            | StateError::NoSuchVersion { .. }
            | StateError::Encrypted { .. }
            | StateError::BadLock { .. } => exit::BAD_INPUT,
            StateError::Aws { .. } => exit::INFRASTRUCTURE,
        }
    }
}

/// Terraform's advice after a digest mismatch.
fn digest_resolution(actual: &str) -> String {
    if actual.is_empty() {
        "If this problem persists, and neither S3 nor DynamoDB are experiencing an\noutage, you may need to manually verify the remote state and remove the Digest\nvalue stored in the DynamoDB table".into()
    } else {
        format!(
            "If this problem persists, and neither S3 nor DynamoDB are experiencing an\noutage, you may need to manually verify the remote state and update the Digest\nvalue stored in the DynamoDB table to the following value: {actual}"
        )
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

    /// Makes `version_id` the component's current state under its lock (taken as `terraform
    /// state push` takes it, operation `state-push`) for `who`, released on every path; a failed
    /// restore is reported before a failed unlock.
    pub async fn restore_locked(
        &self,
        c: &Component,
        version_id: &str,
        who: &str,
        info: &str,
    ) -> Result<StoredState, StateError> {
        let lock = self.lock(c, OPERATION_STATE_PUSH, who, info).await?;
        let restored = self.restore(c, version_id, &lock).await;
        let released = self.unlock(c, &lock.id).await;
        let restored = restored?;
        released?;
        Ok(restored)
    }
}
