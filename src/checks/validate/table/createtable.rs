//! R02: the rest of CreateTable's rules, as DynamoDB applies them (its own DynamoDB Local,
//! `tests/createtable_differential`, is the oracle) and as AWS documents them: unknown
//! members at every level, streams, empty index lists, local secondary indexes only on a table
//! with a sort key, no attribute twice in one key schema, and the projected attributes.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Check, rule};
use crate::checks::validate::json::JsonPath;

/// The members of each CreateTable input shape (the API reference's request syntax).
const ATTRIBUTE_DEFINITION: &[&str] = &["AttributeName", "AttributeType"];
const KEY_SCHEMA_ELEMENT: &[&str] = &["AttributeName", "KeyType"];
const GLOBAL_INDEX: &[&str] =
    &["IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput", "WarmThroughput"];
const LOCAL_INDEX: &[&str] = &["IndexName", "KeySchema", "Projection"];
const PROJECTION: &[&str] = &["ProjectionType", "NonKeyAttributes"];
const PROVISIONED_THROUGHPUT: &[&str] = &["ReadCapacityUnits", "WriteCapacityUnits"];
const STREAM_SPECIFICATION: &[&str] = &["StreamEnabled", "StreamViewType"];
const SSE_SPECIFICATION: &[&str] = &["Enabled", "SSEType", "KMSMasterKeyId"];
const TAG: &[&str] = &["Key", "Value"];
const ON_DEMAND_THROUGHPUT: &[&str] = &["MaxReadRequestUnits", "MaxWriteRequestUnits"];
const WARM_THROUGHPUT: &[&str] = &["ReadUnitsPerSecond", "WriteUnitsPerSecond"];
const STREAM_VIEW_TYPES: [&str; 4] = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];
/// "You can project a total of up to 100 attributes into all of a table's local and global
/// secondary indexes" (DynamoDB quotas, secondary indexes).
pub const MAX_PROJECTED_ATTRIBUTES: usize = 100;

impl Check<'_, '_> {
    fn unknown_members(&mut self, value: &Value, path: &JsonPath, shape: &str, known: &[&str]) {
        let Some(obj) = value.as_object() else { return };
        for key in obj.keys().filter(|k| !known.contains(&k.as_str())) {
            self.push(
                rule::UNKNOWN_FIELD,
                &path.key(key),
                format!("{key} is not a member of {shape}"),
                &format!("{shape} takes {}", known.join(", ")),
            );
        }
    }

    fn unknown_in_list(&mut self, owner: &Map<String, Value>, key: &str, path: &JsonPath, shape: &str, known: &[&str]) {
        for (i, item) in owner.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
            self.unknown_members(item, &path.key(key).index(i), shape, known);
        }
    }

    /// One key schema names each attribute once.
    fn distinct_keys(&mut self, owner: &Map<String, Value>, path: &JsonPath) {
        let names: Vec<&str> = owner
            .get("KeySchema")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|k| k.get("AttributeName").and_then(Value::as_str))
            .collect();
        if names.len() == 2 && names[0] == names[1] {
            self.push(
                rule::KEY_SCHEMA,
                &path.key("KeySchema"),
                format!("{:?} is both the HASH and the RANGE key; two keys cannot have the same name", names[0]),
                "use another attribute as the RANGE key, or drop it",
            );
        }
    }

    fn stream(&mut self, spec: &Value, path: &JsonPath) {
        let Some(spec) = spec.as_object() else {
            self.push(
                rule::WRONG_TYPE,
                path,
                "StreamSpecification must be an object",
                "{\"StreamEnabled\": true, ...}",
            );
            return;
        };
        let view = spec.get("StreamViewType");
        match spec.get("StreamEnabled") {
            None => self.push(
                rule::STREAM,
                path,
                "StreamSpecification needs StreamEnabled",
                "set \"StreamEnabled\": true (with a StreamViewType) or false",
            ),
            Some(Value::Bool(true)) => match view.map(|v| v.as_str()) {
                None => self.push(
                    rule::STREAM,
                    path,
                    "an enabled stream needs a StreamViewType",
                    "use KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES",
                ),
                Some(Some(v)) if STREAM_VIEW_TYPES.contains(&v) => {}
                Some(_) => self.push(
                    rule::STREAM,
                    &path.key("StreamViewType"),
                    format!("StreamViewType {} is not one of {}", view.expect("present"), STREAM_VIEW_TYPES.join(", ")),
                    "use KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES",
                ),
            },
            Some(Value::Bool(false)) if view.is_some() => self.push(
                rule::STREAM,
                &path.key("StreamViewType"),
                "StreamEnabled is false but a StreamViewType is given",
                "remove StreamViewType, or enable the stream",
            ),
            Some(Value::Bool(false)) => {}
            Some(_) => {
                self.push(rule::WRONG_TYPE, &path.key("StreamEnabled"), "StreamEnabled must be true or false", "")
            }
        }
    }

    /// NonKeyAttributes: each once per index, and at most 100 over all the table's indexes.
    fn projected(&mut self, obj: &Map<String, Value>, top: &JsonPath) {
        let mut total = 0;
        for key in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
            for (i, index) in obj.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
                let names = index.pointer("/Projection/NonKeyAttributes").and_then(Value::as_array);
                let names: Vec<&str> = names.into_iter().flatten().filter_map(Value::as_str).collect();
                total += names.len();
                let mut seen = HashSet::new();
                if let Some(twice) = names.iter().find(|n| !seen.insert(**n)) {
                    self.push(
                        rule::PROJECTION,
                        &top.key(key).index(i).key("Projection").key("NonKeyAttributes"),
                        format!("{twice:?} is projected twice into this index"),
                        "list each attribute once",
                    );
                }
            }
        }
        if total > MAX_PROJECTED_ATTRIBUTES {
            self.push(
                rule::INDEX_LIMIT,
                top,
                format!(
                    "{total} NonKeyAttributes over all the indexes; DynamoDB allows at most {MAX_PROJECTED_ATTRIBUTES}"
                ),
                "project fewer attributes, or use ALL",
            );
        }
    }
}

/// The rules above on one table definition; `table_keys` are the table's own key attributes.
pub(super) fn check(c: &mut Check<'_, '_>, obj: &Map<String, Value>, top: &JsonPath, has_range_key: bool) {
    c.unknown_in_list(obj, "AttributeDefinitions", top, "AttributeDefinition", ATTRIBUTE_DEFINITION);
    c.unknown_in_list(obj, "KeySchema", top, "KeySchemaElement", KEY_SCHEMA_ELEMENT);
    c.distinct_keys(obj, top);
    for (member, shape, known) in [
        ("ProvisionedThroughput", "ProvisionedThroughput", PROVISIONED_THROUGHPUT),
        ("StreamSpecification", "StreamSpecification", STREAM_SPECIFICATION),
        ("SSESpecification", "SSESpecification", SSE_SPECIFICATION),
        ("OnDemandThroughput", "OnDemandThroughput", ON_DEMAND_THROUGHPUT),
        ("WarmThroughput", "WarmThroughput", WARM_THROUGHPUT),
    ] {
        if let Some(v) = obj.get(member) {
            c.unknown_members(v, &top.key(member), shape, known);
        }
    }
    c.unknown_in_list(obj, "Tags", top, "Tag", TAG);
    if let Some(spec) = obj.get("StreamSpecification") {
        c.stream(spec, &top.key("StreamSpecification"));
    }
    for (key, shape, known, local) in [
        ("GlobalSecondaryIndexes", "GlobalSecondaryIndex", GLOBAL_INDEX, false),
        ("LocalSecondaryIndexes", "LocalSecondaryIndex", LOCAL_INDEX, true),
    ] {
        let Some(indexes) = obj.get(key).and_then(Value::as_array) else { continue };
        let ipath = top.key(key);
        if indexes.is_empty() {
            c.push(rule::INDEX_LIMIT, &ipath, format!("{key} is empty"), &format!("remove {key}, or list an index"));
        }
        if local && !indexes.is_empty() && !has_range_key {
            c.push(
                rule::LSI_KEY,
                &ipath,
                "local secondary indexes need a table with a RANGE key; this table has only a HASH key",
                "add a RANGE key to the table, or make the indexes global",
            );
        }
        for (i, index) in indexes.iter().enumerate() {
            let p = ipath.index(i);
            c.unknown_members(index, &p, shape, known);
            let Some(index) = index.as_object() else { continue };
            c.unknown_in_list(index, "KeySchema", &p, "KeySchemaElement", KEY_SCHEMA_ELEMENT);
            c.distinct_keys(index, &p);
            if let Some(projection) = index.get("Projection") {
                c.unknown_members(projection, &p.key("Projection"), "Projection", PROJECTION);
            }
            if let Some(t) = index.get("ProvisionedThroughput").filter(|_| !local) {
                c.unknown_members(t, &p.key("ProvisionedThroughput"), "ProvisionedThroughput", PROVISIONED_THROUGHPUT);
            }
        }
    }
    c.projected(obj, top);
}
