//! `aws_s3_bucket_replication_configuration`: the templates bucket's rule replicating every
//! object to its copy in the DR region (PutBucketReplication, which needs versioning on both
//! buckets and the IAM role S3 assumes). Its post-deploy invariant: the rule is present.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination, ReplicationConfiguration, ReplicationRule,
    ReplicationRuleFilter, ReplicationRuleStatus,
};
use serde_json::{Value, json};

use crate::aws::{AwsClients, describe_sdk};
use crate::resources::vocabulary::{Action, Check, LiveError, Resource, ResourceChange, check, live_err};
use crate::resources::{sdk, status_is};

pub const REPLICATION: &str = "aws_s3_bucket_replication_configuration";
pub const KINDS: [&str; 1] = [REPLICATION];
/// The one rule stagegate manages.
pub const RULE_ID: &str = "dr-region";

/// The rule's attributes: the role S3 assumes and the DR bucket every object goes to.
pub fn attributes(role: &str, destination: &str) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("role".into(), json!(role)),
        ("rule_id".into(), json!(RULE_ID)),
        ("status".into(), json!("Enabled")),
        ("destination_bucket".into(), json!(format!("arn:aws:s3:::{destination}"))),
    ])
}

fn of(config: &ReplicationConfiguration) -> BTreeMap<String, Value> {
    let rule = config.rules().iter().find(|r| r.id() == Some(RULE_ID)).or_else(|| config.rules().first());
    BTreeMap::from([
        ("role".into(), json!(config.role())),
        ("rule_id".into(), json!(rule.and_then(|r| r.id()))),
        ("status".into(), json!(rule.map(|r| r.status().as_str()))),
        ("destination_bucket".into(), json!(rule.and_then(|r| r.destination()).map(|d| d.bucket()))),
    ])
}

/// The bucket's replication configuration, or `None` when it has none (or no bucket).
pub async fn read(clients: &AwsClients, bucket: &str) -> Result<Option<Resource>, LiveError> {
    match clients.s3.get_bucket_replication().bucket(bucket).send().await {
        Ok(out) => Ok(out.replication_configuration().map(|c| Resource {
            kind: REPLICATION,
            name: bucket.to_owned(),
            attributes: of(c),
            body: None,
        })),
        Err(e) if status_is(&e, 404) => Ok(None),
        Err(e) => Err(live_err(bucket, "GetBucketReplication", describe_sdk(&e))),
    }
}

fn configuration(after: &BTreeMap<String, Value>) -> ReplicationConfiguration {
    let text = |k: &str| after.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let rule = ReplicationRule::builder()
        .id(text("rule_id"))
        .priority(1)
        .status(ReplicationRuleStatus::from(text("status").as_str()))
        .filter(ReplicationRuleFilter::builder().prefix("").build())
        .delete_marker_replication(
            DeleteMarkerReplication::builder().status(DeleteMarkerReplicationStatus::Disabled).build(),
        )
        .destination(Destination::builder().bucket(text("destination_bucket")).build().expect("bucket set"))
        .build()
        .expect("status and destination set");
    ReplicationConfiguration::builder().role(text("role")).rules(rule).build().expect("role and rules set")
}

/// Carries out one planned change of the rule.
pub async fn apply(clients: &AwsClients, r: &ResourceChange, ops: &mut crate::resources::OpLog) -> Result<(), String> {
    let bucket = &r.name;
    match r.action {
        Action::Create | Action::Update | Action::Replace => {
            clients
                .s3
                .put_bucket_replication()
                .bucket(bucket)
                .replication_configuration(configuration(&r.after))
                .send()
                .await
                .map_err(sdk("PutBucketReplication", bucket))?;
            ops.push(format!("PutBucketReplication {bucket}"));
        }
        Action::Delete => {
            clients
                .s3
                .delete_bucket_replication()
                .bucket(bucket)
                .send()
                .await
                .map_err(sdk("DeleteBucketReplication", bucket))?;
            ops.push(format!("DeleteBucketReplication {bucket}"));
        }
        Action::NoOp => {}
    }
    Ok(())
}

/// R58: the rule is present, enabled, to the DR bucket, with the role asked for.
pub fn invariants(want: &Resource, got: Option<&Resource>) -> Check {
    let subject = format!("replication rule of {}", want.name);
    let destination = want.attributes.get("destination_bucket").and_then(Value::as_str).unwrap_or_default();
    match got {
        None => check("R58", subject, false, "no replication rule"),
        Some(g) if g.attributes == want.attributes => {
            check("R58", subject, true, format!("replication rule present: every object to {destination}"))
        }
        Some(g) => {
            let differs: Vec<&str> = want
                .attributes
                .iter()
                .filter(|(k, v)| g.attributes.get(*k) != Some(*v))
                .map(|(k, _)| k.as_str())
                .collect();
            check("R58", subject, false, format!("replication rule differs in {}", differs.join(", ")))
        }
    }
}
