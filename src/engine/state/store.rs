//! The S3 backend: state objects in `bbws-terraform-state-{env}`, locks in the lock table
//! `terraform-state-lock-{env}` (with the digests) and/or in `<key>.tflock` lock files,
//! exactly as Terraform's S3 backend keeps them.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, SseSpecification,
    TableStatus,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use jiff::Timestamp;
use tokio::sync::OnceCell;

use super::{Component, LockInfo, StateError, StateSettings, TerraformState};
use crate::Environment;
use crate::aws::{AwsClients, bucket_settings};

mod lockfile;
mod locking;
mod objects;

const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(60);
const LOCK_RETRY_EVERY: Duration = Duration::from_millis(250);

/// A state object as read back, with the S3 version it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredState {
    pub state: TerraformState,
    pub version_id: Option<String>,
    pub md5: String,
}

/// One S3 version of a component's state, newest first in listings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StateVersion {
    pub version_id: String,
    pub last_modified: Option<Timestamp>,
    #[serde(rename = "latest")]
    pub is_latest: bool,
    pub size: i64,
}

/// What the state bucket and lock table look like to these credentials.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateBucketReport {
    pub bucket_exists: bool,
    pub versioning_enabled: bool,
    /// `AES256` or `aws:kms` when default encryption is on.
    pub encryption: Option<String>,
    /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
    pub public_access_block: [bool; 4],
    pub lock_table_exists: bool,
    pub lock_table_key: Option<String>,
}

/// One environment's state backend, reached with one account's credentials.
#[derive(Debug)]
pub struct StateStore {
    clients: AwsClients,
    env: Environment,
    bucket: String,
    table: String,
    settings: StateSettings,
    /// A Terraform workspace other than `default`, whose states are at `env:/NAME/<key>`.
    workspace: Option<String>,
    account_checked: OnceCell<()>,
}

fn aws_err<E, R>(operation: &'static str, resource: &str, e: &SdkError<E, R>) -> StateError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StateError::Aws { operation, resource: resource.to_owned(), detail: crate::aws::AwsError::from_sdk(e) }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

/// One item of a lock table that is not a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEntry {
    pub lock_id: String,
    pub info: Result<LockInfo, String>,
}

impl StateStore {
    pub fn new(clients: AwsClients, env: Environment) -> StateStore {
        StateStore {
            clients,
            env,
            bucket: env.state_bucket(),
            table: env.lock_table(),
            settings: StateSettings::default(),
            workspace: None,
            account_checked: OnceCell::new(),
        }
    }

    /// The same backend used as `settings` say (pipeline.yml's `state:` section).
    pub fn with_settings(mut self, settings: StateSettings) -> StateStore {
        self.settings = settings;
        self
    }

    pub fn settings(&self) -> &StateSettings {
        &self.settings
    }

    /// The same backend, addressing the states of Terraform workspace `name` (`default` is the
    /// default workspace): keys `env:/NAME/<key>`, as the S3 backend's default
    /// `workspace_key_prefix` places them.
    pub fn with_workspace(mut self, name: Option<&str>) -> StateStore {
        self.workspace = name.filter(|n| *n != "default").map(str::to_owned);
        self
    }

    /// The object key of a component's state in this store's workspace.
    pub fn state_key(&self, c: &Component) -> String {
        match &self.workspace {
            Some(name) => format!("env:/{name}/{}", c.state_key()),
            None => c.state_key(),
        }
    }

    pub fn environment(&self) -> Environment {
        self.env
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn lock_table(&self) -> &str {
        &self.table
    }

    pub fn clients(&self) -> &AwsClients {
        &self.clients
    }

    /// `{bucket}/{key}`: the lock item's `LockID` and LockInfo's `Path`.
    pub fn lock_id(&self, c: &Component) -> String {
        format!("{}/{}", self.bucket, self.state_key(c))
    }

    /// `<key>.tflock`: the lock file's key in the state bucket (Terraform's `lockFilePath`).
    pub fn lock_file_key(&self, c: &Component) -> String {
        format!("{}.tflock", self.state_key(c))
    }

    /// `{bucket}/{key}-md5`: the digest item's `LockID`.
    pub fn digest_id(&self, c: &Component) -> String {
        format!("{}-md5", self.lock_id(c))
    }

    /// The Terraform workspaces other than `default` that hold a state of this component: keys
    /// `env:/NAME/<key>` (the S3 backend's default `workspace_key_prefix`). stagegate manages
    /// the default workspace only.
    pub async fn other_workspaces(&self, c: &Component) -> Result<Vec<String>, StateError> {
        let suffix = format!("/{}", c.state_key());
        let mut names = Vec::new();
        let mut pages = self.clients.s3.list_objects_v2().bucket(&self.bucket).prefix("env:/").into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_err("ListObjectsV2", &self.bucket, &e))?;
            for key in page.contents().iter().filter_map(|o| o.key()) {
                if let Some(name) = key.strip_prefix("env:/").and_then(|k| k.strip_suffix(suffix.as_str()))
                    && !name.is_empty()
                    && !name.contains('/')
                {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    fn no_backend(&self) -> StateError {
        StateError::NoBackend {
            env: self.env.name().into(),
            table: if self.settings.locking.uses_table() { self.table.clone() } else { "lock files".into() },
            bucket: self.bucket.clone(),
            account: self.clients.account_id.clone().unwrap_or_else(|| "of these credentials".into()),
        }
    }

    /// R44: refuses credentials of another environment's account before any write.
    pub async fn ensure_own_account(&self) -> Result<(), StateError> {
        self.account_checked
            .get_or_try_init(|| async {
                let actual = self.clients.caller_account().await.map_err(|detail| StateError::Aws {
                    operation: "GetCallerIdentity",
                    resource: "sts".into(),
                    detail: detail.into(),
                })?;
                let expected = self.env.account_id();
                if actual == expected {
                    return Ok(());
                }
                let actual_env =
                    Environment::for_account(&actual).map(|e| format!(" ({})", e.label())).unwrap_or_default();
                Err(StateError::WrongAccount {
                    env: self.env.label().into(),
                    expected: expected.into(),
                    actual,
                    actual_env,
                })
            })
            .await
            .map(|_| ())
    }

    /// Creates the state bucket (versioned, encrypted, public access blocked) and, when the
    /// locking mode uses it, the lock table; idempotent.
    pub async fn bootstrap(&self) -> Result<(), StateError> {
        self.ensure_own_account().await?;
        let s3 = &self.clients.s3;
        let b = &self.bucket;
        let created = s3
            .create_bucket()
            .bucket(b)
            .set_create_bucket_configuration(bucket_settings::location(&self.clients.region))
            .send()
            .await;
        if let Err(e) = created {
            let owned = e.as_service_error().is_some_and(|se| se.is_bucket_already_owned_by_you());
            if !owned {
                return Err(aws_err("CreateBucket", b, &e));
            }
        }
        s3.put_bucket_versioning()
            .bucket(b)
            .versioning_configuration(bucket_settings::versioning_enabled())
            .send()
            .await
            .map_err(|e| aws_err("PutBucketVersioning", b, &e))?;
        s3.put_bucket_encryption()
            .bucket(b)
            .server_side_encryption_configuration(bucket_settings::aes256_encryption())
            .send()
            .await
            .map_err(|e| aws_err("PutBucketEncryption", b, &e))?;
        s3.put_public_access_block()
            .bucket(b)
            .public_access_block_configuration(bucket_settings::public_access_block([true; 4]))
            .send()
            .await
            .map_err(|e| aws_err("PutPublicAccessBlock", b, &e))?;
        if self.settings.locking.uses_table() { self.create_lock_table().await } else { Ok(()) }
    }

    async fn create_lock_table(&self) -> Result<(), StateError> {
        let ddb = &self.clients.dynamodb;
        let t = &self.table;
        let created = ddb
            .create_table()
            .table_name(t)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("LockID")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("fields set"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("LockID")
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("fields set"),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .sse_specification(SseSpecification::builder().enabled(true).build())
            .send()
            .await;
        if let Err(e) = created {
            let exists = e.as_service_error().is_some_and(|se| se.is_resource_in_use_exception());
            if !exists {
                return Err(aws_err("CreateTable", t, &e));
            }
        }
        // Bounded poll: AWS takes seconds to make a table ACTIVE, emulators none.
        let active = || async {
            let out = ddb.describe_table().table_name(t).send().await.map_err(|e| aws_err("DescribeTable", t, &e))?;
            Ok(out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active))
        };
        if poll_until(TABLE_ACTIVE_TIMEOUT, Duration::from_millis(200), active).await? {
            return Ok(());
        }
        Err(StateError::Aws {
            operation: "DescribeTable",
            resource: t.clone(),
            detail: format!("not ACTIVE after {} s", TABLE_ACTIVE_TIMEOUT.as_secs()).into(),
        })
    }

    /// The bucket's and lock table's settings as these credentials see them.
    pub async fn inspect(&self) -> Result<StateBucketReport, StateError> {
        let s3 = &self.clients.s3;
        let b = &self.bucket;
        let mut report = StateBucketReport::default();
        match s3.head_bucket().bucket(b).send().await {
            Ok(_) => report.bucket_exists = true,
            Err(e) if e.as_service_error().is_some_and(|se| se.is_not_found()) => {}
            Err(e) => return Err(aws_err("HeadBucket", b, &e)),
        }
        if report.bucket_exists {
            report.versioning_enabled = crate::aws::bucket_versioning_enabled(s3, b).await.map_err(|detail| {
                StateError::Aws { operation: "GetBucketVersioning", resource: b.clone(), detail: detail.into() }
            })?;
            // moto answers 404 where AWS answers defaults: absent means off here.
            if let Ok(enc) = s3.get_bucket_encryption().bucket(b).send().await {
                report.encryption = enc
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_owned());
            }
            if let Ok(pab) = s3.get_public_access_block().bucket(b).send().await
                && let Some(c) = pab.public_access_block_configuration()
            {
                report.public_access_block = [
                    c.block_public_acls() == Some(true),
                    c.ignore_public_acls() == Some(true),
                    c.block_public_policy() == Some(true),
                    c.restrict_public_buckets() == Some(true),
                ];
            }
        }
        match self.clients.dynamodb.describe_table().table_name(&self.table).send().await {
            Ok(out) => {
                report.lock_table_exists = true;
                report.lock_table_key = out
                    .table()
                    .and_then(|t| t.key_schema().first())
                    .map(|k| format!("{} ({})", k.attribute_name(), k.key_type().as_str()));
            }
            Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) => {}
            Err(e) => return Err(aws_err("DescribeTable", &self.table, &e)),
        }
        Ok(report)
    }
}

/// Asks `check` every `every` until it answers true (`Ok(true)`) or `timeout` has passed
/// (`Ok(false)`); its error ends the wait.
async fn poll_until<E, F>(timeout: Duration, every: Duration, mut check: impl FnMut() -> F) -> Result<bool, E>
where
    F: std::future::Future<Output = Result<bool, E>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::time::Duration;

    use super::poll_until;

    const EVERY: Duration = Duration::from_millis(1);

    #[tokio::test]
    async fn a_poll_asks_again_until_the_answer_is_yes() {
        let calls = Cell::new(0);
        let third = || async {
            calls.set(calls.get() + 1);
            Ok::<_, ()>(calls.get() == 3)
        };
        assert_eq!(poll_until(Duration::from_secs(5), EVERY, third).await, Ok(true));
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test]
    async fn a_poll_gives_up_at_its_timeout_and_stops_at_an_error() {
        let calls = Cell::new(0);
        let never = || async {
            calls.set(calls.get() + 1);
            Ok::<_, ()>(false)
        };
        assert_eq!(poll_until(Duration::from_millis(30), EVERY, never).await, Ok(false));
        assert!(calls.get() >= 2, "asked {} times in 30 ms", calls.get());
        let failing = || async { Err::<bool, _>("DescribeTable: denied") };
        assert_eq!(poll_until(Duration::from_secs(5), EVERY, failing).await, Err("DescribeTable: denied"));
    }
}
