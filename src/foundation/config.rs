//! Environment files: `environments/{dev,sit,prod}.tfvars` (HCL), the variables each
//! environment deploys with.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Environment;

/// An environment's variables. Other variables a Terraform configuration may read are allowed
/// and ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnvironmentFile {
    pub environment: String,
    pub aws_account_id: String,
    pub aws_region: String,
    pub templates_bucket_name: String,
    #[serde(default = "enabled")]
    pub enable_point_in_time_recovery: bool,
    #[serde(default)]
    pub enable_deletion_protection: bool,
    #[serde(default)]
    pub backup_plan_required: bool,
    /// Days a daily backup is kept; `backup::DEFAULT_RETENTION_DAYS` when unset.
    #[serde(default)]
    pub backup_retention_days: Option<u32>,
    /// The role AWS Backup assumes; the account's AWSBackupDefaultServiceRole when unset.
    #[serde(default)]
    pub backup_iam_role_arn: Option<String>,
    /// Required tags applied to every resource of the environment.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Overrides of the templates bucket's secure defaults; `stagegate scan` flags each one.
    #[serde(default)]
    pub templates_bucket_versioning: Option<bool>,
    #[serde(default)]
    pub templates_bucket_encryption: Option<String>,
    #[serde(default)]
    pub templates_bucket_public_access_block: Option<BTreeMap<String, bool>>,
}

fn enabled() -> bool {
    true
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

impl EnvironmentFile {
    /// `environments/{env}.tfvars` of a repo.
    pub fn path(repo_root: &Path, env: Environment) -> PathBuf {
        repo_root.join("environments").join(format!("{}.tfvars", env.name()))
    }

    pub fn load(repo_root: &Path, env: Environment) -> Result<EnvironmentFile, ConfigError> {
        let path = Self::path(repo_root, env);
        let text = fs::read_to_string(&path)
            .map_err(|e| ConfigError::Unreadable { path: path.display().to_string(), reason: e.to_string() })?;
        Self::parse(&path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<EnvironmentFile, ConfigError> {
        hcl::from_str(text)
            .map_err(|e| ConfigError::Invalid { path: path.display().to_string(), reason: e.to_string() })
    }
}
