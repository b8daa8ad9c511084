//! R57, the cost alert: the threshold as pipeline.yml writes it, and the gate's verdict on a
//! plan's monthly cost change, without AWS.

use std::path::Path;

use proptest::prelude::*;
use rstest::rstest;
use stagegate::Environment;
use stagegate::engine::cost_change::CostChange;
use stagegate::foundation::policy::Pipeline;
use stagegate::release::cost_gate::rule;
use stagegate::release::gate::{Approval, GateRequest, Verdict};

const AT: &str = "2026-12-03T10:30:00Z";

fn policy_with(section: &str) -> Result<Pipeline, String> {
    let sample = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/repo/pipeline.yml"))
        .expect("the sample pipeline.yml");
    Pipeline::parse(Path::new("pipeline.yml"), &format!("{sample}\n{section}")).map_err(|e| e.to_string())
}

fn alert(threshold: &str) -> Pipeline {
    policy_with(&format!("cost_alert:\n  monthly_increase: {threshold}\n  approvers: [finance-lead]\n")).expect("valid")
}

fn change(env: Environment, current: f64, planned: f64) -> CostChange {
    CostChange { environment: env, currency: "USD".into(), current, planned }
}

fn request(env: Environment, approvers: &[&str], rollback: bool) -> GateRequest {
    let at = AT.parse().expect("an instant");
    let mut req = GateRequest::from_main(env, "release-bot", "5e1f0c2", at, rollback);
    req.approvals = approvers.iter().map(|who| Approval { who: (*who).into(), at: Some(at) }).collect();
    req
}

#[rstest]
#[case("50", 5000)]
#[case("12.50", 1250)]
#[case("0", 0)]
#[case("0.01", 1)]
fn a_threshold_is_an_amount_in_cents(#[case] written: &str, #[case] cents: u64) {
    assert_eq!(alert(written).cost_alert.expect("a cost alert").monthly_increase.cents, cents);
}

#[rstest]
#[case("lots")]
#[case("-5")]
#[case("2.555")]
#[case("\"50\"")]
#[case(".inf")]
fn a_threshold_that_is_not_an_amount_is_refused_at_its_line(#[case] written: &str) {
    let e =
        policy_with(&format!("cost_alert:\n  monthly_increase: {written}\n  approvers: [finance-lead]\n")).unwrap_err();
    assert!(e.starts_with("pipeline.yml:150:3: "), "{e}");
    assert!(e.contains("is not an amount per month"), "{e}");
}

#[test]
fn a_cost_alert_nobody_could_approve_is_refused() {
    let e = policy_with("cost_alert:\n  monthly_increase: 5\n  approvers: []\n").unwrap_err();
    assert!(e.contains("nobody could approve"), "{e}");
    // PROD needs 4 approvals above the threshold; its 3 reviewers alone cannot give them.
    let e = policy_with("cost_alert:\n  monthly_increase: 5\n  approvers: [product-owner]\n").unwrap_err();
    assert!(e.contains("PROD needs 4 approvals, but only 3 people"), "{e}");
}

#[test]
fn without_a_cost_alert_there_is_no_rule() {
    let policy = policy_with("").expect("the sample");
    assert!(
        rule(&policy, &request(Environment::Dev, &["lead-developer"], false), &change(Environment::Dev, 0.0, 99.0))
            .is_none()
    );
}

#[rstest]
// At the threshold is not above it.
#[case(Environment::Dev, 0.0, 5.0, &["lead-developer"], Verdict::Pass)]
#[case(Environment::Dev, 10.0, 15.01, &["lead-developer"], Verdict::Fail)]
#[case(Environment::Dev, 0.0, 5.01, &["lead-developer", "finance-lead"], Verdict::Pass)]
// Two reviewers of SIT and the cost approver make three of three.
#[case(Environment::Sit, 0.0, 60.0, &["tech-lead", "qa-lead", "finance-lead"], Verdict::Pass)]
#[case(Environment::Sit, 0.0, 60.0, &["tech-lead", "finance-lead"], Verdict::Fail)]
// A cost reduction never needs the cost approver.
#[case(Environment::Prod, 100.0, 0.0, &["tech-lead"], Verdict::Pass)]
// PROD's three reviewers and the cost approver, none of them the deployer, make four of four.
#[case(Environment::Prod, 0.0, 60.0, &["tech-lead", "product-owner", "devops-lead", "finance-lead"], Verdict::Pass)]
// Someone who is neither a reviewer nor a cost approver does not count.
#[case(Environment::Dev, 0.0, 60.0, &["lead-developer", "intern"], Verdict::Fail)]
fn above_the_threshold_the_gate_needs_one_more_approval_one_of_them_a_cost_approval(
    #[case] env: Environment,
    #[case] current: f64,
    #[case] planned: f64,
    #[case] approvers: &[&str],
    #[case] verdict: Verdict,
) {
    let got = rule(&alert("5"), &request(env, approvers, false), &change(env, current, planned)).expect("a verdict");
    assert_eq!(got.verdict, verdict, "{}", got.detail);
    assert_eq!(got.rule, "R57");
}

#[test]
fn the_deployer_cannot_be_the_cost_approval_where_self_review_is_prevented() {
    let policy = policy_with("cost_alert:\n  monthly_increase: 5\n  approvers: [finance-lead]\n").expect("valid");
    let mut req = request(Environment::Prod, &["tech-lead", "product-owner", "devops-lead", "finance-lead"], false);
    req.deployer = "finance-lead".into();
    let got = rule(&policy, &req, &change(Environment::Prod, 0.0, 60.0)).expect("a verdict");
    assert_eq!(got.verdict, Verdict::Fail, "{}", got.detail);
}

#[test]
fn an_expired_cost_approval_does_not_count() {
    let policy = alert("5");
    let mut req = request(Environment::Dev, &["lead-developer", "finance-lead"], false);
    req.approvals[1].at = Some("2026-12-01T10:00:00Z".parse().expect("an instant"));
    let got = rule(&policy, &req, &change(Environment::Dev, 0.0, 60.0)).expect("a verdict");
    assert_eq!(got.verdict, Verdict::Fail, "{}", got.detail);
}

#[test]
fn a_rollback_is_not_held_to_the_threshold() {
    let got = rule(&alert("5"), &request(Environment::Prod, &[], true), &change(Environment::Prod, 0.0, 999.0))
        .expect("a verdict");
    assert_eq!(got.verdict, Verdict::NotChecked);
}

proptest! {
    /// The alert fires exactly when the change, in cents, is above the threshold.
    #[test]
    fn the_alert_fires_only_above_the_threshold(current in 0u32..100_000, planned in 0u32..100_000, threshold in 0u32..10_000) {
        let policy = alert(&format!("{}.{:02}", threshold / 100, threshold % 100));
        let a = policy.cost_alert.as_ref().expect("a cost alert");
        let c = change(Environment::Dev, f64::from(current) / 100.0, f64::from(planned) / 100.0);
        prop_assert_eq!(c.exceeds(a), i64::from(planned) - i64::from(current) > i64::from(threshold));
    }
}

/// R06, the cost estimate as the plan's PR comment and the terminal show it, from the sample
/// repo's price list and usage files.
mod estimates {
    use stagegate::Environment;
    use stagegate::engine::cost::{CostEstimate, estimate, markdown, plan_comment};
    use stagegate::engine::plan;
    use stagegate::foundation::repo::{Repo, copy_tree};

    fn of(root: &std::path::Path, env: Environment) -> CostEstimate {
        estimate(&Repo::open(root).expect("a repo"), env).expect("an estimate")
    }

    fn dollars(v: f64) -> String {
        format!("${v:.2}")
    }

    #[test]
    fn the_pr_comment_shows_the_total_and_each_resource() {
        let e = of(&Repo::sample_path(), Environment::Dev);
        assert!(e.monthly > 0.0 && !e.resources.is_empty());
        let sum: f64 = e.resources.iter().map(|r| r.monthly).sum();
        assert!((e.monthly - sum).abs() < 1e-9);
        let md = markdown(&e);
        assert!(md.starts_with("#### Cost estimate: `dev` (af-south-1)\n"), "{md}");
        let total = format!("**{} per month** ({}, prices as of {}).", dollars(e.monthly), e.currency, e.prices_as_of);
        assert!(md.contains(&total), "{md}");
        for r in &e.resources {
            assert!(md.contains(&format!("| `{}` | {} | ", r.address, dollars(r.monthly))), "{}: {md}", r.address);
            for l in &r.lines {
                assert!(md.contains(&format!("{} {}", l.name, dollars(l.monthly))), "{}: {md}", l.name);
            }
        }
        assert!(md.ends_with("Usage from `cost/usage-dev.yml`.\n"), "{md}");
    }

    #[test]
    fn the_terminal_shows_the_total_each_resource_and_each_line() {
        let e = of(&Repo::sample_path(), Environment::Prod);
        let text = e.to_string();
        let first = format!("PROD ({}): {} per month, prices as of {}", e.region, dollars(e.monthly), e.prices_as_of);
        assert_eq!(text.lines().next(), Some(first.as_str()), "{text}");
        for r in &e.resources {
            let line = text.lines().find(|l| l.trim_start().starts_with(&r.address)).expect("the resource's line");
            assert!(line.trim_end().ends_with(&dollars(r.monthly)), "{line}");
        }
        let lines: usize = e.resources.iter().map(|r| 1 + r.lines.len()).sum();
        assert_eq!(text.lines().count(), 1 + lines, "{text}");
    }

    #[test]
    fn without_a_usage_file_usage_based_costs_are_named_not_guessed() {
        let repo = tempfile::tempdir().unwrap();
        copy_tree(&Repo::sample_path(), repo.path()).unwrap();
        std::fs::remove_file(repo.path().join("cost/usage-sit.yml")).unwrap();
        let e = of(repo.path(), Environment::Sit);
        assert!(e.usage_file.is_none() && e.resources.iter().any(|r| r.usage_missing));
        let md = markdown(&e);
        assert!(md.contains("depends on usage not in the usage file"), "{md}");
        assert!(md.ends_with("No `cost/usage-sit.yml`: usage-based costs are not estimated.\n"), "{md}");
        assert!(e.to_string().contains("(depends on usage not in the usage file)"));
    }

    #[test]
    fn the_plan_comment_is_the_plan_then_its_cost() {
        let e = of(&Repo::sample_path(), Environment::Dev);
        let plan = super::dev_plan(Vec::new());
        let comment = plan_comment(&plan, &e);
        assert!(comment.starts_with(&plan::markdown(&plan)), "{comment}");
        assert!(comment.ends_with(&markdown(&e)), "{comment}");
    }
}

/// R57's cost change of a plan: what exists now against what the plan leads to, priced with
/// the sample repo's price list and usage file.
mod cost_change {
    use serde_json::Value;
    use stagegate::Environment;
    use stagegate::engine::cost::estimate;
    use stagegate::engine::cost_change::{CostChange, markdown, of_plan};
    use stagegate::engine::desired::DesiredEnvironment;
    use stagegate::engine::plan::{Action, AttributeChange, Cause, ComponentPlan, Plan, ResourceChange, diff_resource};
    use stagegate::foundation::repo::Repo;

    fn sample() -> Repo {
        Repo::open(&Repo::sample_path()).expect("the sample repo")
    }

    /// A plan for DEV whose every resource gets `action`, made from each desired resource
    /// as if nothing existed, then `edit`ed.
    fn plan_of(repo: &Repo, edit: impl Fn(&mut ResourceChange)) -> Plan {
        let desired = DesiredEnvironment::load(repo, Environment::Dev).expect("DEV's resources");
        let components = desired
            .components
            .iter()
            .map(|c| ComponentPlan {
                component: c.component.name().to_owned(),
                state_key: String::new(),
                lineage: None,
                serial: 0,
                resources: c
                    .resources
                    .iter()
                    .map(|r| {
                        let mut change = diff_resource(r, None, None);
                        edit(&mut change);
                        change
                    })
                    .collect(),
                table: None,
            })
            .collect();
        super::dev_plan(components)
    }

    fn dev_total() -> f64 {
        let e = estimate(&sample(), Environment::Dev).expect("an estimate");
        assert!(e.monthly > 0.0);
        e.monthly
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn creating_everything_costs_the_whole_estimate_from_nothing() {
        let change = of_plan(&sample(), &plan_of(&sample(), |c| assert_eq!(c.action, Action::Create))).unwrap();
        assert_eq!(change.current.to_bits(), 0.0f64.to_bits(), "nothing exists: {change:?}");
        assert!(close(change.planned, dev_total()), "{change:?}");
        assert_eq!(change.currency, "USD");
        assert_eq!(change.environment, Environment::Dev);
    }

    /// The sample repo without DEV's usage file: a usage file may only name what the plan
    /// leaves in place, so a plan that removes everything is priced without one.
    fn without_usage() -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        stagegate::foundation::repo::copy_tree(&Repo::sample_path(), dir.path()).unwrap();
        std::fs::remove_file(dir.path().join("cost/usage-dev.yml")).unwrap();
        let repo = Repo::open(dir.path()).expect("a repo");
        (dir, repo)
    }

    #[test]
    fn deleting_everything_leaves_nothing_to_pay_for() {
        let (_dir, repo) = without_usage();
        let change = of_plan(&repo, &plan_of(&repo, |c| c.action = Action::Delete)).unwrap();
        let now = estimate(&repo, Environment::Dev).expect("an estimate").monthly;
        assert!(now > 0.0, "a DEV estimate without usage that is not nothing: {now}");
        assert!(close(change.current, now), "{change:?}");
        assert_eq!(change.planned.to_bits(), 0.0f64.to_bits(), "nothing is left: {change:?}");
    }

    #[test]
    fn a_plan_that_changes_nothing_costs_nothing_shown_without_a_minus_sign() {
        let (_dir, repo) = without_usage();
        let mut plan = plan_of(&repo, |_| {});
        plan.components.clear();
        let change = of_plan(&repo, &plan).unwrap();
        assert_eq!((change.current.to_bits(), change.planned.to_bits()), (0, 0), "{change:?}");
        let md = markdown(&change, None, 1);
        assert!(md.starts_with("**Monthly cost change: +$0.00** ($0.00 now, $0.00 once applied; USD)."), "{md}");
    }

    #[test]
    fn an_update_is_priced_as_its_attributes_were_before_and_will_be_after() {
        let repo = sample();
        // Every table had point-in-time recovery off; the plan turns it on.
        let pitr = |c: &mut ResourceChange| {
            c.action = Action::Update;
            if c.after.get("point_in_time_recovery") == Some(&Value::Bool(true)) {
                c.changes.push(AttributeChange {
                    name: "point_in_time_recovery".into(),
                    before: Value::Bool(false),
                    after: Value::Bool(true),
                    cause: Cause::Config,
                });
            }
        };
        let plan = plan_of(&repo, pitr);
        assert!(plan.components.iter().flat_map(|c| &c.resources).any(|r| !r.changes.is_empty()));
        let change = of_plan(&repo, &plan).unwrap();
        assert!(close(change.planned, dev_total()), "{change:?}");
        assert!(change.current > 0.0 && change.current < change.planned, "backups cost more: {change:?}");
        let unchanged = of_plan(&repo, &plan_of(&repo, |c| c.action = Action::Update)).unwrap();
        assert!(close(unchanged.current, unchanged.planned), "{unchanged:?}");
    }

    fn change(current: f64, planned: f64) -> CostChange {
        CostChange { environment: Environment::Prod, currency: "USD".into(), current, planned }
    }

    #[test]
    fn the_change_is_signed_and_rounded_to_the_cent() {
        assert_eq!(change(10.0, 12.61).signed(), "+$2.61");
        assert_eq!(change(10.0, 9.6).signed(), "-$0.40");
        assert_eq!(change(3.0, 3.0).signed(), "+$0.00");
        assert_eq!(change(3.0, 2.999).signed(), "+$0.00");
    }

    #[test]
    fn the_pr_comment_gives_the_change_both_totals_and_the_alerts_verdict() {
        let policy = super::alert("5");
        let alert = policy.cost_alert.as_ref();
        let above = markdown(&change(10.0, 15.01), alert, 3);
        assert_eq!(
            above,
            "**Monthly cost change: +$5.01** ($10.00 now, $15.01 once applied; USD).\n\n\
             :warning: Above the $5.00 cost alert threshold: deploying to `prod` needs 4 approvals, one of them from finance-lead.\n"
        );
        let within = markdown(&change(10.0, 15.0), alert, 3);
        assert_eq!(
            within,
            "**Monthly cost change: +$5.00** ($10.00 now, $15.00 once applied; USD).\n\nWithin the $5.00 cost alert threshold.\n"
        );
        assert_eq!(
            markdown(&change(10.0, 15.0), None, 3),
            "**Monthly cost change: +$5.00** ($10.00 now, $15.00 once applied; USD).\n"
        );
    }

    #[test]
    fn the_plans_pr_comment_is_the_plan_its_estimate_and_its_cost_change() {
        use stagegate::engine::cost::markdown as estimate_markdown;
        use stagegate::engine::cost_change::pr_comment;
        let repo = sample();
        let plan = plan_of(&repo, |_| {});
        let estimate = estimate(&repo, Environment::Dev).expect("an estimate");
        let change = of_plan(&repo, &plan).unwrap();
        let policy = super::alert("5");
        let expected = format!(
            "{}\n{}\n{}",
            stagegate::engine::plan::markdown(&plan),
            estimate_markdown(&estimate),
            markdown(&change, policy.cost_alert.as_ref(), 1)
        );
        assert_eq!(pr_comment(&plan, &estimate, &change, Some(&policy)), expected);
        let without = pr_comment(&plan, &estimate, &change, None);
        assert!(without.ends_with(&markdown(&change, None, 1)), "{without}");
        assert!(!without.contains("cost alert threshold"), "{without}");
    }
}

/// A DEV plan of `components`, made at a fixed instant.
fn dev_plan(components: Vec<stagegate::engine::plan::ComponentPlan>) -> stagegate::engine::plan::Plan {
    let at: jiff::Timestamp = AT.parse().expect("an instant");
    stagegate::engine::plan::Plan {
        format: "stagegate-plan/1".into(),
        environment: Environment::Dev,
        account: Environment::Dev.account_id().into(),
        commit: None,
        created: at,
        expires: at,
        components,
    }
}
