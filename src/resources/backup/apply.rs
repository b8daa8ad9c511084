//! Applying a planned backup change: vault and plan created or retagged, the plan's rule
//! updated, and the selection replaced (AWS Backup cannot change one) or, where the backend
//! lacks the selection operations, recorded as tags on the plan.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, BackupSelection, Lifecycle};
use serde_json::Value;

use crate::aws::AwsClients;
use crate::aws::describe_sdk;
use crate::emulator::Capability;
use crate::resources::backup::live::{LivePlan, find_plan, read_selection};
use crate::resources::backup::{PLAN, SELECTION, SELECTION_ROLE_TAG, SELECTION_TABLES_TAG, VAULT, resources_of};
use crate::resources::vocabulary::{Action, ResourceChange};

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

/// Creates or updates one backup resource as the plan shows; removal is not planned.
pub async fn apply(clients: &AwsClients, r: &ResourceChange, ops: &mut crate::resources::OpLog) -> Result<(), String> {
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
            if !clients.flavor.has(Capability::BackupSelections) {
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
    ops: &mut crate::resources::OpLog,
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
