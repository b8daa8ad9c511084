//! Post-deploy invariants (LLD 7.3.7, 7.9.3): what must be true of an environment after every
//! apply, checked against the live resources. One check per line, each with the requirement
//! it proves.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::Environment;
use crate::aws::AwsClients;
use crate::aws::describe_sdk;
use crate::engine::desired::{BUCKET, DesiredEnvironment, OBJECT, TABLE};
use crate::engine::live::{LiveError, read_resources};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub requirement: &'static str,
    pub subject: String,
    pub passed: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub environment: Environment,
    pub checks: Vec<Check>,
}

impl VerifyReport {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    pub fn failures(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| !c.passed).collect()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            writeln!(f, "{} {} {}: {}", if c.passed { "PASS" } else { "FAIL" }, c.requirement, c.subject, c.detail)?;
        }
        let failed = self.failures().len();
        writeln!(f, "{}: {} checks, {} failed", self.environment.label(), self.checks.len(), failed)
    }
}

fn check(requirement: &'static str, subject: impl Into<String>, passed: bool, detail: impl Into<String>) -> Check {
    Check { requirement, subject: subject.into(), passed, detail: detail.into() }
}

/// Checks every invariant of the environment's desired resources against the live ones.
pub async fn verify(clients: &AwsClients, desired: &DesiredEnvironment) -> Result<VerifyReport, LiveError> {
    let mut checks = Vec::new();
    for component in &desired.components {
        let live = read_resources(clients, &component.resources).await?;
        for want in &component.resources {
            let got = live.iter().find(|l| l.kind == want.kind && l.name == want.name);
            match want.kind {
                TABLE => {
                    table_checks(
                        clients,
                        &want.name,
                        &want.attributes,
                        got.map(|g| &g.attributes),
                        &desired.vars.tags,
                        &mut checks,
                    )
                    .await
                }
                BUCKET => {
                    checks.push(check(
                        "R38",
                        format!("bucket {}", want.name),
                        got.is_some(),
                        if got.is_some() { "exists" } else { "missing" },
                    ));
                }
                OBJECT => {
                    let key = &want.name;
                    let bucket = want.attributes["bucket"].as_str().unwrap_or_default();
                    let same = match (got, &want.body) {
                        (Some(_), Some(body)) => object_matches(clients, bucket, key, body).await,
                        _ => Err("missing".to_owned()),
                    };
                    checks.push(match same {
                        Ok(()) => {
                            check("R39", format!("template {key}"), true, "uploaded and reads back byte-identical")
                        }
                        Err(why) => check("R39", format!("template {key}"), false, why),
                    });
                }
                kind if crate::resources::backup::is_backup(kind) => {
                    if let Some((subject, ok, detail)) =
                        crate::resources::backup::checks(kind, &want.attributes, got.map(|g| &g.attributes))
                    {
                        checks.push(check("R40", subject, ok, detail));
                    }
                }
                kind => {
                    let (name, ok, detail) = match kind {
                        crate::engine::desired::BUCKET_VERSIONING => (
                            "versioning",
                            got.is_some_and(|g| g.attributes.get("status") == Some(&Value::String("Enabled".into()))),
                            "enabled",
                        ),
                        crate::engine::desired::BUCKET_ENCRYPTION => ("default encryption", got.is_some(), "on"),
                        _ => {
                            let flags = [
                                "block_public_acls",
                                "ignore_public_acls",
                                "block_public_policy",
                                "restrict_public_buckets",
                            ];
                            let all = got.is_some_and(|g| {
                                flags.iter().all(|f| g.attributes.get(*f) == Some(&Value::Bool(true)))
                            });
                            ("public access block", all, "all four flags on")
                        }
                    };
                    checks.push(check(
                        "R38",
                        format!("bucket {} {name}", want.name),
                        ok,
                        if ok { detail.to_owned() } else { format!("not {detail}") },
                    ));
                }
            }
        }
    }
    Ok(VerifyReport { environment: desired.environment, checks })
}

async fn table_checks(
    clients: &AwsClients,
    name: &str,
    want: &std::collections::BTreeMap<String, Value>,
    got: Option<&std::collections::BTreeMap<String, Value>>,
    required_tags: &std::collections::BTreeMap<String, String>,
    checks: &mut Vec<Check>,
) {
    let subject = format!("table {name}");
    let Some(got) = got else {
        checks.push(check("R37", subject, false, "missing"));
        return;
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
            return;
        }
    };
    checks.push(check("R37", subject.clone(), active, if active { "exists and is ACTIVE" } else { "not ACTIVE" }));
    for index in want["global_secondary_indexes"].as_array().into_iter().flatten() {
        let index = index["name"].as_str().unwrap_or_default();
        let state = indexes.iter().find(|(n, _)| n == index).map(|(_, s)| s.as_str());
        checks.push(check(
            "R37",
            format!("index {name}.{index}"),
            state == Some("ACTIVE"),
            state.map_or("missing".to_owned(), |s| s.to_owned()),
        ));
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
}

async fn object_matches(clients: &AwsClients, bucket: &str, key: &str, body: &[u8]) -> Result<(), String> {
    let got = clients.s3.get_object().bucket(bucket).key(key).send().await.map_err(|e| describe_sdk(&e))?;
    let bytes = got.body.collect().await.map_err(|e| e.to_string())?.into_bytes();
    if bytes.as_ref() == body {
        Ok(())
    } else {
        Err(format!("reads back {} bytes that differ from the repo's {}", bytes.len(), body.len()))
    }
}

/// The post-deploy tests of an environment, tiered as LLD 7.4.1 says (R24): every tier checks
/// the invariants; `integration` (SIT) also writes a sample item to each table, reads it back,
/// finds it through an index and removes it; `smoke` (PROD) only reads: a get of a key that
/// does not exist must answer, and nothing is written.
pub async fn post_deploy_tests(
    clients: &AwsClients,
    desired: &DesiredEnvironment,
    tier: crate::foundation::policy::TestTier,
    repo_root: &std::path::Path,
) -> Result<VerifyReport, LiveError> {
    use crate::foundation::policy::TestTier;
    let mut report = verify(clients, desired).await?;
    for component in desired.components.iter().filter(|c| c.table.is_some()) {
        let def = component.table.as_ref().expect("filtered to tables");
        let subject =
            format!("{} {}", if tier == TestTier::Integration { "integration" } else { "smoke" }, def.table_name);
        let outcome = match tier {
            TestTier::Basic => continue,
            TestTier::Integration => integration(clients, def, repo_root).await,
            TestTier::Smoke => smoke(clients, def).await,
        };
        report.checks.push(match outcome {
            Ok(detail) => check("R24", subject, true, detail),
            Err(why) => check("R24", subject, false, why),
        });
    }
    Ok(report)
}

/// A JSON sample item as DynamoDB attribute values.
fn attribute(v: &Value) -> aws_sdk_dynamodb::types::AttributeValue {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    match v {
        Value::Null => A::Null(true),
        Value::Bool(b) => A::Bool(*b),
        Value::Number(n) => A::N(n.to_string()),
        Value::String(s) => A::S(s.clone()),
        Value::Array(items) => A::L(items.iter().map(attribute).collect()),
        Value::Object(m) => A::M(m.iter().map(|(k, v)| (k.clone(), attribute(v))).collect()),
    }
}

async fn integration(
    clients: &AwsClients,
    def: &crate::resources::schema::TableDefinition,
    root: &std::path::Path,
) -> Result<String, String> {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let name = &def.table_name;
    let path = root.join("schemas").join(name).join("sample-items.json");
    let items: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut item = items.into_iter().next().and_then(|i| i.as_object().cloned()).ok_or("no sample item")?;
    // A key of its own, so the test never touches real data.
    let hash = def.key_schema.iter().find(|k| k.key_type == "HASH").ok_or("no hash key")?.attribute_name.clone();
    let marker = format!("stagegate-post-deploy-{}", uuid::Uuid::new_v4());
    item.insert(hash.clone(), Value::String(marker.clone()));
    let key: std::collections::HashMap<String, A> = def
        .key_schema
        .iter()
        .filter_map(|k| item.get(&k.attribute_name).map(|v| (k.attribute_name.clone(), attribute(v))))
        .collect();
    let ddb = &clients.dynamodb;
    ddb.put_item()
        .table_name(name)
        .set_item(Some(item.iter().map(|(k, v)| (k.clone(), attribute(v))).collect()))
        .send()
        .await
        .map_err(|e| format!("PutItem: {}", describe_sdk(&e)))?;
    let result = async {
        let got = ddb
            .get_item()
            .table_name(name)
            .set_key(Some(key.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| format!("GetItem: {}", describe_sdk(&e)))?;
        if got.item().is_none_or(|i| i.get(&hash) != Some(&A::S(marker.clone()))) {
            return Err("the sample item did not read back".to_owned());
        }
        let Some(index) = def
            .global_secondary_indexes
            .iter()
            .find(|g| g.key_schema.iter().all(|k| item.contains_key(&k.attribute_name)))
        else {
            return Ok("sample item written and read back (no index covers it)".to_owned());
        };
        let index_hash = &index
            .key_schema
            .iter()
            .find(|k| k.key_type == "HASH")
            .ok_or("an index without a hash key")?
            .attribute_name;
        let found = ddb
            .query()
            .table_name(name)
            .index_name(&index.index_name)
            .key_condition_expression("#k = :v")
            .expression_attribute_names("#k", index_hash)
            .expression_attribute_values(":v", attribute(&item[index_hash]))
            .send()
            .await
            .map_err(|e| format!("Query {}: {}", index.index_name, describe_sdk(&e)))?;
        if found.items().iter().any(|i| i.get(&hash) == Some(&A::S(marker.clone()))) {
            Ok(format!("sample item written, read back and found through {}", index.index_name))
        } else {
            Err(format!("the sample item was not found through {}", index.index_name))
        }
    }
    .await;
    let removed = ddb.delete_item().table_name(name).set_key(Some(key)).send().await;
    match (result, removed) {
        (Ok(detail), Ok(_)) => Ok(format!("{detail}, then removed")),
        (Ok(_), Err(e)) => Err(format!("DeleteItem of the sample item: {}", describe_sdk(&e))),
        (Err(why), _) => Err(why),
    }
}

async fn smoke(clients: &AwsClients, def: &crate::resources::schema::TableDefinition) -> Result<String, String> {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let key = def
        .key_schema
        .iter()
        .map(|k| {
            let ty = def
                .attribute_definitions
                .iter()
                .find(|a| a.attribute_name == k.attribute_name)
                .map_or("S", |a| a.attribute_type.as_str());
            let value = match ty {
                "N" => A::N("-1".into()),
                "B" => A::B(aws_sdk_dynamodb::primitives::Blob::new(b"stagegate-smoke".to_vec())),
                _ => A::S("stagegate-smoke-no-such-item".into()),
            };
            (k.attribute_name.clone(), value)
        })
        .collect();
    let got = clients
        .dynamodb
        .get_item()
        .table_name(&def.table_name)
        .set_key(Some(key))
        .send()
        .await
        .map_err(|e| format!("GetItem: {}", describe_sdk(&e)))?;
    match got.item() {
        None => Ok("the read path answers; nothing written".into()),
        Some(_) => Err("a key that should not exist returned an item".into()),
    }
}
