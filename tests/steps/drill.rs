//! Steps for the rollback drill (features/rollback/drill.feature).

use cucumber::{given, then, when};
use stagegate::aws::DEFAULT_REGION;
use stagegate::practice::drill::{Breakage, DrillReport, drill};
use stagegate::practice::projection::human;

use super::{Env, World};

fn report(w: &World) -> &DrillReport {
    w.release.drill.as_ref().expect("a drill ran")
}

#[when(expr = "a rollback drill of {env} is run")]
async fn run(w: &mut World, env: Env) {
    let endpoint = w.endpoint().await;
    let repo = w.working_copy();
    w.release.drill = Some(
        drill(&endpoint, DEFAULT_REGION, &repo, env.0, Breakage::Pitr, jiff::Timestamp::now())
            .await
            .expect("the drill ran"),
    );
}

#[when(regex = r"^a rollback drill of (DEV|SIT|PROD) is run at (\d{4}-\d\d-\d\d \d\d:\d\d) SAST$")]
async fn run_at(w: &mut World, env: Env, at: String) {
    let endpoint = w.endpoint().await;
    let repo = w.working_copy();
    let now = super::metrics::sast(&at);
    w.release.drill =
        Some(drill(&endpoint, DEFAULT_REGION, &repo, env.0, Breakage::Pitr, now).await.expect("the drill ran"));
}

#[then(expr = "the drill detected {string}")]
async fn detected(w: &mut World, what: String) {
    assert!(report(w).detected.iter().any(|d| d.contains(&what)), "{}", report(w));
}

#[then(expr = "the drill rolled {env} back to its first deployment tag")]
async fn rolled_back(w: &mut World, env: Env) {
    let r = report(w);
    assert!(r.rolled_back_to.starts_with(&format!("deploy-{}-", env.0.name())), "{r}");
    assert_eq!(r.rolled_back_to.len(), format!("deploy-{}-YYYYMMDD-HHMMSS", env.0.name()).len(), "{r}");
}

#[then("the drill timed the phases detect, plan, gate, apply and verify, adding up to no more than its RTO")]
async fn phases(w: &mut World) {
    let r = report(w);
    let names: Vec<&str> = r.phases.iter().map(|p| p.name).collect();
    assert_eq!(names, ["detect", "plan", "gate", "apply", "verify"]);
    assert!(r.phases.iter().map(|p| p.ms).sum::<u128>() <= r.rto_ms, "{r}");
}

#[then(expr = "the drill compared its RTO with the target {string}")]
async fn compared(w: &mut World, target: String) {
    let r = report(w);
    assert_eq!(r.target.as_deref(), Some(target.as_str()));
    let limit_ms: u128 =
        target.trim_start_matches("< ").trim_end_matches('m').parse::<u128>().expect("minutes") * 60_000;
    assert_eq!(r.met, r.replaced.is_empty() && r.projected_rto_ms < limit_ms, "{r}");
}

#[given(regex = r"^(DEV|SIT|PROD)'s usage file gives every table ([0-9.]+) GB$")]
async fn table_sizes(w: &mut World, env: Env, gb: f64) {
    let path = w.workdir().join(stagegate::engine::cost::usage_file(env.0));
    let mut usage: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(&path).expect("the usage file")).expect("YAML");
    let resources = usage["resource_usage"].as_mapping_mut().expect("resource_usage");
    let mut tables = 0;
    for (address, u) in resources.iter_mut() {
        if address.as_str().is_some_and(|a| a.starts_with("aws_dynamodb_table.")) {
            u["storage_gb"] = serde_norway::Value::from(gb);
            tables += 1;
        }
    }
    assert!(tables > 0, "{} names no table", path.display());
    std::fs::write(&path, serde_norway::to_string(&usage).expect("YAML")).expect("write");
}

#[when(
    regex = r"^a rollback drill of (DEV|SIT|PROD) is run with the bad commit also (dropping an index|adding a sort key)$"
)]
async fn run_broken(w: &mut World, env: Env, how: String) {
    let breakage = if how.starts_with("dropping") { Breakage::Index } else { Breakage::Replace };
    let endpoint = w.endpoint().await;
    let repo = w.working_copy();
    match drill(&endpoint, DEFAULT_REGION, &repo, env.0, breakage, jiff::Timestamp::now()).await {
        Ok(r) => w.release.drill = Some(r),
        Err(e) => w.release.drill_refused = Some(e.to_string()),
    }
}

#[then("every drill phase shows its measured and its projected time")]
async fn measured_and_projected(w: &mut World) {
    let r = report(w);
    let shown = r.to_string();
    for p in &r.phases {
        let line = shown.lines().find(|l| l.trim_start().starts_with(p.name)).unwrap_or_else(|| panic!("{shown}"));
        assert!(line.contains(&format!("{} ms", p.ms)), "{line}");
        assert!(line.contains(&human(p.projected_ms as f64 / 1000.0)), "{line}");
        // A phase that calls AWS is projected from its operations.
        if !p.operations.is_empty() {
            let sum: f64 = p.operations.iter().map(|o| o.seconds).sum();
            assert_eq!(p.projected_ms, (sum * 1000.0).round() as u128, "{shown}");
        }
    }
    for name in ["detect", "plan", "apply", "verify"] {
        assert!(r.phases.iter().any(|p| p.name == name && !p.operations.is_empty()), "{name} calls AWS:\n{shown}");
    }
}

#[then(regex = r#"^the drill's apply phase performed "([^"]+)", projected at (.+)$"#)]
async fn apply_performed(w: &mut World, operation: String, projected: String) {
    let r = report(w);
    let apply = r.phases.iter().find(|p| p.name == "apply").expect("an apply phase");
    let op = apply.operations.iter().find(|o| o.operation == operation).unwrap_or_else(|| panic!("{r}"));
    assert_eq!(human(op.seconds), projected, "{r}");
    assert!(r.to_string().contains(&format!("{operation}: {projected}")), "{r}");
}

#[then(regex = r#"^the drill (met|MISSED) its target "([^"]+)" on the projection, dominated by "([^"]+)"$"#)]
async fn drill_verdict(w: &mut World, verdict: String, target: String, dominant: String) {
    let r = report(w);
    assert_eq!(r.met, verdict == "met", "{r}");
    assert_eq!(r.target.as_deref().unwrap_or("best effort"), target, "{r}");
    let d = r.dominant.as_ref().expect("a dominating operation");
    assert!(d.operation.starts_with(&dominant), "{r}");
    let shown = r.to_string();
    assert!(shown.contains(&format!("target {target}: {verdict}")), "{shown}");
    assert!(shown.contains(&format!("dominated by {}", d.operation)), "{shown}");
    if let Some(limit) = target.strip_prefix("< ").and_then(|t| t.strip_suffix('m')) {
        let limit_ms = limit.parse::<u128>().expect("minutes") * 60_000;
        assert_eq!(r.met, r.replaced.is_empty() && r.projected_rto_ms < limit_ms, "{r}");
    }
}

#[then("the drill's projected RTO is longer than its measured RTO")]
async fn projected_longer(w: &mut World) {
    let r = report(w);
    assert!(r.projected_rto_ms > r.rto_ms, "{r}");
}

#[then(
    regex = r#"^the drill flags table "([^"]+)" as replaced, its ([0-9.]+) GB of items not restored by the rollback$"#
)]
async fn flags_replaced(w: &mut World, table: String, gb: f64) {
    let r = report(w);
    let replaced = r.replaced.iter().find(|t| t.table == table).unwrap_or_else(|| panic!("{r}"));
    assert_eq!(replaced.gb, gb, "{r}");
    assert!(
        r.to_string().contains(&format!("{table} is REPLACED by this rollback: its {gb} GB of items are not restored")),
        "{r}"
    );
}

#[then(regex = r#"^the drill gives the restore path "([^"]+)", projected at (.+)$"#)]
async fn restore_path(w: &mut World, path: String, projected: String) {
    let r = report(w);
    let replaced = r.replaced.first().unwrap_or_else(|| panic!("no table replaced: {r}"));
    assert!(replaced.restore.starts_with(&path), "{r}");
    assert_eq!(human(replaced.restore_seconds), projected, "{r}");
}

#[then(expr = "the drill is refused saying {string}")]
async fn refused(w: &mut World, why: String) {
    assert!(w.release.drill.is_none(), "the drill ran: {}", report(w));
    let e = w.release.drill_refused.as_deref().expect("the drill was refused");
    assert!(e.contains(&why), "{e}");
}

fn preview_projection(w: &World) -> stagegate::practice::preview::RollbackProjection {
    let rollback = w.release.rollback.as_ref().expect("a previewed rollback");
    let env = rollback.plan.environment;
    let dir = w.checkout_dir();
    let sizes = stagegate::practice::projection::TableSizes::load(&dir, env).expect("the usage file");
    let policy = stagegate::foundation::policy::Pipeline::load(&dir).expect("pipeline.yml");
    let model = stagegate::practice::projection::LatencyModel::for_repo(&dir).expect("the repo's timings");
    stagegate::practice::preview::RollbackProjection::new(
        &model,
        &rollback.plan,
        sizes,
        &policy.environment(env).rollback_rto,
    )
}

#[then(regex = r#"^the preview projects "([^"]+)" at (.+), and nothing else$"#)]
async fn preview_projects(w: &mut World, operation: String, projected: String) {
    let p = preview_projection(w);
    let ops: Vec<(&str, String)> = p.operations.iter().map(|o| (o.operation.as_str(), human(o.seconds))).collect();
    assert_eq!(ops, [(operation.as_str(), projected.clone())], "{p}");
    assert!(p.to_string().contains(&format!("{operation}: {projected}")), "{p}");
}

#[then(expr = "the preview's projection meets DEV's target {string}")]
async fn preview_meets(w: &mut World, target: String) {
    let p = preview_projection(w);
    assert!(p.met, "{p}");
    assert!(p.to_string().contains(&format!("target {target}: met")), "{p}");
}

#[then("the rollback's preview named exactly the operations its apply performed")]
async fn preview_matches_apply(w: &mut World) {
    let r = report(w);
    let apply = r.phases.iter().find(|p| p.name == "apply").expect("an apply phase");
    let mut applied: Vec<&str> = apply.operations.iter().map(|o| o.operation.as_str()).collect();
    let mut previewed: Vec<&str> = r.previewed.iter().map(String::as_str).collect();
    applied.sort_unstable();
    previewed.sort_unstable();
    assert!(!applied.is_empty(), "{r}");
    assert_eq!(previewed, applied, "{r}");
}

#[given(expr = "the working copy's {string} holds:")]
async fn working_copy_file(w: &mut World, file: String, step: &cucumber::gherkin::Step) {
    let text = step.docstring.as_ref().expect("the file's text");
    let path = w.workdir().join(&file);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, format!("{}\n", text.trim())).expect("write");
}

#[then(expr = "the drill projected {string} from a time measured on AWS")]
async fn projected_from_measurement(w: &mut World, operation: String) {
    let r = report(w);
    let op = r.phases.iter().flat_map(|p| &p.operations).find(|o| o.operation == operation);
    let op = op.unwrap_or_else(|| panic!("no {operation}: {r}"));
    assert_eq!(op.basis, stagegate::practice::projection::Basis::Measured, "{r}");
    assert!(r.to_string().contains(&format!("{operation}: {} (measured", human(op.seconds))), "{r}");
}

#[when(regex = r#"^"([^"]+)" is run in the (?:working copy|checkout)$"#)]
async fn run_in_working_copy(w: &mut World, command: String) {
    let args: Vec<&str> = command.strip_prefix("stagegate ").expect("a stagegate command").split(' ').collect();
    w.run_stagegate(&args).await;
}

#[then(expr = "the working copy has no {string}")]
async fn no_file(w: &mut World, file: String) {
    assert!(!w.workdir().join(&file).exists(), "{file} was written");
}
