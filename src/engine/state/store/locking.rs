//! Taking and releasing state locks in the locking mode's places, in Terraform's order (R53):
//! the lock file first, then the lock table; a lock table refusal releases the lock file again.
//! The lock table half: Terraform's `LockID`/`Info` items, taken with a conditional put, and
//! the `-md5` digest item of each state.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;

use super::super::{Component, LockInfo, StateError};
use super::{LOCK_RETRY_EVERY, LockEntry, StateStore, aws_err, s};

/// What DynamoDB answers a conditional put on a held lock, as Terraform shows it.
pub(super) const TABLE_REFUSAL: &str = "ConditionalCheckFailedException: The conditional request failed";

impl StateStore {
    /// R30, R53: takes the lock the way Terraform's S3 backend does in this locking mode; of
    /// two rivals exactly one wins, and the other is told who holds it.
    pub async fn lock(&self, c: &Component, operation: &str, who: &str, info: &str) -> Result<LockInfo, StateError> {
        self.ensure_own_account().await?;
        let request = LockInfo::new(&self.lock_id(c), operation, who, info, Timestamp::now())
            .with_version(&self.settings.terraform_version);
        let locking = self.settings.locking;
        if locking.uses_lock_file() {
            self.lock_with_file(c, &request).await?;
        }
        if locking.uses_table()
            && let Err(refused) = self.lock_with_table(c, &request).await
        {
            if locking.uses_lock_file()
                && let Err(cleanup) = self.unlock_with_file(c, &request.id).await
            {
                return Err(StateError::LockCleanup {
                    lock_file: format!("{}/{}", self.bucket, self.lock_file_key(c)),
                    cleanup: Box::new(cleanup),
                    refused: Box::new(refused),
                });
            }
            return Err(refused);
        }
        Ok(request)
    }

    async fn lock_with_table(&self, c: &Component, request: &LockInfo) -> Result<(), StateError> {
        let path = self.lock_id(c);
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
                Ok(_) => return Ok(()),
                Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                    if let Some((holder, _)) = self.table_lock(c).await? {
                        return Err(StateError::Locked { holder: Box::new(holder), cause: TABLE_REFUSAL });
                    }
                }
                Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) => {
                    return Err(self.no_backend());
                }
                Err(e) => return Err(aws_err("PutItem", &self.table, &e)),
            }
        }
        match self.table_lock(c).await? {
            Some((holder, _)) => Err(StateError::Locked { holder: Box::new(holder), cause: TABLE_REFUSAL }),
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

    /// The lock held on a component, if any: the lock file's when the mode uses one and it is
    /// there, else the lock table's.
    pub async fn current_lock(&self, c: &Component) -> Result<Option<LockInfo>, StateError> {
        if self.settings.locking.uses_lock_file()
            && let Some(file) = self.lock_file(c).await?
        {
            return Ok(Some(file.info));
        }
        if self.settings.locking.uses_table() {
            return Ok(self.table_lock(c).await?.map(|(info, _)| info));
        }
        Ok(None)
    }

    /// Whether lock `id` holds every lock this mode takes on the component.
    pub async fn holds(&self, c: &Component, id: &str) -> Result<bool, StateError> {
        if self.settings.locking.uses_lock_file() && self.lock_file(c).await?.is_none_or(|f| f.info.id != id) {
            return Ok(false);
        }
        if self.settings.locking.uses_table() && self.table_lock(c).await?.is_none_or(|(info, _)| info.id != id) {
            return Ok(false);
        }
        Ok(true)
    }

    /// The lock table's lock item: its lock info and the `Info` text exactly as stored.
    async fn table_lock(&self, c: &Component) -> Result<Option<(LockInfo, String)>, StateError> {
        let path = self.lock_id(c);
        let Some(item) = self.get_item(&path).await? else { return Ok(None) };
        let Some(text) = item.get("Info").and_then(|v| v.as_s().ok()) else {
            return Err(StateError::BadLock { path, reason: "the lock item has no Info string".into() });
        };
        let info = LockInfo::parse(text).map_err(|reason| StateError::BadLock { path: path.clone(), reason })?;
        Ok(Some((info, text.clone())))
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

    /// R31, R53: releases the lock if `id` is the one held (also what `force-unlock ID` does),
    /// from every place the mode locks, as Terraform's `Unlock`. With both, each half is
    /// released on its own; a half that is already gone (a client stopped between the two) is
    /// not an error.
    pub async fn unlock(&self, c: &Component, id: &str) -> Result<LockInfo, StateError> {
        let locking = self.settings.locking;
        match (locking.uses_lock_file(), locking.uses_table()) {
            (true, false) => self.unlock_with_file(c, id).await,
            (false, _) => self.unlock_with_table(c, id).await,
            (true, true) => {
                let file = self.unlock_with_file(c, id).await;
                let table = self.unlock_with_table(c, id).await;
                match (file, table) {
                    (Ok(info), Ok(_) | Err(StateError::NotLocked { .. }))
                    | (Err(StateError::NotLocked { .. }), Ok(info)) => Ok(info),
                    (Err(e @ StateError::NotLocked { .. }), Err(StateError::NotLocked { .. })) => Err(e),
                    (Err(StateError::NotLocked { .. }) | Ok(_), Err(e)) | (Err(e), _) => Err(e),
                }
            }
        }
    }

    /// The lock table half of an unlock: the delete is conditioned on the `Info` text exactly as
    /// it was read, so a lock written with any JSON spacing or escaping is released by its ID,
    /// and a lock taken again in between is not.
    async fn unlock_with_table(&self, c: &Component, id: &str) -> Result<LockInfo, StateError> {
        let path = self.lock_id(c);
        let Some((held, text)) = self.table_lock(c).await? else {
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
            .expression_attribute_values(":info", s(&text))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(held),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                match self.table_lock(c).await? {
                    Some((now, _)) => {
                        Err(StateError::LockIdMismatch { path, given: id.to_owned(), held: Box::new(now) })
                    }
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

    /// Every lock of the environment in the mode's places, sorted by `LockID` (a lock file by
    /// `{bucket}/{key}.tflock`), including any that is not Terraform's LockInfo; `None` when
    /// the backend does not exist. With both, a lock file and a lock item of the same lock are
    /// one entry.
    pub async fn lock_entries(&self) -> Result<Option<Vec<LockEntry>>, StateError> {
        let locking = self.settings.locking;
        let files = if locking.uses_lock_file() { self.lock_file_entries().await? } else { Some(Vec::new()) };
        let items = if locking.uses_table() { self.table_entries().await? } else { Some(Vec::new()) };
        let (Some(files), Some(mut entries)) = (files, items) else { return Ok(None) };
        for file in files {
            let same = |e: &LockEntry| match (&e.info, &file.info) {
                (Ok(a), Ok(b)) => a.id == b.id && a.path == b.path,
                _ => false,
            };
            if !entries.iter().any(same) {
                entries.push(file);
            }
        }
        entries.sort_by(|a, b| a.lock_id.cmp(&b.lock_id));
        Ok(Some(entries))
    }

    async fn table_entries(&self) -> Result<Option<Vec<LockEntry>>, StateError> {
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
                Some(Ok(text)) => LockInfo::parse(text).map_err(|e| format!("Info is not a lock: {e}")),
                Some(Err(_)) => Err("Info is not a string".to_owned()),
                None => Err("no Info attribute".to_owned()),
            };
            entries.push(LockEntry { lock_id, info });
        }
        Ok(Some(entries))
    }

    /// The stored digest of a component's state, if any (whatever its form).
    pub async fn digest(&self, c: &Component) -> Result<Option<String>, StateError> {
        let item = self.get_item(&self.digest_id(c)).await?;
        Ok(item.and_then(|i| i.get("Digest").and_then(|v| v.as_s().ok()).cloned()))
    }

    /// A lock-table item's string attributes (a lock or a digest), as Terraform reads them.
    pub async fn lock_item(&self, lock_id: &str) -> Result<Option<HashMap<String, String>>, StateError> {
        let item = self.get_item(lock_id).await?;
        Ok(item.map(|i| i.into_iter().filter_map(|(k, v)| v.as_s().ok().map(|s| (k, s.clone()))).collect()))
    }
}
