//! Steps for the KPIs and the dashboard (features/metrics).

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use jiff::{SignedDuration, Timestamp};
use stagegate::Environment;
use stagegate::checks::template::html::HtmlDocument;
use stagegate::observe::dashboard::Dashboard;
use stagegate::observe::metrics::{Metric, Verdict, Window};
use stagegate::release::ledger::{self, CheckKind, CheckRecord, DeploymentRecord, Outcome, RecordKind, TestResults};

use super::{Env, World};

/// `2026-12-03 14:00` in the feature: wall-clock time in Africa/Johannesburg (SAST).
pub fn sast(text: &str) -> Timestamp {
    format!("{}:00+02:00", text.trim().replace(' ', "T")).parse().expect("a time like 2026-12-03 14:00")
}

fn record(env: Environment, kind: RecordKind, started: Timestamp, minutes: i64, result: &str) -> DeploymentRecord {
    let (outcome, tests) = match result {
        "succeeded" => (Outcome::Succeeded, Some(true)),
        "tests failed" => (Outcome::Succeeded, Some(false)),
        "failed" => (Outcome::Failed, None),
        other => panic!("a result is succeeded, tests failed or failed, not {other:?}"),
    };
    DeploymentRecord {
        id: uuid::Uuid::new_v4().to_string(),
        kind,
        environment: env,
        commit: format!("{:040x}", started.as_second()),
        deployer: "release-bot".into(),
        approvers: vec!["tech-lead".into()],
        trigger: "manual".into(),
        started,
        recorded: started,
        duration_ms: u64::try_from(minutes * 60_000).expect("minutes are not negative"),
        result: outcome,
        tests: tests.map(|passed| TestResults { passed, summary: "recorded by the feature".into() }),
        tag: None,
        error: (outcome == Outcome::Failed).then(|| "apply failed".into()),
        committed: None,
        detected: None,
        states: Vec::new(),
    }
}

impl World {
    async fn append_record(&mut self, r: &DeploymentRecord) {
        let store = self.store(r.environment).await;
        store.bootstrap().await.expect("the state backend");
        ledger::append(&store, r).await.expect("the record is written");
    }

    fn dashboard(&self) -> &Dashboard {
        self.observed.dashboard.as_ref().expect("a report was made")
    }

    fn box_lines(&self) -> Vec<String> {
        self.dashboard().to_string().lines().filter(|l| l.starts_with('│')).map(str::to_owned).collect()
    }
}

#[given("these deployments are recorded:")]
async fn deployments_recorded(w: &mut World, step: &Step) {
    let table = step.table.as_ref().expect("a table of records");
    for row in table.rows.iter().skip(1) {
        let cell = |i: usize| row[i].trim();
        let kind = if cell(1) == "rollback" { RecordKind::Rollback } else { RecordKind::Deploy };
        let env: Environment = cell(0).parse().expect("an environment");
        let mut r = record(env, kind, sast(cell(2)), cell(3).parse().expect("minutes"), cell(4));
        r.committed = (!cell(5).is_empty()).then(|| sast(cell(5)));
        r.detected = (!cell(6).is_empty()).then(|| sast(cell(6)));
        w.append_record(&r).await;
    }
}

#[given("these Stage 1 runs are recorded:")]
async fn checks_recorded(w: &mut World, step: &Step) {
    let store = w.store(Environment::Dev).await;
    store.bootstrap().await.expect("DEV's state backend");
    for row in step.table.as_ref().expect("a table of runs").rows.iter().skip(1) {
        let check = match row[0].trim() {
            "validation" => CheckKind::Validation,
            "security scan" => CheckKind::SecurityScan,
            other => panic!("a check is validation or security scan, not {other:?}"),
        };
        let passed = row[2].trim() == "passed";
        let run = CheckRecord::new(check, None, sast(&row[1]), passed, usize::from(!passed));
        ledger::append_check(&store, &run).await.expect("the run is recorded");
    }
}

#[given(regex = r"^a DEV deployment is recorded as started at (\d{4}-\d\d-\d\d \d\d:\d\d)$")]
async fn one_deployment(w: &mut World, started: String) {
    w.append_record(&record(Environment::Dev, RecordKind::Deploy, sast(&started), 5, "succeeded")).await;
}

#[given(expr = "a DEV deployment by {string} is recorded")]
async fn deployment_by(w: &mut World, deployer: String) {
    let mut r = record(Environment::Dev, RecordKind::Deploy, sast("2026-12-01 10:00"), 5, "succeeded");
    r.deployer = deployer;
    w.append_record(&r).await;
}

#[given(regex = r"^the checkout's commit was merged to main at (\d{4}-\d\d-\d\d \d\d:\d\d) SAST$")]
async fn merged_at(w: &mut World, at: String) {
    let date = format!("{}:00+02:00", at.replace(' ', "T"));
    let dir = w.checkout_dir();
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=dev", "-c", "user.email=dev@example.com"])
        .args(["commit", "--quiet", "--amend", "--no-edit", "--date", &date])
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[when(regex = r"^the report of the last (\d+) days is made at (\d{4}-\d\d-\d\d \d\d:\d\d) SAST$")]
async fn report(w: &mut World, days: u32, at: String) {
    let endpoint = w.endpoint().await;
    let window = Window::last_days(sast(&at), days);
    let dashboard = Dashboard::load(&endpoint, stagegate::aws::DEFAULT_REGION, window).await;
    w.observed.dashboard = Some(dashboard.expect("the records are read"));
}

#[then("the KPIs are:")]
async fn kpis(w: &mut World, step: &Step) {
    let m = &w.dashboard().metrics;
    let rows = &step.table.as_ref().expect("a table of KPIs").rows;
    assert_eq!(rows.len() - 1, m.kpis.len(), "one row per KPI");
    for (row, k) in rows.iter().skip(1).zip(&m.kpis) {
        let shown = k.value.map_or("–".to_owned(), |v| v.to_string());
        let got = [k.name, k.target.as_str(), shown.as_str(), k.verdict.label()];
        let want: Vec<&str> = row.iter().map(|c| c.trim()).collect();
        assert_eq!(got.as_slice(), want.as_slice(), "{}", k.basis);
    }
}

#[then(r#"every KPI has no value and the verdict "no data""#)]
async fn no_data(w: &mut World) {
    for k in &w.dashboard().metrics.kpis {
        assert!(k.value.is_none() && k.verdict == Verdict::NoData, "{k:?}");
    }
}

#[then(regex = r"^the report counts (\d+) (DEV|SIT|PROD) deployments$")]
async fn counts(w: &mut World, n: usize, env: Env) {
    let figures = w.dashboard().metrics.environments.iter().find(|e| e.environment == env.0).expect("every env");
    assert_eq!(figures.deployments, n, "{figures:?}");
}

#[then(regex = r#"^the KPI "([^"]+)" is (\S+(?: \S+)?), (met|MISSED)$"#)]
async fn one_kpi(w: &mut World, name: String, value: String, verdict: String) {
    let k = w.dashboard().metrics.kpis.iter().find(|k| k.name == name).expect("a KPI of that name");
    assert_eq!((k.value.map(|v| v.to_string()), k.verdict.label()), (Some(value), verdict.as_str()), "{}", k.basis);
}

#[then(expr = "the report counts 1 {env} rollback timed from detection to recovery, under 15 minutes")]
async fn rollback_timed(w: &mut World, env: Env) {
    let m = &w.dashboard().metrics;
    assert_eq!(m.environments.iter().find(|e| e.environment == env.0).map(|e| e.rollbacks), Some(1));
    let k = m.kpi(Metric::TimeToRollback);
    assert!(k.basis.starts_with("1 of 1 rollbacks"), "{k:?}");
    match k.value {
        Some(stagegate::observe::metrics::Value::Duration { ms }) => {
            assert!(ms > 0 && ms < SignedDuration::from_mins(15).as_millis() as i64, "{k:?}")
        }
        other => panic!("no time to rollback: {other:?}"),
    }
    assert_eq!(k.verdict, Verdict::Met);
}

#[then("the terminal dashboard shows these lines inside its box:")]
async fn box_shows(w: &mut World, step: &Step) {
    let lines = w.box_lines();
    for want in super::state::column(step) {
        assert!(lines.iter().any(|l| l.contains(&want)), "{want:?} is not in\n{}", w.dashboard());
    }
}

#[then("every line of the box has the same width")]
async fn box_width(w: &mut World) {
    let text = w.dashboard().to_string();
    let widths: Vec<usize> =
        text.lines().filter(|l| l.starts_with(['│', '┌', '├', '└'])).map(|l| l.chars().count()).collect();
    assert!(widths.len() > 10 && widths.windows(2).all(|p| p[0] == p[1]), "{text}");
}

#[then(expr = "the KPI table follows the box with a verdict for each of the {int} KPIs")]
async fn kpi_table(w: &mut World, n: usize) {
    let text = w.dashboard().to_string();
    let after: Vec<&str> = text.lines().skip_while(|l| !l.starts_with('└')).skip(1).collect();
    let rows = after.iter().filter(|l| [" met ", " MISSED ", " no data "].iter().any(|v| l.contains(v))).count();
    assert_eq!(rows, n, "{text}");
}

#[then("the HTML page parses as HTML without an error")]
async fn valid_html(w: &mut World) {
    let doc = HtmlDocument::parse(&w.dashboard().html());
    assert!(doc.errors.is_empty() && doc.doctype.is_some() && !doc.quirks, "{:?}", doc.errors);
}

#[then("the page loads nothing from elsewhere and runs no script")]
async fn self_contained(w: &mut World) {
    let page = w.dashboard().html();
    let doc = HtmlDocument::parse(&page);
    for tag in ["script", "link", "img", "iframe", "object"] {
        assert!(doc.find(tag).is_none(), "a <{tag}> in the page");
    }
    let fetches = doc.start_tags.iter().flat_map(|t| &t.attributes).any(|(name, _)| name == "src" || name == "href");
    assert!(!fetches && !page.contains("url(") && !page.contains("@import"), "the page fetches something");
}

#[then(expr = "the page draws {int} bar charts: deployments, average deployment time and rollbacks by environment")]
async fn charts(w: &mut World, n: usize) {
    let page = w.dashboard().html();
    let doc = HtmlDocument::parse(&page);
    let charts = doc.start_tags.iter().filter(|t| t.attributes.iter().any(|(k, v)| k == "class" && v == "chart"));
    assert_eq!(charts.count(), n);
    for caption in ["Deployments by environment", "Average deployment time", "Rollbacks by environment"] {
        assert!(page.contains(&format!("<figcaption>{caption}</figcaption>")), "{caption}");
    }
    // Each chart has a bar in every environment's colour (zero wide when it has nothing).
    for colour in stagegate::observe::dashboard::ENVIRONMENT_COLOURS {
        assert_eq!(page.matches(&format!("fill=\"{colour}\"")).count(), n, "{colour}");
    }
}

#[then(expr = "the page lists the {int} KPIs with their verdicts")]
async fn page_kpis(w: &mut World, n: usize) {
    let page = w.dashboard().html();
    for k in &w.dashboard().metrics.kpis {
        assert!(page.contains(&format!("<td>{}</td>", k.name)), "{}", k.name);
    }
    assert_eq!(page.matches("<span class=\"badge").count() - w.dashboard().recent.len(), n);
}

#[then(expr = "the page shows the deployer {string} and never the raw markup")]
async fn deployer_escaped(w: &mut World, escaped: String) {
    let page = w.dashboard().html();
    assert!(page.contains(&format!("<td>{escaped}</td>")), "{escaped}");
    assert!(!page.contains("<b>mallory"));
}
