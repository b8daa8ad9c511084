//! The deployer roles of LLD 7.5.2: one per environment, each with a trust policy (who may
//! assume it) and a permissions policy (what it may do). A repo keeps them by convention at
//! `iam/{env}/trust-policy.json` and `iam/{env}/permissions-policy.json`.

pub mod actions;
pub mod checks;
pub mod document;
pub mod evaluate;

use std::path::Path;

use crate::Environment;
use crate::aws::RecordedCall;
use crate::foundation::config::EnvironmentFile;

pub use actions::EnvironmentResources;
pub use checks::{Problem, Sufficiency, check_least_privilege, check_sufficiency, check_trust};
pub use document::{PolicyDocument, PolicyError, PolicyKind};
pub use evaluate::{Decision, Request, evaluate};

/// The directory of the deployer roles' policies, at the repo root.
pub const IAM_DIR: &str = "iam";
pub const TRUST_POLICY: &str = "trust-policy.json";
pub const PERMISSIONS_POLICY: &str = "permissions-policy.json";

/// `iam/{env}/{file}`, relative to the repo root.
pub fn policy_file(env: Environment, file: &str) -> String {
    format!("{IAM_DIR}/{}/{file}", env.name())
}

#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("{file}: {source}")]
    Invalid { file: String, source: PolicyError },
    #[error("{0}")]
    Environment(String),
    #[error("{file}: {reason}")]
    Actions { file: String, reason: String },
}

/// Reads and checks one policy of an environment's deployer role.
pub fn load_policy(repo: &Path, env: Environment, kind: PolicyKind) -> Result<PolicyDocument, IamError> {
    let file = policy_file(env, if kind == PolicyKind::Trust { TRUST_POLICY } else { PERMISSIONS_POLICY });
    let text = std::fs::read_to_string(repo.join(&file))
        .map_err(|e| IamError::Unreadable { file: file.clone(), reason: e.to_string() })?;
    PolicyDocument::parse(&text, kind).map_err(|source| IamError::Invalid { file, source })
}

/// Whether the repo keeps its deployer roles' policies (an `iam/` directory).
pub fn has_policies(repo: &Path) -> bool {
    repo.join(IAM_DIR).is_dir()
}

/// The environment's account, region and resource names: the environment file, the tables
/// under `schemas/`, and the state names of `pipeline.yml` (Terraform's defaults if absent).
pub fn environment_resources(repo: &Path, env: Environment) -> Result<EnvironmentResources, IamError> {
    let vars = EnvironmentFile::load(repo, env).map_err(|e| IamError::Environment(e.to_string()))?;
    let pipeline = std::fs::read_to_string(repo.join("pipeline.yml"))
        .ok()
        .and_then(|t| serde_norway::from_str::<serde_norway::Value>(&t).ok());
    let state_name = |key: &str, default: &str| {
        pipeline
            .as_ref()
            .and_then(|p| p["state"][key].as_str().map(str::to_owned))
            .unwrap_or_else(|| default.to_owned())
            .replace("{env}", env.name())
    };
    let mut tables: Vec<String> = crate::checks::validate::files_under(repo, "schemas", "table.json")
        .iter()
        .filter_map(|rel| std::fs::read_to_string(repo.join(rel)).ok())
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .filter_map(|v| v["TableName"].as_str().map(str::to_owned))
        .collect();
    tables.sort();
    Ok(EnvironmentResources {
        environment: env.label().to_owned(),
        account_id: vars.aws_account_id,
        region: vars.aws_region,
        tables,
        templates_bucket: vars.templates_bucket_name,
        state_bucket: state_name("bucket", "bbws-terraform-state-{env}"),
        lock_table: state_name("lock_table", "terraform-state-lock-{env}"),
    })
}

/// The environment's deployment branches from `pipeline.yml` (`main` if it names none).
pub fn deployment_branches(repo: &Path, env: Environment) -> Vec<String> {
    std::fs::read_to_string(repo.join("pipeline.yml"))
        .ok()
        .and_then(|t| serde_norway::from_str::<serde_norway::Value>(&t).ok())
        .and_then(|p| {
            p["environments"][env.name()]["deployment_branches"]
                .as_sequence()
                .map(|s| s.iter().filter_map(|b| b.as_str().map(str::to_owned)).collect::<Vec<_>>())
        })
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| vec!["main".to_owned()])
}

/// The calls of an apply as `stagegate apply --record-actions` writes them: `{operation: count}`
/// (no resources), or an array of `{action, resource?, count?}`.
pub fn parse_recorded_actions(file: &str, text: &str) -> Result<Vec<RecordedCall>, IamError> {
    let bad = |reason: String| IamError::Actions { file: file.to_owned(), reason };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    match value {
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(action, count)| {
                let count = count.as_u64().ok_or_else(|| bad(format!("{action}: the count must be a number")))?;
                Ok(RecordedCall { action, resource: None, count: count as usize })
            })
            .collect(),
        serde_json::Value::Array(_) => serde_json::from_value(value).map_err(|e| bad(e.to_string())),
        _ => Err(bad("expected {\"service:Operation\": count} or an array of calls".into())),
    }
}
