//! `aws_dynamodb_table`: a table component's desired form (from its definition file and the
//! environment file), its live read, its apply operations, its post-deploy invariants and
//! tests, and its price lines.

pub mod apply;
pub mod definition;
pub mod live;
pub mod post_deploy;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::aws::AwsClients;
use crate::aws::describe_sdk;
use crate::foundation::config::EnvironmentFile;
use crate::resources::price::{DynamoDbPrices, Priced, ResourceUsage};
use crate::resources::vocabulary::{Check, DesiredError, Resource, check, unsupported};
use definition::{KeySchemaElement, SecondaryIndex, TableDefinition, table_file};

pub const TABLE: &str = "aws_dynamodb_table";
pub const KINDS: [&str; 1] = [TABLE];

/// Attributes whose change forces a table to be replaced (DynamoDB cannot change them in place).
pub const TABLE_REPLACE_ATTRIBUTES: [&str; 4] = ["name", "hash_key", "range_key", "local_secondary_indexes"];

fn typed_key(keys: &[KeySchemaElement], def: &TableDefinition, key_type: &str) -> Value {
    keys.iter()
        .find(|k| k.key_type == key_type)
        .map(|k| {
            let t = def
                .attribute_definitions
                .iter()
                .find(|a| a.attribute_name == k.attribute_name)
                .map_or("?", |a| a.attribute_type.as_str());
            json!(format!("{} ({t})", k.attribute_name))
        })
        .unwrap_or(Value::Null)
}

fn indexes(def: &TableDefinition, list: &[SecondaryIndex]) -> Value {
    let mut out: Vec<Value> = list
        .iter()
        .map(|i| {
            let mut non_key = i.projection.non_key_attributes.clone();
            non_key.sort();
            json!({
                "name": i.index_name,
                "hash_key": typed_key(&i.key_schema, def, "HASH"),
                "range_key": typed_key(&i.key_schema, def, "RANGE"),
                "projection_type": i.projection.projection_type.clone().unwrap_or_else(|| "ALL".into()),
                "non_key_attributes": non_key,
            })
        })
        .collect();
    out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Value::Array(out)
}

/// The normalised attributes of a table, shared by the desired, recorded and live views.
pub fn table_attributes(
    def: &TableDefinition,
    pitr: bool,
    deletion_protection: bool,
    tags: &BTreeMap<String, String>,
) -> BTreeMap<String, Value> {
    let sse = match &def.sse_specification {
        Some(s) if s.enabled == Some(true) => "KMS",
        _ => "DEFAULT",
    };
    let ttl =
        def.stagegate.time_to_live.as_ref().filter(|t| t.enabled).map_or(Value::Null, |t| json!(t.attribute_name));
    BTreeMap::from([
        ("name".into(), json!(def.table_name)),
        ("hash_key".into(), typed_key(&def.key_schema, def, "HASH")),
        ("range_key".into(), typed_key(&def.key_schema, def, "RANGE")),
        ("billing_mode".into(), json!(def.billing_mode.clone().unwrap_or_else(|| "PROVISIONED".into()))),
        ("global_secondary_indexes".into(), indexes(def, &def.global_secondary_indexes)),
        ("local_secondary_indexes".into(), indexes(def, &def.local_secondary_indexes)),
        ("point_in_time_recovery".into(), json!(pitr)),
        ("ttl_attribute".into(), ttl),
        ("server_side_encryption".into(), json!(sse)),
        ("deletion_protection_enabled".into(), json!(deletion_protection)),
        ("tags".into(), json!(tags)),
    ])
}

/// The desired table of the component `schemas/<name>/`, with the definition apply creates it
/// from; refuses what stagegate cannot apply faithfully.
pub fn desired(root: &Path, vars: &EnvironmentFile, name: &str) -> Result<(Resource, TableDefinition), DesiredError> {
    let path = table_file(root, name);
    let def = TableDefinition::load(&path)?;
    if def.billing_mode.as_deref() == Some("PROVISIONED") || def.provisioned_throughput.is_some() {
        return Err(unsupported(
            &path,
            "provisioned capacity is not supported: use \"BillingMode\": \"PAY_PER_REQUEST\"",
        ));
    }
    if def.sse_specification.as_ref().and_then(|s| s.kms_master_key_id.as_ref()).is_some() {
        return Err(unsupported(
            &path,
            "SSESpecification.KMSMasterKeyId is not supported yet: omit it to use the AWS managed key",
        ));
    }
    if def.table_name != name {
        return Err(unsupported(
            &path,
            format!("TableName {:?} differs from its directory schemas/{name}", def.table_name),
        ));
    }
    let pitr = def.stagegate.point_in_time_recovery && vars.enable_point_in_time_recovery;
    let deletion_protection = def.deletion_protection_enabled.unwrap_or(vars.enable_deletion_protection);
    let mut tags: BTreeMap<String, String> = def.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
    tags.extend(vars.tags.clone());
    let resource = Resource {
        kind: TABLE,
        name: def.table_name.clone(),
        attributes: table_attributes(&def, pitr, deletion_protection, &tags),
        body: None,
    };
    Ok((resource, def))
}

/// The invariants of a deployed table (R37, R40): it and its indexes are ACTIVE, every tag the
/// environment requires is on it, and point-in-time recovery is on.
pub async fn invariants(
    clients: &AwsClients,
    name: &str,
    want: &BTreeMap<String, Value>,
    got: Option<&BTreeMap<String, Value>>,
    required_tags: &BTreeMap<String, String>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let subject = format!("table {name}");
    let Some(got) = got else {
        checks.push(check("R37", subject, false, "missing"));
        return checks;
    };
    let status = clients.dynamodb.describe_table().table_name(name).send().await;
    let (active, indexes): (bool, Vec<(String, String)>) = match &status {
        Ok(out) => {
            let t = out.table();
            (
                t.and_then(|t| t.table_status()).is_some_and(|s| s.as_str() == "ACTIVE"),
                t.map(|t| {
                    t.global_secondary_indexes()
                        .iter()
                        .map(|g| {
                            (
                                g.index_name().unwrap_or_default().to_owned(),
                                g.index_status().map_or("ACTIVE".to_owned(), |s| s.as_str().to_owned()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            )
        }
        Err(e) => {
            checks.push(check("R37", subject, false, describe_sdk(e)));
            return checks;
        }
    };
    checks.push(check("R37", subject.clone(), active, if active { "exists and is ACTIVE" } else { "not ACTIVE" }));
    for index in want["global_secondary_indexes"].as_array().into_iter().flatten() {
        let index = index["name"].as_str().unwrap_or_default();
        // An index being deleted is going: AWS (and LocalStack) read it back DELETING for a
        // while after DeleteIndex, so it counts as missing, not as merely not yet ACTIVE.
        let state = indexes.iter().find(|(n, _)| n == index).map(|(_, s)| s.as_str());
        let detail = match state {
            None => "missing".to_owned(),
            Some("DELETING") => "missing (being deleted: DELETING)".to_owned(),
            Some(s) => s.to_owned(),
        };
        checks.push(check("R37", format!("index {name}.{index}"), state == Some("ACTIVE"), detail));
    }
    let tags = got.get("tags").and_then(Value::as_object);
    let missing: Vec<String> = required_tags
        .iter()
        .filter(|(k, v)| tags.and_then(|t| t.get(*k)).and_then(Value::as_str) != Some(v.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    checks.push(check(
        "R37",
        format!("tags of {name}"),
        missing.is_empty(),
        if missing.is_empty() {
            "every required tag applied".to_owned()
        } else {
            format!("missing {}", missing.join(", "))
        },
    ));
    let pitr = got.get("point_in_time_recovery") == Some(&Value::Bool(true));
    checks.push(check(
        "R40",
        format!("point-in-time recovery of {name}"),
        pitr,
        if pitr { "enabled" } else { "disabled" },
    ));
    checks
}

/// A table's monthly price: request units, storage and, where it is on, point-in-time recovery.
pub fn price_lines(p: &DynamoDbPrices, u: &ResourceUsage, attributes: &BTreeMap<String, Value>) -> Priced {
    let pitr = attributes.get("point_in_time_recovery") == Some(&Value::Bool(true));
    let mut priced = Priced::default();
    priced.add("Write request units", u.monthly_write_request_units, "WRU", p.write_request_units_per_million, 1e6);
    priced.add("Read request units", u.monthly_read_request_units, "RRU", p.read_request_units_per_million, 1e6);
    priced.add("Data storage", u.storage_gb, "GB", p.storage_gb_month, 1.0);
    if pitr {
        // PITR is billed on the table's size: the usage's figure, else the table's storage.
        let gb = u.pitr_backup_storage_gb.or(u.storage_gb);
        priced.add("Point-in-time recovery", gb, "GB", p.pitr_backup_storage_gb_month, 1.0);
    }
    priced
}
