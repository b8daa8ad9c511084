//! The live resources of one component, read through the AWS SDK and normalised exactly as
//! the desired ones are, so that equal attributes mean no change.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{ContinuousBackupsStatus, PointInTimeRecoveryStatus, SseStatus, TimeToLiveStatus};
use serde_json::json;

use crate::aws::describe_sdk;
use crate::aws::{AwsClients, bucket_versioning_status};
use crate::engine::desired::{
    BUCKET, BUCKET_ENCRYPTION, BUCKET_PUBLIC_ACCESS_BLOCK, BUCKET_VERSIONING, DesiredComponent, OBJECT, Resource,
    TABLE, table_attributes,
};
use crate::resources::schema::{self, TableDefinition};

#[derive(Debug, thiserror::Error)]
#[error("reading {resource}: {operation}: {detail}")]
pub struct LiveError {
    pub resource: String,
    pub operation: &'static str,
    pub detail: String,
}

fn live_err(resource: &str, operation: &'static str, detail: String) -> LiveError {
    LiveError { resource: resource.to_owned(), operation, detail }
}

/// The live counterparts of a component's desired resources (absent ones are left out).
pub async fn read_component(clients: &AwsClients, desired: &DesiredComponent) -> Result<Vec<Resource>, LiveError> {
    read_resources(clients, &desired.resources).await
}

/// The live counterparts of these resources (absent ones are left out).
pub async fn read_resources(clients: &AwsClients, resources: &[Resource]) -> Result<Vec<Resource>, LiveError> {
    let mut live = Vec::new();
    for r in resources {
        let found = match r.kind {
            TABLE => read_table(clients, &r.name).await?,
            BUCKET | BUCKET_VERSIONING | BUCKET_PUBLIC_ACCESS_BLOCK | BUCKET_ENCRYPTION => {
                read_bucket_part(clients, r.kind, &r.name).await?
            }
            OBJECT => {
                let bucket = r.attributes["bucket"].as_str().unwrap_or_default();
                read_object(clients, bucket, &r.name).await?
            }
            kind if crate::resources::backup::is_backup(kind) => {
                crate::resources::backup::read(clients, kind, &r.name).await?
            }
            _ => None,
        };
        live.extend(found);
    }
    Ok(live)
}

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
    let mut tags = BTreeMap::new();
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
                tags.insert(tag.key().to_owned(), tag.value().to_owned());
            }
            next = out.next_token().map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
    }
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
        global_secondary_indexes: t
            .global_secondary_indexes()
            .iter()
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

fn status_is(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        impl std::error::Error,
        aws_smithy_runtime_api::http::Response,
    >,
    code: u16,
) -> bool {
    e.raw_response().is_some_and(|r| r.status().as_u16() == code)
}

/// One part of the templates bucket (the bucket with its tags, versioning, public access
/// block, encryption); `None` when absent. moto answers 404 for a public access block or an
/// encryption configuration never set, where AWS answers defaults: absent either way.
async fn read_bucket_part(
    clients: &AwsClients,
    kind: &'static str,
    bucket: &str,
) -> Result<Option<Resource>, LiveError> {
    let s3 = &clients.s3;
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => {}
        Err(e) if status_is(&e, 404) => return Ok(None),
        Err(e) => return Err(live_err(bucket, "HeadBucket", describe_sdk(&e))),
    }
    let resource = |attributes: BTreeMap<String, serde_json::Value>| {
        Some(Resource { kind, name: bucket.to_owned(), attributes, body: None })
    };
    Ok(match kind {
        BUCKET => {
            let tags: BTreeMap<String, String> = match s3.get_bucket_tagging().bucket(bucket).send().await {
                Ok(out) => out.tag_set().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect(),
                Err(e) if status_is(&e, 404) => BTreeMap::new(),
                Err(e) => return Err(live_err(bucket, "GetBucketTagging", describe_sdk(&e))),
            };
            resource(BTreeMap::from([("bucket".into(), json!(bucket)), ("tags".into(), json!(tags))]))
        }
        BUCKET_VERSIONING => {
            let status =
                bucket_versioning_status(s3, bucket).await.map_err(|d| live_err(bucket, "GetBucketVersioning", d))?;
            status.and_then(|s| resource(BTreeMap::from([("status".into(), json!(s))])))
        }
        BUCKET_PUBLIC_ACCESS_BLOCK => match s3.get_public_access_block().bucket(bucket).send().await {
            Ok(out) => {
                let c = out.public_access_block_configuration();
                let flag = |v: Option<bool>| json!(v == Some(true));
                resource(BTreeMap::from([
                    ("block_public_acls".into(), flag(c.and_then(|c| c.block_public_acls()))),
                    ("block_public_policy".into(), flag(c.and_then(|c| c.block_public_policy()))),
                    ("ignore_public_acls".into(), flag(c.and_then(|c| c.ignore_public_acls()))),
                    ("restrict_public_buckets".into(), flag(c.and_then(|c| c.restrict_public_buckets()))),
                ]))
            }
            Err(e) if status_is(&e, 404) => None,
            Err(e) => return Err(live_err(bucket, "GetPublicAccessBlock", describe_sdk(&e))),
        },
        BUCKET_ENCRYPTION => match s3.get_bucket_encryption().bucket(bucket).send().await {
            Ok(out) => {
                let algorithm = out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_owned());
                algorithm.and_then(|a| resource(BTreeMap::from([("sse_algorithm".into(), json!(a))])))
            }
            Err(e) if status_is(&e, 404) => None,
            Err(e) => return Err(live_err(bucket, "GetBucketEncryption", describe_sdk(&e))),
        },
        _ => None,
    })
}

/// A template object as stored, or `None`.
pub async fn read_object(clients: &AwsClients, bucket: &str, key: &str) -> Result<Option<Resource>, LiveError> {
    let head = match clients.s3.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => out,
        Err(e) if status_is(&e, 404) => return Ok(None),
        Err(e) => return Err(live_err(key, "HeadObject", describe_sdk(&e))),
    };
    let etag = head.e_tag().unwrap_or_default().trim_matches('"').to_owned();
    Ok(Some(Resource {
        kind: OBJECT,
        name: key.to_owned(),
        attributes: BTreeMap::from([
            ("bucket".into(), json!(bucket)),
            ("key".into(), json!(key)),
            ("content_type".into(), json!(head.content_type().unwrap_or_default())),
            ("etag".into(), json!(etag)),
        ]),
        body: None,
    }))
}
