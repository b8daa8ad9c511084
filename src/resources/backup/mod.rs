//! The AWS Backup plan of an environment's DynamoDB tables (LLD 7.3.7 "backup plans
//! configured", R40): where the environment file sets `backup_plan_required`, a vault, a plan
//! with one daily rule and a selection covering every table, managed like Terraform's
//! `aws_backup_vault`, `aws_backup_plan` and `aws_backup_selection`.
//!
//! moto 5.2.5 implements vaults, plans and tags but not the selection operations
//! (CreateBackupSelection, ListBackupSelections, GetBackupSelection answer 500). On moto the
//! selection is therefore recorded as tags on the plan naming the tables it covers; every
//! backend with the `BackupSelections` capability (`emulator::capability`), real AWS included,
//! uses the selection operations.

mod apply;
mod live;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::Environment;
use crate::foundation::config::EnvironmentFile;
use crate::resources::vocabulary::Resource;

pub use apply::apply;
pub use live::read;

pub const VAULT: &str = "aws_backup_vault";
pub const PLAN: &str = "aws_backup_plan";
pub const SELECTION: &str = "aws_backup_selection";
/// The backup resource types, in the order they are created.
pub const KINDS: [&str; 3] = [VAULT, PLAN, SELECTION];

/// The LLD names no retention: 35 days, the same window as point-in-time recovery, unless the
/// environment file sets `backup_retention_days`.
pub const DEFAULT_RETENTION_DAYS: u32 = 35;
/// The daily rule: 01:00 in Africa/Johannesburg, outside the SIT and PROD change windows.
pub const RULE_NAME: &str = "daily";
pub const SCHEDULE: &str = "cron(0 1 * * ? *)";
pub const SCHEDULE_TIMEZONE: &str = "Africa/Johannesburg";
/// Where a backend without the selection operations records the selection, on the plan.
pub const SELECTION_TABLES_TAG: &str = "stagegate:backup-selection";
pub const SELECTION_ROLE_TAG: &str = "stagegate:backup-selection-role";

pub fn is_backup(kind: &str) -> bool {
    KINDS.contains(&kind)
}

/// What the backend must emulate to make this change beyond reading the resource: a change
/// of a live plan's rule is UpdateBackupPlan.
pub fn change_needs(r: &crate::resources::ResourceChange) -> Option<crate::emulator::Capability> {
    let rule_changes = r.changes.iter().any(|c| c.name == "rule");
    (r.kind == PLAN && r.action == crate::resources::Action::Update && rule_changes)
        .then_some(crate::emulator::Capability::BackupPlanUpdates)
}

/// `bbws-dynamodb-{env}`: the vault, the plan and the selection share it.
pub fn plan_name(env: Environment) -> String {
    format!("bbws-dynamodb-{}", env.name())
}

/// The ARN of a table of the environment's account.
pub fn table_arn(region: &str, account: &str, table: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{account}:table/{table}")
}

/// The role AWS Backup assumes, unless the environment file names one (`backup_iam_role_arn`).
pub fn default_role_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole")
}

fn resource(kind: &'static str, name: &str, attributes: BTreeMap<String, Value>) -> Resource {
    Resource { kind, name: name.to_owned(), attributes, body: None }
}

fn rule_attributes(vault: &str, retention_days: u32) -> Value {
    json!({
        "rule_name": RULE_NAME,
        "target_vault_name": vault,
        "schedule": SCHEDULE,
        "schedule_timezone": SCHEDULE_TIMEZONE,
        "delete_after_days": retention_days,
    })
}

/// The vault, plan and selection of an environment whose tables are `tables`.
pub fn desired_resources(env: Environment, vars: &EnvironmentFile, tables: &[String]) -> Vec<Resource> {
    let name = plan_name(env);
    let retention = vars.backup_retention_days.unwrap_or(DEFAULT_RETENTION_DAYS);
    let role = vars.backup_iam_role_arn.clone().unwrap_or_else(|| default_role_arn(&vars.aws_account_id));
    let mut arns: Vec<String> = tables.iter().map(|t| table_arn(&vars.aws_region, &vars.aws_account_id, t)).collect();
    arns.sort();
    vec![
        resource(VAULT, &name, BTreeMap::from([("name".into(), json!(name)), ("tags".into(), json!(vars.tags))])),
        resource(
            PLAN,
            &name,
            BTreeMap::from([
                ("name".into(), json!(name)),
                ("rule".into(), rule_attributes(&name, retention)),
                ("tags".into(), json!(vars.tags)),
            ]),
        ),
        resource(
            SELECTION,
            &name,
            BTreeMap::from([
                ("name".into(), json!(name)),
                ("plan_name".into(), json!(name)),
                ("iam_role_arn".into(), json!(role)),
                ("resources".into(), json!(arns)),
            ]),
        ),
    ]
}

fn resources_of(attrs: &BTreeMap<String, Value>) -> Vec<String> {
    attrs
        .get("resources")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The post-deploy checks of one backup resource (R40): the vault exists, the plan has its
/// daily rule with the retention asked for, and the selection covers every table.
pub fn checks(
    kind: &str,
    want: &BTreeMap<String, Value>,
    got: Option<&BTreeMap<String, Value>>,
) -> Option<(String, bool, String)> {
    let name = want.get("name").and_then(Value::as_str).unwrap_or_default();
    Some(match (kind, got) {
        (VAULT, got) => (format!("backup vault {name}"), got.is_some(), exists(got.is_some())),
        (PLAN, None) => (format!("backup plan {name}"), false, "missing".into()),
        (PLAN, Some(got)) => {
            let rule = &want["rule"];
            let same = got.get("rule") == Some(rule);
            let detail = if same {
                format!(
                    "daily at 01:00 {}, kept {} days",
                    rule["schedule_timezone"].as_str().unwrap_or_default(),
                    rule["delete_after_days"]
                )
            } else {
                format!("its rule differs: {} instead of {rule}", got.get("rule").unwrap_or(&Value::Null))
            };
            (format!("backup plan {name}"), same, detail)
        }
        (SELECTION, None) => (format!("backup selection {name}"), false, "missing".into()),
        (SELECTION, Some(got)) => {
            let covered = resources_of(got);
            let uncovered: Vec<String> = resources_of(want)
                .into_iter()
                .filter(|arn| !covered.contains(arn))
                .map(|arn| arn.rsplit_once(":table/").map_or(arn.clone(), |(_, t)| t.to_owned()))
                .collect();
            let detail = if uncovered.is_empty() {
                format!("covers every table ({})", covered.len())
            } else {
                format!("does not cover {}", uncovered.join(", "))
            };
            (format!("backup selection {name}"), uncovered.is_empty(), detail)
        }
        _ => return None,
    })
}

fn exists(yes: bool) -> String {
    if yes { "exists".into() } else { "missing".into() }
}
