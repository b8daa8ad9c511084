//! The tiered post-deploy tests of a table (LLD 7.4.1, R24): `integration` (SIT) writes a
//! sample item, reads it back, finds it through an index and removes it; `smoke` (PROD) only
//! reads a key that does not exist, so nothing is written.

use serde_json::Value;

use crate::aws::AwsClients;
use crate::aws::describe_sdk;
use crate::foundation::policy::TestTier;
use crate::resources::table::definition::TableDefinition;
use crate::resources::vocabulary::{Check, check};

/// The test of one table at `tier`; the basic tier has none beyond the invariants.
pub async fn test(
    clients: &AwsClients,
    def: &TableDefinition,
    tier: TestTier,
    repo_root: &std::path::Path,
) -> Option<Check> {
    let subject = format!("{} {}", if tier == TestTier::Integration { "integration" } else { "smoke" }, def.table_name);
    let outcome = match tier {
        TestTier::Basic => return None,
        TestTier::Integration => integration(clients, def, repo_root).await,
        TestTier::Smoke => smoke(clients, def).await,
    };
    Some(match outcome {
        Ok(detail) => check("R24", subject, true, detail),
        Err(why) => check("R24", subject, false, why),
    })
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

async fn integration(clients: &AwsClients, def: &TableDefinition, root: &std::path::Path) -> Result<String, String> {
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

async fn smoke(clients: &AwsClients, def: &TableDefinition) -> Result<String, String> {
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
