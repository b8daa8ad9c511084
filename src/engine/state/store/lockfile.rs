//! R53: Terraform 1.10's S3-native lock, the `<key>.tflock` object beside the state. It is
//! taken with `PutObject` and `If-None-Match: *` (body: the LockInfo JSON) and released with
//! `GetObject`, an ID check and `DeleteObject`.

use aws_sdk_s3::primitives::ByteStream;

use super::super::{Component, LockInfo, StateError};
use super::{LockEntry, StateStore, aws_err};

/// What S3 answers a conditional put on a held lock file, as Terraform shows it.
const FILE_REFUSAL: &str = "PreconditionFailed: At least one of the pre-conditions you specified did not hold";

/// A lock file as read: its lock info and the ETag of the body read.
#[derive(Debug, Clone)]
pub(super) struct LockFile {
    pub(super) info: LockInfo,
    etag: Option<String>,
}

/// 412 (the condition failed) or 409 (a concurrent conditional write is in flight).
fn refused<E>(e: &aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>) -> bool {
    e.raw_response().is_some_and(|r| matches!(r.status().as_u16(), 409 | 412))
}

impl StateStore {
    pub(super) async fn lock_with_file(&self, c: &Component, request: &LockInfo) -> Result<(), StateError> {
        let key = self.lock_file_key(c);
        // The holder may release between our refused put and our read: try again once.
        for _ in 0..2 {
            let put = self
                .clients
                .s3
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_type("application/json")
                .if_none_match("*")
                .body(ByteStream::from(request.to_json().into_bytes()))
                .send()
                .await;
            match put {
                Ok(_) => return Ok(()),
                Err(e) if refused(&e) => {
                    if let Some(held) = self.lock_file(c).await? {
                        return Err(StateError::Locked { holder: Box::new(held.info), cause: FILE_REFUSAL });
                    }
                }
                Err(e) if crate::aws::service_code(&e) == Some("NoSuchBucket") => {
                    return Err(self.no_backend());
                }
                Err(e) => return Err(aws_err("PutObject", &key, &e)),
            }
        }
        match self.lock_file(c).await? {
            Some(held) => Err(StateError::Locked { holder: Box::new(held.info), cause: FILE_REFUSAL }),
            None => Err(StateError::NotLocked { path: format!("{}/{key}", self.bucket) }),
        }
    }

    /// The component's lock file, if there is one.
    pub(super) async fn lock_file(&self, c: &Component) -> Result<Option<LockFile>, StateError> {
        self.lock_file_at(&self.lock_file_key(c)).await
    }

    async fn lock_file_at(&self, key: &str) -> Result<Option<LockFile>, StateError> {
        let got = self.clients.s3.get_object().bucket(&self.bucket).key(key).send().await;
        let out = match got {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => return Ok(None),
            Err(e) if crate::aws::service_code(&e) == Some("NoSuchBucket") => {
                return Err(self.no_backend());
            }
            Err(e) => return Err(aws_err("GetObject", key, &e)),
        };
        let etag = out.e_tag().map(str::to_owned);
        let body = out.body.collect().await.map_err(|e| StateError::Aws {
            operation: "GetObject",
            resource: key.to_owned(),
            detail: e.to_string().into(),
        })?;
        let path = format!("{}/{key}", self.bucket);
        let text = String::from_utf8(body.into_bytes().to_vec())
            .map_err(|_| StateError::BadLock { path: path.clone(), reason: "the body is not UTF-8".into() })?;
        let info = LockInfo::parse(&text).map_err(|reason| StateError::BadLock { path, reason })?;
        Ok(Some(LockFile { info, etag }))
    }

    /// The lock file half of an unlock; the delete is conditioned on the ETag of the body read,
    /// so a lock taken again in between is not removed.
    pub(super) async fn unlock_with_file(&self, c: &Component, id: &str) -> Result<LockInfo, StateError> {
        let key = self.lock_file_key(c);
        let path = self.lock_id(c);
        let Some(held) = self.lock_file(c).await? else {
            return Err(StateError::NotLocked { path });
        };
        if held.info.id != id {
            return Err(StateError::LockIdMismatch { path, given: id.to_owned(), held: Box::new(held.info) });
        }
        let deleted =
            self.clients.s3.delete_object().bucket(&self.bucket).key(&key).set_if_match(held.etag.clone()).send().await;
        match deleted {
            Ok(_) => Ok(held.info),
            Err(e) if refused(&e) => match self.lock_file(c).await? {
                Some(now) => Err(StateError::LockIdMismatch { path, given: id.to_owned(), held: Box::new(now.info) }),
                None => Err(StateError::NotLocked { path }),
            },
            Err(e) => Err(aws_err("DeleteObject", &key, &e)),
        }
    }

    /// Every `.tflock` object in the state bucket; `None` when the bucket does not exist.
    pub(super) async fn lock_file_entries(&self) -> Result<Option<Vec<LockEntry>>, StateError> {
        let mut keys = Vec::new();
        let mut pages = self.clients.s3.list_objects_v2().bucket(&self.bucket).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) if crate::aws::service_code(&e) == Some("NoSuchBucket") => return Ok(None),
                Err(e) => return Err(aws_err("ListObjectsV2", &self.bucket, &e)),
            };
            keys.extend(
                page.contents().iter().filter_map(|o| o.key()).filter(|k| k.ends_with(".tflock")).map(str::to_owned),
            );
        }
        let mut entries = Vec::new();
        for key in keys {
            let lock_id = format!("{}/{key}", self.bucket);
            let info = match self.lock_file_at(&key).await {
                Ok(Some(file)) => Ok(file.info),
                // Released between the listing and the read.
                Ok(None) => continue,
                Err(StateError::BadLock { reason, .. }) => Err(format!("the lock file is not a lock: {reason}")),
                Err(e) => return Err(e),
            };
            entries.push(LockEntry { lock_id, info });
        }
        Ok(Some(entries))
    }
}
