//! Terraform's LockInfo, as its S3 backend stores it in the lock table's `Info` attribute.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub const OPERATION_APPLY: &str = "OperationTypeApply";
pub const OPERATION_PLAN: &str = "OperationTypePlan";

/// `{"ID","Operation","Info","Who","Version","Created","Path"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Operation")]
    pub operation: String,
    #[serde(rename = "Info")]
    pub info: String,
    #[serde(rename = "Who")]
    pub who: String,
    #[serde(rename = "Version")]
    pub version: String,
    /// RFC 3339 with nanoseconds, as Go writes `time.Time`; kept as written.
    #[serde(rename = "Created")]
    pub created: String,
    #[serde(rename = "Path")]
    pub path: String,
}

impl LockInfo {
    /// A new lock request for `path` with a fresh ID.
    pub fn new(path: &str, operation: &str, who: &str, info: &str, created: Timestamp) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.into(),
            info: info.into(),
            who: who.into(),
            version: crate::engine::state::document::TERRAFORM_VERSION.into(),
            created: created.to_string(),
            path: path.into(),
        }
    }

    pub fn created_at(&self) -> Option<Timestamp> {
        self.created.parse().ok()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a lock info serialises")
    }
}

/// `user@host` of this process, as Terraform fills `Who`.
pub fn who_am_i() -> String {
    let user = whoami::username().unwrap_or_else(|_| "unknown".into());
    let host = whoami::hostname().unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

/// Terraform's "Lock Info:" block.
impl fmt::Display for LockInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  ID:        {}", self.id)?;
        writeln!(f, "  Path:      {}", self.path)?;
        writeln!(f, "  Operation: {}", self.operation)?;
        writeln!(f, "  Who:       {}", self.who)?;
        writeln!(f, "  Version:   {}", self.version)?;
        writeln!(f, "  Created:   {}", self.created)?;
        write!(f, "  Info:      {}", self.info)
    }
}
