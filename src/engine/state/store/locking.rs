//! Locks and digests in `terraform-state-lock-{env}`: Terraform's `LockID`/`LockInfo` items,
//! taken with a conditional put, and the `-md5` digest item of each state.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;

use super::super::{Component, LockInfo, StateError};
use super::{LOCK_RETRY_EVERY, LockEntry, StateStore, aws_err, s};

impl StateStore {
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

    /// A lock-table item's string attributes (a lock or a digest), as Terraform reads them.
    pub async fn lock_item(&self, lock_id: &str) -> Result<Option<HashMap<String, String>>, StateError> {
        let item = self.get_item(lock_id).await?;
        Ok(item.map(|i| i.into_iter().filter_map(|(k, v)| v.as_s().ok().map(|s| (k, s.clone()))).collect()))
    }
}
