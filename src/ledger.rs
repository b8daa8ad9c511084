//! Deployment records (R26): every deploy and rollback appends one JSON object under the
//! `deployments/` prefix of the environment's state bucket, beside the state it changed, so
//! the records share the state's account, versioning, encryption and access control.

use aws_sdk_s3::primitives::ByteStream;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Environment;
use crate::error::describe_sdk;
use crate::state::{StateError, StateStore};

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
    pub duration_ms: u64,
    pub result: Outcome,
    pub tests: Option<TestResults>,
    /// The deployment tag, when one was made.
    pub tag: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl DeploymentRecord {
    /// A deployment that counts as evidence for promotion: it succeeded and its tests passed.
    pub fn is_green(&self) -> bool {
        self.result == Outcome::Succeeded && self.tests.as_ref().is_some_and(|t| t.passed)
    }

    fn key(&self) -> String {
        // Sortable by time: RFC 3339 in UTC with fixed width, then the unique id.
        let when = self.started.strftime("%Y%m%dT%H%M%S%.9fZ");
        format!("{LEDGER_PREFIX}{}/{when}-{}.json", self.environment, self.id)
    }
}

/// Appends a record to the environment's ledger.
pub async fn append(store: &StateStore, record: &DeploymentRecord) -> Result<(), StateError> {
    store.ensure_own_account().await?;
    let key = record.key();
    store
        .clients()
        .s3
        .put_object()
        .bucket(store.bucket())
        .key(&key)
        .content_type("application/json")
        .body(ByteStream::from(serde_json::to_vec_pretty(record).expect("a record serialises")))
        .send()
        .await
        .map_err(|e| StateError::Aws { operation: "PutObject", resource: key, detail: describe_sdk(&e) })?;
    Ok(())
}

/// Every record of the environment, oldest first.
pub async fn records(store: &StateStore) -> Result<Vec<DeploymentRecord>, StateError> {
    let s3 = &store.clients().s3;
    let prefix = format!("{LEDGER_PREFIX}{}/", store.environment());
    let mut keys = Vec::new();
    let mut pages = s3.list_objects_v2().bucket(store.bucket()).prefix(&prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| StateError::Aws {
            operation: "ListObjectsV2",
            resource: prefix.clone(),
            detail: describe_sdk(&e),
        })?;
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
    }
    keys.sort();
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let got = s3.get_object().bucket(store.bucket()).key(&key).send().await.map_err(|e| StateError::Aws {
            operation: "GetObject",
            resource: key.clone(),
            detail: describe_sdk(&e),
        })?;
        let bytes = got.body.collect().await.map_err(|e| StateError::Aws {
            operation: "GetObject",
            resource: key.clone(),
            detail: e.to_string(),
        })?;
        let record = serde_json::from_slice(&bytes.into_bytes())
            .map_err(|e| StateError::Malformed { path: format!("{}/{key}", store.bucket()), reason: e.to_string() })?;
        out.push(record);
    }
    Ok(out)
}
