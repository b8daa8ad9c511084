//! The words every resource type shares: a resource with normalised attributes, a planned
//! change to one, a post-deploy check of one, and the errors of reading the repo's desired
//! form and the live form.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::foundation::config::ConfigError;
use crate::foundation::repo::RepoError;
use crate::resources::table::definition::SchemaError;

/// One resource with normalised attributes: equal attributes mean equal resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub kind: &'static str,
    pub name: String,
    pub attributes: BTreeMap<String, Value>,
    /// Object bodies are applied but not compared (their MD5 is).
    pub body: Option<Vec<u8>>,
}

impl Resource {
    /// `type.name`, Terraform's resource address.
    pub fn address(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DesiredError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// pipeline.yml's `state:` section (how the state backend is used).
    #[error(transparent)]
    Policy(#[from] crate::foundation::policy::PolicyError),
    /// Configuration stagegate cannot apply faithfully, refused at plan time.
    #[error("{path}: {reason}")]
    Unsupported { path: String, reason: String },
}

pub(crate) fn unsupported(path: &Path, reason: impl Into<String>) -> DesiredError {
    DesiredError::Unsupported { path: path.display().to_string(), reason: reason.into() }
}

#[derive(Debug, thiserror::Error)]
#[error("reading {resource}: {operation}: {detail}")]
pub struct LiveError {
    pub resource: String,
    pub operation: &'static str,
    pub detail: String,
}

pub(crate) fn live_err(resource: &str, operation: &'static str, detail: String) -> LiveError {
    LiveError { resource: resource.to_owned(), operation, detail }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    NoOp,
}

impl Action {
    pub fn word(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::NoOp => "no-op",
        }
    }
}

/// Why an attribute differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The repo asks for something new.
    Config,
    /// The live resource was changed outside stagegate; the repo and the state agree.
    Drift,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    pub name: String,
    pub before: Value,
    pub after: Value,
    pub cause: Cause,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub address: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<AttributeChange>,
    /// The attributes the resource will have (empty for a delete).
    #[serde(default)]
    pub after: BTreeMap<String, Value>,
    /// Whether the change is drift only (nothing in the repo asked for it).
    #[serde(default)]
    pub drift: bool,
}

/// One post-deploy invariant of one resource, with the requirement it proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub requirement: &'static str,
    pub subject: String,
    pub passed: bool,
    pub detail: String,
}

pub fn check(requirement: &'static str, subject: impl Into<String>, passed: bool, detail: impl Into<String>) -> Check {
    Check { requirement, subject: subject.into(), passed, detail: detail.into() }
}
