//! Steps for the cost estimate (features/plan/cost.feature).

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use stagegate::engine::cost::{CostEstimate, estimate, plan_comment};
use stagegate::foundation::repo::Repo;

use super::{Env, World};

/// The last estimate, or why it was refused; and the last PR comment written.
#[derive(Debug, Default)]
pub struct Costs {
    estimate: Option<Result<CostEstimate, String>>,
    comment: Option<String>,
}

impl World {
    fn estimate(&self) -> &CostEstimate {
        match self.stage1.costs.estimate.as_ref().expect("an estimate was made") {
            Ok(e) => e,
            Err(e) => panic!("the estimate was refused: {e}"),
        }
    }
}

fn money(v: f64) -> String {
    format!("${v:.2}")
}

#[when(expr = "the cost of {env} is estimated")]
async fn estimated(w: &mut World, env: Env) {
    let repo = Repo::open(&w.workdir()).expect("the working copy");
    w.stage1.costs.estimate = Some(estimate(&repo, env.0).map_err(|e| e.to_string()));
}

#[then(regex = r"^the estimate is (\$[0-9.]+) per month$")]
async fn total_is(w: &mut World, total: String) {
    assert_eq!(money(w.estimate().monthly), total, "{}", w.estimate());
}

#[then("the estimate prices these resources:")]
async fn resources(w: &mut World, step: &Step) {
    let got: Vec<Vec<String>> =
        w.estimate().resources.iter().map(|r| vec![r.address.clone(), money(r.monthly)]).collect();
    let want: Vec<Vec<String>> = step.table.as_ref().expect("a table").rows.iter().skip(1).cloned().collect();
    assert_eq!(got, want);
}

#[then(expr = "no resource of the estimate has a {string} line")]
async fn no_line(w: &mut World, name: String) {
    assert!(w.estimate().resources.iter().flat_map(|r| &r.lines).all(|l| l.name != name), "{}", w.estimate());
}

#[then("every table of the estimate depends on usage not in the usage file")]
async fn usage_missing(w: &mut World) {
    let tables: Vec<_> =
        w.estimate().resources.iter().filter(|r| r.address.starts_with("aws_dynamodb_table.")).collect();
    assert_eq!(tables.len(), 3);
    assert!(tables.iter().all(|r| r.usage_missing && r.monthly == 0.0), "{}", w.estimate());
}

#[given(expr = "point-in-time recovery is switched off for {env} in the working copy")]
async fn pitr_off(w: &mut World, env: Env) {
    let path = w.workdir().join(format!("environments/{}.tfvars", env.0.name()));
    let text = std::fs::read_to_string(&path).expect("the environment file");
    let off = text.replace("enable_point_in_time_recovery = true", "enable_point_in_time_recovery = false");
    assert_ne!(off, text, "the sample turns PITR on");
    std::fs::write(&path, off).expect("written");
}

#[given(expr = "the working copy has no usage file for {env}")]
async fn no_usage(w: &mut World, env: Env) {
    std::fs::remove_file(w.workdir().join(stagegate::engine::cost::usage_file(env.0))).expect("removed");
}

#[given(regex = r#"^the SIT usage file of the working copy (.+)$"#)]
async fn usage_changed(w: &mut World, change: String) {
    let path = w.workdir().join("cost/usage-sit.yml");
    let text = std::fs::read_to_string(&path).expect("the usage file");
    let quoted: Vec<&str> = change.split('"').skip(1).step_by(2).collect();
    let text = if change.starts_with("also prices") {
        format!("{text}  {}:\n    storage_gb: 1\n", quoted[0])
    } else if change.starts_with("is replaced by") {
        quoted[0].to_owned()
    } else {
        let (key, table) = (quoted[0], quoted[1]);
        text.replacen(&format!("  {table}:\n"), &format!("  {table}:\n    {key}\n"), 1)
    };
    std::fs::write(&path, text).expect("written");
}

#[then(expr = "the estimate is refused with {string}")]
async fn refused(w: &mut World, message: String) {
    match w.stage1.costs.estimate.as_ref().expect("an estimate was made") {
        Ok(e) => panic!("estimated: {e}"),
        Err(e) => assert!(e.contains(&message), "{e}"),
    }
}

#[when("the PR comment of that plan is written with its cost estimate")]
async fn comment(w: &mut World) {
    let plan = w.release.plans.last().expect("a plan");
    let repo = Repo::open(&w.workdir()).expect("the working copy");
    let cost = estimate(&repo, plan.environment).expect("an estimate");
    w.stage1.costs.comment = Some(plan_comment(plan, &cost));
}

#[then(expr = "the PR comment says {string}")]
async fn says(w: &mut World, text: String) {
    let comment = w.stage1.costs.comment.as_ref().expect("a comment");
    assert!(comment.contains(&text), "{comment}");
}
