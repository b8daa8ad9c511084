//! The live form of the backup vault, plan and selection; on a backend without the selection
//! operations, the selection as recorded in the plan's tags.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::aws::AwsClients;
use crate::aws::describe_sdk;
use crate::emulator::Capability;
use crate::resources::backup::{
    PLAN, RULE_NAME, SELECTION, SELECTION_ROLE_TAG, SELECTION_TABLES_TAG, VAULT, resource, table_arn,
};
use crate::resources::vocabulary::{LiveError, Resource, live_err};

/// A live plan: its id, ARN and tags, found by name among the plans not deleted.
pub(super) struct LivePlan {
    pub(super) id: String,
    pub(super) arn: String,
    rule: Value,
    pub(super) tags: BTreeMap<String, String>,
}

pub(super) async fn find_plan(clients: &AwsClients, name: &str) -> Result<Option<LivePlan>, LiveError> {
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
pub async fn read(clients: &AwsClients, kind: &str, name: &str) -> Result<Option<Resource>, LiveError> {
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
            let found = if clients.flavor.has(Capability::BackupSelections) {
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
pub(super) async fn read_selection(
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
