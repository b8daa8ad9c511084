//! Steps for the state bucket, lock table and state versions (features/state).

use std::collections::HashMap;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::json;
use stagegate::Environment;
use stagegate::engine::state::{
    Component, LockInfo, OPERATION_APPLY, StateError, StateLocking, StateResource, StateSettings, StateStore,
    StoredState, TerraformState, md5_hex,
};
use stagegate::foundation::repo::Repo;

use super::{Env, World, component};

/// What a scenario did to the state backends and what they answered.
#[derive(Debug, Default)]
pub struct StateScene {
    /// Locks taken in this scenario, by holder.
    pub(super) locks: HashMap<String, LockInfo>,
    /// States remembered before a change, by component.
    pub(super) remembered: HashMap<String, StoredState>,
    /// State versions about to be restored, by serial.
    restored: HashMap<u64, TerraformState>,
    /// The last refusal of a lock, write, force-unlock or restore, for the step that checks it.
    pub(super) refusal: Option<StateError>,
    /// The last lock item read from a lock table.
    lock_item: Option<LockItem>,
    /// The environment whose state bucket the last "has the state bucket" step found.
    bucket: Option<Environment>,
    /// R53: how this scenario's state backends are locked (default: the lock table).
    pub(super) locking: StateLocking,
    /// How long reads wait for the state to match its digest (short unless a step says).
    pub(super) consistency_window: Option<std::time::Duration>,
    /// The last command run: its exit code and what it printed.
    pub(super) command: Option<(i32, String)>,
    /// What a lock attempt following Terraform's protocol observed.
    pub(super) rival: Option<super::tf_interop::RivalAttempt>,
    /// The state object a Terraform-shaped fixture was written as.
    pub(super) written_by_terraform: Option<Vec<u8>>,
    /// The Terraform release pipeline.yml says states are written as, if it says one.
    pub(super) terraform_version: Option<String>,
    /// The Terraform workspace a Terraform-protocol step works in (none: default).
    pub(super) workspace: Option<String>,
}

impl StateScene {
    /// The settings this scenario's stores use.
    pub fn settings(&self) -> StateSettings {
        let mut settings = StateSettings::default()
            .with_locking(self.locking)
            .with_consistency_window(self.consistency_window.unwrap_or(std::time::Duration::from_millis(200)));
        if let Some(v) = &self.terraform_version {
            settings.terraform_version.clone_from(v);
        }
        settings
    }
}

/// An item of a lock table, as Terraform writes it.
#[derive(Debug)]
pub struct LockItem {
    /// The `Info` attribute, Terraform's lock info as JSON, if the item has one.
    info: Option<String>,
}

/// Column 0 of a data table, without its header row.
pub fn column(step: &Step) -> Vec<String> {
    let table = step.table.as_ref().expect("the step has a data table");
    table.rows.iter().skip(1).map(|r| r[0].trim().to_owned()).collect()
}

/// A locked state write standing in for an apply: one resource whose revision is the serial.
pub async fn write_once(store: &StateStore, c: &Component) -> Result<(), StateError> {
    let current = store.read(c).await?.map(|s| s.state).unwrap_or_default();
    let resource = StateResource::managed(
        if c.is_templates() { "aws_s3_bucket" } else { "aws_dynamodb_table" },
        c.name(),
        json!({ "id": c.name(), "revision": current.serial + 1 }),
    );
    let lock = store.lock(c, OPERATION_APPLY, "deployer@ci", "state write").await?;
    let written = store.write(c, &current.next(vec![resource]), &lock).await;
    store.unlock(c, &lock.id).await?;
    written.map(|_| ())
}

impl StateScene {
    /// Keeps a lock taken by `who`, or the refusal.
    fn record(&mut self, who: String, result: Result<LockInfo, StateError>) {
        match result {
            Ok(lock) => {
                self.locks.insert(who, lock);
            }
            Err(e) => self.refusal = Some(e),
        }
    }
}

#[given(expr = "the {env} state backend is bootstrapped")]
#[when(expr = "the {env} state backend is bootstrapped")]
async fn bootstrapped(w: &mut World, env: Env) {
    w.store(env.0).await.bootstrap().await.expect("bootstrap");
}

#[given(expr = "the {env} state of component {string} has been written {int} time(s)")]
#[when(expr = "the {env} state of component {string} has been written {int} time(s)")]
async fn written_times(w: &mut World, env: Env, name: String, times: u32) {
    let store = w.store(env.0).await;
    for _ in 0..times {
        write_once(&store, &component(&name)).await.expect("state write");
    }
}

#[given(expr = "the {env} state of every component of the sample repo has been written once")]
async fn all_written(w: &mut World, env: Env) {
    let store = w.store(env.0).await;
    let repo = Repo::open(&Repo::sample_path()).expect("the sample repo");
    for c in repo.components().expect("components") {
        write_once(&store, &c).await.expect("state write");
    }
}

#[given(expr = "the {env} states of every component are remembered")]
async fn remember_all(w: &mut World, env: Env) {
    let store = w.store(env.0).await;
    let repo = Repo::open(&Repo::sample_path()).expect("the sample repo");
    for c in repo.components().expect("components") {
        let stored = store.read(&c).await.expect("read").expect("a state");
        w.state.remembered.insert(c.name().to_owned(), stored);
    }
}

#[given(expr = "the {env} state of component {string} has been replaced by a state of a new lineage")]
async fn new_lineage(w: &mut World, env: Env, name: String) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let lock = store.lock(&c, OPERATION_APPLY, "deployer@ci", "new lineage").await.expect("lock");
    store.write(&c, &TerraformState::new().next(Vec::new()), &lock).await.expect("write");
    store.unlock(&c, &lock.id).await.expect("unlock");
}

#[then(expr = "account {word} has the state bucket {string}")]
async fn has_bucket(w: &mut World, account: String, bucket: String) {
    let env = Environment::for_account(&account).expect("an LLD account");
    let store = w.store(env).await;
    assert_eq!(store.bucket(), bucket);
    assert!(store.inspect().await.expect("inspect").bucket_exists, "{bucket} does not exist in {account}");
    w.state.bucket = Some(env);
}

impl World {
    /// What "that bucket" looks like: the bucket the step before found, which must exist.
    async fn that_bucket(&mut self) -> (String, stagegate::engine::state::StateBucketReport) {
        let env = self.state.bucket.expect("a step named the bucket");
        let store = self.store(env).await;
        let report = store.inspect().await.expect("inspect");
        assert!(report.bucket_exists, "{} does not exist", store.bucket());
        (store.bucket().to_owned(), report)
    }
}

#[then("that bucket keeps every version of every object")]
async fn versioned(w: &mut World) {
    let (bucket, r) = w.that_bucket().await;
    assert!(r.versioning_enabled, "{bucket} is not versioned");
}

#[then("that bucket encrypts objects at rest by default")]
async fn encrypted(w: &mut World) {
    let (bucket, r) = w.that_bucket().await;
    assert!(r.encryption.is_some(), "{bucket} has no default encryption");
}

#[then("that bucket blocks all four kinds of public access")]
async fn private(w: &mut World) {
    let (bucket, r) = w.that_bucket().await;
    assert_eq!(r.public_access_block, [true; 4], "{bucket}");
}

#[then(expr = "account {word} has the lock table {string} keyed by LockID")]
async fn has_lock_table(w: &mut World, account: String, table: String) {
    let env = Environment::for_account(&account).expect("an LLD account");
    let store = w.store(env).await;
    assert_eq!(store.lock_table(), table);
    let r = store.inspect().await.expect("inspect");
    assert!(r.lock_table_exists, "{table} does not exist in {account}");
    assert_eq!(r.lock_table_key.as_deref(), Some("LockID (HASH)"));
}

#[then(expr = "the {env} state of component {string} is at serial {int}")]
async fn at_serial(w: &mut World, env: Env, name: String, serial: u64) {
    let stored = w.store(env.0).await.read(&component(&name)).await.expect("read").expect("a state");
    assert_eq!(stored.state.serial, serial);
}

#[then(expr = "the {env} state of component {string} does not exist")]
async fn no_state(w: &mut World, env: Env, name: String) {
    assert!(w.store(env.0).await.read(&component(&name)).await.expect("read").is_none());
}

#[then(expr = "the {env} state of component {string} has these versions, newest first:")]
async fn versions(w: &mut World, env: Env, name: String, step: &Step) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let mut serials = Vec::new();
    for v in store.versions(&c).await.expect("versions") {
        serials.push(store.read_version(&c, &v.version_id).await.expect("a version").serial.to_string());
    }
    assert_eq!(serials, column(step));
}

#[then(expr = "the {env} state bucket holds exactly these state keys:")]
async fn state_keys(w: &mut World, env: Env, step: &Step) {
    assert_eq!(w.store(env.0).await.state_keys().await.expect("keys"), column(step));
}

#[then(expr = "the {env} states of these components are exactly as remembered:")]
async fn as_remembered(w: &mut World, env: Env, step: &Step) {
    let store = w.store(env.0).await;
    for name in column(step) {
        let now = store.read(&component(&name)).await.expect("read").expect("a state");
        assert_eq!(Some(&now), w.state.remembered.get(&name), "{name} changed");
    }
}

#[given(expr = "{string} holds the {env} lock of component {string}")]
async fn takes_lock(w: &mut World, who: String, env: Env, name: String) {
    let lock = w.store(env.0).await.lock(&component(&name), OPERATION_APPLY, &who, "").await.expect("lock");
    w.state.locks.insert(who, lock);
}

#[when(expr = "{string} locks the {env} component {string}")]
async fn tries_lock(w: &mut World, who: String, env: Env, name: String) {
    let result = w.store(env.0).await.lock(&component(&name), OPERATION_APPLY, &who, "").await;
    w.state.record(who, result);
}

#[then(expr = "{string} holds the {env} lock of component {string}")]
async fn holds_lock(w: &mut World, who: String, env: Env, name: String) {
    let held = w.store(env.0).await.current_lock(&component(&name)).await.expect("read lock").expect("a lock");
    assert_eq!(held.who, who);
    assert_eq!(Some(&held.id), w.state.locks.get(&who).map(|l| &l.id));
}

#[then(expr = "nobody holds the {env} lock of component {string}")]
async fn unlocked(w: &mut World, env: Env, name: String) {
    assert_eq!(w.store(env.0).await.current_lock(&component(&name)).await.expect("read lock"), None);
}

#[when(expr = "{string} and {string} try to lock the {env} component {string} at the same moment")]
async fn race(w: &mut World, a: String, b: String, env: Env, name: String) {
    let (sa, sb) = (w.store(env.0).await, w.store(env.0).await);
    let c = component(&name);
    let (ra, rb) = tokio::join!(sa.lock(&c, OPERATION_APPLY, &a, ""), sb.lock(&c, OPERATION_APPLY, &b, ""));
    for (who, result) in [(a, ra), (b, rb)] {
        w.state.record(who, result);
    }
}

#[then(expr = "exactly one of them holds the {env} lock of component {string}")]
async fn exactly_one(w: &mut World, env: Env, name: String) {
    assert_eq!(w.state.locks.len(), 1, "winners: {:?}", w.state.locks.keys().collect::<Vec<_>>());
    let held = w.store(env.0).await.current_lock(&component(&name)).await.expect("read").expect("held");
    let (who, lock) = w.state.locks.iter().next().expect("one winner");
    assert_eq!((&held.who, &held.id), (who, &lock.id));
}

#[then(expr = "the other is refused with {string}, naming the holder and the lock ID")]
async fn other_refused(w: &mut World, wording: String) {
    let refusal = w.state.refusal.take().expect("one attempt was refused");
    let (who, lock) = w.state.locks.iter().next().expect("one winner");
    let message = refusal.to_string();
    assert!(matches!(refusal, StateError::Locked { .. }), "{message}");
    for needle in [wording.as_str(), who.as_str(), lock.id.as_str()] {
        assert!(message.contains(needle), "{needle:?} missing from: {message}");
    }
}

#[when(expr = "{string} tries to write the {env} state of {string} without holding its lock")]
async fn write_without_lock(w: &mut World, who: String, env: Env, name: String) {
    let store = w.store(env.0).await;
    let forged = LockInfo::new(&store.lock_id(&component(&name)), OPERATION_APPLY, &who, "", jiff::Timestamp::now());
    let result = store.write(&component(&name), &TerraformState::new().next(Vec::new()), &forged).await;
    w.state.refusal = result.err();
}

#[then("the write is refused because the writer does not hold the lock")]
async fn write_refused(w: &mut World) {
    let refusal = w.state.refusal.take().expect("the write was refused");
    assert!(matches!(refusal, StateError::LockNotHeld { .. }), "{refusal}");
}

#[when(expr = "the {env} lock of {string} is force-unlocked with the ID {string}")]
async fn force_unlock_id(w: &mut World, env: Env, name: String, id: String) {
    w.state.refusal = w.store(env.0).await.unlock(&component(&name), &id).await.err();
}

#[when(expr = "the {env} lock of {string} is force-unlocked with the lock ID {string} holds")]
async fn force_unlock_holder(w: &mut World, env: Env, name: String, who: String) {
    let id = w.state.locks.remove(&who).expect("that holder's lock").id;
    w.store(env.0).await.unlock(&component(&name), &id).await.expect("force-unlock");
}

#[then("the force-unlock is refused, naming the lock ID that is held")]
async fn force_unlock_refused(w: &mut World) {
    let refusal = w.state.refusal.take().expect("the force-unlock was refused");
    let StateError::LockIdMismatch { held, .. } = &refusal else { panic!("unexpected: {refusal}") };
    assert!(refusal.to_string().contains(&held.id));
    assert_eq!(Some(&held.id), w.state.locks.values().next().map(|l| &l.id));
}

#[then(expr = "the {env} lock table holds the item {string}")]
async fn lock_item(w: &mut World, env: Env, lock_id: String) {
    let store = w.store(env.0).await;
    let mut item = store.lock_item(&lock_id).await.expect("get item").expect("the item exists");
    w.state.lock_item = Some(LockItem { info: item.remove("Info") });
}

#[then(regex = r"^its Info is JSON with exactly the fields (.+)$")]
async fn info_fields(w: &mut World, list: String) {
    let info = w.state.lock_item.as_ref().and_then(|i| i.info.as_deref()).expect("an Info attribute");
    let value: serde_json::Value = serde_json::from_str(info).expect("Info is JSON");
    let mut fields: Vec<&str> = value.as_object().expect("an object").keys().map(String::as_str).collect();
    let mut wanted: Vec<&str> = list.split([',', ' ']).filter(|f| !f.is_empty() && *f != "and").collect();
    fields.sort_unstable();
    wanted.sort_unstable();
    assert_eq!(fields, wanted);
}

#[then(expr = "its Info says Who {string}, Operation {string} and Path {string}")]
async fn info_values(w: &mut World, who: String, operation: String, path: String) {
    let info = w.state.lock_item.as_ref().and_then(|i| i.info.as_deref()).expect("an Info attribute");
    let lock: LockInfo = serde_json::from_str(info).expect("LockInfo JSON");
    assert!(lock.created_at().is_some(), "Created is not RFC 3339: {}", lock.created);
    assert_eq!((lock.who, lock.operation, lock.path), (who, operation, path));
}

#[then(expr = "its Digest is the MD5 of the {env} state object stored for {string}")]
async fn digest_matches(w: &mut World, env: Env, name: String) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let bytes = store.raw_object(&c).await.expect("read").expect("the state object");
    let digest = store.digest(&c).await.expect("digest").expect("a digest item");
    assert_eq!(digest, md5_hex(&bytes));
}

#[then(expr = "the {env} state object stored for {string} is a Terraform state of version {int} with serial {int}")]
async fn stored_document(w: &mut World, env: Env, name: String, version: u64, serial: u64) {
    let bytes = w.store(env.0).await.raw_object(&component(&name)).await.expect("read").expect("the state object");
    let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    for field in ["version", "terraform_version", "serial", "lineage", "outputs", "resources"] {
        assert!(doc.get(field).is_some(), "no {field} in {doc}");
    }
    assert_eq!((doc["version"].as_u64(), doc["serial"].as_u64()), (Some(version), Some(serial)));
}

#[when(expr = "the {env} state object of {string} is overwritten behind stagegate's back")]
async fn tamper(w: &mut World, env: Env, name: String) {
    let store = w.store(env.0).await;
    let tampered = TerraformState::new().next(Vec::new()).to_bytes();
    store
        .clients()
        .s3
        .put_object()
        .bucket(store.bucket())
        .key(component(&name).state_key())
        .body(tampered.into())
        .send()
        .await
        .expect("a plain S3 put");
}

#[then(expr = "reading the {env} state of {string} is refused because its checksum does not match the stored digest")]
async fn digest_refused(w: &mut World, env: Env, name: String) {
    let err = w.store(env.0).await.read(&component(&name)).await.expect_err("a refusal");
    assert!(matches!(err, StateError::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains("does not have the expected content"), "{err}");
}

/// The oldest version with that serial (a new lineage starts its serials again).
pub async fn restore_serial(store: &StateStore, c: &Component, serial: u64) -> Result<String, StateError> {
    for v in store.versions(c).await?.into_iter().rev() {
        if store.read_version(c, &v.version_id).await?.serial == serial {
            return Ok(v.version_id);
        }
    }
    panic!("no version with serial {serial}")
}

#[when(expr = "the {env} state version with serial {int} of {string} is restored")]
async fn restore_by_serial(w: &mut World, env: Env, serial: u64, name: String) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let version = restore_serial(&store, &c, serial).await.expect("versions");
    let old = store.read_version(&c, &version).await.expect("the version");
    w.state.restored.insert(serial, old);
    w.state.refusal = restore(&store, &c, &version).await.err();
}

#[when(expr = "the {env} state version {string} of {string} is restored")]
async fn restore_by_id(w: &mut World, env: Env, version: String, name: String) {
    let store = w.store(env.0).await;
    w.state.refusal = restore(&store, &component(&name), &version).await.err();
}

async fn restore(store: &StateStore, c: &Component, version: &str) -> Result<(), StateError> {
    store.restore_locked(c, version, "oncall@ci", "restore").await.map(|_| ())
}

#[then(expr = "the {env} state of {string} has the lineage and resources of the version with serial {int}")]
async fn same_as_version(w: &mut World, env: Env, name: String, serial: u64) {
    let now = w.store(env.0).await.read(&component(&name)).await.expect("read").expect("a state");
    let old = w.state.restored.get(&serial).expect("the restored version");
    assert_eq!(now.state.lineage, old.lineage);
    assert_eq!(now.state.resources, old.resources);
}

#[then("the restore is refused because the lineages differ")]
async fn lineage_refused(w: &mut World) {
    let refusal = w.state.refusal.take().expect("refused");
    assert!(matches!(refusal, StateError::LineageMismatch { .. }), "{refusal}");
}

#[then("the restore is refused because there is no such version")]
async fn no_version_refused(w: &mut World) {
    let refusal = w.state.refusal.take().expect("refused");
    assert!(matches!(refusal, StateError::NoSuchVersion { .. }), "{refusal}");
}

#[then(expr = "the {env} credentials act as account {word}")]
async fn acts_as(w: &mut World, env: Env, account: String) {
    assert_eq!(w.clients(env.0).await.caller_account().await.expect("STS"), account);
}

#[when(expr = "{env}'s credentials try to lock {env}'s component {string}")]
async fn cross_lock(w: &mut World, from: Env, target: Env, name: String) {
    let store = StateStore::new(w.clients(from.0).await, target.0);
    w.state.refusal = store.lock(&component(&name), OPERATION_APPLY, "intruder@ci", "").await.err();
}

#[then(expr = "it is refused because the credentials belong to account {word} \\({word}), not {env}'s account {word}")]
async fn wrong_account(w: &mut World, actual: String, label: String, env: Env, expected: String) {
    let refusal = w.state.refusal.take().expect("refused");
    let StateError::WrongAccount { actual: a, expected: e, .. } = &refusal else { panic!("unexpected: {refusal}") };
    assert_eq!((a, e), (&actual, &expected));
    assert!(refusal.to_string().contains(&label) && refusal.to_string().contains(env.0.label()), "{refusal}");
}

#[then(expr = "the lock table {string} does not exist as seen with {env}'s credentials")]
async fn table_invisible(w: &mut World, table: String, from: Env) {
    let target = Environment::ALL.into_iter().find(|e| e.lock_table() == table).expect("an LLD lock table");
    let store = StateStore::new(w.clients(from.0).await, target);
    assert!(!store.inspect().await.expect("inspect").lock_table_exists);
}

#[given(expr = "the {env} lock table has been deleted")]
async fn lock_table_deleted(w: &mut World, env: Env) {
    let c = w.clients(env.0).await;
    c.dynamodb.delete_table().table_name(env.0.lock_table()).send().await.expect("DeleteTable");
}

#[given(expr = "the {env} state bucket has been deleted")]
async fn state_bucket_deleted(w: &mut World, env: Env) {
    let c = w.clients(env.0).await;
    let bucket = env.0.state_bucket();
    let listed = c.s3.list_object_versions().bucket(&bucket).send().await.expect("ListObjectVersions");
    let versions = listed.versions().iter().map(|v| (v.key(), v.version_id()));
    let markers = listed.delete_markers().iter().map(|m| (m.key(), m.version_id()));
    for (key, version) in versions.chain(markers) {
        let key = key.expect("a key");
        c.s3.delete_object()
            .bucket(&bucket)
            .key(key)
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
            .expect("DeleteObject");
    }
    c.s3.delete_bucket().bucket(&bucket).send().await.expect("DeleteBucket");
}

#[given(expr = "the {env} lock table has been replaced by one keyed by {string}")]
async fn lock_table_rekeyed(w: &mut World, env: Env, key: String) {
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
    lock_table_deleted(w, env).await;
    let table = env.0.lock_table();
    w.clients(env.0)
        .await
        .dynamodb
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder().attribute_name(&key).attribute_type(ScalarAttributeType::S).build().unwrap(),
        )
        .key_schema(KeySchemaElement::builder().attribute_name(&key).key_type(KeyType::Hash).build().unwrap())
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable");
}

#[then(expr = "reading the {env} lock of {string} is refused with DynamoDB's answer to {word} on that lock table")]
async fn lock_read_refused_by_dynamodb(w: &mut World, env: Env, name: String, operation: String) {
    w.state.refusal = w.store(env.0).await.current_lock(&component(&name)).await.err();
    refused_by_dynamodb(w, env, &operation);
}

#[then(
    expr = "reading the {env} lock of {string} is refused because that state backend does not exist, telling to bootstrap it"
)]
async fn lock_read_refused_no_backend(w: &mut World, env: Env, name: String) {
    w.state.refusal = w.store(env.0).await.current_lock(&component(&name)).await.err();
    lock_refused_no_backend(w, env).await;
}

#[then(expr = "the lock is refused with DynamoDB's answer to PutItem on the {env} lock table")]
async fn lock_refused_by_dynamodb(w: &mut World, env: Env) {
    refused_by_dynamodb(w, env, "PutItem");
}

fn refused_by_dynamodb(w: &mut World, env: Env, operation: &str) {
    let refusal = w.state.refusal.take().expect("the lock was refused");
    let message = refusal.to_string();
    assert!(
        matches!(&refusal, StateError::Aws { operation: o, resource, .. } if *o == operation && *resource == env.0.lock_table()),
        "{message}"
    );
    assert_eq!(refusal.exit_code(), stagegate::foundation::exit::INFRASTRUCTURE, "{message}");
}

#[then(expr = "the lock is refused because the {env} state backend does not exist, telling to bootstrap it")]
async fn lock_refused_no_backend(w: &mut World, env: Env) {
    let refusal = w.state.refusal.take().expect("the lock was refused");
    let message = refusal.to_string();
    assert!(matches!(refusal, StateError::NoBackend { .. }), "{message}");
    // The lock table where locks are items; the bucket where they are lock files.
    let place = if w.state.settings().locking.uses_table() { env.0.lock_table() } else { env.0.state_bucket() };
    for needle in [place.as_str(), &format!("stagegate state bootstrap --env {}", env.0.name())] {
        assert!(message.contains(needle), "{needle:?} missing from: {message}");
    }
}

#[when(
    expr = "{string} locks the {env} component {string} waiting up to {int} seconds, while {string} releases it after {int} second(s)"
)]
async fn lock_waiting_for_release(
    w: &mut World,
    who: String,
    env: Env,
    name: String,
    wait: u64,
    holder: String,
    after: u64,
) {
    let id = w.state.locks.remove(&holder).expect("that holder's lock").id;
    let (waiter, releaser) = (w.store(env.0).await, w.store(env.0).await);
    let c = component(&name);
    let release = async {
        tokio::time::sleep(std::time::Duration::from_secs(after)).await;
        releaser.unlock(&c, &id).await.expect("the holder releases its lock");
    };
    let wait = waiter.lock_waiting(&c, OPERATION_APPLY, &who, "", std::time::Duration::from_secs(wait));
    let (taken, ()) = tokio::join!(wait, release);
    w.state.record(who, taken);
}

#[then(expr = "the only {env} lock listed is the one {string} holds")]
async fn only_lock_listed(w: &mut World, env: Env, who: String) {
    let listed = w.store(env.0).await.locks().await.expect("the locks are listed");
    let held = w.state.locks.get(&who).expect("that holder's lock");
    assert_eq!(listed.iter().map(|l| (&l.who, &l.id)).collect::<Vec<_>>(), [(&held.who, &held.id)]);
}
