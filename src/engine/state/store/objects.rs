//! State objects in `bbws-terraform-state-{env}`: read with their digest checked, written
//! under the lock, listed and restored by S3 version.

use aws_sdk_s3::primitives::ByteStream;
use jiff::Timestamp;
use tokio::time::Instant;

use super::super::{Component, LockInfo, StateError, TerraformState, md5_hex, restore_onto};
use super::{StateStore, StateVersion, StoredState, aws_err, s};

impl StateStore {
    /// The object's bytes and S3 version id; `None` when the key (or that version) is absent.
    async fn fetch(
        &self,
        c: &Component,
        version_id: Option<&str>,
    ) -> Result<Option<(Vec<u8>, Option<String>)>, StateError> {
        let key = self.state_key(c);
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
                let code = crate::aws::service_code(&e);
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

    /// Reads a component's current state as Terraform's S3 backend does (R29, R54). With the
    /// lock table in use, the state must match the `-md5` digest stored beside it; a mismatch is
    /// read again every `consistency_poll` until `consistency_window` has passed (S3 may be
    /// catching up), then refused. An empty object is no state; a missing object whose digest
    /// remains is a mismatch; a digest item that is not 32 hex digits is not checked.
    pub async fn read(&self, c: &Component) -> Result<Option<StoredState>, StateError> {
        let deadline = Instant::now() + self.settings.consistency_window;
        loop {
            let fetched = self.fetch(c, None).await?.filter(|(bytes, _)| !bytes.is_empty());
            let md5 = fetched.as_ref().map(|(bytes, _)| md5_hex(bytes));
            if let Some(expected) = self.expected_digest(c).await?
                && md5.as_deref() != Some(expected.as_str())
            {
                if Instant::now() < deadline {
                    tokio::time::sleep(self.settings.consistency_poll).await;
                    continue;
                }
                return Err(StateError::DigestMismatch {
                    bucket: self.bucket.clone(),
                    key: self.state_key(c),
                    table: self.table.clone(),
                    actual: md5.unwrap_or_default(),
                    expected,
                });
            }
            let Some((bytes, version_id)) = fetched else { return Ok(None) };
            let state = TerraformState::parse(&self.lock_id(c), &bytes)?;
            return Ok(Some(StoredState { state, version_id, md5: md5.unwrap_or_default() }));
        }
    }

    /// The digest a read must match: none without the lock table, without a digest item, or
    /// when the item's `Digest` is not an MD5 in hex (Terraform then only warns).
    async fn expected_digest(&self, c: &Component) -> Result<Option<String>, StateError> {
        if !self.settings.locking.uses_table() {
            return Ok(None);
        }
        Ok(self.digest(c).await?.and_then(|d| valid_md5(&d)))
    }

    /// Writes a component's state (stamped with the configured Terraform version) and, with
    /// the lock table in use, its digest; the caller must hold `lock` in every place the
    /// locking mode locks.
    pub async fn write(
        &self,
        c: &Component,
        state: &TerraformState,
        lock: &LockInfo,
    ) -> Result<StoredState, StateError> {
        self.ensure_own_account().await?;
        let path = self.lock_id(c);
        if !self.holds(c, &lock.id).await? {
            return Err(StateError::LockNotHeld { path, id: lock.id.clone() });
        }
        let mut state = state.clone();
        state.terraform_version.clone_from(&self.settings.terraform_version);
        let bytes = state.to_bytes();
        let md5 = md5_hex(&bytes);
        let key = self.state_key(c);
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
        if self.settings.locking.uses_table() {
            self.clients
                .dynamodb
                .put_item()
                .table_name(&self.table)
                .item("LockID", s(&self.digest_id(c)))
                .item("Digest", s(&md5))
                .send()
                .await
                .map_err(|e| aws_err("PutItem", &self.table, &e))?;
        }
        Ok(StoredState { state, version_id: put.version_id().map(str::to_owned), md5 })
    }

    /// The S3 versions of a component's state, newest first.
    pub async fn versions(&self, c: &Component) -> Result<Vec<StateVersion>, StateError> {
        let key = self.state_key(c);
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

    /// Makes an old version current: its resources and lineage, with serial = current + 1 and
    /// the digest updated. This is what a plain `terraform state push` of the old file does once
    /// its serial is raised above the current one; it is not `state push -force`, which would
    /// store the old serial as it is.
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

    /// The current state object's bytes exactly as stored, without any check.
    pub async fn raw_object(&self, c: &Component) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.fetch(c, None).await?.map(|(bytes, _)| bytes))
    }
}

/// The digest as 32 lower-case hex digits, if it is an MD5 at all.
fn valid_md5(digest: &str) -> Option<String> {
    let bytes = hex::decode(digest).ok()?;
    (bytes.len() == 16).then(|| hex::encode(bytes))
}
