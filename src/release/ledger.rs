//! Deployment records (R26): every deploy and rollback appends one JSON object under the
//! `deployments/` prefix of the environment's state bucket, beside the state it changed, so
//! the records share the state's account, versioning, encryption and access control.

use aws_sdk_s3::primitives::ByteStream;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Environment;
use crate::engine::state::{StateError, StateStore};

/// Where the records live in the state bucket.
pub const LEDGER_PREFIX: &str = "deployments/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    Deploy,
    Rollback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Succeeded,
    Failed,
}

/// The post-deploy tests of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResults {
    pub passed: bool,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRecord {
    pub id: String,
    pub kind: RecordKind,
    pub environment: Environment,
    pub commit: String,
    pub deployer: String,
    pub approvers: Vec<String>,
    pub trigger: String,
    pub started: Timestamp,
    /// When the record was written; orders records that started at the same instant.
    pub recorded: Timestamp,
    pub duration_ms: u64,
    pub result: Outcome,
    pub tests: Option<TestResults>,
    /// The deployment tag, when one was made.
    pub tag: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When the deployed commit landed on main (git's committer date): merge → PROD is
    /// measured from here. Absent in records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed: Option<Timestamp>,
    /// For a rollback: when the problem it answers was detected, on the record's clock, so
    /// that detection → recovery can be measured. Absent when nobody said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<Timestamp>,
    /// The state versions this deployment wrote, one per component it changed, so that a
    /// state version leads back to the deployment (and commit) that wrote it (F14).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<WrittenState>,
}

/// One state object a deployment wrote: the component, the state's serial and its S3 version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrittenState {
    pub component: String,
    pub serial: u64,
    pub version_id: String,
}

impl DeploymentRecord {
    /// When the deployment finished: its start plus its duration.
    pub fn finished(&self) -> Timestamp {
        let ms = i64::try_from(self.duration_ms).unwrap_or(i64::MAX);
        self.started.checked_add(jiff::SignedDuration::from_millis(ms)).unwrap_or(self.started)
    }

    /// Whether this deployment wrote `version_id` of `component`'s state.
    pub fn wrote(&self, component: &str, version_id: &str) -> bool {
        self.states.iter().any(|s| s.component == component && s.version_id == version_id)
    }

    /// A deployment that counts as evidence for promotion: it succeeded and its tests passed.
    pub fn is_green(&self) -> bool {
        self.result == Outcome::Succeeded && self.tests.as_ref().is_some_and(|t| t.passed)
    }

    fn key(&self) -> String {
        // Sortable by time: start, then when it was recorded (fixed-width UTC), then the id.
        let fixed = |t: Timestamp| {
            let utc = t.to_zoned_datetime(jiff::tz::TimeZone::UTC);
            format!("{}.{:09}Z", utc.strftime("%Y%m%dT%H%M%S"), utc.subsec_nanosecond())
        };
        format!("{LEDGER_PREFIX}{}/{}-{}-{}.json", self.environment, fixed(self.started), fixed(self.recorded), self.id)
    }
}

/// Appends a record to the environment's ledger.
pub async fn append(store: &StateStore, record: &DeploymentRecord) -> Result<(), StateError> {
    store.ensure_own_account().await?;
    put_json(store, record.key(), serde_json::to_vec_pretty(record).expect("a record serialises")).await
}

/// Every record of the environment, oldest first.
pub async fn records(store: &StateStore) -> Result<Vec<DeploymentRecord>, StateError> {
    read_all(store, &format!("{LEDGER_PREFIX}{}/", store.environment())).await
}

/// Where the records of Stage 1 runs live, in DEV's state bucket (validation and the security
/// scan run once per commit, before any environment).
pub const CHECKS_PREFIX: &str = "checks/";

/// The Stage 1 checks whose runs are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// `stagegate validate`: schemas, table definitions, environment files, templates.
    Validation,
    /// `stagegate scan`: passes when no unsuppressed finding is HIGH or CRITICAL.
    SecurityScan,
}

impl CheckKind {
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Validation => "validation",
            CheckKind::SecurityScan => "security-scan",
        }
    }
}

/// One run of a Stage 1 check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRecord {
    pub id: String,
    pub check: CheckKind,
    /// The commit checked, when the repo is a git checkout.
    pub commit: Option<String>,
    pub at: Timestamp,
    pub passed: bool,
    /// Findings that count (validation diagnostics, or HIGH/CRITICAL scan findings).
    pub findings: usize,
}

impl CheckRecord {
    pub fn new(check: CheckKind, commit: Option<String>, at: Timestamp, passed: bool, findings: usize) -> CheckRecord {
        CheckRecord { id: uuid::Uuid::new_v4().to_string(), check, commit, at, passed, findings }
    }

    fn key(&self) -> String {
        let utc = self.at.to_zoned_datetime(jiff::tz::TimeZone::UTC);
        format!("{CHECKS_PREFIX}{}/{}-{}.json", self.check.name(), utc.strftime("%Y%m%dT%H%M%S"), self.id)
    }
}

/// Appends the record of a check run to `store`'s bucket (DEV's, by convention).
pub async fn append_check(store: &StateStore, record: &CheckRecord) -> Result<(), StateError> {
    store.ensure_own_account().await?;
    put_json(store, record.key(), serde_json::to_vec_pretty(record).expect("a record serialises")).await
}

/// Every check record in `store`'s bucket, oldest first (the keys sort by kind first).
pub async fn checks(store: &StateStore) -> Result<Vec<CheckRecord>, StateError> {
    let mut records: Vec<CheckRecord> = read_all(store, CHECKS_PREFIX).await?;
    records.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    Ok(records)
}

pub(crate) async fn put_json(store: &StateStore, key: String, body: Vec<u8>) -> Result<(), StateError> {
    store
        .clients()
        .s3
        .put_object()
        .bucket(store.bucket())
        .key(&key)
        .content_type("application/json")
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| StateError::Aws {
            operation: "PutObject",
            resource: key,
            detail: crate::aws::AwsError::from_sdk(&e),
        })?;
    Ok(())
}

pub(crate) async fn read_all<T: serde::de::DeserializeOwned>(
    store: &StateStore,
    prefix: &str,
) -> Result<Vec<T>, StateError> {
    let s3 = &store.clients().s3;
    let mut keys = Vec::new();
    let mut pages = s3.list_objects_v2().bucket(store.bucket()).prefix(prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| StateError::Aws {
            operation: "ListObjectsV2",
            resource: prefix.to_owned(),
            detail: crate::aws::AwsError::from_sdk(&e),
        })?;
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
    }
    keys.sort();
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let got = s3.get_object().bucket(store.bucket()).key(&key).send().await.map_err(|e| StateError::Aws {
            operation: "GetObject",
            resource: key.clone(),
            detail: crate::aws::AwsError::from_sdk(&e),
        })?;
        let bytes = got.body.collect().await.map_err(|e| StateError::Aws {
            operation: "GetObject",
            resource: key.clone(),
            detail: e.to_string().into(),
        })?;
        let record = serde_json::from_slice(&bytes.into_bytes()).map_err(|e| StateError::MalformedRecord {
            path: format!("{}/{key}", store.bucket()),
            reason: e.to_string(),
        })?;
        out.push(record);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bucket's layout, as an operator listing it sees it: `checks/{kind}/{UTC time}-{id}.json`.
    #[rstest::rstest]
    #[case(CheckKind::Validation, "checks/validation/20261202T080005-abc.json")]
    #[case(CheckKind::SecurityScan, "checks/security-scan/20261202T080005-abc.json")]
    fn a_check_record_is_kept_under_its_kind_and_time(#[case] check: CheckKind, #[case] key: &str) {
        let at: Timestamp = "2026-12-02T10:00:05+02:00".parse().expect("an instant");
        let r = CheckRecord { id: "abc".into(), check, commit: None, at, passed: true, findings: 0 };
        assert_eq!(r.key(), key);
        // The directory is the name the record itself carries.
        assert_eq!(serde_json::to_value(check).expect("JSON"), serde_json::Value::from(check.name()));
    }
}
