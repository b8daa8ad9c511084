//! Applying a planned table change: CreateTable from the definition (then point-in-time
//! recovery and time to live, which CreateTable does not take), delete and re-create for a
//! replacement, and one UpdateTable-family call per changed attribute, each waited on until
//! the table is ACTIVE again.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction,
    GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, LocalSecondaryIndex,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType, SseSpecification, SseType,
    TableStatus, Tag as DdbTag, TimeToLiveSpecification,
};
use serde_json::Value;

use crate::aws::AwsClients;
use crate::aws::describe_sdk;
use crate::resources::table::definition::{self as schema, TableDefinition};
use crate::resources::vocabulary::{Action, ResourceChange};
use crate::resources::{sdk, tags_of};

const WAIT_LIMIT: Duration = Duration::from_secs(600);
const WAIT_EVERY: Duration = Duration::from_millis(200);

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

/// Carries out one planned change of a table, recording each AWS operation in `ops`.
pub async fn apply(
    clients: &AwsClients,
    def: Option<&TableDefinition>,
    r: &ResourceChange,
    ops: &mut crate::resources::OpLog,
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
    ops: &mut crate::resources::OpLog,
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
    let created = clients
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
        .await;
    match created {
        Ok(_) => ops.push(format!("CreateTable {name}")),
        // The SDK retries a CreateTable answered with a 500, and the first attempt may have made
        // the table: under the state lock, a table of this very definition is that one.
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => {
            match differences(clients, name, after).await {
                Some(d) if d.is_empty() => ops.push(format!(
                    "CreateTable {name} (retried; the table an earlier attempt made is this definition's)"
                )),
                Some(d) => {
                    return Err(format!(
                        "CreateTable {name}: the table exists, yet differs from its definition in {}: an earlier \
                         attempt of this create (retried by the SDK after an error) made it incompletely, or \
                         someone else did",
                        d.join(", ")
                    ));
                }
                None => return Err(sdk("CreateTable", name)(e)),
            }
        }
        Err(e) => return Err(sdk("CreateTable", name)(e)),
    }
    wait_table(clients, name, false).await?;
    if after.get("point_in_time_recovery") == Some(&Value::Bool(true)) {
        set_pitr(clients, name, true, ops).await?;
    }
    if let Some(attr) = after.get("ttl_attribute").and_then(Value::as_str) {
        set_ttl(clients, name, attr, true, ops).await?;
    }
    Ok(())
}

/// Where the live table `name` differs from `after` in keys, indexes, billing and encryption
/// (empty: it is this definition's table); `None` when it cannot be read.
async fn differences(clients: &AwsClients, name: &str, after: &BTreeMap<String, Value>) -> Option<Vec<&'static str>> {
    let live = crate::resources::table::live::read_table(clients, name).await.ok()??;
    let compared = [
        "hash_key",
        "range_key",
        "global_secondary_indexes",
        "local_secondary_indexes",
        "billing_mode",
        "server_side_encryption",
    ];
    Some(compared.into_iter().filter(|a| live.attributes.get(*a) != after.get(*a)).collect())
}

async fn set_pitr(clients: &AwsClients, name: &str, on: bool, ops: &mut crate::resources::OpLog) -> Result<(), String> {
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

async fn set_ttl(
    clients: &AwsClients,
    name: &str,
    attr: &str,
    on: bool,
    ops: &mut crate::resources::OpLog,
) -> Result<(), String> {
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
    ops: &mut crate::resources::OpLog,
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
            // A key whose value changes is removed first, then set: TagResource on a key the
            // table has overwrites it on AWS but adds a second tag on moto, and the tags must end
            // equal to the repo's either way.
            let removed: Vec<String> =
                old.iter().filter(|(k, v)| new.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect();
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
