//! The S3 backend: state objects in `bbws-terraform-state-{env}`, locks and digests in
//! `terraform-state-lock-{env}`, exactly as Terraform's S3 backend keeps them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, SseSpecification,
    TableStatus,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use jiff::Timestamp;
use tokio::sync::OnceCell;

use super::{Component, LockInfo, StateError, TerraformState, md5_hex, restore_onto};
use crate::Environment;
use crate::aws::{AwsClients, bucket_settings};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateVersion {
    pub version_id: String,
    pub last_modified: Option<Timestamp>,
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
            account_checked: OnceCell::new(),
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
        format!("{}/{}", self.bucket, c.state_key())
    }

    /// `{bucket}/{key}-md5`: the digest item's `LockID`.
    pub fn digest_id(&self, c: &Component) -> String {
        format!("{}-md5", self.lock_id(c))
    }

    fn no_backend(&self) -> StateError {
        StateError::NoBackend {
            env: self.env.name().into(),
            table: self.table.clone(),
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

    /// Creates the state bucket (versioned, encrypted, public access blocked) and the lock
    /// table; idempotent.
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
        self.create_lock_table().await
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
        let deadline = Instant::now() + TABLE_ACTIVE_TIMEOUT;
        loop {
            let out = ddb.describe_table().table_name(t).send().await.map_err(|e| aws_err("DescribeTable", t, &e))?;
            if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(StateError::Aws {
                    operation: "DescribeTable",
                    resource: t.clone(),
                    detail: format!("not ACTIVE after {} s", TABLE_ACTIVE_TIMEOUT.as_secs()).into(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
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

    /// R30: takes the lock with Terraform's conditional put; of two rivals exactly one wins, and
    /// the other is told who holds it.
    pub async fn lock(&self, c: &Component, operation: &str, who: &str, info: &str) -> Result<LockInfo, StateError> {
        self.ensure_own_account().await?;
        let path = self.lock_id(c);
        let request = LockInfo::new(&path, operation, who, info, Timestamp::now());
        // The holder may release between our failed put and our read: try again once.
        for _ in 0..2 {
            let put = self
                .clients
                .dynamodb
                .put_item()
                .table_name(&self.table)
                .item("LockID", s(&path))
                .item("Info", s(&request.to_json()))
                .condition_expression("attribute_not_exists(LockID)")
                .send()
                .await;
            match put {
                Ok(_) => return Ok(request),
                Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                    if let Some(holder) = self.current_lock(c).await? {
                        return Err(StateError::Locked { holder: Box::new(holder) });
                    }
                }
                Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) => {
                    return Err(self.no_backend());
                }
                Err(e) => return Err(aws_err("PutItem", &self.table, &e)),
            }
        }
        match self.current_lock(c).await? {
            Some(holder) => Err(StateError::Locked { holder: Box::new(holder) }),
            None => Err(StateError::NotLocked { path }),
        }
    }

    /// Like [`lock`](Self::lock), retrying until `timeout` (Terraform's `-lock-timeout`).
    pub async fn lock_waiting(
        &self,
        c: &Component,
        operation: &str,
        who: &str,
        info: &str,
        timeout: Duration,
    ) -> Result<LockInfo, StateError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.lock(c, operation, who, info).await {
                Err(StateError::Locked { .. }) if Instant::now() < deadline => {
                    tokio::time::sleep(LOCK_RETRY_EVERY).await;
                }
                other => return other,
            }
        }
    }

    /// The lock held on a component, if any.
    pub async fn current_lock(&self, c: &Component) -> Result<Option<LockInfo>, StateError> {
        let path = self.lock_id(c);
        let item = self.get_item(&path).await?;
        Ok(item.and_then(|i| i.get("Info").and_then(|v| v.as_s().ok()).and_then(|j| serde_json::from_str(j).ok())))
    }

    async fn get_item(&self, id: &str) -> Result<Option<HashMap<String, AttributeValue>>, StateError> {
        let out = self
            .clients
            .dynamodb
            .get_item()
            .table_name(&self.table)
            .key("LockID", s(id))
            .consistent_read(true)
            .send()
            .await;
        match out {
            Ok(out) => Ok(out.item),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) => {
                Err(self.no_backend())
            }
            Err(e) => Err(aws_err("GetItem", &self.table, &e)),
        }
    }

    /// Releases the lock if `id` is the one held (also what `force-unlock ID` does).
    pub async fn unlock(&self, c: &Component, id: &str) -> Result<LockInfo, StateError> {
        let path = self.lock_id(c);
        let Some(held) = self.current_lock(c).await? else {
            return Err(StateError::NotLocked { path });
        };
        if held.id != id {
            return Err(StateError::LockIdMismatch { path, given: id.to_owned(), held: Box::new(held) });
        }
        let deleted = self
            .clients
            .dynamodb
            .delete_item()
            .table_name(&self.table)
            .key("LockID", s(&path))
            .condition_expression("Info = :info")
            .expression_attribute_values(":info", s(&held.to_json()))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(held),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                match self.current_lock(c).await? {
                    Some(now) => Err(StateError::LockIdMismatch { path, given: id.to_owned(), held: Box::new(now) }),
                    None => Err(StateError::NotLocked { path }),
                }
            }
            Err(e) => Err(aws_err("DeleteItem", &self.table, &e)),
        }
    }

    /// Every lock held in this environment (digest items are not locks).
    pub async fn locks(&self) -> Result<Vec<LockInfo>, StateError> {
        let entries = self.lock_entries().await?.unwrap_or_default();
        Ok(entries.into_iter().filter_map(|e| e.info.ok()).collect())
    }

    /// Every lock item of the lock table, sorted by `LockID`, including any whose `Info` is not
    /// Terraform's LockInfo; `None` when the table does not exist.
    pub async fn lock_entries(&self) -> Result<Option<Vec<LockEntry>>, StateError> {
        let mut entries = Vec::new();
        let mut pages = self.clients.dynamodb.scan().table_name(&self.table).into_paginator().items().send();
        while let Some(item) = pages.next().await {
            let item = match item {
                Ok(item) => item,
                Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {
                    return Ok(None);
                }
                Err(e) => return Err(aws_err("Scan", &self.table, &e)),
            };
            let lock_id = item.get("LockID").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            // Digest items carry `Digest`, locks carry `Info`.
            if item.contains_key("Digest") && !item.contains_key("Info") {
                continue;
            }
            let info = match item.get("Info").map(|v| v.as_s()) {
                Some(Ok(text)) => {
                    serde_json::from_str::<LockInfo>(text).map_err(|e| format!("Info is not a lock: {e}"))
                }
                Some(Err(_)) => Err("Info is not a string".to_owned()),
                None => Err("no Info attribute".to_owned()),
            };
            entries.push(LockEntry { lock_id, info });
        }
        entries.sort_by(|a, b| a.lock_id.cmp(&b.lock_id));
        Ok(Some(entries))
    }

    /// The stored digest of a component's state, if any.
    pub async fn digest(&self, c: &Component) -> Result<Option<String>, StateError> {
        let item = self.get_item(&self.digest_id(c)).await?;
        Ok(item.and_then(|i| i.get("Digest").and_then(|v| v.as_s().ok()).cloned()))
    }

    /// The object's bytes and S3 version id; `None` when the key (or that version) is absent.
    async fn fetch(
        &self,
        c: &Component,
        version_id: Option<&str>,
    ) -> Result<Option<(Vec<u8>, Option<String>)>, StateError> {
        let key = c.state_key();
        let got = self
            .clients
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await;
        let out = match got {
            Ok(out) => out,
            Err(e) => {
                let code = e.as_service_error().and_then(|se| se.code());
                if code == Some("NoSuchBucket") {
                    return Err(self.no_backend());
                }
                // A malformed version id is a 400, an unknown one a 404 (NoSuchVersion).
                let absent = e.as_service_error().is_some_and(|se| se.is_no_such_key())
                    || (version_id.is_some()
                        && e.raw_response().is_some_and(|r| matches!(r.status().as_u16(), 400 | 404)));
                if absent {
                    return Ok(None);
                }
                return Err(aws_err("GetObject", &key, &e));
            }
        };
        let version = out.version_id().map(str::to_owned);
        let bytes = out.body.collect().await.map_err(|e| StateError::Aws {
            operation: "GetObject",
            resource: key.clone(),
            detail: e.to_string().into(),
        })?;
        Ok(Some((bytes.into_bytes().to_vec(), version)))
    }

    /// Reads a component's current state, checking it against the stored digest.
    pub async fn read(&self, c: &Component) -> Result<Option<StoredState>, StateError> {
        let Some((bytes, version_id)) = self.fetch(c, None).await? else {
            return Ok(None);
        };
        let md5 = md5_hex(&bytes);
        if let Some(expected) = self.digest(c).await?
            && !expected.is_empty()
            && expected != md5
        {
            return Err(StateError::DigestMismatch {
                path: self.lock_id(c),
                table: self.table.clone(),
                actual: md5,
                expected,
            });
        }
        let state = TerraformState::parse(&self.lock_id(c), &bytes)?;
        Ok(Some(StoredState { state, version_id, md5 }))
    }

    /// Writes a component's state and its digest; the caller must hold `lock`.
    pub async fn write(
        &self,
        c: &Component,
        state: &TerraformState,
        lock: &LockInfo,
    ) -> Result<StoredState, StateError> {
        self.ensure_own_account().await?;
        let path = self.lock_id(c);
        match self.current_lock(c).await? {
            Some(held) if held.id == lock.id => {}
            _ => return Err(StateError::LockNotHeld { path, id: lock.id.clone() }),
        }
        let bytes = state.to_bytes();
        let md5 = md5_hex(&bytes);
        let key = c.state_key();
        let put = self
            .clients
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| aws_err("PutObject", &key, &e))?;
        self.clients
            .dynamodb
            .put_item()
            .table_name(&self.table)
            .item("LockID", s(&self.digest_id(c)))
            .item("Digest", s(&md5))
            .send()
            .await
            .map_err(|e| aws_err("PutItem", &self.table, &e))?;
        Ok(StoredState { state: state.clone(), version_id: put.version_id().map(str::to_owned), md5 })
    }

    /// The S3 versions of a component's state, newest first.
    pub async fn versions(&self, c: &Component) -> Result<Vec<StateVersion>, StateError> {
        let key = c.state_key();
        let mut versions = Vec::new();
        let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
        loop {
            let page = self
                .clients
                .s3
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(&key)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| aws_err("ListObjectVersions", &key, &e))?;
            for v in page.versions() {
                if v.key() != Some(key.as_str()) {
                    continue;
                }
                let Some(id) = v.version_id() else { continue };
                versions.push(StateVersion {
                    version_id: id.to_owned(),
                    last_modified: v
                        .last_modified()
                        .and_then(|t| Timestamp::new(t.secs(), t.subsec_nanos() as i32).ok()),
                    is_latest: v.is_latest() == Some(true),
                    size: v.size().unwrap_or(0),
                });
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
        }
        versions.sort_by(|a, b| b.is_latest.cmp(&a.is_latest).then(b.last_modified.cmp(&a.last_modified)));
        Ok(versions)
    }

    /// A component's state as it was at one S3 version.
    pub async fn read_version(&self, c: &Component, version_id: &str) -> Result<TerraformState, StateError> {
        let path = self.lock_id(c);
        match self.fetch(c, Some(version_id)).await? {
            Some((bytes, _)) => TerraformState::parse(&format!("{path}?versionId={version_id}"), &bytes),
            None => Err(StateError::NoSuchVersion { path, version: version_id.to_owned() }),
        }
    }

    /// Makes an old version current: lineage kept, serial = current + 1, digest updated.
    pub async fn restore(&self, c: &Component, version_id: &str, lock: &LockInfo) -> Result<StoredState, StateError> {
        let old = self.read_version(c, version_id).await?;
        let current = self.read(c).await?;
        let restored = restore_onto(&self.lock_id(c), old, current.as_ref().map(|s| &s.state))?;
        self.write(c, &restored, lock).await
    }

    /// Every state key in the bucket (`*.tfstate`), sorted.
    pub async fn state_keys(&self) -> Result<Vec<String>, StateError> {
        let mut keys = Vec::new();
        let mut pages = self.clients.s3.list_objects_v2().bucket(&self.bucket).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_err("ListObjectsV2", &self.bucket, &e))?;
            keys.extend(
                page.contents().iter().filter_map(|o| o.key()).filter(|k| k.ends_with(".tfstate")).map(str::to_owned),
            );
        }
        keys.sort();
        Ok(keys)
    }

    /// A lock-table item's string attributes (a lock or a digest), as Terraform reads them.
    pub async fn lock_item(&self, lock_id: &str) -> Result<Option<HashMap<String, String>>, StateError> {
        let item = self.get_item(lock_id).await?;
        Ok(item.map(|i| i.into_iter().filter_map(|(k, v)| v.as_s().ok().map(|s| (k, s.clone()))).collect()))
    }

    /// The current state object's bytes exactly as stored, without any check.
    pub async fn raw_object(&self, c: &Component) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.fetch(c, None).await?.map(|(bytes, _)| bytes))
    }
}
