//! The live form of a table: DescribeTable, its continuous backups, time to live and tags,
//! normalised exactly as the desired table is, so that equal attributes mean no change.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{ContinuousBackupsStatus, PointInTimeRecoveryStatus, SseStatus, TimeToLiveStatus};

use crate::aws::AwsClients;
use crate::aws::describe_sdk;
use crate::resources::table::definition::{self as schema, TableDefinition};
use crate::resources::table::{TABLE, table_attributes};
use crate::resources::vocabulary::{LiveError, Resource, live_err};

/// A table as it is, or `None` when it does not exist.
pub async fn read_table(clients: &AwsClients, name: &str) -> Result<Option<Resource>, LiveError> {
    let ddb = &clients.dynamodb;
    let described = match ddb.describe_table().table_name(name).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) => return Ok(None),
        Err(e) => return Err(live_err(name, "DescribeTable", describe_sdk(&e))),
    };
    let Some(t) = described.table else { return Ok(None) };
    let key = |k: &aws_sdk_dynamodb::types::KeySchemaElement| schema::KeySchemaElement {
        attribute_name: k.attribute_name().to_owned(),
        key_type: k.key_type().as_str().to_owned(),
    };
    let projection = |p: Option<&aws_sdk_dynamodb::types::Projection>| schema::Projection {
        projection_type: p.and_then(|p| p.projection_type()).map(|t| t.as_str().to_owned()),
        non_key_attributes: p.map(|p| p.non_key_attributes().to_vec()).unwrap_or_default(),
    };
    let pitr = ddb
        .describe_continuous_backups()
        .table_name(name)
        .send()
        .await
        .map_err(|e| live_err(name, "DescribeContinuousBackups", describe_sdk(&e)))?;
    let pitr = pitr.continuous_backups_description().is_some_and(|d| {
        d.continuous_backups_status() == &ContinuousBackupsStatus::Enabled
            && d.point_in_time_recovery_description().and_then(|p| p.point_in_time_recovery_status())
                == Some(&PointInTimeRecoveryStatus::Enabled)
    });
    let ttl = ddb
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| live_err(name, "DescribeTimeToLive", describe_sdk(&e)))?;
    let ttl = ttl
        .time_to_live_description()
        .filter(|d| d.time_to_live_status() == Some(&TimeToLiveStatus::Enabled))
        .and_then(|d| d.attribute_name())
        .map(|a| schema::TimeToLive { attribute_name: a.to_owned(), enabled: true });
    // Every value a key has: moto's TagResource adds a second tag with a key the table already
    // has, and a key on the table twice must read back as differing from the repo.
    let mut tag_values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(arn) = t.table_arn() {
        // A page holds at most 10 tags.
        let mut next = None;
        loop {
            let out = ddb
                .list_tags_of_resource()
                .resource_arn(arn)
                .set_next_token(next)
                .send()
                .await
                .map_err(|e| live_err(name, "ListTagsOfResource", describe_sdk(&e)))?;
            for tag in out.tags() {
                tag_values.entry(tag.key().to_owned()).or_default().push(tag.value().to_owned());
            }
            next = out.next_token().map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
    }
    let tags: BTreeMap<String, String> = tag_values
        .into_iter()
        .map(|(k, values)| match values.as_slice() {
            [one] => (k, one.clone()),
            many => (k, format!("{} (the key is on the table {} times)", many.join(" | "), many.len())),
        })
        .collect();
    let kms = t.sse_description().is_some_and(|s| s.status() == Some(&SseStatus::Enabled));
    let def = TableDefinition {
        table_name: t.table_name().unwrap_or(name).to_owned(),
        attribute_definitions: t
            .attribute_definitions()
            .iter()
            .map(|a| schema::AttributeDefinition {
                attribute_name: a.attribute_name().to_owned(),
                attribute_type: a.attribute_type().as_str().to_owned(),
            })
            .collect(),
        key_schema: t.key_schema().iter().map(key).collect(),
        // An index being deleted is going: it is not part of the table any more.
        global_secondary_indexes: t
            .global_secondary_indexes()
            .iter()
            .filter(|g| g.index_status().is_none_or(|s| s.as_str() != "DELETING"))
            .map(|g| schema::SecondaryIndex {
                index_name: g.index_name().unwrap_or_default().to_owned(),
                key_schema: g.key_schema().iter().map(key).collect(),
                projection: projection(g.projection()),
                provisioned_throughput: None,
            })
            .collect(),
        local_secondary_indexes: t
            .local_secondary_indexes()
            .iter()
            .map(|l| schema::SecondaryIndex {
                index_name: l.index_name().unwrap_or_default().to_owned(),
                key_schema: l.key_schema().iter().map(key).collect(),
                projection: projection(l.projection()),
                provisioned_throughput: None,
            })
            .collect(),
        billing_mode: Some(
            t.billing_mode_summary()
                .and_then(|b| b.billing_mode())
                .map_or("PROVISIONED".to_owned(), |b| b.as_str().to_owned()),
        ),
        provisioned_throughput: None,
        sse_specification: kms.then(|| schema::SseSpecification { enabled: Some(true), ..Default::default() }),
        deletion_protection_enabled: t.deletion_protection_enabled(),
        tags: Vec::new(),
        stagegate: schema::StagegateSettings { point_in_time_recovery: pitr, time_to_live: ttl, item_schema: None },
    };
    let attributes = table_attributes(&def, pitr, def.deletion_protection_enabled.unwrap_or(false), &tags);
    Ok(Some(Resource { kind: TABLE, name: name.to_owned(), attributes, body: None }))
}
