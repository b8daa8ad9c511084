//! Steps for the cost alert (features/plan/cost_alert.feature).

use cucumber::{given, then, when};
use stagegate::engine::cost::estimate;
use stagegate::engine::cost_change::{of_plan, pr_comment};
use stagegate::foundation::policy::Pipeline;
use stagegate::release::gate::Verdict;

use super::World;

/// Appends a `cost_alert:` section to the checkout's pipeline.yml.
fn append_alert(w: &World, threshold: &str, approver: &str) {
    let path = w.checkout_dir().join("pipeline.yml");
    let mut text = std::fs::read_to_string(&path).expect("pipeline.yml");
    text.push_str(&format!("\ncost_alert:\n  monthly_increase: {threshold}\n  approvers: [{approver}]\n"));
    std::fs::write(&path, text).expect("written");
}

#[given(
    regex = r#"^pipeline.yml of the checkout raises a cost alert above \$([0-9.]+) a month, approved by "([a-z-]+)"$"#
)]
async fn alert(w: &mut World, threshold: String, approver: String) {
    append_alert(w, &threshold, &approver);
}

#[given(expr = "pipeline.yml of the checkout sets the cost alert threshold to {string}")]
async fn threshold(w: &mut World, value: String) {
    append_alert(w, &value, "finance-lead");
}

#[when("the PR comment of that plan is written with its cost change")]
async fn comment(w: &mut World) {
    let plan = w.release.plans.last().expect("a plan");
    let repo = w.working_copy();
    let cost = estimate(&repo, plan.environment).expect("an estimate");
    let change = of_plan(&repo, plan).expect("a cost change");
    let policy = Pipeline::load(repo.root()).expect("the policy");
    w.dr.cost_comment = Some(pr_comment(plan, &cost, &change, Some(&policy)));
}

#[then(expr = "the PR comment shows {string}")]
async fn shows(w: &mut World, text: String) {
    let comment = w.dr.cost_comment.as_ref().expect("a comment");
    assert!(comment.contains(&text), "{comment}");
}

#[then(regex = r#"^the gate's rule (R\d\d) passed saying "([^"]+)"$"#)]
async fn rule_passed(w: &mut World, rule: String, why: String) {
    let d = w.release.deployments.last().expect("a deployment ran");
    let r = d.verdict.rule(&rule).unwrap_or_else(|| panic!("no {rule} in\n{}", d.verdict));
    assert!(r.verdict == Verdict::Pass && r.detail.contains(&why), "{}", d.verdict);
}
