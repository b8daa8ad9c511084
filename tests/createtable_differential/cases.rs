//! The generated table definitions: a few valid bases, each broken (or varied) along one rule of
//! CreateTable at a time. Every case names the rule family it exercises.

use serde_json::{Map, Value, json};

/// One generated definition.
pub struct Case {
    pub id: usize,
    pub base: &'static str,
    pub family: &'static str,
    pub definition: Value,
}

fn attr(name: &str, kind: &str) -> Value {
    json!({"AttributeName": name, "AttributeType": kind})
}

fn key(name: &str, kind: &str) -> Value {
    json!({"AttributeName": name, "KeyType": kind})
}

fn bases() -> Vec<(&'static str, Value)> {
    vec![
        (
            "hash-only",
            json!({
                "AttributeDefinitions": [attr("pk", "S")],
                "KeySchema": [key("pk", "HASH")],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        ),
        (
            "hash-range",
            json!({
                "AttributeDefinitions": [attr("pk", "S"), attr("sk", "N")],
                "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        ),
        (
            "indexes",
            json!({
                "AttributeDefinitions": [attr("pk", "S"), attr("sk", "S"), attr("gpk", "S"), attr("gsk", "N"), attr("lsk", "S")],
                "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
                "BillingMode": "PAY_PER_REQUEST",
                "GlobalSecondaryIndexes": [
                    {"IndexName": "gpk-gsk-index", "KeySchema": [key("gpk", "HASH"), key("gsk", "RANGE")],
                     "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["name", "email"]}},
                    {"IndexName": "sk-index", "KeySchema": [key("sk", "HASH")], "Projection": {"ProjectionType": "KEYS_ONLY"}}
                ],
                "LocalSecondaryIndexes": [
                    {"IndexName": "pk-lsk-index", "KeySchema": [key("pk", "HASH"), key("lsk", "RANGE")],
                     "Projection": {"ProjectionType": "ALL"}}
                ]
            }),
        ),
        (
            "provisioned",
            json!({
                "AttributeDefinitions": [attr("pk", "S"), attr("sk", "N"), attr("gpk", "B")],
                "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
                "BillingMode": "PROVISIONED",
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                "GlobalSecondaryIndexes": [
                    {"IndexName": "gpk-index", "KeySchema": [key("gpk", "HASH")], "Projection": {"ProjectionType": "ALL"},
                     "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}
                ]
            }),
        ),
        (
            "extras",
            json!({
                "AttributeDefinitions": [attr("pk", "S"), attr("sk", "S")],
                "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
                "SSESpecification": {"Enabled": true, "SSEType": "KMS"},
                "Tags": [{"Key": "Environment", "Value": "dev"}, {"Key": "Project", "Value": "bbws"}],
                "TableClass": "STANDARD",
                "DeletionProtectionEnabled": false
            }),
        ),
    ]
}

type Mutation = fn(&mut Map<String, Value>) -> bool;

fn arr<'v>(t: &'v mut Map<String, Value>, k: &str) -> Option<&'v mut Vec<Value>> {
    t.get_mut(k).and_then(Value::as_array_mut)
}

fn gsi0(t: &mut Map<String, Value>) -> Option<&mut Map<String, Value>> {
    arr(t, "GlobalSecondaryIndexes")?.first_mut()?.as_object_mut()
}

fn lsi0(t: &mut Map<String, Value>) -> Option<&mut Map<String, Value>> {
    arr(t, "LocalSecondaryIndexes")?.first_mut()?.as_object_mut()
}

fn has_range(t: &Map<String, Value>) -> bool {
    t["KeySchema"].as_array().is_some_and(|k| k.len() == 2)
}

fn on_demand(t: &Map<String, Value>) -> bool {
    t.get("BillingMode").and_then(Value::as_str) == Some("PAY_PER_REQUEST")
}

fn add_gsi(t: &mut Map<String, Value>, name: &str, projection: Value) {
    let mut gsi = json!({"IndexName": name, "KeySchema": [key("pk", "HASH")], "Projection": projection});
    if !on_demand(t) {
        gsi["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1});
    }
    t.entry("GlobalSecondaryIndexes").or_insert_with(|| json!([])).as_array_mut().expect("an array").push(gsi);
}

fn add_lsi(t: &mut Map<String, Value>, name: &str, range: &str) {
    t["AttributeDefinitions"].as_array_mut().expect("an array").push(attr(range, "S"));
    let lsi = json!({"IndexName": name, "KeySchema": [key("pk", "HASH"), key(range, "RANGE")], "Projection": {"ProjectionType": "KEYS_ONLY"}});
    t.entry("LocalSecondaryIndexes").or_insert_with(|| json!([])).as_array_mut().expect("an array").push(lsi);
}

/// The rule families, each a change to a valid base (`false`: it does not apply to that base).
pub fn mutations() -> Vec<(&'static str, Mutation)> {
    vec![
        ("valid", |_| true),
        // Names.
        ("name/too-short", |t| {
            t["TableName"] = json!("ab");
            true
        }),
        ("name/shortest", |t| {
            t["TableName"] = json!("abc");
            true
        }),
        // Not with a stream: LocalStack names the table's Kinesis stream after it, and Kinesis
        // refuses names over 128 characters (a 500 from LocalStack, not DynamoDB's verdict).
        ("name/longest", |t| {
            !t.contains_key("StreamSpecification") && {
                t["TableName"] = json!("n".repeat(255));
                true
            }
        }),
        ("name/too-long", |t| {
            t["TableName"] = json!("n".repeat(256));
            true
        }),
        ("name/space", |t| {
            t["TableName"] = json!("my table");
            true
        }),
        ("name/slash", |t| {
            t["TableName"] = json!("my/table");
            true
        }),
        ("name/non-ascii", |t| {
            t["TableName"] = json!("tablé");
            true
        }),
        ("name/dots-and-dashes", |t| {
            t["TableName"] = json!("a.b-c_d");
            true
        }),
        ("name/missing", |t| t.remove("TableName").is_some()),
        ("name/not-a-string", |t| {
            t["TableName"] = json!(42);
            true
        }),
        ("index-name/too-short", |t| gsi0(t).map(|g| g["IndexName"] = json!("ix")).is_some()),
        ("index-name/bad-char", |t| gsi0(t).map(|g| g["IndexName"] = json!("ix#1")).is_some()),
        ("index-name/too-long", |t| gsi0(t).map(|g| g["IndexName"] = json!("i".repeat(256))).is_some()),
        ("index-name/missing", |t| gsi0(t).map(|g| g.remove("IndexName")).is_some()),
        ("index-name/duplicate-gsi", |t| {
            let Some(g) = arr(t, "GlobalSecondaryIndexes").filter(|g| g.len() > 1) else { return false };
            g[1]["IndexName"] = g[0]["IndexName"].clone();
            true
        }),
        ("index-name/duplicate-gsi-lsi", |t| {
            let Some(name) = gsi0(t).map(|g| g["IndexName"].clone()) else { return false };
            lsi0(t).map(|l| l["IndexName"] = name).is_some()
        }),
        // Key schema.
        ("keys/missing", |t| t.remove("KeySchema").is_some()),
        ("keys/empty", |t| {
            t["KeySchema"] = json!([]);
            true
        }),
        ("keys/not-an-array", |t| {
            t["KeySchema"] = json!({"AttributeName": "pk", "KeyType": "HASH"});
            true
        }),
        ("keys/two-hash", |t| {
            has_range(t) && {
                t["KeySchema"][1]["KeyType"] = json!("HASH");
                true
            }
        }),
        ("keys/range-first", |t| {
            has_range(t) && {
                t["KeySchema"].as_array_mut().expect("keys").reverse();
                true
            }
        }),
        ("keys/range-only", |t| {
            t["KeySchema"][0]["KeyType"] = json!("RANGE");
            t["KeySchema"].as_array_mut().expect("keys").truncate(1);
            true
        }),
        ("keys/three", |t| {
            t["AttributeDefinitions"].as_array_mut().expect("defs").push(attr("third", "S"));
            t["KeySchema"].as_array_mut().expect("keys").extend([key("sk2", "RANGE"), key("third", "RANGE")]);
            true
        }),
        ("keys/lowercase-type", |t| {
            t["KeySchema"][0]["KeyType"] = json!("hash");
            true
        }),
        ("keys/unknown-type", |t| {
            has_range(t) && {
                t["KeySchema"][1]["KeyType"] = json!("SORT");
                true
            }
        }),
        ("keys/no-attribute-name", |t| {
            t["KeySchema"][0].as_object_mut().expect("key").remove("AttributeName").is_some()
        }),
        ("keys/no-key-type", |t| t["KeySchema"][0].as_object_mut().expect("key").remove("KeyType").is_some()),
        ("keys/same-attribute-twice", |t| {
            has_range(t) && {
                t["KeySchema"][1]["AttributeName"] = json!("pk");
                true
            }
        }),
        ("keys/element-not-an-object", |t| {
            t["KeySchema"][0] = json!("pk");
            true
        }),
        // Attribute definitions.
        ("attributes/missing", |t| t.remove("AttributeDefinitions").is_some()),
        ("attributes/empty", |t| {
            t["AttributeDefinitions"] = json!([]);
            true
        }),
        ("attributes/key-undeclared", |t| {
            t["KeySchema"][0]["AttributeName"] = json!("other");
            true
        }),
        ("attributes/unused", |t| {
            t["AttributeDefinitions"].as_array_mut().expect("defs").push(attr("unused", "S"));
            true
        }),
        ("attributes/duplicate", |t| {
            let d = t["AttributeDefinitions"][0].clone();
            t["AttributeDefinitions"].as_array_mut().expect("defs").push(d);
            true
        }),
        ("attributes/duplicate-other-type", |t| {
            let mut d = t["AttributeDefinitions"][0].clone();
            d["AttributeType"] = json!(if d["AttributeType"] == "S" { "N" } else { "S" });
            t["AttributeDefinitions"].as_array_mut().expect("defs").push(d);
            true
        }),
        ("attributes/type-bool", |t| {
            t["AttributeDefinitions"][0]["AttributeType"] = json!("BOOL");
            true
        }),
        ("attributes/type-set", |t| {
            t["AttributeDefinitions"][0]["AttributeType"] = json!("SS");
            true
        }),
        ("attributes/type-lowercase", |t| {
            t["AttributeDefinitions"][0]["AttributeType"] = json!("s");
            true
        }),
        ("attributes/type-binary", |t| {
            t["AttributeDefinitions"][0]["AttributeType"] = json!("B");
            true
        }),
        ("attributes/type-number", |t| {
            t["AttributeDefinitions"][0]["AttributeType"] = json!("N");
            true
        }),
        ("attributes/no-type", |t| {
            t["AttributeDefinitions"][0].as_object_mut().expect("def").remove("AttributeType").is_some()
        }),
        ("attributes/no-name", |t| {
            t["AttributeDefinitions"][0].as_object_mut().expect("def").remove("AttributeName").is_some()
        }),
        ("attributes/not-an-array", |t| {
            t["AttributeDefinitions"] = json!("pk");
            true
        }),
        // Billing and throughput.
        ("billing/unknown-mode", |t| {
            t["BillingMode"] = json!("ON_DEMAND");
            true
        }),
        ("billing/provisioned-without-throughput", |t| {
            on_demand(t) && !t.contains_key("GlobalSecondaryIndexes") && {
                t["BillingMode"] = json!("PROVISIONED");
                true
            }
        }),
        ("billing/default-mode-without-throughput", |t| {
            on_demand(t) && !t.contains_key("GlobalSecondaryIndexes") && t.remove("BillingMode").is_some()
        }),
        ("billing/default-mode-with-throughput", |t| {
            on_demand(t) && !t.contains_key("GlobalSecondaryIndexes") && {
                t.remove("BillingMode");
                t.insert("ProvisionedThroughput".into(), json!({"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}));
                true
            }
        }),
        ("billing/on-demand-with-throughput", |t| {
            on_demand(t) && {
                t.insert("ProvisionedThroughput".into(), json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}));
                true
            }
        }),
        ("billing/on-demand-gsi-with-throughput", |t| {
            on_demand(t)
                && gsi0(t)
                    .map(|g| {
                        g.insert(
                            "ProvisionedThroughput".into(),
                            json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
                        )
                    })
                    .is_some()
        }),
        ("billing/provisioned-gsi-without-throughput", |t| {
            !on_demand(t) && gsi0(t).map(|g| g.remove("ProvisionedThroughput")).is_some()
        }),
        ("throughput/zero-read", |t| {
            t.get_mut("ProvisionedThroughput").map(|p| p["ReadCapacityUnits"] = json!(0)).is_some()
        }),
        ("throughput/negative-write", |t| {
            t.get_mut("ProvisionedThroughput").map(|p| p["WriteCapacityUnits"] = json!(-1)).is_some()
        }),
        ("throughput/missing-write", |t| {
            t.get_mut("ProvisionedThroughput")
                .and_then(Value::as_object_mut)
                .map(|p| p.remove("WriteCapacityUnits"))
                .is_some()
        }),
        ("throughput/string", |t| {
            t.get_mut("ProvisionedThroughput").map(|p| p["ReadCapacityUnits"] = json!("5")).is_some()
        }),
        ("throughput/fraction", |t| {
            t.get_mut("ProvisionedThroughput").map(|p| p["ReadCapacityUnits"] = json!(1.5)).is_some()
        }),
        ("throughput/gsi-zero", |t| {
            !on_demand(t) && gsi0(t).map(|g| g["ProvisionedThroughput"]["ReadCapacityUnits"] = json!(0)).is_some()
        }),
        // Global secondary indexes.
        ("gsi/no-projection", |t| gsi0(t).map(|g| g.remove("Projection")).is_some()),
        ("gsi/no-key-schema", |t| gsi0(t).map(|g| g.remove("KeySchema")).is_some()),
        ("gsi/key-undeclared", |t| gsi0(t).map(|g| g["KeySchema"][0]["AttributeName"] = json!("nowhere")).is_some()),
        ("gsi/range-only", |t| gsi0(t).map(|g| g["KeySchema"] = json!([key("pk", "RANGE")])).is_some()),
        ("gsi/two-hash", |t| gsi0(t).map(|g| g["KeySchema"] = json!([key("pk", "HASH"), key("pk", "HASH")])).is_some()),
        ("gsi/same-keys-as-table", |t| {
            let keys = t["KeySchema"].clone();
            gsi0(t).map(|g| g["KeySchema"] = keys).is_some()
        }),
        ("gsi/on-a-non-key-attribute-only", |t| {
            t["AttributeDefinitions"].as_array_mut().expect("defs").push(attr("status", "S"));
            add_gsi(t, "status-index", json!({"ProjectionType": "ALL"}));
            let n = t["GlobalSecondaryIndexes"].as_array().expect("gsis").len();
            t["GlobalSecondaryIndexes"][n - 1]["KeySchema"] = json!([key("status", "HASH")]);
            true
        }),
        ("gsi/empty-list", |t| {
            t.insert("GlobalSecondaryIndexes".into(), json!([]));
            true
        }),
        ("gsi/twenty", |t| {
            let have = t.get("GlobalSecondaryIndexes").and_then(Value::as_array).map_or(0, Vec::len);
            for i in have..20 {
                add_gsi(t, &format!("extra-{i:02}"), json!({"ProjectionType": "KEYS_ONLY"}));
            }
            true
        }),
        ("gsi/twenty-one", |t| {
            let have = t.get("GlobalSecondaryIndexes").and_then(Value::as_array).map_or(0, Vec::len);
            for i in have..21 {
                add_gsi(t, &format!("extra-{i:02}"), json!({"ProjectionType": "KEYS_ONLY"}));
            }
            true
        }),
        ("gsi/not-an-object", |t| arr(t, "GlobalSecondaryIndexes").map(|g| g[0] = json!("index")).is_some()),
        // Local secondary indexes.
        ("lsi/on-a-table-without-range-key", |t| {
            !has_range(t) && {
                add_lsi(t, "pk-extra-index", "extra");
                true
            }
        }),
        ("lsi/added", |t| {
            has_range(t) && {
                add_lsi(t, "pk-extra-index", "extra");
                true
            }
        }),
        ("lsi/other-hash", |t| lsi0(t).map(|l| l["KeySchema"][0]["AttributeName"] = json!("sk")).is_some()),
        ("lsi/no-range", |t| lsi0(t).map(|l| l["KeySchema"].as_array_mut().expect("keys").truncate(1)).is_some()),
        ("lsi/same-range-as-table", |t| {
            let range = t["KeySchema"][1]["AttributeName"].clone();
            lsi0(t).map(|l| l["KeySchema"][1]["AttributeName"] = range).is_some()
        }),
        ("lsi/with-throughput", |t| {
            lsi0(t)
                .map(|l| {
                    l.insert("ProvisionedThroughput".into(), json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}))
                })
                .is_some()
        }),
        ("lsi/no-projection", |t| lsi0(t).map(|l| l.remove("Projection")).is_some()),
        ("lsi/five", |t| {
            has_range(t) && {
                let have = t.get("LocalSecondaryIndexes").and_then(Value::as_array).map_or(0, Vec::len);
                for i in have..5 {
                    add_lsi(t, &format!("lsi-{i}"), &format!("lr{i}"));
                }
                true
            }
        }),
        ("lsi/six", |t| {
            has_range(t) && {
                let have = t.get("LocalSecondaryIndexes").and_then(Value::as_array).map_or(0, Vec::len);
                for i in have..6 {
                    add_lsi(t, &format!("lsi-{i}"), &format!("lr{i}"));
                }
                true
            }
        }),
        // Projections.
        ("projection/no-type", |t| gsi0(t).map(|g| g["Projection"] = json!({})).is_some()),
        ("projection/unknown-type", |t| gsi0(t).map(|g| g["Projection"] = json!({"ProjectionType": "SOME"})).is_some()),
        ("projection/include-without-attributes", |t| {
            gsi0(t).map(|g| g["Projection"] = json!({"ProjectionType": "INCLUDE"})).is_some()
        }),
        ("projection/include-empty-attributes", |t| {
            gsi0(t).map(|g| g["Projection"] = json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": []})).is_some()
        }),
        ("projection/all-with-attributes", |t| {
            gsi0(t).map(|g| g["Projection"] = json!({"ProjectionType": "ALL", "NonKeyAttributes": ["a"]})).is_some()
        }),
        ("projection/keys-only-with-attributes", |t| {
            gsi0(t)
                .map(|g| g["Projection"] = json!({"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]}))
                .is_some()
        }),
        ("projection/include-duplicate-attribute", |t| {
            gsi0(t)
                .map(|g| g["Projection"] = json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "a"]}))
                .is_some()
        }),
        ("projection/include-a-key-attribute", |t| {
            gsi0(t)
                .map(|g| g["Projection"] = json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["pk"]}))
                .is_some()
        }),
        ("projection/include-100-in-all", |t| {
            let names: Vec<String> = (0..100).map(|i| format!("a{i}")).collect();
            gsi0(t).map(|g| g["Projection"] = json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": names})).is_some()
        }),
        ("projection/include-101-in-all", |t| {
            let first: Vec<String> = (0..60).map(|i| format!("a{i}")).collect();
            let second: Vec<String> = (60..101).map(|i| format!("a{i}")).collect();
            if gsi0(t)
                .map(|g| g["Projection"] = json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": first}))
                .is_none()
            {
                return false;
            }
            add_gsi(t, "second-include-index", json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": second}));
            true
        }),
        ("projection/non-key-not-strings", |t| {
            gsi0(t).map(|g| g["Projection"] = json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": [1]})).is_some()
        }),
        ("projection/not-an-object", |t| gsi0(t).map(|g| g["Projection"] = json!("ALL")).is_some()),
        // Streams.
        ("stream/enabled-without-view", |t| {
            t.insert("StreamSpecification".into(), json!({"StreamEnabled": true}));
            true
        }),
        ("stream/unknown-view", |t| {
            t.insert("StreamSpecification".into(), json!({"StreamEnabled": true, "StreamViewType": "ALL_IMAGES"}));
            true
        }),
        ("stream/disabled", |t| {
            t.insert("StreamSpecification".into(), json!({"StreamEnabled": false}));
            true
        }),
        ("stream/disabled-with-view", |t| {
            t.insert("StreamSpecification".into(), json!({"StreamEnabled": false, "StreamViewType": "KEYS_ONLY"}));
            true
        }),
        ("stream/no-enabled", |t| {
            t.insert("StreamSpecification".into(), json!({"StreamViewType": "KEYS_ONLY"}));
            true
        }),
        ("stream/each-view", |t| {
            t.insert("StreamSpecification".into(), json!({"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"}));
            true
        }),
        ("stream/enabled-not-a-bool", |t| {
            t.insert("StreamSpecification".into(), json!({"StreamEnabled": "yes", "StreamViewType": "KEYS_ONLY"}));
            true
        }),
        // Encryption, class, protection, tags.
        ("sse/unknown-type", |t| {
            t.insert("SSESpecification".into(), json!({"Enabled": true, "SSEType": "AES128"}));
            true
        }),
        ("sse/disabled", |t| {
            t.insert("SSESpecification".into(), json!({"Enabled": false}));
            true
        }),
        ("sse/aes256", |t| {
            t.insert("SSESpecification".into(), json!({"Enabled": true, "SSEType": "AES256"}));
            true
        }),
        ("table-class/unknown", |t| {
            t.insert("TableClass".into(), json!("COLD"));
            true
        }),
        ("table-class/infrequent-access", |t| {
            t.insert("TableClass".into(), json!("STANDARD_INFREQUENT_ACCESS"));
            true
        }),
        ("deletion-protection/not-a-bool", |t| {
            t.insert("DeletionProtectionEnabled".into(), json!("true"));
            true
        }),
        ("tags/no-value", |t| {
            t.insert("Tags".into(), json!([{"Key": "Environment"}]));
            true
        }),
        ("tags/empty-key", |t| {
            t.insert("Tags".into(), json!([{"Key": "", "Value": "x"}]));
            true
        }),
        ("tags/duplicate-key", |t| {
            t.insert("Tags".into(), json!([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]));
            true
        }),
        ("tags/key-too-long", |t| {
            t.insert("Tags".into(), json!([{"Key": "k".repeat(129), "Value": "x"}]));
            true
        }),
        ("tags/fifty", |t| {
            t.insert(
                "Tags".into(),
                Value::Array((0..50).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect()),
            );
            true
        }),
        ("tags/fifty-one", |t| {
            t.insert(
                "Tags".into(),
                Value::Array((0..51).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect()),
            );
            true
        }),
        // Unknown members, at every level.
        ("unknown/top-level", |t| {
            t.insert("TableNmae".into(), json!("x"));
            true
        }),
        ("unknown/attribute-definition", |t| {
            t["AttributeDefinitions"][0]["Type"] = json!("S");
            true
        }),
        ("unknown/key-schema-element", |t| {
            t["KeySchema"][0]["Kind"] = json!("HASH");
            true
        }),
        ("unknown/gsi", |t| gsi0(t).map(|g| g.insert("Throughput".into(), json!(1))).is_some()),
        ("unknown/lsi", |t| lsi0(t).map(|l| l.insert("Partition".into(), json!("x"))).is_some()),
        ("unknown/projection", |t| gsi0(t).map(|g| g["Projection"]["Attributes"] = json!(["a"])).is_some()),
        ("unknown/throughput", |t| t.get_mut("ProvisionedThroughput").map(|p| p["Capacity"] = json!(1)).is_some()),
        ("unknown/stream", |t| {
            t.insert(
                "StreamSpecification".into(),
                json!({"StreamEnabled": true, "StreamViewType": "KEYS_ONLY", "Shards": 1}),
            );
            true
        }),
        ("unknown/sse", |t| {
            t.insert("SSESpecification".into(), json!({"Enabled": true, "KeyId": "x"}));
            true
        }),
        ("unknown/tag", |t| {
            t.insert("Tags".into(), json!([{"Key": "a", "Value": "b", "Note": "c"}]));
            true
        }),
    ]
}

/// Every base under every mutation that applies to it, in a fixed order.
pub fn generate() -> Vec<Case> {
    let mut cases = Vec::new();
    for (base, definition) in bases() {
        for (family, mutate) in mutations() {
            let mut table = definition.as_object().expect("a base is an object").clone();
            let id = cases.len();
            table.insert("TableName".into(), json!(format!("case-{id:03}-{base}")));
            if mutate(&mut table) {
                // A table name stays unique where the family does not set it.
                cases.push(Case { id, base, family, definition: Value::Object(table) });
            }
        }
    }
    cases
}
