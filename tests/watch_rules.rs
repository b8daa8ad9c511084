//! Fast tests of R55's pre-approval rule, the watch policy and R56's drift rule.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use rstest::rstest;
use serde_json::json;
use stagegate::Environment;
use stagegate::engine::plan::{Action, AttributeChange, Cause, ComponentPlan, Plan, ResourceChange};
use stagegate::foundation::policy::Pipeline;
use stagegate::foundation::repo::Repo;
use stagegate::foundation::tickets::FileTickets;
use stagegate::foundation::watch_policy::{AutomatedRollback, Severity};
use stagegate::release::drift::drifted;
use stagegate::release::gate::{Approval, GateRequest};
use stagegate::release::ledger::{DeploymentRecord, Outcome, RecordKind, TestResults};
use stagegate::release::watch::preapproval::{
    PRE_APPROVAL_PREFIX, PreApprovalError, PreApprover, RollbackPreApproval, decide, pre_approvers,
};

/// 14:30 SAST on Thursday 3 December 2026, inside CHG0001234's window (14:00-16:00 SAST).
const DEPLOYED: &str = "2026-12-03T14:30:00+02:00";
const PROD_REVIEWERS: [&str; 3] = ["tech-lead", "product-owner", "devops-lead"];

fn policy() -> Pipeline {
    Pipeline::load(&Repo::sample_path()).expect("the sample policy")
}

fn tickets() -> FileTickets {
    FileTickets::load(&Repo::sample_path()).expect("the sample tickets")
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("an instant")
}

fn prod_request(approvers: &[&str]) -> GateRequest {
    let mut req = GateRequest::from_main(Environment::Prod, "release-bot", "0123456789abcdef", at(DEPLOYED), false);
    req.approvals = approvers.iter().map(|w| Approval { who: (*w).into(), at: Some(at(DEPLOYED)) }).collect();
    req.change_ticket = Some("CHG0001234".parse().expect("a ticket"));
    req.confirmation = Some("deploy-prod".into());
    req
}

fn record(id: &str) -> DeploymentRecord {
    DeploymentRecord {
        id: id.into(),
        kind: RecordKind::Deploy,
        environment: Environment::Prod,
        commit: "0123456789abcdef".into(),
        deployer: "release-bot".into(),
        approvers: PROD_REVIEWERS.iter().map(|s| (*s).to_owned()).collect(),
        trigger: "manual".into(),
        started: at(DEPLOYED),
        recorded: at(DEPLOYED),
        duration_ms: 1000,
        result: Outcome::Succeeded,
        tests: Some(TestResults { passed: true, summary: "ok".into() }),
        tag: Some("deploy-prod-20261203-123000".into()),
        error: None,
        committed: None,
        detected: None,
        states: Vec::new(),
    }
}

fn pre_approval(who: &[&str], given: Timestamp) -> RollbackPreApproval {
    RollbackPreApproval {
        environment: Environment::Prod,
        deployment: "d1".into(),
        deployer: "release-bot".into(),
        branch: Some("main".into()),
        trigger: "manual".into(),
        change_ticket: Some("CHG0001234".into()),
        pre_approved_by: who.iter().map(|w| PreApprover { who: (*w).into(), at: given }).collect(),
        recorded: given,
    }
}

#[test]
fn the_sample_policy_rolls_dev_and_prod_back_when_pre_approved_and_sit_never() {
    let p = policy();
    for env in [Environment::Dev, Environment::Prod] {
        let w = p.watch.environment(env);
        assert_eq!(w.automated_rollback, AutomatedRollback::PreApproved, "{env}");
        assert!(w.alarms.iter().any(|a| a.severity == Severity::Critical), "{env}");
    }
    assert_eq!(p.watch.environment(Environment::Sit).automated_rollback, AutomatedRollback::Never);
}

#[test]
fn the_deployments_own_approvers_may_pre_approve_at_their_times() {
    let req = prod_request(&PROD_REVIEWERS);
    let given = vec![
        Approval { who: "Tech-Lead".into(), at: None },
        Approval { who: "product-owner".into(), at: Some(at("2026-12-03T13:00:00+02:00")) },
    ];
    let pre = pre_approvers(&policy(), &req, &given).expect("allowed");
    assert_eq!(pre[0], PreApprover { who: "Tech-Lead".into(), at: at(DEPLOYED) });
    assert_eq!(pre[1].at, at("2026-12-03T13:00:00+02:00"));
}

#[rstest]
#[case::the_deployer("release-bot", "the deployer may not pre-approve")]
#[case::the_deployer_in_capitals("Release-Bot", "the deployer may not pre-approve")]
#[case::a_reviewer_who_did_not_approve("devops-lead", "devops-lead did not approve this deployment")]
#[case::someone_else("qa-lead", "qa-lead did not approve this deployment")]
fn others_may_not_pre_approve_a_prod_rollback(#[case] who: &str, #[case] why: &str) {
    let mut req = prod_request(&["tech-lead", "product-owner"]);
    req.approvals.push(Approval { who: "release-bot".into(), at: None });
    let err = pre_approvers(&policy(), &req, &[Approval { who: who.into(), at: None }]).unwrap_err();
    assert!(err.to_string().contains(why), "{err}");
}

#[test]
fn an_environment_that_never_rolls_back_automatically_takes_no_pre_approval() {
    let mut req = prod_request(&["tech-lead", "qa-lead"]);
    req.env = Environment::Sit;
    let err = pre_approvers(&policy(), &req, &[Approval { who: "qa-lead".into(), at: None }]).unwrap_err();
    assert_eq!(err, PreApprovalError::NotAllowed { env: Environment::Sit });
}

#[test]
fn in_dev_the_deployer_may_pre_approve_and_one_is_enough() {
    let mut req = prod_request(&["lead-developer"]);
    req.env = Environment::Dev;
    req.deployer = "lead-developer".into();
    let pre = pre_approvers(&policy(), &req, &[Approval { who: "lead-developer".into(), at: None }]).expect("allowed");
    assert_eq!(pre.len(), 1);
}

#[test]
fn without_a_pre_approval_r55_refuses() {
    let v = decide(&policy(), &tickets(), &record("d1"), None, "abcdef0", at("2026-12-03T14:40:00+02:00"), true);
    assert!(!v.allowed());
    assert!(v.refusals()[0].starts_with("R55: nobody pre-approved"), "{:?}", v.refusals());
    assert!(v.gate.is_none() && v.request.is_none());
}

#[test]
fn a_pre_approval_of_another_deployment_does_not_count() {
    let pre = pre_approval(&PROD_REVIEWERS, at("2026-12-03T12:30:00+02:00"));
    let v = decide(&policy(), &tickets(), &record("d2"), Some(&pre), "abcdef0", at("2026-12-03T14:40:00+02:00"), true);
    assert!(!v.allowed() && v.refusals()[0].starts_with("R55:"), "{:?}", v.refusals());
}

#[test]
fn three_pre_approvals_open_the_prod_rollback_gate_as_the_deployer_and_with_the_tickets_window() {
    let pre = pre_approval(&PROD_REVIEWERS, at("2026-12-03T12:30:00+02:00"));
    let v = decide(&policy(), &tickets(), &record("d1"), Some(&pre), "abcdef0", at("2026-12-03T14:40:00+02:00"), true);
    assert!(v.allowed(), "{:?}", v.refusals());
    let req = v.request.expect("the rollback's request");
    assert!(req.rollback && req.deployer == "release-bot" && req.confirmation.as_deref() == Some("rollback-prod"));
    assert_eq!(req.commit.as_deref(), Some("abcdef0"));
}

#[test]
fn prod_without_its_webhook_is_refused_by_f07() {
    let pre = pre_approval(&PROD_REVIEWERS, at("2026-12-03T12:30:00+02:00"));
    let v = decide(&policy(), &tickets(), &record("d1"), Some(&pre), "abcdef0", at("2026-12-03T14:40:00+02:00"), false);
    assert!(!v.allowed() && v.refusals().iter().any(|r| r.starts_with("F07:")), "{:?}", v.refusals());
}

proptest! {
    /// R55 with R16, R18 and R21: k of PROD's reviewers pre-approve at 12:30 SAST; a failure m
    /// minutes later may be rolled back automatically exactly when all three pre-approved, the
    /// pre-approvals are at most 24 hours old, and the instant is inside CHG0001234's window.
    #[test]
    fn automated_prod_rollbacks_need_three_fresh_pre_approvals_inside_the_ticket_window(
        k in 0usize..=3,
        minutes in 0i64..(26 * 60),
    ) {
        let given = at("2026-12-03T12:30:00+02:00");
        let pre = pre_approval(&PROD_REVIEWERS[..k], given);
        let found = given + SignedDuration::from_mins(minutes);
        let v = decide(&policy(), &tickets(), &record("d1"), Some(&pre), "abcdef0", found, true);
        let in_ticket = found >= at("2026-12-03T14:00:00+02:00") && found < at("2026-12-03T16:00:00+02:00");
        let fresh = minutes <= 24 * 60;
        prop_assert_eq!(v.allowed(), k == 3 && fresh && in_ticket, "{:?}", v.refusals());
    }
}

#[rstest]
#[case("watch:\n  prod:\n    automated_rollback: always\n", "automated_rollback")]
#[case("watch:\n  prod:\n    alarms:\n      - name: x\n        severity: fatal\n", "severity")]
#[case("watch:\n  prod:\n    poll_interval: 0m\n", "positive")]
#[case("watch:\n  staging: {}\n", "staging")]
#[case("watch:\n  prod:\n    alarms:\n      - name: \"\"\n        severity: critical\n", "alarm name")]
fn a_bad_watch_section_is_refused_with_its_line(#[case] section: &str, #[case] why: &str) {
    let path = Repo::sample_path().join("pipeline.yml");
    let text = std::fs::read_to_string(&path).expect("the sample policy");
    let start = text.find("\nwatch:\n").expect("a watch section");
    let text = format!("{}\n{section}", &text[..start]);
    let err = Pipeline::parse(&path, &text).unwrap_err().to_string();
    assert!(err.contains("pipeline.yml:") && err.contains(why), "{err}");
}

fn change(address: &str, action: Action, drift: bool, changes: Vec<AttributeChange>) -> ResourceChange {
    ResourceChange {
        address: address.into(),
        kind: "aws_dynamodb_table".into(),
        name: address.rsplit('.').next().unwrap_or_default().into(),
        action,
        reason: drift.then(|| "recorded in the state but missing: deleted outside stagegate".into()),
        changes,
        after: Default::default(),
        drift,
    }
}

fn attribute(name: &str, cause: Cause) -> AttributeChange {
    AttributeChange { name: name.into(), before: json!(false), after: json!(true), cause }
}

fn plan_of(resources: Vec<ResourceChange>) -> Plan {
    Plan {
        format: "stagegate-plan/1".into(),
        environment: Environment::Dev,
        account: Environment::Dev.account_id().into(),
        commit: None,
        created: at(DEPLOYED),
        expires: at(DEPLOYED),
        components: vec![ComponentPlan {
            component: "tenants".into(),
            state_key: "k".into(),
            lineage: Some("l".into()),
            serial: 1,
            resources,
            table: None,
        }],
    }
}

#[test]
fn drift_is_what_changed_outside_the_pipeline_and_not_what_the_repo_asks_for() {
    let plan = plan_of(vec![
        change(
            "aws_dynamodb_table.tenants",
            Action::Update,
            true,
            vec![attribute("point_in_time_recovery", Cause::Drift)],
        ),
        change("aws_dynamodb_table.products", Action::Update, false, vec![attribute("tags", Cause::Config)]),
        change(
            "aws_dynamodb_table.campaigns",
            Action::Update,
            false,
            vec![attribute("tags", Cause::Config), attribute("deletion_protection_enabled", Cause::Drift)],
        ),
        change("aws_dynamodb_table.gone", Action::Create, true, Vec::new()),
        change("aws_dynamodb_table.new", Action::Create, false, Vec::new()),
        change("aws_dynamodb_table.same", Action::NoOp, false, Vec::new()),
    ]);
    let found: Vec<(String, Vec<String>)> = drifted(&plan).into_iter().map(|d| (d.address, d.attributes)).collect();
    assert_eq!(
        found,
        vec![
            ("aws_dynamodb_table.tenants".to_owned(), vec!["point_in_time_recovery".to_owned()]),
            ("aws_dynamodb_table.campaigns".to_owned(), vec!["deletion_protection_enabled".to_owned()]),
            ("aws_dynamodb_table.gone".to_owned(), Vec::new()),
        ]
    );
}

/// Only a critical alarm in state ALARM fails a deployment; the rest are warnings or nothing.
#[rstest]
#[case(Severity::Critical, "ALARM", true)]
#[case(Severity::Critical, "OK", false)]
#[case(Severity::Critical, "INSUFFICIENT_DATA", false)]
#[case(Severity::Warning, "ALARM", false)]
#[case(Severity::Warning, "OK", false)]
fn only_a_critical_alarm_in_alarm_fails(#[case] severity: Severity, #[case] state: &str, #[case] fails: bool) {
    use stagegate::release::watch::alarms::AlarmState;
    let alarm =
        AlarmState { name: "errors".into(), severity, state: state.into(), reason: String::new(), changed: None };
    assert_eq!(alarm.fails(), fails);
}

/// A watch that cannot start on what it was given is bad input (2); one that cannot read the
/// alarms could not look (3).
#[test]
fn a_watch_error_exits_by_the_contract() {
    use stagegate::release::watch::WatchError;
    use stagegate::release::watch::alarms::AlarmError;
    let nothing = WatchError::NothingToWatch { env: Environment::Prod };
    assert_eq!((nothing.exit_code(), nothing.to_string().as_str()), (2, "PROD has no deployment to watch"));
    assert_eq!(WatchError::BadDuration { flag: "--window", reason: "not a duration".into() }.exit_code(), 2);
    let unreadable = AlarmError::Unreadable { account: "093646564004".into(), detail: "AccessDenied".into() };
    assert_eq!(WatchError::Alarms(unreadable).exit_code(), 3);
}

/// What a watch prints: what it watched, and either health or the failure and what was done.
#[test]
fn a_watch_report_says_what_it_watched_and_found() {
    use stagegate::release::watch::{Failure, WatchReport};
    let started: Timestamp = DEPLOYED.parse().unwrap();
    let mut report = WatchReport::new(&record("d-1"), started, SignedDuration::from_mins(15));
    report.looks = 3;
    report.last_look = started + SignedDuration::from_mins(15);
    report.warnings = vec!["warning: latency above target".into()];
    assert!(report.healthy() && !report.rolled_back());
    let text = report.to_string();
    assert!(
        text.starts_with("watching PROD deployment deploy-prod-20261203-123000 from 2026-12-03T12:30:00Z for "),
        "{text}"
    );
    assert!(text.contains("warning: latency above target\n"), "{text}");
    assert!(
        text.ends_with(
            "healthy: 3 looks, the last at 2026-12-03T12:45:00Z, no critical alarm, post-deploy tests passing\n"
        ),
        "{text}"
    );

    let detected = started + SignedDuration::from_mins(5);
    report.failure =
        Some(Failure { signal: "alarm errors".into(), detail: "ALARM".into(), detected, alarm_changed: None });
    report.action = "no automated rollback: no pre-approval".into();
    report.mttr_ms = Some(90_000);
    assert!(!report.healthy() && !report.rolled_back());
    let text = report.to_string();
    assert!(text.contains("FAILING at 2026-12-03T12:35:00Z (look 3): alarm errors: ALARM\n"), "{text}");
    assert!(text.contains("no automated rollback: no pre-approval\n"), "{text}");
    assert!(text.contains("MTTR ") && text.contains("(detection to passing tests after the rollback)"), "{text}");
}

/// Each deployment's pre-approval has an object of its own under the environment's prefix, so
/// two watched deployments never share one.
#[test]
fn a_pre_approval_is_kept_per_environment_and_deployment() {
    let key = RollbackPreApproval::key;
    assert_eq!(key(Environment::Prod, "deploy-prod-1"), format!("{PRE_APPROVAL_PREFIX}prod/deploy-prod-1.json"));
    assert_ne!(key(Environment::Prod, "deploy-prod-1"), key(Environment::Prod, "deploy-prod-2"));
    assert_ne!(key(Environment::Prod, "deploy-1"), key(Environment::Sit, "deploy-1"));
}
