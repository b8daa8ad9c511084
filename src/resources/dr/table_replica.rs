//! `aws_dynamodb_table_replica`: a table's replica in the DR region (global tables version
//! 2019.11.21), added and removed with UpdateTable's `ReplicaUpdates` on the primary table and
//! read from DescribeTable's `Replicas`. Its post-deploy invariant: the replica is ACTIVE.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    CreateReplicationGroupMemberAction, DeleteReplicationGroupMemberAction, ReplicaDescription, ReplicationGroupUpdate,
    TableStatus,
};
use serde_json::{Value, json};

use crate::aws::{AwsClients, describe_sdk};
use crate::resources::sdk;
use crate::resources::vocabulary::{Action, Check, LiveError, Resource, ResourceChange, check, live_err};

pub const TABLE_REPLICA: &str = "aws_dynamodb_table_replica";
pub const KINDS: [&str; 1] = [TABLE_REPLICA];
/// A replica in another region is another replica.
pub const REPLACE_ATTRIBUTES: [&str; 1] = ["region_name"];

const WAIT_LIMIT: Duration = Duration::from_secs(1800);
const WAIT_EVERY: Duration = Duration::from_millis(200);

/// The table's replicas; `None` when the table does not exist.
async fn replicas(clients: &AwsClients, table: &str) -> Result<Option<(bool, Vec<ReplicaDescription>)>, String> {
    match clients.dynamodb.describe_table().table_name(table).send().await {
        Ok(out) => Ok(out.table.map(|t| {
            let active = t.table_status() == Some(&TableStatus::Active);
            (active, t.replicas.unwrap_or_default())
        })),
        Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) => Ok(None),
        Err(e) => Err(format!("DescribeTable {table}: {}", describe_sdk(&e))),
    }
}

fn status_in(replicas: &[ReplicaDescription], region: &str) -> Option<String> {
    replicas
        .iter()
        .find(|r| r.region_name() == Some(region))
        .map(|r| r.replica_status().map_or("ACTIVE".to_owned(), |s| s.as_str().to_owned()))
}

/// The replica of `table` in `region_name`, or `None` when the table has none there.
pub async fn read(clients: &AwsClients, table: &str, region: &str) -> Result<Option<Resource>, LiveError> {
    let found = replicas(clients, table).await.map_err(|d| live_err(table, "DescribeTable", d))?;
    let Some((_, list)) = found else { return Ok(None) };
    Ok(status_in(&list, region).filter(|s| s != "DELETING").map(|_| Resource {
        kind: TABLE_REPLICA,
        name: table.to_owned(),
        attributes: BTreeMap::from([("region_name".into(), json!(region))]),
        body: None,
    }))
}

fn region_in(attrs: &BTreeMap<String, Value>) -> &str {
    attrs.get("region_name").and_then(Value::as_str).unwrap_or_default()
}

/// Waits until the replica in `region` is ACTIVE (or gone) and the table ACTIVE again.
async fn wait(clients: &AwsClients, table: &str, region: &str, gone: bool) -> Result<(), String> {
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        let (active, list) = replicas(clients, table).await?.ok_or_else(|| format!("{table}: the table is gone"))?;
        let status = status_in(&list, region);
        let done = if gone { status.is_none() } else { status.as_deref() == Some("ACTIVE") };
        if done && active {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{table}: the replica in {region} is {} after {} s",
                status.as_deref().unwrap_or("missing"),
                WAIT_LIMIT.as_secs()
            ));
        }
        tokio::time::sleep(WAIT_EVERY).await;
    }
}

async fn create(
    clients: &AwsClients,
    table: &str,
    region: &str,
    ops: &mut crate::resources::OpLog,
) -> Result<(), String> {
    let member = CreateReplicationGroupMemberAction::builder().region_name(region).build().expect("region set");
    clients
        .dynamodb
        .update_table()
        .table_name(table)
        .replica_updates(ReplicationGroupUpdate::builder().create(member).build())
        .send()
        .await
        .map_err(sdk("UpdateTable", table))?;
    ops.push(format!("UpdateTable {table} (create replica in {region})"));
    wait(clients, table, region, false).await
}

async fn delete(
    clients: &AwsClients,
    table: &str,
    region: &str,
    ops: &mut crate::resources::OpLog,
) -> Result<(), String> {
    let member = DeleteReplicationGroupMemberAction::builder().region_name(region).build().expect("region set");
    clients
        .dynamodb
        .update_table()
        .table_name(table)
        .replica_updates(ReplicationGroupUpdate::builder().delete(member).build())
        .send()
        .await
        .map_err(sdk("UpdateTable", table))?;
    ops.push(format!("UpdateTable {table} (delete replica in {region})"));
    wait(clients, table, region, true).await
}

/// Carries out one planned change of a replica, through the primary table.
pub async fn apply(clients: &AwsClients, r: &ResourceChange, ops: &mut crate::resources::OpLog) -> Result<(), String> {
    let table = &r.name;
    match r.action {
        Action::Create => create(clients, table, region_in(&r.after), ops).await,
        Action::Delete => delete(clients, table, region_in(&r.after), ops).await,
        Action::Replace => {
            let before = r.changes.iter().find(|c| c.name == "region_name").and_then(|c| c.before.as_str());
            if let Some(old) = before {
                delete(clients, table, old, ops).await?;
            }
            create(clients, table, region_in(&r.after), ops).await
        }
        Action::Update | Action::NoOp => Ok(()),
    }
}

/// R58: the replica exists and is ACTIVE in its region.
pub async fn invariants(clients: &AwsClients, want: &Resource) -> Check {
    let region = region_in(&want.attributes);
    let subject = format!("replica of {} in {region}", want.name);
    match replicas(clients, &want.name).await {
        Ok(Some((_, list))) => match status_in(&list, region) {
            Some(s) if s == "ACTIVE" => check("R58", subject, true, format!("replica ACTIVE in {region}")),
            Some(s) => check("R58", subject, false, format!("replica {s} in {region}, not ACTIVE")),
            None => check("R58", subject, false, format!("no replica in {region}")),
        },
        Ok(None) => check("R58", subject, false, "the table is missing"),
        Err(e) => check("R58", subject, false, e),
    }
}

/// A replica's monthly price in its region: every write to the table is replicated to it
/// (replicated write request units) and it stores a full copy.
pub fn price_lines(
    p: &crate::resources::price::DynamoDbPrices,
    u: &crate::resources::price::ResourceUsage,
) -> crate::resources::price::Priced {
    let mut priced = crate::resources::price::Priced::default();
    let rwru = p.replicated_write_request_units_per_million.unwrap_or(p.write_request_units_per_million);
    priced.add("Replicated write request units", u.monthly_write_request_units, "rWRU", rwru, 1e6);
    priced.add("Data storage", u.storage_gb, "GB", p.storage_gb_month, 1.0);
    priced
}

/// How long an item may take to reach the replica (AWS: typically under a second).
const REPLICATION_LIMIT: Duration = Duration::from_secs(60);

/// What [`item_replicates`] checks, as its report names it.
pub fn item_subject(table: &str, region: &str) -> String {
    format!("an item of {table} in {region}")
}

/// R58: an item written to the table in the primary region is readable from the replica in
/// `region`. The item has a key of its own and is removed afterwards.
pub async fn item_replicates(
    clients: &AwsClients,
    def: &crate::resources::table::definition::TableDefinition,
    region: &str,
) -> Check {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let table = &def.table_name;
    let subject = item_subject(table, region);
    let marker = format!("stagegate-dr-probe-{}", uuid::Uuid::new_v4());
    let key: std::collections::HashMap<String, A> = def
        .key_schema
        .iter()
        .map(|k| {
            let t = def.attribute_definitions.iter().find(|a| a.attribute_name == k.attribute_name);
            let v = match t.map(|t| t.attribute_type.as_str()) {
                Some("N") => A::N(format!("{}", uuid::Uuid::new_v4().as_u128() % 1_000_000_007)),
                Some("B") => A::B(aws_smithy_types::Blob::new(marker.as_bytes().to_vec())),
                _ => A::S(marker.clone()),
            };
            (k.attribute_name.clone(), v)
        })
        .collect();
    if let Err(e) = clients.dynamodb.put_item().table_name(table).set_item(Some(key.clone())).send().await {
        return check("R58", subject, false, format!("PutItem in {}: {}", clients.region, describe_sdk(&e)));
    }
    let replica = clients.in_region(region);
    let started = Instant::now();
    let outcome = loop {
        match replica.dynamodb.get_item().table_name(table).set_key(Some(key.clone())).send().await {
            Ok(out) if out.item().is_some() => break Ok(started.elapsed()),
            Ok(_) if started.elapsed() < REPLICATION_LIMIT => tokio::time::sleep(WAIT_EVERY).await,
            Ok(_) => break Err(format!("not readable in {region} after {} s", REPLICATION_LIMIT.as_secs())),
            Err(e) => break Err(format!("GetItem in {region}: {}", describe_sdk(&e))),
        }
    };
    let removed = clients.dynamodb.delete_item().table_name(table).set_key(Some(key)).send().await;
    match (outcome, removed) {
        (Ok(took), Ok(_)) => check(
            "R58",
            subject,
            true,
            format!("an item written in {} is readable in {region} ({} ms)", clients.region, took.as_millis()),
        ),
        (Ok(_), Err(e)) => check("R58", subject, false, format!("DeleteItem of the probe: {}", describe_sdk(&e))),
        (Err(why), _) => check("R58", subject, false, why),
    }
}
