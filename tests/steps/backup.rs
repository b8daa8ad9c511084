//! Steps for the backup plans of the tables (features/verify/backup_plans.feature).

use cucumber::{given, then, when};
use stagegate::emulator::Capability;
use stagegate::resources::backup::{DEFAULT_RETENTION_DAYS, KINDS, plan_name};

use super::{Env, World, component};

#[given(expr = "the {env} environment file of the working copy sets {string} to {int}")]
async fn tfvars_number(w: &mut World, env: Env, variable: String, value: u32) {
    let path = w.workdir().join("environments").join(format!("{}.tfvars", env.0.name()));
    let text = std::fs::read_to_string(&path).expect("the environment file");
    std::fs::write(&path, format!("{text}\n{variable} = {value}\n")).expect("write");
}

#[given(expr = "the {env} environment file of the working copy drops the tag {string}")]
async fn tfvars_drop_tag(w: &mut World, env: Env, tag: String) {
    let path = w.workdir().join("environments").join(format!("{}.tfvars", env.0.name()));
    let text = std::fs::read_to_string(&path).expect("the environment file");
    let kept: Vec<&str> = text.lines().filter(|l| l.split('=').next().map(str::trim) != Some(tag.as_str())).collect();
    assert_eq!(kept.len() + 1, text.lines().count(), "the environment file sets the tag {tag} once");
    std::fs::write(&path, kept.join("\n") + "\n").expect("write");
}

#[given(expr = "another team's backup plan {string} exists in {env}'s account")]
async fn other_plan(w: &mut World, name: String, env: Env) {
    use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput};
    let rule = BackupRuleInput::builder()
        .rule_name("nightly")
        .target_backup_vault_name("team-x")
        .schedule_expression("cron(0 3 * * ? *)")
        .build()
        .expect("a rule");
    let plan = BackupPlanInput::builder().backup_plan_name(name).rules(rule).build().expect("a plan");
    let backup = w.clients(env.0).await.backup;
    backup.create_backup_plan().backup_plan(plan).send().await.expect("CreateBackupPlan");
}

#[then(expr = "check {word} {string} passes saying {string}")]
async fn check_passes(w: &mut World, requirement: String, subject: String, says: String) {
    let report = w.verified();
    let c = report.checks.iter().find(|c| c.subject == subject).unwrap_or_else(|| panic!("no {subject}: {report}"));
    assert!(c.passed && c.requirement == requirement && c.detail.contains(&says), "{c:?}");
}

#[then(expr = "every other check passes but those {int}")]
async fn others_pass(w: &mut World, n: usize) {
    let report = w.verified();
    assert_eq!(report.failures().len(), n, "{report}");
}

#[then("no check concerns a backup plan")]
async fn no_backup_check(w: &mut World) {
    let report = w.verified();
    assert!(report.checks.iter().all(|c| !c.subject.starts_with("backup ")), "{report}");
}

#[then(
    expr = "the {env} state of component {string} records aws_backup_vault, aws_backup_plan and aws_backup_selection {string}"
)]
async fn state_records(w: &mut World, env: Env, name: String, resource: String) {
    let state = w.store(env.0).await.read(&component(&name)).await.expect("read").expect("a state").state;
    let recorded: Vec<(String, String)> = state.resources.iter().map(|r| (r.kind.clone(), r.name.clone())).collect();
    let expected: Vec<(String, String)> = KINDS.iter().map(|k| (k.to_string(), resource.clone())).collect();
    assert!(expected.iter().all(|e| recorded.contains(e)), "{recorded:?}");
}

#[when(expr = "the backup plan {string} is deleted behind stagegate's back in {env}")]
async fn delete_plan(w: &mut World, name: String, env: Env) {
    let backup = w.clients(env.0).await.backup;
    let plans = backup.list_backup_plans().send().await.expect("list plans");
    let id = plans.backup_plans_list().iter().find(|p| p.backup_plan_name() == Some(name.as_str())).expect("the plan");
    backup.delete_backup_plan().backup_plan_id(id.backup_plan_id().expect("an id")).send().await.expect("delete plan");
}

#[then(expr = "{env} has no backup plan")]
async fn no_plan(w: &mut World, env: Env) {
    let backup = w.clients(env.0).await.backup;
    let plans = backup.list_backup_plans().send().await.expect("list plans");
    let named = plans.backup_plans_list().iter().any(|p| p.backup_plan_name() == Some(plan_name(env.0).as_str()));
    assert!(!named && plans.backup_plans_list().is_empty(), "{plans:?}");
}

/// The environment's backup plan as ListBackupPlans shows it, if there is one.
async fn live_plan(
    backup: &aws_sdk_backup::Client,
    env: stagegate::Environment,
) -> Option<aws_sdk_backup::types::BackupPlansListMember> {
    let plans = backup.list_backup_plans().send().await.expect("list plans");
    let name = plan_name(env);
    plans.backup_plans_list().iter().find(|p| p.backup_plan_name() == Some(name.as_str())).cloned()
}

impl World {
    /// How many days the live backup plan of `env` keeps backups, read with AWS Backup's own
    /// GetBackupPlan.
    async fn live_retention_days(&mut self, env: stagegate::Environment) -> Option<i64> {
        let backup = self.clients(env).await.backup;
        let plan = live_plan(&backup, env).await?;
        let id = plan.backup_plan_id().expect("an id");
        let got = backup.get_backup_plan().backup_plan_id(id).send().await.expect("get plan");
        got.backup_plan()?.rules().first()?.lifecycle()?.delete_after_days()
    }
}

#[then(
    regex = r"^where the backend updates backup plans, (DEV|SIT|PROD)'s plan now keeps backups (\d+) days and a new plan changes nothing; elsewhere the apply was refused before anything changed$"
)]
async fn retention_updated_or_refused(w: &mut World, env: Env, days: i64) {
    let flavor = w.clients(env.0).await.flavor;
    if flavor.has(Capability::BackupPlanUpdates) {
        let report = w.report();
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(w.live_retention_days(env.0).await, Some(days));
        let plan = w.plan(env.0, jiff::Timestamp::now()).await.expect("a plan");
        assert!(!plan.has_changes(), "{plan}");
    } else {
        let outcome = w.release.outcome.as_ref().expect("an apply ran");
        let refusal = outcome.as_ref().expect_err("the apply was refused");
        assert!(
            refusal.contains("needs AWS Backup plan updates (UpdateBackupPlan)")
                && refusal.contains("nothing was changed"),
            "{refusal}"
        );
        assert_eq!(w.live_retention_days(env.0).await, Some(i64::from(DEFAULT_RETENTION_DAYS)));
    }
}

/// The tables a plan's selection covers, read with AWS Backup's own API rather than stagegate's
/// reading code: GetBackupSelection where the backend has selections, else the plan's
/// `stagegate:backup-selection` tag (ListTags), the documented record of them there.
#[then(regex = r"^AWS Backup holds (DEV|SIT|PROD)'s selection of the tables (.+), read with its own API$")]
async fn selection_in_backup(w: &mut World, env: Env, tables: String) {
    let want: Vec<String> = tables.replace(" and ", ", ").split(", ").map(str::to_owned).collect();
    let clients = w.clients(env.0).await;
    let backup = &clients.backup;
    let plan = live_plan(backup, env.0).await.expect("the plan");
    let mut got: Vec<String> = if clients.flavor.has(Capability::BackupSelections) {
        let id = plan.backup_plan_id().expect("an id");
        let listed = backup.list_backup_selections().backup_plan_id(id).send().await.expect("list selections");
        let [selection] = listed.backup_selections_list() else { panic!("one selection: {listed:?}") };
        let got = backup
            .get_backup_selection()
            .backup_plan_id(id)
            .selection_id(selection.selection_id().expect("an id"))
            .send()
            .await
            .expect("get selection");
        let resources = got.backup_selection().expect("a selection").resources();
        resources.iter().map(|arn| arn.rsplit_once(":table/").expect("a table ARN").1.to_owned()).collect()
    } else {
        let arn = plan.backup_plan_arn().expect("an ARN");
        let tags = backup.list_tags().resource_arn(arn).send().await.expect("list tags");
        let recorded = tags.tags().and_then(|t| t.get("stagegate:backup-selection")).expect("the selection's tag");
        recorded.split_whitespace().map(str::to_owned).collect()
    };
    got.sort();
    assert_eq!(got, want);
}
