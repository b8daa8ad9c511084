//! Terraform's LockInfo, as its S3 backend stores it in the lock table's `Info` attribute and
//! in the body of the `.tflock` lock file: Go's `encoding/json` of `statemgr.LockInfo`.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The `Operation` Terraform writes: `op.Type.String()` for plan and apply, the command's
/// reason for the state commands (`terraform state push` locks as `state-push`).
pub const OPERATION_APPLY: &str = "OperationTypeApply";
pub const OPERATION_PLAN: &str = "OperationTypePlan";
pub const OPERATION_STATE_PUSH: &str = "state-push";

/// `{"ID","Operation","Info","Who","Version","Created","Path"}`, in that order.
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

const FIELDS: [&str; 7] = ["ID", "Operation", "Info", "Who", "Version", "Created", "Path"];

impl LockInfo {
    /// A new lock request for `path` with a fresh ID, stamped with the default Terraform version.
    pub fn new(path: &str, operation: &str, who: &str, info: &str, created: Timestamp) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.into(),
            info: info.into(),
            who: who.into(),
            version: crate::foundation::state_backend::StateLocking::default().default_terraform_version().into(),
            created: created.to_string(),
            path: path.into(),
        }
    }

    /// The same request stamped with another Terraform version.
    pub fn with_version(mut self, version: &str) -> LockInfo {
        self.version = version.into();
        self
    }

    pub fn created_at(&self) -> Option<Timestamp> {
        self.created.parse().ok()
    }

    /// Exactly what Go's `json.Marshal` writes for this lock info: compact, fields in
    /// declaration order, and `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u003c` etc.
    pub fn to_json(&self) -> String {
        go_escape(&serde_json::to_string(self).expect("a lock info serialises"))
    }

    /// Reads a lock info the way Go's `json.Unmarshal` does: any spacing and escaping, field
    /// names matched without regard to case, unknown fields ignored, absent ones empty.
    pub fn parse(text: &str) -> Result<LockInfo, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let serde_json::Value::Object(object) = value else {
            return Err("not a JSON object".into());
        };
        let mut fields: [String; 7] = Default::default();
        for (key, value) in &object {
            let Some(i) = FIELDS.iter().position(|f| f.eq_ignore_ascii_case(key)) else { continue };
            match value {
                serde_json::Value::String(s) => fields[i] = s.clone(),
                serde_json::Value::Null => {}
                other => return Err(format!("{} is {other}, not a string", FIELDS[i])),
            }
        }
        let [id, operation, info, who, version, created, path] = fields;
        if !created.is_empty() && created.parse::<Timestamp>().is_err() {
            return Err(format!("Created {created:?} is not an RFC 3339 time"));
        }
        Ok(LockInfo { id, operation, info, who, version, created, path })
    }
}

/// Go's HTML-safe escaping of a JSON text serde wrote: these characters only occur inside
/// strings, so replacing them anywhere is replacing them in strings.
fn go_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for ch in json.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
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
