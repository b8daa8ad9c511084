//! R02: DynamoDB table definitions (CreateTable input plus the `Stagegate` key), checked the
//! way DynamoDB itself would refuse them, with one finding per problem; item JSON Schemas
//! (draft 2020-12) compile and the sample items validate against them.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::{Map, Value};

mod createtable;

use super::diagnostic::Diagnostic;
use super::items::item_schema;
use super::json::{JsonDocument, JsonPath};

pub mod rule {
    pub const MISSING_FIELD: &str = "R02/missing-field";
    pub const WRONG_TYPE: &str = "R02/wrong-type";
    pub const UNKNOWN_FIELD: &str = "R02/unknown-field";
    pub const NAME: &str = "R02/name";
    pub const ATTRIBUTE_TYPE: &str = "R02/attribute-type";
    pub const DUPLICATE_ATTRIBUTE: &str = "R02/duplicate-attribute";
    pub const KEY_SCHEMA: &str = "R02/key-schema";
    pub const KEY_UNDECLARED: &str = "R02/key-undeclared";
    pub const ATTRIBUTE_UNUSED: &str = "R02/attribute-unused";
    pub const BILLING: &str = "R02/billing";
    pub const INDEX_LIMIT: &str = "R02/index-limit";
    pub const DUPLICATE_INDEX: &str = "R02/duplicate-index";
    pub const PROJECTION: &str = "R02/projection";
    pub const LSI_KEY: &str = "R02/lsi-key";
    pub const ITEM_SCHEMA: &str = "R02/item-schema";
    pub const SAMPLE_ITEM: &str = "R02/sample-item";
    pub const STREAM: &str = "R02/stream";
    /// Valid for DynamoDB, but not in the shape stagegate's plan reads (`schema::TableDefinition`).
    pub const SHAPE: &str = "R02/shape";
}

/// What CreateTable accepts at the top level, plus stagegate's own key.
const TOP_LEVEL: [&str; 16] = [
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "LocalSecondaryIndexes",
    "GlobalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
    "StreamSpecification",
    "SSESpecification",
    "Tags",
    "TableClass",
    "DeletionProtectionEnabled",
    "ResourcePolicy",
    "OnDemandThroughput",
    "WarmThroughput",
    "Stagegate",
];
const STAGEGATE_KEYS: [&str; 3] = ["PointInTimeRecovery", "TimeToLive", "ItemSchema"];
pub const MAX_GSI: usize = 20;
pub const MAX_LSI: usize = 5;
/// The sample items beside a table definition.
pub const SAMPLE_ITEMS: &str = "sample-items.json";

/// Is this parsed JSON file a table definition (rather than an item schema or sample items)?
pub fn is_table_definition(rel: &str, value: &Value) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if name.ends_with(".schema.json") || name == SAMPLE_ITEMS {
        return false;
    }
    name == "table.json"
        || value
            .as_object()
            .is_some_and(|o| ["TableName", "KeySchema", "AttributeDefinitions"].iter().any(|k| o.contains_key(*k)))
}

/// A table or index name: 3–255 characters of `[A-Za-z0-9_.-]`.
pub fn valid_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

pub(super) struct Check<'a, 'd> {
    pub(super) rel: &'a str,
    doc: &'a JsonDocument<'d>,
    pub(super) findings: Vec<Diagnostic>,
}

impl Check<'_, '_> {
    pub(super) fn push(&mut self, rule: &'static str, path: &JsonPath, message: impl Into<String>, hint: &str) {
        let d = self.doc.finding(self.rel, rule, path, message, hint);
        self.findings.push(d);
    }

    /// The array at `key` of `obj`, reporting a wrong type; `None` when absent or not an array.
    fn array<'v>(&mut self, obj: &'v Map<String, Value>, key: &str, path: &JsonPath) -> Option<&'v Vec<Value>> {
        match obj.get(key) {
            None => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => {
                self.push(
                    rule::WRONG_TYPE,
                    &path.key(key),
                    format!("{key} must be an array"),
                    "see the CreateTable reference",
                );
                None
            }
        }
    }

    fn string<'v>(&mut self, obj: &'v Map<String, Value>, key: &str, path: &JsonPath) -> Option<&'v str> {
        match obj.get(key) {
            None => {
                self.push(rule::MISSING_FIELD, path, format!("{key} is missing"), "see the CreateTable reference");
                None
            }
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.push(rule::WRONG_TYPE, &path.key(key), format!("{key} must be a string"), "quote it");
                None
            }
        }
    }

    /// Checks a KeySchema (1 HASH, optionally then 1 RANGE) and returns its attribute names
    /// with their paths.
    fn key_schema(&mut self, owner: &Map<String, Value>, path: &JsonPath) -> Vec<(String, JsonPath)> {
        let Some(keys) = self.array(owner, "KeySchema", path) else {
            if !owner.contains_key("KeySchema") {
                self.push(
                    rule::MISSING_FIELD,
                    path,
                    "KeySchema is missing",
                    "add the HASH key (and optionally a RANGE key)",
                );
            }
            return Vec::new();
        };
        let kpath = path.key("KeySchema");
        let mut names = Vec::new();
        let mut types = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let p = kpath.index(i);
            let Some(obj) = k.as_object() else {
                self.push(
                    rule::WRONG_TYPE,
                    &p,
                    "a key schema element must be an object",
                    "{\"AttributeName\": ..., \"KeyType\": \"HASH\"}",
                );
                continue;
            };
            if let Some(n) = self.string(obj, "AttributeName", &p) {
                names.push((n.to_owned(), p.key("AttributeName")));
            }
            if let Some(t) = self.string(obj, "KeyType", &p) {
                types.push(t.to_owned());
                if t != "HASH" && t != "RANGE" {
                    self.push(
                        rule::KEY_SCHEMA,
                        &p.key("KeyType"),
                        format!("KeyType {t:?} is neither HASH nor RANGE"),
                        "use HASH or RANGE",
                    );
                }
            }
        }
        let shape_ok = match types.as_slice() {
            [h] => h == "HASH",
            [h, r] => h == "HASH" && r == "RANGE",
            _ => false,
        };
        if !shape_ok && types.len() == keys.len() {
            self.push(
                rule::KEY_SCHEMA,
                &kpath,
                format!(
                    "the key schema is [{}]; DynamoDB takes one HASH key, optionally followed by one RANGE key",
                    types.join(", ")
                ),
                "list the HASH key first, then at most one RANGE key",
            );
        }
        names
    }

    fn projection(&mut self, index: &Map<String, Value>, path: &JsonPath) {
        let Some(p) = index.get("Projection") else {
            self.push(
                rule::MISSING_FIELD,
                path,
                "Projection is missing",
                "add {\"ProjectionType\": \"ALL\"} (or KEYS_ONLY, INCLUDE)",
            );
            return;
        };
        let ppath = path.key("Projection");
        let Some(p) = p.as_object() else {
            self.push(rule::WRONG_TYPE, &ppath, "Projection must be an object", "{\"ProjectionType\": \"ALL\"}");
            return;
        };
        let kind = p.get("ProjectionType").and_then(Value::as_str);
        let non_key = p.get("NonKeyAttributes").and_then(Value::as_array).map_or(0, Vec::len);
        match kind {
            Some("ALL" | "KEYS_ONLY") if non_key > 0 => self.push(
                rule::PROJECTION,
                &ppath.key("NonKeyAttributes"),
                format!("NonKeyAttributes is only allowed with INCLUDE, not {}", kind.unwrap_or_default()),
                "remove NonKeyAttributes or use INCLUDE",
            ),
            Some("ALL" | "KEYS_ONLY") => {}
            Some("INCLUDE") if non_key == 0 => self.push(
                rule::PROJECTION,
                &ppath,
                "INCLUDE needs at least one NonKeyAttributes entry",
                "list the attributes to project, or use KEYS_ONLY",
            ),
            Some("INCLUDE") => {}
            Some(other) => self.push(
                rule::PROJECTION,
                &ppath.key("ProjectionType"),
                format!("ProjectionType {other:?} is not ALL, KEYS_ONLY or INCLUDE"),
                "use ALL, KEYS_ONLY or INCLUDE",
            ),
            None => self.push(rule::PROJECTION, &ppath, "ProjectionType is missing", "use ALL, KEYS_ONLY or INCLUDE"),
        }
    }

    fn throughput(&mut self, owner: &Map<String, Value>, path: &JsonPath, on_demand: bool, what: &str) {
        match (owner.get("ProvisionedThroughput"), on_demand) {
            (Some(_), true) => self.push(
                rule::BILLING,
                &path.key("ProvisionedThroughput"),
                format!("{what} has ProvisionedThroughput but the table is PAY_PER_REQUEST"),
                "remove ProvisionedThroughput, or set BillingMode to PROVISIONED",
            ),
            (None, false) => self.push(
                rule::BILLING,
                path,
                format!("{what} has no ProvisionedThroughput but the table is PROVISIONED"),
                "add ProvisionedThroughput (ReadCapacityUnits, WriteCapacityUnits), or set BillingMode to PAY_PER_REQUEST",
            ),
            (Some(t), false) => {
                for unit in ["ReadCapacityUnits", "WriteCapacityUnits"] {
                    if t.get(unit).and_then(Value::as_i64).is_none_or(|n| n < 1) {
                        self.push(
                            rule::BILLING,
                            &path.key("ProvisionedThroughput").key(unit),
                            format!("{unit} must be a whole number of at least 1"),
                            "set a positive capacity",
                        );
                    }
                }
            }
            (None, true) => {}
        }
    }
}

/// R02 on one parsed table definition; `root` is the repo root, for the item schema.
pub fn check(root: &Path, rel: &str, doc: &JsonDocument<'_>) -> Vec<Diagnostic> {
    let mut c = Check { rel, doc, findings: Vec::new() };
    let top = JsonPath::root();
    let Some(obj) = doc.value.as_object() else {
        c.push(rule::WRONG_TYPE, &top, "a table definition must be a JSON object", "see the CreateTable reference");
        return c.findings;
    };
    for key in obj.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            c.push(
                rule::UNKNOWN_FIELD,
                &top.key(key),
                format!("{key} is not a CreateTable parameter"),
                "check the spelling; stagegate's own settings go under Stagegate",
            );
        }
    }
    if let Some(name) = c.string(obj, "TableName", &top)
        && !valid_name(name)
    {
        c.push(
            rule::NAME,
            &top.key("TableName"),
            format!("table name {name:?} is not 3-255 characters of A-Z a-z 0-9 _ . -"),
            "rename the table",
        );
    }

    // Attribute definitions.
    let mut declared: BTreeMap<String, (String, JsonPath)> = BTreeMap::new();
    match c.array(obj, "AttributeDefinitions", &top) {
        None if !obj.contains_key("AttributeDefinitions") => c.push(
            rule::MISSING_FIELD,
            &top,
            "AttributeDefinitions is missing",
            "declare each key attribute with its type",
        ),
        None => {}
        Some(defs) => {
            for (i, d) in defs.iter().enumerate() {
                let p = top.key("AttributeDefinitions").index(i);
                let Some(d) = d.as_object() else {
                    c.push(
                        rule::WRONG_TYPE,
                        &p,
                        "an attribute definition must be an object",
                        "{\"AttributeName\": ..., \"AttributeType\": \"S\"}",
                    );
                    continue;
                };
                let name = c.string(d, "AttributeName", &p);
                let kind = c.string(d, "AttributeType", &p);
                if let Some(k) = kind
                    && !matches!(k, "S" | "N" | "B")
                {
                    c.push(
                        rule::ATTRIBUTE_TYPE,
                        &p.key("AttributeType"),
                        format!("AttributeType {k:?} is not S, N or B"),
                        "key attributes are strings (S), numbers (N) or binary (B)",
                    );
                }
                if let Some(n) = name {
                    if declared.contains_key(n) {
                        c.push(
                            rule::DUPLICATE_ATTRIBUTE,
                            &p,
                            format!("attribute {n:?} is defined twice"),
                            "keep one definition",
                        );
                    } else {
                        declared.insert(n.to_owned(), (kind.unwrap_or_default().to_owned(), p));
                    }
                }
            }
        }
    }

    // Keys of the table and of its indexes.
    let mut used: HashSet<String> = HashSet::new();
    let undeclared = |c: &mut Check<'_, '_>, keys: &[(String, JsonPath)], used: &mut HashSet<String>| {
        for (name, path) in keys {
            used.insert(name.clone());
            if !declared.contains_key(name) {
                c.push(
                    rule::KEY_UNDECLARED,
                    path,
                    format!("key attribute {name:?} is not in AttributeDefinitions"),
                    "declare it with its type (S, N or B)",
                );
            }
        }
    };
    let table_keys = c.key_schema(obj, &top);
    undeclared(&mut c, &table_keys, &mut used);

    let billing = obj.get("BillingMode").and_then(Value::as_str);
    let on_demand = match billing {
        Some("PAY_PER_REQUEST") => true,
        Some("PROVISIONED") | None => false,
        Some(other) => {
            c.push(
                rule::BILLING,
                &top.key("BillingMode"),
                format!("BillingMode {other:?} is not PROVISIONED or PAY_PER_REQUEST"),
                "use PAY_PER_REQUEST (on demand) or PROVISIONED",
            );
            true
        }
    };
    c.throughput(obj, &top, on_demand, "the table");

    let mut index_names: HashSet<String> = HashSet::new();
    for (key, limit, local) in [("GlobalSecondaryIndexes", MAX_GSI, false), ("LocalSecondaryIndexes", MAX_LSI, true)] {
        let Some(indexes) = c.array(obj, key, &top) else { continue };
        let ipath = top.key(key);
        if indexes.len() > limit {
            c.push(
                rule::INDEX_LIMIT,
                &ipath,
                format!("{} {key}; DynamoDB allows at most {limit}", indexes.len()),
                "merge or drop indexes",
            );
        }
        for (i, index) in indexes.iter().enumerate() {
            let p = ipath.index(i);
            let Some(index) = index.as_object() else {
                c.push(rule::WRONG_TYPE, &p, "an index must be an object", "see the CreateTable reference");
                continue;
            };
            if let Some(name) = c.string(index, "IndexName", &p) {
                if !valid_name(name) {
                    c.push(
                        rule::NAME,
                        &p.key("IndexName"),
                        format!("index name {name:?} is not 3-255 characters of A-Z a-z 0-9 _ . -"),
                        "rename the index",
                    );
                }
                if !index_names.insert(name.to_owned()) {
                    c.push(
                        rule::DUPLICATE_INDEX,
                        &p.key("IndexName"),
                        format!("index name {name:?} is used twice"),
                        "index names are unique per table",
                    );
                }
            }
            let keys = c.key_schema(index, &p);
            undeclared(&mut c, &keys, &mut used);
            if local {
                let table_hash = table_keys.first().map(|(n, _)| n.as_str());
                if keys.first().map(|(n, _)| n.as_str()) != table_hash || table_hash.is_none() {
                    c.push(
                        rule::LSI_KEY,
                        &p.key("KeySchema"),
                        "a local secondary index must use the table's HASH key",
                        "use the table's partition key as the index's HASH key",
                    );
                }
                if keys.len() != 2 {
                    c.push(
                        rule::LSI_KEY,
                        &p.key("KeySchema"),
                        "a local secondary index needs a RANGE key",
                        "add a RANGE key other than the table's",
                    );
                }
            } else {
                c.throughput(index, &p, on_demand, "this index");
            }
            c.projection(index, &p);
        }
    }
    createtable::check(&mut c, obj, &top, table_keys.len() == 2);
    for (name, (_, path)) in &declared {
        if !used.contains(name) {
            c.push(
                rule::ATTRIBUTE_UNUSED,
                path,
                format!("attribute {name:?} is defined but no table or index key uses it; DynamoDB rejects the table"),
                "remove it: only key attributes are declared up front",
            );
        }
    }

    if let Some(sg) = obj.get("Stagegate") {
        let sp = top.key("Stagegate");
        match sg.as_object() {
            None => c.push(
                rule::WRONG_TYPE,
                &sp,
                "Stagegate must be an object",
                "see the README's table of Stagegate settings",
            ),
            Some(sg) => {
                for key in sg.keys() {
                    if !STAGEGATE_KEYS.contains(&key.as_str()) {
                        c.push(
                            rule::UNKNOWN_FIELD,
                            &sp.key(key),
                            format!("{key} is not a Stagegate setting"),
                            "use PointInTimeRecovery, TimeToLive or ItemSchema",
                        );
                    }
                }
                if let Some(schema) = sg.get("ItemSchema") {
                    match schema.as_str() {
                        Some(file) => item_schema(&mut c, root, file, &sp.key("ItemSchema"), &declared, &table_keys),
                        None => c.push(
                            rule::WRONG_TYPE,
                            &sp.key("ItemSchema"),
                            "ItemSchema must be a path",
                            "a path relative to this file",
                        ),
                    }
                }
            }
        }
    }
    if c.findings.is_empty()
        && let Err(e) = crate::resources::schema::TableDefinition::parse(Path::new(rel), doc.body)
    {
        c.push(
            rule::SHAPE,
            &top,
            e.to_string(),
            "plan and apply read this file too; give it the shape the README describes",
        );
    }
    c.findings
}
