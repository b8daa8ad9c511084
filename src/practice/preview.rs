//! R59 before a rollback runs: the AWS operations a previewed plan will perform, named as apply
//! names them, with their projected time on AWS and the verdict against the environment's RTO
//! target (`stagegate rollback --dry-run`).

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::Environment;
use crate::engine::plan::Plan;
use crate::foundation::policy::Rto;
use crate::practice::projection::{LatencyModel, ProjectedOp, ReplacedTable, TableSizes, human};
use crate::resources::vocabulary::{Action, ResourceChange};
use crate::resources::{backup, bucket, object, table};

/// The operations apply performs for `change`, one line each, as apply reports them.
pub fn operations(change: &ResourceChange) -> Vec<String> {
    let name = &change.name;
    let after_bool = |attr: &str| change.after.get(attr) == Some(&Value::Bool(true));
    let create_table = || {
        let mut ops = vec![format!("CreateTable {name}")];
        if after_bool("point_in_time_recovery") {
            ops.push(format!("UpdateContinuousBackups {name} (point-in-time recovery on)"));
        }
        if let Some(attr) = change.after.get("ttl_attribute").and_then(Value::as_str) {
            ops.push(format!("UpdateTimeToLive {name} ({attr} on)"));
        }
        ops
    };
    match (change.kind.as_str(), change.action) {
        (_, Action::NoOp) => Vec::new(),
        (table::TABLE, Action::Create) => create_table(),
        (table::TABLE, Action::Replace) => {
            let mut ops = vec![format!("DeleteTable {name}")];
            ops.extend(create_table());
            ops
        }
        (table::TABLE, Action::Delete) => vec![format!("DeleteTable {name}")],
        (table::TABLE, Action::Update) => change.changes.iter().flat_map(|c| table_update(name, c)).collect(),
        (object::OBJECT, Action::Delete) => vec![format!("DeleteObject {name}")],
        (object::OBJECT, _) => vec![format!("PutObject {name}")],
        (bucket::BUCKET, Action::Create) => vec![format!("CreateBucket {name}")],
        (bucket::BUCKET_VERSIONING, _) => vec![format!("PutBucketVersioning {name}")],
        (bucket::BUCKET_PUBLIC_ACCESS_BLOCK, _) => vec![format!("PutPublicAccessBlock {name}")],
        (bucket::BUCKET_ENCRYPTION, _) => vec![format!("PutBucketEncryption {name}")],
        (backup::VAULT, Action::Create) => vec![format!("CreateBackupVault {name}")],
        (backup::PLAN, Action::Create) => vec![format!("CreateBackupPlan {name}")],
        (backup::PLAN, _) => vec![format!("UpdateBackupPlan {name}")],
        (backup::SELECTION, Action::Create) => vec![format!("CreateBackupSelection {name}")],
        (backup::SELECTION, _) => {
            vec![format!("DeleteBackupSelection {name}"), format!("CreateBackupSelection {name}")]
        }
        (kind, action) => vec![format!("{kind} {name} ({})", action.word())],
    }
}

fn table_update(name: &str, change: &crate::resources::vocabulary::AttributeChange) -> Vec<String> {
    match change.name.as_str() {
        "point_in_time_recovery" => {
            let on = if change.after == Value::Bool(true) { "on" } else { "off" };
            vec![format!("UpdateContinuousBackups {name} (point-in-time recovery {on})")]
        }
        "ttl_attribute" => {
            let mut ops = Vec::new();
            if let Some(old) = change.before.as_str() {
                ops.push(format!("UpdateTimeToLive {name} ({old} off)"));
            }
            if let Some(new) = change.after.as_str() {
                ops.push(format!("UpdateTimeToLive {name} ({new} on)"));
            }
            ops
        }
        "global_secondary_indexes" => {
            let indexes = |v: &Value| -> Vec<(String, Value)> {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .map(|i| (i["name"].as_str().unwrap_or_default().to_owned(), i.clone()))
                    .collect()
            };
            let (old, new) = (indexes(&change.before), indexes(&change.after));
            let mut ops: Vec<String> = old
                .iter()
                .filter(|o| !new.contains(o))
                .map(|(i, _)| format!("UpdateTable {name} (delete index {i})"))
                .collect();
            ops.extend(
                new.iter().filter(|n| !old.contains(n)).map(|(i, _)| format!("UpdateTable {name} (create index {i})")),
            );
            ops
        }
        "tags" => vec![format!("TagResource {name}")],
        other => vec![format!("UpdateTable {name} ({other})")],
    }
}

/// A previewed rollback's projection on AWS.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackProjection {
    pub environment: Environment,
    pub operations: Vec<ProjectedOp>,
    pub projected_ms: u128,
    pub dominant: Option<ProjectedOp>,
    pub sizes: TableSizes,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<ReplacedTable>,
    pub target: Option<String>,
    /// The apply alone, projected, within the target, and no table replaced.
    pub met: bool,
}

impl RollbackProjection {
    pub fn new(model: &LatencyModel, plan: &Plan, sizes: TableSizes, rto: &Rto) -> RollbackProjection {
        let changes: Vec<&ResourceChange> = plan.components.iter().flat_map(|c| &c.resources).collect();
        let operations: Vec<ProjectedOp> =
            changes.iter().flat_map(|c| operations(c)).map(|op| model.project(&op, 1, &sizes)).collect();
        let replaced: Vec<ReplacedTable> = changes
            .iter()
            .filter(|c| c.kind == table::TABLE && c.action == Action::Replace)
            .map(|c| ReplacedTable::new(model, &c.name, &sizes))
            .collect();
        let projected_ms = (operations.iter().map(|o| o.seconds).sum::<f64>() * 1000.0).round() as u128;
        let dominant = operations.iter().max_by(|a, b| a.seconds.total_cmp(&b.seconds)).cloned();
        let target = match rto {
            Rto::BestEffort => None,
            Rto::Within(d) => Some(format!("< {d}")),
        };
        let met = replaced.is_empty() && rto.is_met_by(std::time::Duration::from_millis(projected_ms as u64));
        RollbackProjection {
            environment: plan.environment,
            operations,
            projected_ms,
            dominant,
            sizes,
            replaced,
            target,
            met,
        }
    }
}

impl fmt::Display for RollbackProjection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sizes = self.sizes.file.as_deref().unwrap_or("no usage file: every table taken as empty");
        writeln!(f, "Projected on AWS ({}, table sizes: {sizes}):", self.environment.label())?;
        for op in &self.operations {
            let why = if op.why.is_empty() { String::new() } else { format!(", {}", op.why) };
            writeln!(
                f,
                "  {}: {} ({}{why})",
                op.operation,
                human(op.seconds),
                format!("{:?}", op.basis).to_lowercase()
            )?;
        }
        for r in &self.replaced {
            writeln!(f, "  {r}")?;
        }
        let target = self.target.as_deref().unwrap_or("best effort");
        let verdict = if self.met { "met" } else { "MISSED" };
        writeln!(f, "  apply projected {}; target {target}: {verdict}", human(self.projected_ms as f64 / 1000.0))?;
        if let Some(d) = &self.dominant {
            writeln!(f, "  dominated by {} ({})", d.operation, human(d.seconds))?;
        }
        Ok(())
    }
}
