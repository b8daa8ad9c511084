//! The AWS Backup plan of an environment's DynamoDB tables (LLD 7.3.7 "backup plans
//! configured", R40): where the environment file sets `backup_plan_required`, a vault, a plan
//! with one daily rule and a selection covering every table, managed like Terraform's
//! `aws_backup_vault`, `aws_backup_plan` and `aws_backup_selection`.
//!
//! moto 5.2.5 implements vaults, plans and tags but not the selection operations
//! (CreateBackupSelection, ListBackupSelections, GetBackupSelection answer 500). On moto the
//! selection is therefore recorded as tags on the plan naming the tables it covers; every other
//! backend, real AWS included, uses the selection operations.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, BackupSelection, Lifecycle};
use serde_json::{Value, json};

use crate::Environment;
use crate::aws::AwsClients;
use crate::aws::describe_sdk;
use crate::emulator::Flavor;
use crate::engine::live::LiveError;
use crate::engine::plan::{Action, ResourceChange};
use crate::foundation::config::EnvironmentFile;

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

/// Whether the backend implements the backup selection operations.
pub fn selections_supported(clients: &AwsClients) -> bool {
    clients.flavor != Flavor::Moto
}

fn resource(kind: &'static str, name: &str, attributes: BTreeMap<String, Value>) -> crate::engine::desired::Resource {
    crate::engine::desired::Resource { kind, name: name.to_owned(), attributes, body: None }
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
pub fn desired_resources(
    env: Environment,
    vars: &EnvironmentFile,
    tables: &[String],
) -> Vec<crate::engine::desired::Resource> {
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

fn live_err(resource: &str, operation: &'static str, detail: String) -> LiveError {
    LiveError { resource: resource.to_owned(), operation, detail }
}

/// A live plan: its id, ARN and tags, found by name among the plans not deleted.
struct LivePlan {
    id: String,
    arn: String,
    rule: Value,
    tags: BTreeMap<String, String>,
}

async fn find_plan(clients: &AwsClients, name: &str) -> Result<Option<LivePlan>, LiveError> {
    let mut pages = clients.backup.list_backup_plans().into_paginator().send();
    let mut found = None;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| live_err(name, "ListBackupPlans", describe_sdk(&e)))?;
        found = page
            .backup_plans_list()
            .iter()
            .find(|p| p.backup_plan_name() == Some(name) && p.deletion_date().is_none())
            .and_then(|p| p.backup_plan_id().map(str::to_owned));
        if found.is_some() {
            break;
        }
    }
    let Some(id) = found else { return Ok(None) };
    let got = clients
        .backup
        .get_backup_plan()
        .backup_plan_id(&id)
        .send()
        .await
        .map_err(|e| live_err(name, "GetBackupPlan", describe_sdk(&e)))?;
    let arn = got.backup_plan_arn().unwrap_or_default().to_owned();
    let rule = got
        .backup_plan()
        .and_then(|p| p.rules().iter().find(|r| r.rule_name() == RULE_NAME).or(p.rules().first()))
        .map_or(Value::Null, |r| {
            json!({
                "rule_name": r.rule_name(),
                "target_vault_name": r.target_backup_vault_name(),
                "schedule": r.schedule_expression(),
                "schedule_timezone": r.schedule_expression_timezone(),
                "delete_after_days": r.lifecycle().and_then(|l| l.delete_after_days()),
            })
        });
    let tags = list_tags(clients, name, &arn).await?;
    Ok(Some(LivePlan { id, arn, rule, tags }))
}

async fn list_tags(clients: &AwsClients, name: &str, arn: &str) -> Result<BTreeMap<String, String>, LiveError> {
    let mut tags = BTreeMap::new();
    let mut pages = clients.backup.list_tags().resource_arn(arn).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| live_err(name, "ListTags", describe_sdk(&e)))?;
        tags.extend(page.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())));
    }
    Ok(tags)
}

/// The live counterpart of one backup resource, normalised as the desired one; `None` when absent.
pub async fn read(
    clients: &AwsClients,
    kind: &str,
    name: &str,
) -> Result<Option<crate::engine::desired::Resource>, LiveError> {
    match kind {
        VAULT => {
            let out = match clients.backup.describe_backup_vault().backup_vault_name(name).send().await {
                Ok(out) => out,
                Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) => {
                    return Ok(None);
                }
                Err(e) => return Err(live_err(name, "DescribeBackupVault", describe_sdk(&e))),
            };
            let tags = list_tags(clients, name, out.backup_vault_arn().unwrap_or_default()).await?;
            Ok(Some(resource(
                VAULT,
                name,
                BTreeMap::from([("name".into(), json!(name)), ("tags".into(), json!(tags))]),
            )))
        }
        PLAN => Ok(find_plan(clients, name).await?.map(|p| {
            let tags: BTreeMap<&String, &String> =
                p.tags.iter().filter(|(k, _)| !k.starts_with(SELECTION_TABLES_TAG)).collect();
            resource(
                PLAN,
                name,
                BTreeMap::from([("name".into(), json!(name)), ("rule".into(), p.rule), ("tags".into(), json!(tags))]),
            )
        })),
        SELECTION => {
            let Some(plan) = find_plan(clients, name).await? else { return Ok(None) };
            let found = if selections_supported(clients) {
                read_selection(clients, &plan.id, name).await?.map(|(_, role, resources)| (role, resources))
            } else {
                recorded_selection(&plan)
            };
            Ok(found.map(|(role, mut resources)| {
                resources.sort();
                resource(
                    SELECTION,
                    name,
                    BTreeMap::from([
                        ("name".into(), json!(name)),
                        ("plan_name".into(), json!(name)),
                        ("iam_role_arn".into(), json!(role)),
                        ("resources".into(), json!(resources)),
                    ]),
                )
            }))
        }
        _ => Ok(None),
    }
}

/// The selection named `name` of a plan: its id, role and resources.
async fn read_selection(
    clients: &AwsClients,
    plan_id: &str,
    name: &str,
) -> Result<Option<(String, String, Vec<String>)>, LiveError> {
    let mut pages = clients.backup.list_backup_selections().backup_plan_id(plan_id).into_paginator().send();
    let mut found = None;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| live_err(name, "ListBackupSelections", describe_sdk(&e)))?;
        found = page
            .backup_selections_list()
            .iter()
            .find(|s| s.selection_name() == Some(name))
            .and_then(|s| s.selection_id().map(str::to_owned));
        if found.is_some() {
            break;
        }
    }
    let Some(id) = found else { return Ok(None) };
    let got = clients
        .backup
        .get_backup_selection()
        .backup_plan_id(plan_id)
        .selection_id(&id)
        .send()
        .await
        .map_err(|e| live_err(name, "GetBackupSelection", describe_sdk(&e)))?;
    let selection = got.backup_selection();
    Ok(Some((
        id,
        selection.map(|s| s.iam_role_arn().to_owned()).unwrap_or_default(),
        selection.map(|s| s.resources().to_vec()).unwrap_or_default(),
    )))
}

/// The selection as recorded in the plan's tags: table names, turned into ARNs of the plan's
/// own account and region.
fn recorded_selection(plan: &LivePlan) -> Option<(String, Vec<String>)> {
    let tables = plan.tags.get(SELECTION_TABLES_TAG)?;
    let role = plan.tags.get(SELECTION_ROLE_TAG).cloned().unwrap_or_default();
    // arn:aws:backup:{region}:{account}:backup-plan:{id}
    let parts: Vec<&str> = plan.arn.split(':').collect();
    let (region, account) = (parts.get(3).copied().unwrap_or_default(), parts.get(4).copied().unwrap_or_default());
    Some((role, tables.split_whitespace().map(|t| table_arn(region, account, t)).collect()))
}

fn tags_of(attrs: &BTreeMap<String, Value>) -> HashMap<String, String> {
    attrs
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default()
}

fn plan_input(attrs: &BTreeMap<String, Value>) -> Result<BackupPlanInput, String> {
    let rule = &attrs["rule"];
    let text = |k: &str| rule.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let rule = BackupRuleInput::builder()
        .rule_name(text("rule_name"))
        .target_backup_vault_name(text("target_vault_name"))
        .schedule_expression(text("schedule"))
        .schedule_expression_timezone(text("schedule_timezone"))
        .set_lifecycle(
            rule.get("delete_after_days")
                .and_then(Value::as_i64)
                .map(|d| Lifecycle::builder().delete_after_days(d).build()),
        )
        .build()
        .map_err(|e| e.to_string())?;
    BackupPlanInput::builder()
        .backup_plan_name(attrs["name"].as_str().unwrap_or_default())
        .rules(rule)
        .build()
        .map_err(|e| e.to_string())
}

fn resources_of(attrs: &BTreeMap<String, Value>) -> Vec<String> {
    attrs
        .get("resources")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Creates or updates one backup resource as the plan shows; removal is not planned.
pub async fn apply(clients: &AwsClients, r: &ResourceChange, ops: &mut Vec<String>) -> Result<(), String> {
    let name = &r.name;
    let backup = &clients.backup;
    let fail = |op: &str, detail: String| format!("{op} {name}: {detail}");
    match (r.kind.as_str(), r.action) {
        (_, Action::NoOp) => {}
        (VAULT, Action::Create) => {
            backup
                .create_backup_vault()
                .backup_vault_name(name)
                .set_backup_vault_tags(Some(tags_of(&r.after)))
                .send()
                .await
                .map_err(|e| fail("CreateBackupVault", describe_sdk(&e)))?;
            ops.push(format!("CreateBackupVault {name}"));
        }
        (VAULT, Action::Update) => {
            let arn = backup
                .describe_backup_vault()
                .backup_vault_name(name)
                .send()
                .await
                .map_err(|e| fail("DescribeBackupVault", describe_sdk(&e)))?
                .backup_vault_arn()
                .unwrap_or_default()
                .to_owned();
            retag(clients, name, &arn, r, ops).await?;
        }
        (PLAN, Action::Create) => {
            backup
                .create_backup_plan()
                .backup_plan(plan_input(&r.after)?)
                .set_backup_plan_tags(Some(tags_of(&r.after)))
                .send()
                .await
                .map_err(|e| fail("CreateBackupPlan", describe_sdk(&e)))?;
            ops.push(format!("CreateBackupPlan {name}"));
        }
        (PLAN, Action::Update) => {
            let plan = live_plan(clients, name).await?;
            if r.changes.iter().any(|c| c.name == "rule") {
                backup
                    .update_backup_plan()
                    .backup_plan_id(&plan.id)
                    .backup_plan(plan_input(&r.after)?)
                    .send()
                    .await
                    .map_err(|e| fail("UpdateBackupPlan", describe_sdk(&e)))?;
                ops.push(format!("UpdateBackupPlan {name}"));
            }
            retag(clients, name, &plan.arn, r, ops).await?;
        }
        (SELECTION, Action::Create | Action::Update) => {
            let plan = live_plan(clients, name).await?;
            let role = r.after.get("iam_role_arn").and_then(Value::as_str).unwrap_or_default();
            let resources = resources_of(&r.after);
            if !selections_supported(clients) {
                let tables: Vec<&str> =
                    resources.iter().filter_map(|a| a.rsplit_once(":table/").map(|(_, t)| t)).collect();
                backup
                    .tag_resource()
                    .resource_arn(&plan.arn)
                    .tags(SELECTION_TABLES_TAG, tables.join(" "))
                    .tags(SELECTION_ROLE_TAG, role)
                    .send()
                    .await
                    .map_err(|e| fail("TagResource", describe_sdk(&e)))?;
                ops.push(format!("TagResource {name} (selection of {})", tables.join(", ")));
                return Ok(());
            }
            // A selection cannot be changed: the old one goes and a new one is made.
            if let Some((id, _, _)) = read_selection(clients, &plan.id, name).await.map_err(|e| e.to_string())? {
                backup
                    .delete_backup_selection()
                    .backup_plan_id(&plan.id)
                    .selection_id(&id)
                    .send()
                    .await
                    .map_err(|e| fail("DeleteBackupSelection", describe_sdk(&e)))?;
                ops.push(format!("DeleteBackupSelection {name}"));
            }
            let selection = BackupSelection::builder()
                .selection_name(name)
                .iam_role_arn(role)
                .set_resources(Some(resources))
                .build()
                .map_err(|e| e.to_string())?;
            backup
                .create_backup_selection()
                .backup_plan_id(&plan.id)
                .backup_selection(selection)
                .send()
                .await
                .map_err(|e| fail("CreateBackupSelection", describe_sdk(&e)))?;
            ops.push(format!("CreateBackupSelection {name}"));
        }
        (kind, action) => return Err(format!("{kind}.{name}: {} is not supported", action.word())),
    }
    Ok(())
}

async fn live_plan(clients: &AwsClients, name: &str) -> Result<LivePlan, String> {
    find_plan(clients, name).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("backup plan {name} not found"))
}

/// Sets the tags the plan wants and removes the ones it dropped (the selection's own tags stay).
async fn retag(
    clients: &AwsClients,
    name: &str,
    arn: &str,
    r: &ResourceChange,
    ops: &mut Vec<String>,
) -> Result<(), String> {
    let Some(change) = r.changes.iter().find(|c| c.name == "tags") else { return Ok(()) };
    let old: BTreeMap<String, String> = serde_json::from_value(change.before.clone()).unwrap_or_default();
    let new = tags_of(&r.after);
    let removed: Vec<String> = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
    if !removed.is_empty() {
        clients
            .backup
            .untag_resource()
            .resource_arn(arn)
            .set_tag_key_list(Some(removed.clone()))
            .send()
            .await
            .map_err(|e| format!("UntagResource {name}: {}", describe_sdk(&e)))?;
        ops.push(format!("UntagResource {name} ({})", removed.join(", ")));
    }
    clients
        .backup
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(new))
        .send()
        .await
        .map_err(|e| format!("TagResource {name}: {}", describe_sdk(&e)))?;
    ops.push(format!("TagResource {name}"));
    Ok(())
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
