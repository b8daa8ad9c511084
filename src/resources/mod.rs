//! The Terraform resource types stagegate manages, one module each with its desired form, live
//! read, apply, post-deploy invariants and price lines, and the registry below through which
//! the engine reaches them by type. A new type is a new module and a line in `Kind::of` plus
//! its arms here.

pub mod backup;
pub mod bucket;
pub mod dr;
pub mod object;
mod oplog;
pub mod price;
pub mod table;
pub mod vocabulary;

/// Table definitions by the short name Stage 1, the engine and the tests use.
pub use table::definition as schema;

use std::collections::BTreeMap;

use serde_json::Value;

pub use bucket::{BUCKET, BUCKET_ENCRYPTION, BUCKET_PUBLIC_ACCESS_BLOCK, BUCKET_VERSIONING};
pub use object::OBJECT;
pub use oplog::OpLog;
pub use table::TABLE;
pub use vocabulary::{Action, AttributeChange, Cause, Check, DesiredError, LiveError, Resource, ResourceChange, check};

use crate::aws::AwsClients;
use crate::aws::describe_sdk;
use price::{CostLine, RegionPrices, ResourceUsage};
use table::definition::TableDefinition;

/// Which module owns a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    Bucket,
    Object,
    Backup,
    TableReplica,
    Replication,
}

impl Kind {
    fn of(kind: &str) -> Option<Kind> {
        [
            (&table::KINDS[..], Kind::Table),
            (&bucket::KINDS[..], Kind::Bucket),
            (&object::KINDS[..], Kind::Object),
            (&backup::KINDS[..], Kind::Backup),
            (&dr::table_replica::KINDS[..], Kind::TableReplica),
            (&dr::replication::KINDS[..], Kind::Replication),
        ]
        .into_iter()
        .find_map(|(kinds, owner)| kinds.contains(&kind).then_some(owner))
    }
}

/// Every resource type stagegate manages.
pub fn kinds() -> impl Iterator<Item = &'static str> {
    table::KINDS
        .into_iter()
        .chain(bucket::KINDS)
        .chain(object::KINDS)
        .chain(backup::KINDS)
        .chain(dr::table_replica::KINDS)
        .chain(dr::replication::KINDS)
}

/// The managed type spelled `kind`, as the `'static` name resources carry.
pub fn kind(kind: &str) -> Option<&'static str> {
    kinds().find(|k| *k == kind)
}

/// Attributes whose change means the resource must be replaced rather than updated.
pub fn replace_attributes(kind: &str) -> &'static [&'static str] {
    match Kind::of(kind) {
        Some(Kind::Table) => &table::TABLE_REPLACE_ATTRIBUTES,
        Some(Kind::TableReplica) => &dr::table_replica::REPLACE_ATTRIBUTES,
        _ => &[],
    }
}

/// Whether a plan may delete a resource the repo no longer has, recorded with `attributes`:
/// templates, and what the DR region holds (R58: a replica, the replication rule, the DR copy
/// of the bucket, each a copy of what stays in the primary region); a table or the templates
/// bucket goes by hand, since that loses data.
pub fn removable(kind: &str, attributes: &BTreeMap<String, Value>) -> bool {
    match Kind::of(kind) {
        Some(Kind::Object | Kind::TableReplica | Kind::Replication) => true,
        Some(Kind::Bucket) => dr::region_of(attributes).is_some(),
        _ => false,
    }
}

/// Where a change of this type comes in a component's apply: the bucket before its settings and
/// objects, the backup vault before its plan and the plan before its selection.
pub fn apply_rank(kind: &str) -> (bool, bool, Option<usize>) {
    (kind != BUCKET, kind == OBJECT, backup::KINDS.iter().position(|k| *k == kind))
}

/// What the backend must emulate to read or change a resource of this type.
pub fn needs(kind: &str) -> Option<crate::emulator::Capability> {
    match Kind::of(kind) {
        Some(Kind::Backup) => Some(crate::emulator::Capability::Backup),
        Some(Kind::TableReplica) => Some(crate::emulator::Capability::DynamoDbGlobalTables),
        _ => None,
    }
}

/// The region of a table's replica, when `r` is one.
pub fn replica_region(r: &Resource) -> Option<&str> {
    (Kind::of(r.kind) == Some(Kind::TableReplica)).then(|| region(r)).flatten()
}

/// The region a resource lives in when it is not the environment's (R58: the DR region).
pub fn region(r: &Resource) -> Option<&str> {
    match Kind::of(r.kind) {
        Some(Kind::TableReplica) => r.attributes.get("region_name").and_then(Value::as_str),
        _ => dr::region_of(&r.attributes),
    }
}

/// Refuses `what` (planning or applying) when a resource type among `kinds` needs something the
/// backend lacks; checked before anything is read or changed.
pub fn require_capabilities<'k>(
    flavor: crate::emulator::Flavor,
    kinds: impl IntoIterator<Item = &'k str>,
    what: &str,
) -> Result<(), crate::emulator::Unsupported> {
    kinds.into_iter().filter_map(needs).try_for_each(|c| flavor.require(c, what))
}

/// Refuses applying `changes` when one of them needs an operation the backend lacks (a backup
/// plan's rule changed in place); checked before anything is changed.
pub fn require_change_capabilities<'c>(
    flavor: crate::emulator::Flavor,
    changes: impl IntoIterator<Item = &'c ResourceChange>,
    what: &str,
) -> Result<(), crate::emulator::Unsupported> {
    changes.into_iter().filter_map(backup::change_needs).try_for_each(|c| flavor.require(c, what))
}

/// The live counterpart of one resource; `None` when it does not exist or its type is unknown.
pub async fn read(clients: &AwsClients, r: &Resource) -> Result<Option<Resource>, LiveError> {
    match Kind::of(r.kind) {
        Some(Kind::Table) => table::live::read_table(clients, &r.name).await,
        Some(Kind::Bucket) => match dr::region_of(&r.attributes) {
            None => bucket::read(clients, r.kind, &r.name).await,
            // The DR copy, read in its region, which its attributes record.
            Some(region) => Ok(bucket::read(&clients.in_region(region), r.kind, &r.name).await?.map(|mut b| {
                b.attributes.insert(dr::REGION.into(), Value::String(region.to_owned()));
                b
            })),
        },
        Some(Kind::Object) => {
            let bucket = r.attributes["bucket"].as_str().unwrap_or_default();
            object::read(clients, bucket, &r.name).await
        }
        Some(Kind::Backup) => backup::read(clients, r.kind, &r.name).await,
        Some(Kind::TableReplica) => {
            let region = r.attributes.get("region_name").and_then(Value::as_str).unwrap_or_default();
            dr::table_replica::read(clients, &r.name, region).await
        }
        Some(Kind::Replication) => dr::replication::read(clients, &r.name).await,
        None => Ok(None),
    }
}

/// What apply needs beyond the change itself: the table definition of a table component and
/// the checked template bodies by key.
pub struct ApplyInputs<'a> {
    pub table: Option<&'a TableDefinition>,
    pub bodies: &'a BTreeMap<String, Vec<u8>>,
}

/// Carries out one planned change, recording each AWS operation in `ops`.
pub async fn apply(
    clients: &AwsClients,
    r: &ResourceChange,
    inputs: &ApplyInputs<'_>,
    ops: &mut crate::resources::OpLog,
) -> Result<(), String> {
    match Kind::of(&r.kind) {
        Some(Kind::Table) => table::apply::apply(clients, inputs.table, r, ops).await,
        Some(Kind::Object) => object::apply(clients, r, inputs.bodies, ops).await,
        Some(Kind::Backup) => backup::apply(clients, r, ops).await,
        Some(Kind::TableReplica) => dr::table_replica::apply(clients, r, ops).await,
        Some(Kind::Replication) => dr::replication::apply(clients, r, ops).await,
        Some(Kind::Bucket) | None => bucket::apply(&dr::clients_for(clients, &r.after), r, ops).await,
    }
}

/// The post-deploy invariants of one desired resource against its live counterpart;
/// `required_tags` are the tags the environment puts on every table.
pub async fn invariants(
    clients: &AwsClients,
    want: &Resource,
    got: Option<&Resource>,
    required_tags: &BTreeMap<String, String>,
) -> Vec<Check> {
    match Kind::of(want.kind) {
        Some(Kind::Table) => {
            table::invariants(clients, &want.name, &want.attributes, got.map(|g| &g.attributes), required_tags).await
        }
        Some(Kind::Object) => vec![object::invariants(clients, want, got).await],
        Some(Kind::Backup) => backup::checks(want.kind, &want.attributes, got.map(|g| &g.attributes))
            .map(|(subject, ok, detail)| check("R40", subject, ok, detail))
            .into_iter()
            .collect(),
        Some(Kind::TableReplica) => vec![dr::table_replica::invariants(clients, want).await],
        Some(Kind::Replication) => vec![dr::replication::invariants(want, got)],
        Some(Kind::Bucket) | None => vec![bucket::invariants(want, got)],
    }
}

/// The priced lines of one resource of an environment whose resources are `all`, at the prices
/// of the region it lives in, and whether some usage was missing; `None` for types that cost
/// nothing of their own.
pub fn price_lines(
    r: &Resource,
    all: &[&Resource],
    prices: &RegionPrices,
    usage: &ResourceUsage,
) -> Option<(Vec<CostLine>, bool)> {
    let priced = match Kind::of(r.kind) {
        Some(Kind::Table) => table::price_lines(&prices.dynamodb, usage, &r.attributes),
        Some(Kind::TableReplica) => dr::table_replica::price_lines(&prices.dynamodb, usage),
        Some(Kind::Bucket) if r.kind == BUCKET => {
            let objects = all.iter().filter(|o| o.kind == OBJECT).count();
            bucket::price_lines(&prices.s3, usage, objects)
        }
        _ => return None,
    };
    Some((priced.lines, priced.missing))
}

/// Maps an SDK error to `"{op} {name}: {what AWS said}"`, the form apply reports operations in.
pub(crate) fn sdk<E, R>(
    op: &str,
    name: &str,
) -> impl FnOnce(aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let what = format!("{op} {name}");
    move |e| format!("{what}: {}", describe_sdk(&e))
}

/// Whether an S3 call failed with this HTTP status (S3's HEAD answers carry no error code).
pub(crate) fn status_is(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        impl std::error::Error,
        aws_smithy_runtime_api::http::Response,
    >,
    code: u16,
) -> bool {
    e.raw_response().is_some_and(|r| r.status().as_u16() == code)
}

/// The `tags` attribute as a map.
pub(crate) fn tags_of(attrs: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    attrs
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default()
}
