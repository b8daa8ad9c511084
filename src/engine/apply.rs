//! Apply: carries out exactly what a plan shows, holding each component's state lock
//! throughout, and records what really exists afterwards as the component's new state.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction,
    GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, LocalSecondaryIndex,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType, SseSpecification, SseType,
    TableStatus, Tag as DdbTag, TimeToLiveSpecification,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag as S3Tag, Tagging};
use futures::FutureExt;
use jiff::Timestamp;
use md5::{Digest, Md5};
use serde::Serialize;
use serde_json::Value;

use crate::aws::describe_sdk;
use crate::aws::{AwsClients, bucket_settings};
use crate::engine::desired::{
    BUCKET, BUCKET_ENCRYPTION, BUCKET_PUBLIC_ACCESS_BLOCK, BUCKET_VERSIONING, OBJECT, Resource, TABLE,
};
use crate::engine::live::read_resources;
use crate::engine::plan::{Action, ComponentPlan, Plan, ResourceChange};
use crate::engine::state::{Component, OPERATION_APPLY, StateError, StateResource, StateStore, TerraformState};
use crate::foundation::repo::Repo;
use crate::resources::schema::{self, TableDefinition};

const WAIT_LIMIT: Duration = Duration::from_secs(600);
const WAIT_EVERY: Duration = Duration::from_millis(200);

/// How an apply runs.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// `Who` in the lock.
    pub who: String,
    /// How long to wait for a held lock (Terraform's `-lock-timeout`); zero fails at once.
    pub lock_timeout: Duration,
    /// Set by Ctrl-C: the apply stops before its next operation, records what exists and
    /// releases its locks.
    pub cancel: Arc<AtomicBool>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { who: crate::engine::state::who_am_i(), lock_timeout: Duration::ZERO, cancel: Arc::default() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentOutcome {
    pub component: String,
    pub operations: Vec<String>,
    pub serial: u64,
    pub error: Option<String>,
    pub elapsed_ms: u128,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub environment: String,
    pub components: Vec<ComponentOutcome>,
    pub elapsed_ms: u128,
}

/// `component: N operations, state serial S: applied` (or FAILED and why).
impl std::fmt::Display for ComponentOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = self.error.as_deref().map_or("applied".to_owned(), |e| format!("FAILED: {e}"));
        write!(f, "{}: {} operations, state serial {}: {verdict}", self.component, self.operations.len(), self.serial)
    }
}

impl ApplyReport {
    pub fn succeeded(&self) -> bool {
        self.components.iter().all(|c| c.error.is_none())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the plan is for {planned}, not {asked}")]
    WrongEnvironment { planned: String, asked: String },
    #[error("Saved plan has expired: it was created {created} and could be applied until {expires}; make a new plan")]
    Expired { created: Timestamp, expires: Timestamp },
    #[error(
        "Saved plan is stale: the given plan file can no longer be applied because the state of {component} was changed by another operation after the plan was created (planned against lineage {planned_lineage}, serial {planned_serial}; now lineage {lineage}, serial {serial})"
    )]
    Stale { component: String, planned_lineage: String, planned_serial: u64, lineage: String, serial: u64 },
    #[error("{path} changed since the plan was made (MD5 {actual}, planned {planned}); make a new plan")]
    TemplateChanged { path: String, actual: String, planned: String },
    #[error(transparent)]
    State(#[from] StateError),
}

/// Applies a plan to its environment. Every precondition (expiry, staleness, locks, template
/// bodies) is checked for all components before anything changes, so a refused plan changes
/// nothing.
pub async fn apply(
    store: &StateStore,
    plan: &Plan,
    repo: &Repo,
    now: Timestamp,
    options: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let started = Instant::now();
    if plan.environment != store.environment() {
        return Err(ApplyError::WrongEnvironment {
            planned: plan.environment.to_string(),
            asked: store.environment().to_string(),
        });
    }
    if plan.is_expired(now) {
        return Err(ApplyError::Expired { created: plan.created, expires: plan.expires });
    }
    let bodies = template_bodies(plan, repo)?;
    let changing: Vec<&ComponentPlan> = plan.components.iter().filter(|c| c.has_changes()).collect();

    // Lock every changing component (in a fixed order, so two applies cannot deadlock).
    let mut held = Vec::new();
    for cp in &changing {
        let component: Component =
            cp.component.parse().map_err(|_| StateError::NotLocked { path: cp.state_key.clone() })?;
        let info = format!("stagegate apply, commit {}", plan.commit.as_deref().unwrap_or("unknown"));
        match store.lock_waiting(&component, OPERATION_APPLY, &options.who, &info, options.lock_timeout).await {
            Ok(lock) => held.push((component, lock)),
            Err(e) => {
                release(store, &held).await;
                return Err(e.into());
            }
        }
    }
    // With the locks held, the state must be what the plan was made against.
    let mut bases = Vec::new();
    for (cp, (component, _)) in changing.iter().zip(&held) {
        let current = match store.read(component).await {
            Ok(s) => s.map(|s| s.state),
            Err(e) => {
                release(store, &held).await;
                return Err(e.into());
            }
        };
        let (lineage, serial) = current.as_ref().map_or((None, 0), |s| (Some(s.lineage.clone()), s.serial));
        if lineage != cp.lineage || serial != cp.serial {
            release(store, &held).await;
            return Err(ApplyError::Stale {
                component: cp.component.clone(),
                planned_lineage: cp.lineage.clone().unwrap_or_else(|| "(no state)".into()),
                planned_serial: cp.serial,
                lineage: lineage.unwrap_or_else(|| "(no state)".into()),
                serial,
            });
        }
        bases.push(current.unwrap_or_default());
    }

    let mut outcomes = Vec::new();
    for ((cp, (component, lock)), base) in changing.iter().zip(&held).zip(bases) {
        let component_started = Instant::now();
        let mut operations = Vec::new();
        let run = AssertUnwindSafe(apply_component(store.clients(), cp, &bodies, &options.cancel, &mut operations))
            .catch_unwind()
            .await;
        let mut error = match run {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some("the apply panicked".to_owned()),
        };
        // Whatever happened, the state records what really exists now.
        let mut serial = base.serial;
        match record(store, component, cp, &base, lock).await {
            Ok(s) => serial = s,
            Err(e) => error = Some(error.map_or(e.to_string(), |first| format!("{first}; then {e}"))),
        }
        if let Err(e) = store.unlock(component, &lock.id).await {
            error = Some(error.map_or(e.to_string(), |first| format!("{first}; then {e}")));
        }
        outcomes.push(ComponentOutcome {
            component: cp.component.clone(),
            operations,
            serial,
            error,
            elapsed_ms: component_started.elapsed().as_millis(),
        });
    }
    Ok(ApplyReport {
        environment: plan.environment.to_string(),
        components: outcomes,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

async fn release(store: &StateStore, held: &[(Component, crate::engine::state::LockInfo)]) {
    for (c, lock) in held {
        let _ = store.unlock(c, &lock.id).await;
    }
}

/// The bodies of the templates the plan uploads, checked against the planned MD5.
fn template_bodies(plan: &Plan, repo: &Repo) -> Result<BTreeMap<String, Vec<u8>>, ApplyError> {
    let mut bodies = BTreeMap::new();
    for r in plan.components.iter().flat_map(|c| &c.resources) {
        if r.kind != OBJECT || !matches!(r.action, Action::Create | Action::Update) {
            continue;
        }
        let path = repo.root().join("templates").join(&r.name);
        let body = std::fs::read(&path).map_err(|e| StateError::Malformed {
            path: path.display().to_string(),
            reason: format!("cannot read the template the plan uploads: {e}"),
        })?;
        let actual = hex::encode(Md5::digest(&body));
        let planned = r.after.get("etag").and_then(Value::as_str).unwrap_or_default().to_owned();
        if actual != planned {
            return Err(ApplyError::TemplateChanged { path: path.display().to_string(), actual, planned });
        }
        bodies.insert(r.name.clone(), body);
    }
    Ok(bodies)
}

/// Writes the component's new state from the live resources the plan concerns.
async fn record(
    store: &StateStore,
    component: &Component,
    cp: &ComponentPlan,
    base: &TerraformState,
    lock: &crate::engine::state::LockInfo,
) -> Result<u64, ApplyError> {
    let wanted: Vec<Resource> = cp
        .resources
        .iter()
        .filter(|r| r.action != Action::Delete)
        .filter_map(|r| {
            Some(Resource {
                kind: static_kind(&r.kind)?,
                name: r.name.clone(),
                attributes: r.after.clone(),
                body: None,
            })
        })
        .collect();
    let live = read_resources(store.clients(), &wanted).await.map_err(|e| StateError::Aws {
        operation: "read back",
        resource: cp.component.clone(),
        detail: e.to_string().into(),
    })?;
    let resources = live
        .into_iter()
        .map(|r| StateResource::managed(r.kind, &r.name, Value::Object(r.attributes.into_iter().collect())))
        .collect();
    let next = base.next(resources);
    store.write(component, &next, lock).await?;
    Ok(next.serial)
}

fn static_kind(kind: &str) -> Option<&'static str> {
    [TABLE, BUCKET, BUCKET_VERSIONING, BUCKET_PUBLIC_ACCESS_BLOCK, BUCKET_ENCRYPTION, OBJECT]
        .into_iter()
        .chain(crate::resources::backup::KINDS)
        .find(|k| *k == kind)
}

async fn apply_component(
    clients: &AwsClients,
    cp: &ComponentPlan,
    bodies: &BTreeMap<String, Vec<u8>>,
    cancel: &AtomicBool,
    operations: &mut Vec<String>,
) -> Result<(), String> {
    // The bucket before its settings and objects; tables have one resource each.
    let mut ordered: Vec<&ResourceChange> = cp.resources.iter().filter(|r| r.action != Action::NoOp).collect();
    ordered.sort_by_key(|r| {
        (r.kind != BUCKET, r.kind == OBJECT, crate::resources::backup::KINDS.iter().position(|k| *k == r.kind))
    });
    for r in ordered {
        if cancel.load(Ordering::SeqCst) {
            return Err("interrupted: stopped before the next operation".into());
        }
        match r.kind.as_str() {
            TABLE => apply_table(clients, cp.table.as_ref(), r, operations).await?,
            OBJECT => apply_object(clients, r, bodies, operations).await?,
            kind if crate::resources::backup::is_backup(kind) => {
                crate::resources::backup::apply(clients, r, operations).await?
            }
            _ => apply_bucket_part(clients, r, operations).await?,
        }
    }
    Ok(())
}

fn sdk<E, R>(op: &str, name: &str) -> impl FnOnce(aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let what = format!("{op} {name}");
    move |e| format!("{what}: {}", describe_sdk(&e))
}

fn tags_of(attrs: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    attrs
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default()
}

fn key_schema(keys: &[schema::KeySchemaElement]) -> Vec<KeySchemaElement> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .expect("name and type set")
        })
        .collect()
}

fn projection(p: &schema::Projection) -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::from(p.projection_type.as_deref().unwrap_or("ALL")))
        .set_non_key_attributes((!p.non_key_attributes.is_empty()).then(|| p.non_key_attributes.clone()))
        .build()
}

/// The attribute definitions of the keys of the table and of the named indexes.
fn attribute_definitions(def: &TableDefinition, indexes: &[&schema::SecondaryIndex]) -> Vec<AttributeDefinition> {
    let mut names: Vec<&str> = def.key_schema.iter().map(|k| k.attribute_name.as_str()).collect();
    for i in indexes {
        names.extend(i.key_schema.iter().map(|k| k.attribute_name.as_str()));
    }
    names.sort_unstable();
    names.dedup();
    def.attribute_definitions
        .iter()
        .filter(|a| names.contains(&a.attribute_name.as_str()))
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .expect("name and type set")
        })
        .collect()
}

async fn wait_table(clients: &AwsClients, name: &str, gone: bool) -> Result<(), String> {
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        match clients.dynamodb.describe_table().table_name(name).send().await {
            Err(e) if gone && e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) => {
                return Ok(());
            }
            Err(e) => return Err(format!("DescribeTable {name}: {}", describe_sdk(&e))),
            Ok(out) if !gone => {
                let t = out.table();
                let table_active = t.and_then(|t| t.table_status()) == Some(&TableStatus::Active);
                let indexes_active = t.is_none_or(|t| {
                    t.global_secondary_indexes().iter().all(|g| g.index_status().is_none_or(|s| s.as_str() == "ACTIVE"))
                });
                if table_active && indexes_active {
                    return Ok(());
                }
            }
            Ok(_) => {}
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{name}: not {} after {} s",
                if gone { "deleted" } else { "ACTIVE" },
                WAIT_LIMIT.as_secs()
            ));
        }
        tokio::time::sleep(WAIT_EVERY).await;
    }
}

async fn apply_table(
    clients: &AwsClients,
    def: Option<&TableDefinition>,
    r: &ResourceChange,
    ops: &mut Vec<String>,
) -> Result<(), String> {
    let name = &r.name;
    let def = def.ok_or_else(|| format!("{}: the plan carries no table definition", r.address))?;
    match r.action {
        Action::Create => create_table(clients, def, &r.after, ops).await,
        Action::Replace => {
            clients.dynamodb.delete_table().table_name(name).send().await.map_err(sdk("DeleteTable", name))?;
            ops.push(format!("DeleteTable {name}"));
            wait_table(clients, name, true).await?;
            create_table(clients, def, &r.after, ops).await
        }
        Action::Delete => {
            clients.dynamodb.delete_table().table_name(name).send().await.map_err(sdk("DeleteTable", name))?;
            ops.push(format!("DeleteTable {name}"));
            wait_table(clients, name, true).await
        }
        Action::Update => {
            for change in &r.changes {
                update_table_attribute(clients, def, name, &change.name, &change.before, &change.after, ops).await?;
            }
            Ok(())
        }
        Action::NoOp => Ok(()),
    }
}

async fn create_table(
    clients: &AwsClients,
    def: &TableDefinition,
    after: &BTreeMap<String, Value>,
    ops: &mut Vec<String>,
) -> Result<(), String> {
    let name = &def.table_name;
    let indexes: Vec<&schema::SecondaryIndex> =
        def.global_secondary_indexes.iter().chain(&def.local_secondary_indexes).collect();
    let gsis: Vec<GlobalSecondaryIndex> = def
        .global_secondary_indexes
        .iter()
        .map(|g| {
            GlobalSecondaryIndex::builder()
                .index_name(&g.index_name)
                .set_key_schema(Some(key_schema(&g.key_schema)))
                .projection(projection(&g.projection))
                .build()
                .expect("fields set")
        })
        .collect();
    let lsis: Vec<LocalSecondaryIndex> = def
        .local_secondary_indexes
        .iter()
        .map(|l| {
            LocalSecondaryIndex::builder()
                .index_name(&l.index_name)
                .set_key_schema(Some(key_schema(&l.key_schema)))
                .projection(projection(&l.projection))
                .build()
                .expect("fields set")
        })
        .collect();
    let tags: Vec<DdbTag> = tags_of(after)
        .into_iter()
        .map(|(k, v)| DdbTag::builder().key(k).value(v).build().expect("key and value set"))
        .collect();
    let kms = after.get("server_side_encryption").and_then(Value::as_str) == Some("KMS");
    clients
        .dynamodb
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(attribute_definitions(def, &indexes)))
        .set_key_schema(Some(key_schema(&def.key_schema)))
        .set_global_secondary_indexes((!gsis.is_empty()).then_some(gsis))
        .set_local_secondary_indexes((!lsis.is_empty()).then_some(lsis))
        .billing_mode(BillingMode::PayPerRequest)
        .set_sse_specification(kms.then(|| SseSpecification::builder().enabled(true).sse_type(SseType::Kms).build()))
        .deletion_protection_enabled(after.get("deletion_protection_enabled") == Some(&Value::Bool(true)))
        .set_tags((!tags.is_empty()).then_some(tags))
        .send()
        .await
        .map_err(sdk("CreateTable", name))?;
    ops.push(format!("CreateTable {name}"));
    wait_table(clients, name, false).await?;
    if after.get("point_in_time_recovery") == Some(&Value::Bool(true)) {
        set_pitr(clients, name, true, ops).await?;
    }
    if let Some(attr) = after.get("ttl_attribute").and_then(Value::as_str) {
        set_ttl(clients, name, attr, true, ops).await?;
    }
    Ok(())
}

async fn set_pitr(clients: &AwsClients, name: &str, on: bool, ops: &mut Vec<String>) -> Result<(), String> {
    clients
        .dynamodb
        .update_continuous_backups()
        .table_name(name)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder().point_in_time_recovery_enabled(on).build().expect("flag set"),
        )
        .send()
        .await
        .map_err(sdk("UpdateContinuousBackups", name))?;
    ops.push(format!("UpdateContinuousBackups {name} (point-in-time recovery {})", if on { "on" } else { "off" }));
    Ok(())
}

async fn set_ttl(clients: &AwsClients, name: &str, attr: &str, on: bool, ops: &mut Vec<String>) -> Result<(), String> {
    clients
        .dynamodb
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder().attribute_name(attr).enabled(on).build().expect("fields set"),
        )
        .send()
        .await
        .map_err(sdk("UpdateTimeToLive", name))?;
    ops.push(format!("UpdateTimeToLive {name} ({attr} {})", if on { "on" } else { "off" }));
    Ok(())
}

async fn update_table_attribute(
    clients: &AwsClients,
    def: &TableDefinition,
    name: &str,
    attribute: &str,
    before: &Value,
    after: &Value,
    ops: &mut Vec<String>,
) -> Result<(), String> {
    let ddb = &clients.dynamodb;
    match attribute {
        "point_in_time_recovery" => set_pitr(clients, name, after == &Value::Bool(true), ops).await,
        "ttl_attribute" => {
            if let Some(old) = before.as_str() {
                set_ttl(clients, name, old, false, ops).await?;
            }
            match after.as_str() {
                Some(new) => set_ttl(clients, name, new, true, ops).await,
                None => Ok(()),
            }
        }
        "deletion_protection_enabled" => {
            ddb.update_table()
                .table_name(name)
                .deletion_protection_enabled(after == &Value::Bool(true))
                .send()
                .await
                .map_err(sdk("UpdateTable", name))?;
            ops.push(format!("UpdateTable {name} (deletion protection {after})"));
            wait_table(clients, name, false).await
        }
        "server_side_encryption" => {
            let kms = after.as_str() == Some("KMS");
            let spec = if kms {
                SseSpecification::builder().enabled(true).sse_type(SseType::Kms).build()
            } else {
                SseSpecification::builder().enabled(false).build()
            };
            ddb.update_table()
                .table_name(name)
                .sse_specification(spec)
                .send()
                .await
                .map_err(sdk("UpdateTable", name))?;
            ops.push(format!("UpdateTable {name} (encryption {})", if kms { "KMS" } else { "AWS owned key" }));
            wait_table(clients, name, false).await
        }
        "tags" => {
            let arn = ddb
                .describe_table()
                .table_name(name)
                .send()
                .await
                .map_err(sdk("DescribeTable", name))?
                .table()
                .and_then(|t| t.table_arn())
                .unwrap_or_default()
                .to_owned();
            let old: BTreeMap<String, String> = serde_json::from_value(before.clone()).unwrap_or_default();
            let new: BTreeMap<String, String> = serde_json::from_value(after.clone()).unwrap_or_default();
            let removed: Vec<String> = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
            if !removed.is_empty() {
                ddb.untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(removed.clone()))
                    .send()
                    .await
                    .map_err(sdk("UntagResource", name))?;
                ops.push(format!("UntagResource {name} ({})", removed.join(", ")));
            }
            let set: Vec<DdbTag> = new
                .iter()
                .filter(|(k, v)| old.get(*k) != Some(*v))
                .map(|(k, v)| DdbTag::builder().key(k).value(v).build().expect("key and value set"))
                .collect();
            if !set.is_empty() {
                let keys: Vec<String> = set.iter().map(|t| t.key().to_owned()).collect();
                ddb.tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set))
                    .send()
                    .await
                    .map_err(sdk("TagResource", name))?;
                ops.push(format!("TagResource {name} ({})", keys.join(", ")));
            }
            Ok(())
        }
        "global_secondary_indexes" => {
            let index_names = |v: &Value| -> BTreeMap<String, Value> {
                v.as_array()
                    .map(|a| a.iter().map(|i| (i["name"].as_str().unwrap_or_default().to_owned(), i.clone())).collect())
                    .unwrap_or_default()
            };
            let (old, new) = (index_names(before), index_names(after));
            // One index per UpdateTable: drop what went or changed, then create what is new.
            for (index, spec) in &old {
                if new.get(index) != Some(spec) {
                    let action =
                        DeleteGlobalSecondaryIndexAction::builder().index_name(index).build().expect("name set");
                    ddb.update_table()
                        .table_name(name)
                        .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().delete(action).build())
                        .send()
                        .await
                        .map_err(sdk("UpdateTable", name))?;
                    ops.push(format!("UpdateTable {name} (delete index {index})"));
                    wait_table(clients, name, false).await?;
                }
            }
            for (index, spec) in &new {
                if old.get(index) == Some(spec) {
                    continue;
                }
                let g = def
                    .global_secondary_indexes
                    .iter()
                    .find(|g| &g.index_name == index)
                    .ok_or_else(|| format!("{name}: index {index} is not in the table definition"))?;
                let action = CreateGlobalSecondaryIndexAction::builder()
                    .index_name(index)
                    .set_key_schema(Some(key_schema(&g.key_schema)))
                    .projection(projection(&g.projection))
                    .build()
                    .expect("fields set");
                // Every index's attributes, not only the new one's: an emulator may replace the
                // table's definitions with what this call lists.
                let all: Vec<&schema::SecondaryIndex> =
                    def.global_secondary_indexes.iter().chain(&def.local_secondary_indexes).collect();
                ddb.update_table()
                    .table_name(name)
                    .set_attribute_definitions(Some(attribute_definitions(def, &all)))
                    .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().create(action).build())
                    .send()
                    .await
                    .map_err(sdk("UpdateTable", name))?;
                ops.push(format!("UpdateTable {name} (create index {index})"));
                wait_table(clients, name, false).await?;
            }
            Ok(())
        }
        "billing_mode" => {
            ddb.update_table()
                .table_name(name)
                .billing_mode(BillingMode::PayPerRequest)
                .send()
                .await
                .map_err(sdk("UpdateTable", name))?;
            ops.push(format!("UpdateTable {name} (billing PAY_PER_REQUEST)"));
            wait_table(clients, name, false).await
        }
        other => Err(format!("{name}: {other} cannot be changed in place")),
    }
}

async fn apply_bucket_part(clients: &AwsClients, r: &ResourceChange, ops: &mut Vec<String>) -> Result<(), String> {
    let s3 = &clients.s3;
    let bucket = &r.name;
    match r.kind.as_str() {
        BUCKET => {
            if r.action == Action::Create {
                s3.create_bucket()
                    .bucket(bucket)
                    .set_create_bucket_configuration(bucket_settings::location(&clients.region))
                    .send()
                    .await
                    .map_err(sdk("CreateBucket", bucket))?;
                ops.push(format!("CreateBucket {bucket}"));
            }
            let tags: Vec<S3Tag> = tags_of(&r.after)
                .into_iter()
                .map(|(k, v)| S3Tag::builder().key(k).value(v).build().expect("key and value set"))
                .collect();
            s3.put_bucket_tagging()
                .bucket(bucket)
                .tagging(Tagging::builder().set_tag_set(Some(tags)).build().expect("tag set"))
                .send()
                .await
                .map_err(sdk("PutBucketTagging", bucket))?;
            ops.push(format!("PutBucketTagging {bucket}"));
        }
        BUCKET_VERSIONING => {
            s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(bucket_settings::versioning(
                    r.after.get("status").and_then(Value::as_str).unwrap_or("Enabled"),
                ))
                .send()
                .await
                .map_err(sdk("PutBucketVersioning", bucket))?;
            ops.push(format!("PutBucketVersioning {bucket}"));
        }
        BUCKET_PUBLIC_ACCESS_BLOCK => {
            let on = |k: &str| r.after.get(k) == Some(&Value::Bool(true));
            let flags = [
                on("block_public_acls"),
                on("ignore_public_acls"),
                on("block_public_policy"),
                on("restrict_public_buckets"),
            ];
            s3.put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(bucket_settings::public_access_block(flags))
                .send()
                .await
                .map_err(sdk("PutPublicAccessBlock", bucket))?;
            ops.push(format!("PutPublicAccessBlock {bucket}"));
        }
        BUCKET_ENCRYPTION => {
            s3.put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(bucket_settings::encryption(
                    r.after.get("sse_algorithm").and_then(Value::as_str).unwrap_or("AES256"),
                ))
                .send()
                .await
                .map_err(sdk("PutBucketEncryption", bucket))?;
            ops.push(format!("PutBucketEncryption {bucket}"));
        }
        other => return Err(format!("{}: unknown resource type {other}", r.address)),
    }
    Ok(())
}

async fn apply_object(
    clients: &AwsClients,
    r: &ResourceChange,
    bodies: &BTreeMap<String, Vec<u8>>,
    ops: &mut Vec<String>,
) -> Result<(), String> {
    let bucket = r.after.get("bucket").and_then(Value::as_str).unwrap_or_default();
    let key = &r.name;
    match r.action {
        Action::Create | Action::Update | Action::Replace => {
            let body = bodies.get(key).ok_or_else(|| format!("{}: no body planned", r.address))?;
            let content_type = r.after.get("content_type").and_then(Value::as_str).unwrap_or("text/html");
            clients
                .s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type(content_type)
                .body(ByteStream::from(body.clone()))
                .send()
                .await
                .map_err(sdk("PutObject", key))?;
            ops.push(format!("PutObject {key}"));
        }
        Action::Delete => {
            clients.s3.delete_object().bucket(bucket).key(key).send().await.map_err(sdk("DeleteObject", key))?;
            ops.push(format!("DeleteObject {key}"));
        }
        Action::NoOp => {}
    }
    Ok(())
}
