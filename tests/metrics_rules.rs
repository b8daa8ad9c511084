//! The KPIs of LLD 7.10.1 (R49) and the dashboard of 7.10.2 (R50), computed from records
//! built in memory: no emulator needed.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use rstest::rstest;
use stagegate::Environment;
use stagegate::checks::template::html::HtmlDocument;
use stagegate::observe::dashboard::{Dashboard, escape};
use stagegate::observe::metrics::{Metric, Value, Verdict, Window, compute, human};
use stagegate::release::ledger::{CheckKind, CheckRecord, DeploymentRecord, Outcome, RecordKind, TestResults};

const NOW: &str = "2026-12-03T12:00:00Z";

fn now() -> Timestamp {
    NOW.parse().expect("an instant")
}

fn record(env: Environment, kind: RecordKind, started: Timestamp, minutes: i64, green: bool) -> DeploymentRecord {
    DeploymentRecord {
        id: format!("{env}-{started}"),
        kind,
        environment: env,
        commit: "0123456789abcdef".into(),
        deployer: "release-bot".into(),
        approvers: vec!["tech-lead".into()],
        trigger: "manual".into(),
        started,
        recorded: started,
        duration_ms: u64::try_from(minutes * 60_000).expect("non-negative"),
        result: Outcome::Succeeded,
        tests: Some(TestResults { passed: green, summary: String::new() }),
        tag: None,
        error: None,
        committed: None,
        detected: None,
        states: Vec::new(),
    }
}

fn deploy(env: Environment, days_ago: i64, green: bool) -> DeploymentRecord {
    record(env, RecordKind::Deploy, now() - SignedDuration::from_hours(24 * days_ago), 5, green)
}

fn window() -> Window {
    Window::last_days(now(), 30)
}

fn percent(v: Option<Value>) -> f64 {
    match v {
        Some(Value::Percent(p)) => p,
        other => panic!("not a percentage: {other:?}"),
    }
}

#[test]
fn an_empty_window_has_no_data_for_every_kpi() {
    let m = compute(&[], &[], window());
    for k in &m.kpis {
        assert_eq!(k.verdict, Verdict::NoData, "{k:?}");
        assert_eq!(k.value, None, "{k:?}");
    }
    assert_eq!(m.success_rate(), None);
    assert_eq!(m.rollback_rate(), None);
}

#[rstest]
#[case::exactly_30_days_before(SignedDuration::from_hours(24 * 30), true)]
#[case::one_second_more(SignedDuration::from_hours(24 * 30) + SignedDuration::from_secs(1), false)]
#[case::now(SignedDuration::ZERO, true)]
#[case::one_second_after_now(SignedDuration::from_secs(-1), false)]
fn the_window_holds_the_last_30_days_inclusive(#[case] before_now: SignedDuration, #[case] counted: bool) {
    let r = record(Environment::Dev, RecordKind::Deploy, now() - before_now, 5, true);
    let m = compute(&[r], &[], window());
    assert_eq!(m.deployments, usize::from(counted));
}

#[rstest]
#[case::all_green(20, 0, Verdict::Met)]
#[case::one_in_twenty_failed_is_exactly_95(19, 1, Verdict::Missed)]
#[case::one_in_twenty_one_failed(20, 1, Verdict::Met)]
#[case::half(1, 1, Verdict::Missed)]
fn the_success_rate_must_be_above_95_percent(#[case] green: usize, #[case] red: usize, #[case] verdict: Verdict) {
    let records: Vec<_> = (0..green)
        .map(|i| deploy(Environment::Dev, i as i64 % 20, true))
        .chain((0..red).map(|i| deploy(Environment::Sit, i as i64 % 20, false)))
        .collect();
    let m = compute(&records, &[], window());
    assert_eq!(m.kpi(Metric::DeploymentSuccessRate).verdict, verdict);
    let expected = green as f64 * 100.0 / (green + red) as f64;
    assert!((percent(m.kpi(Metric::DeploymentSuccessRate).value) - expected).abs() < 1e-9);
}

#[rstest]
#[case::nine_minutes(9, Verdict::Met)]
#[case::ten_minutes_is_not_under_ten(10, Verdict::Missed)]
#[case::twelve_minutes(12, Verdict::Missed)]
fn the_slowest_environment_average_decides_the_deploy_time(#[case] prod_minutes: i64, #[case] verdict: Verdict) {
    let t = now() - SignedDuration::from_hours(1);
    let records = [
        record(Environment::Dev, RecordKind::Deploy, t, 2, true),
        record(Environment::Dev, RecordKind::Deploy, t, 4, true),
        record(Environment::Prod, RecordKind::Deploy, t, prod_minutes, true),
    ];
    let m = compute(&records, &[], window());
    assert_eq!(m.environments[0].average_deploy_ms, Some(3 * 60_000));
    assert_eq!(m.environments[1].average_deploy_ms, None);
    assert_eq!(m.environments[2].average_deploy_ms, Some(prod_minutes * 60_000));
    let k = m.kpi(Metric::AverageDeploymentTime);
    assert_eq!(k.verdict, verdict);
    assert_eq!(k.basis, format!("slowest environment PROD; DEV 3m, PROD {prod_minutes}m"));
}

#[rstest]
#[case::one_in_twenty(19, 1, Verdict::Missed)]
#[case::one_in_twenty_one(20, 1, Verdict::Met)]
#[case::none(5, 0, Verdict::Met)]
fn the_rollback_rate_is_rollbacks_among_everything_deployed(
    #[case] deploys: usize,
    #[case] rollbacks: usize,
    #[case] verdict: Verdict,
) {
    let t = now() - SignedDuration::from_hours(2);
    let records: Vec<_> = (0..deploys)
        .map(|_| record(Environment::Dev, RecordKind::Deploy, t, 3, true))
        .chain((0..rollbacks).map(|_| record(Environment::Sit, RecordKind::Rollback, t, 3, true)))
        .collect();
    let m = compute(&records, &[], window());
    assert_eq!(m.kpi(Metric::RollbackRate).verdict, verdict);
    assert_eq!(m.environments[1].rollbacks, rollbacks);
    assert_eq!(m.deployments, deploys, "rollbacks are not counted as deployments");
}

#[rstest]
#[case::twenty_hours(20, Verdict::Met)]
#[case::a_day_is_not_under_a_day(24, Verdict::Missed)]
fn merge_to_prod_runs_from_the_commit_to_the_first_green_prod_deployment(#[case] hours: i64, #[case] verdict: Verdict) {
    let done = now() - SignedDuration::from_hours(1);
    let mut first = record(Environment::Prod, RecordKind::Deploy, done - SignedDuration::from_mins(5), 5, true);
    first.committed = Some(done - SignedDuration::from_hours(hours));
    let mut again = first.clone();
    again.started = done + SignedDuration::from_mins(30);
    // The same commit's SIT deployment ended before either: it is not the commit reaching PROD.
    let mut sit = first.clone();
    sit.environment = Environment::Sit;
    sit.started = done - SignedDuration::from_hours(3);
    // Listed later first: the earliest PROD deployment counts, wherever it stands.
    let m = compute(&[sit, again, first], &[], window());
    let k = m.kpi(Metric::MergeToProd);
    assert_eq!(k.value, Some(Value::Duration { ms: hours * 3_600_000 }), "{k:?}");
    assert_eq!(k.verdict, verdict);
}

#[test]
fn a_deployment_without_a_merge_time_gives_no_merge_to_prod() {
    let m = compute(&[deploy(Environment::Prod, 1, true)], &[], window());
    assert_eq!(m.kpi(Metric::MergeToProd).verdict, Verdict::NoData);
}

#[rstest]
#[case::twelve_minutes(12, Verdict::Met)]
#[case::fifteen_minutes_is_not_under_fifteen(15, Verdict::Missed)]
fn time_to_rollback_runs_from_detection_to_the_end_of_the_rollback(#[case] minutes: i64, #[case] verdict: Verdict) {
    let start = now() - SignedDuration::from_hours(3);
    let mut r = record(Environment::Prod, RecordKind::Rollback, start, 4, true);
    r.detected = Some(start - SignedDuration::from_mins(minutes - 4));
    let undetected = record(Environment::Sit, RecordKind::Rollback, start, 1, true);
    let m = compute(&[r, undetected], &[], window());
    let k = m.kpi(Metric::TimeToRollback);
    assert_eq!(k.value, Some(Value::Duration { ms: minutes * 60_000 }), "{k:?}");
    assert_eq!(k.verdict, verdict);
    assert!(k.basis.starts_with("1 of 2 rollbacks"), "{}", k.basis);
}

#[rstest]
#[case::all_passed(&[true, true, true], Verdict::Met)]
#[case::one_failed(&[true, false, true], Verdict::Missed)]
fn check_pass_rates_must_be_100_percent(#[case] runs: &[bool], #[case] verdict: Verdict) {
    let t = now() - SignedDuration::from_hours(5);
    let of = |kind, runs: &[bool]| -> Vec<CheckRecord> {
        runs.iter().map(|&passed| CheckRecord::new(kind, None, t, passed, usize::from(!passed))).collect()
    };
    // Each KPI reads its own kind of check: the other kind's runs all pass.
    let checks = [of(CheckKind::Validation, runs), of(CheckKind::SecurityScan, &[true])].concat();
    let m = compute(&[], &checks, window());
    assert_eq!(m.kpi(Metric::ValidationPassRate).verdict, verdict);
    assert_eq!(m.kpi(Metric::SecurityScanPassRate).verdict, Verdict::Met);
    let checks = [of(CheckKind::SecurityScan, runs), of(CheckKind::Validation, &[true, true])].concat();
    let m = compute(&[], &checks, window());
    assert_eq!(m.kpi(Metric::SecurityScanPassRate).verdict, verdict);
    let k = m.kpi(Metric::ValidationPassRate);
    assert_eq!((k.verdict, k.basis.as_str()), (Verdict::Met, "2 of 2 validations passed"));
    assert_eq!(m.kpi(Metric::DeploymentSuccessRate).verdict, Verdict::NoData);
}

#[test]
fn an_old_record_without_the_new_fields_still_reads() {
    let mut value = serde_json::to_value(deploy(Environment::Dev, 1, true)).expect("serialises");
    let object = value.as_object_mut().expect("an object");
    object.remove("committed");
    object.remove("detected");
    let r: DeploymentRecord = serde_json::from_value(value).expect("an old record reads");
    assert_eq!((r.committed, r.detected), (None, None));
}

#[test]
fn the_terminal_dashboard_draws_the_box_and_bars_scaled_to_the_busiest_environment() {
    let records: Vec<_> = (0..4)
        .map(|i| deploy(Environment::Dev, i, true))
        .chain((0..2).map(|i| deploy(Environment::Sit, i, true)))
        .chain([deploy(Environment::Prod, 1, true), record(Environment::Dev, RecordKind::Rollback, now(), 1, true)])
        .collect();
    let text = Dashboard::new(&records, &[], window()).to_string();
    assert!(text.contains("DEPLOYMENT DASHBOARD (Last 30 Days)"), "{text}");
    assert!(text.contains(&format!("DEV:  {} 4", "█".repeat(20))), "{text}");
    assert!(text.contains(&format!("SIT:  {} 2", "█".repeat(10))), "{text}");
    assert!(text.contains(&format!("PROD: {} 1", "█".repeat(5))), "{text}");
    assert!(text.contains("Rollbacks: 1 (12.5%)"), "{text}");
    assert!(text.contains("DEV: 1, SIT: 0, PROD: 0"), "{text}");
    let widths: Vec<usize> =
        text.lines().filter(|l| l.starts_with(['│', '┌', '└', '├'])).map(|l| l.chars().count()).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "every line of the box has the same width: {widths:?}");
}

#[test]
fn the_html_page_is_valid_self_contained_and_escapes_record_text() {
    let mut r = deploy(Environment::Sit, 1, true);
    r.deployer = "<script>alert('x')</script>".into();
    r.tag = Some("deploy-sit-\"&".into());
    let page = Dashboard::new(&[r], &[], window()).html();
    let doc = HtmlDocument::parse(&page);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    assert!(doc.doctype.is_some() && !doc.quirks);
    assert!(doc.find("script").is_none() && doc.find("link").is_none() && doc.find("img").is_none());
    assert!(doc.find("svg").is_some() && doc.find("style").is_some());
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("deploy-sit-&quot;&amp;"));
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("url("));
}

#[rstest]
#[case("plain", "plain")]
#[case("a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&#39;")]
fn escape_covers_markup_characters(#[case] raw: &str, #[case] escaped: &str) {
    assert_eq!(escape(raw), escaped);
}

fn any_record() -> impl Strategy<Value = DeploymentRecord> {
    (0usize..3, any::<bool>(), -40i64 * 24..=2 * 24, 0i64..120, any::<bool>(), proptest::option::of(0i64..48)).prop_map(
        |(env, rollback, hours_ago, minutes, green, committed_hours_before)| {
            let kind = if rollback { RecordKind::Rollback } else { RecordKind::Deploy };
            let started = now() - SignedDuration::from_hours(hours_ago);
            let mut r = record(Environment::ALL[env], kind, started, minutes, green);
            r.committed = committed_hours_before.map(|h| started - SignedDuration::from_hours(h));
            r.detected = committed_hours_before.map(|h| started - SignedDuration::from_mins(h));
            r
        },
    )
}

fn any_check() -> impl Strategy<Value = CheckRecord> {
    (any::<bool>(), -40i64 * 24..=2 * 24, any::<bool>()).prop_map(|(scan, hours_ago, passed)| {
        let kind = if scan { CheckKind::SecurityScan } else { CheckKind::Validation };
        CheckRecord::new(kind, None, now() - SignedDuration::from_hours(hours_ago), passed, 0)
    })
}

proptest! {
    #[test]
    fn rates_stay_within_0_and_100_and_no_data_has_no_value(
        records in proptest::collection::vec(any_record(), 0..40),
        checks in proptest::collection::vec(any_check(), 0..10),
    ) {
        let m = compute(&records, &checks, window());
        for k in &m.kpis {
            match k.value {
                Some(Value::Percent(p)) => prop_assert!((0.0..=100.0).contains(&p), "{k:?}"),
                Some(Value::Duration { ms }) => prop_assert!(ms >= 0, "{k:?}"),
                None => prop_assert_eq!(k.verdict, Verdict::NoData),
            }
            if k.verdict == Verdict::NoData {
                prop_assert!(k.value.is_none());
            }
        }
        let per_env: usize = m.environments.iter().map(|e| e.deployments).sum();
        prop_assert_eq!(per_env, m.deployments);
        prop_assert!(m.succeeded <= m.deployments);
    }

    #[test]
    fn records_outside_the_window_change_nothing(
        records in proptest::collection::vec(any_record(), 0..30),
        checks in proptest::collection::vec(any_check(), 0..10),
    ) {
        let w = window();
        let inside: Vec<_> = records.iter().filter(|r| w.contains(r.started)).cloned().collect();
        let inside_checks: Vec<_> = checks.iter().filter(|c| w.contains(c.at)).cloned().collect();
        prop_assert_eq!(compute(&records, &checks, w), compute(&inside, &inside_checks, w));
    }

    #[test]
    fn every_page_is_valid_html(records in proptest::collection::vec(any_record(), 0..12), deployer in ".{0,12}") {
        let records: Vec<_> = records.into_iter().map(|mut r| { r.deployer = deployer.clone(); r }).collect();
        let doc = HtmlDocument::parse(&Dashboard::new(&records, &[], window()).html());
        prop_assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    }
}

/// A duration as the dashboard shows it, from seconds to days.
#[rstest]
#[case::nothing(0, "0.0s")]
#[case::negative(-5_000, "0.0s")]
#[case::seconds(1_500, "1.5s")]
#[case::a_minute(60_000, "1m")]
#[case::minutes_and_seconds(383_000, "6m 23s")]
#[case::an_hour(3_600_000, "1h")]
#[case::hours_and_minutes(7_500_000, "2h 05m")]
#[case::hours_minutes_and_seconds(7_530_000, "2h 05m")]
#[case::a_day(86_400_000, "1d")]
#[case::days_and_hours(97_200_000, "1d 3h")]
#[case::a_day_and_minutes(86_700_000, "1d 0h")]
fn durations_read_as_the_dashboard_shows_them(#[case] ms: i64, #[case] shown: &str) {
    assert_eq!(human(SignedDuration::from_millis(ms)), shown);
    if ms >= 0 {
        assert_eq!(Value::Duration { ms }.to_string(), shown);
    }
}

/// Each KPI is named and held to its target as LLD 7.10.1 writes them.
#[rstest]
#[case(Metric::DeploymentSuccessRate, "Deployment Success Rate", "> 95%")]
#[case(Metric::AverageDeploymentTime, "Average Deployment Time", "< 10m")]
#[case(Metric::RollbackRate, "Rollback Rate", "< 5%")]
#[case(Metric::MergeToProd, "Mean Time to Deploy (merge to PROD)", "< 1d")]
#[case(Metric::TimeToRollback, "Mean Time to Rollback", "< 15m")]
#[case(Metric::ValidationPassRate, "Validation Pass Rate", "100%")]
#[case(Metric::SecurityScanPassRate, "Security Scan Pass Rate", "100%")]
fn each_kpi_has_the_lld_name_and_target(#[case] metric: Metric, #[case] name: &str, #[case] target: &str) {
    assert_eq!((metric.name(), metric.target().as_str()), (name, target));
    let k = compute(&[], &[], window());
    let kpi = k.kpi(metric);
    assert_eq!((kpi.name, kpi.target.as_str()), (name, target));
}

#[test]
fn verdicts_and_percentages_read_as_shown() {
    assert_eq!([Verdict::Met, Verdict::Missed, Verdict::NoData].map(Verdict::label), ["met", "MISSED", "no data"]);
    assert_eq!(Value::Percent(95.25).to_string(), "95.2%");
    let m = compute(
        &[deploy(Environment::Dev, 1, true), deploy(Environment::Dev, 2, true), deploy(Environment::Sit, 1, false)],
        &[],
        window(),
    );
    let rate = m.success_rate().expect("deployments in the window");
    assert!((rate - 200.0 / 3.0).abs() < 1e-9, "{rate}");
}
