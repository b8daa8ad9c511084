//! The DR region (R58, LLD 7.12.1 item 5): where pipeline.yml's `dr:` section covers an
//! environment, each table gains a replica there (`aws_dynamodb_table_replica`, DynamoDB global
//! tables version 2019.11.21) and the templates bucket a copy there (`aws_s3_bucket` and its
//! parts, in the DR region) with a replication rule to it
//! (`aws_s3_bucket_replication_configuration`). A resource in the DR region carries its
//! `region`, as the AWS provider's resources do since 6.0, and is read and changed with that
//! region's clients.

pub mod replication;
pub mod table_replica;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::aws::AwsClients;
use crate::foundation::level4::DrRegion;
use crate::resources::vocabulary::Resource;

pub use replication::REPLICATION;
pub use table_replica::TABLE_REPLICA;

/// The attribute naming the region a resource lives in, where it is not the environment's.
pub const REGION: &str = "region";

/// The region `r` lives in, when it is not the environment's.
pub fn region_of(attributes: &BTreeMap<String, Value>) -> Option<&str> {
    attributes.get(REGION).and_then(Value::as_str)
}

/// The clients that reach `r`: the DR region's for a resource there.
pub fn clients_for(clients: &AwsClients, attributes: &BTreeMap<String, Value>) -> AwsClients {
    region_of(attributes).map_or_else(|| clients.clone(), |region| clients.in_region(region))
}

/// The replica of each of `tables`.
pub fn table_replicas(dr: &DrRegion, tables: &[String]) -> Vec<Resource> {
    tables
        .iter()
        .map(|t| Resource {
            kind: TABLE_REPLICA,
            name: t.clone(),
            attributes: BTreeMap::from([("region_name".into(), json!(dr.region))]),
            body: None,
        })
        .collect()
}

/// The rule replicating `bucket` to its DR copy, assuming the role of `account`.
pub fn bucket_replication(dr: &DrRegion, bucket: &str, account: &str) -> Resource {
    Resource {
        kind: REPLICATION,
        name: bucket.to_owned(),
        attributes: replication::attributes(&dr.role_arn(account), &dr.bucket(bucket)),
        body: None,
    }
}
