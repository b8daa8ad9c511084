//! Steps for the state lock monitor (features/monitor).

use aws_sdk_dynamodb::types::AttributeValue;
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use stagegate::Environment;
use stagegate::aws::DEFAULT_REGION;
use stagegate::engine::state::{LockInfo, OPERATION_APPLY};
use stagegate::foundation::policy::Pipeline;
use stagegate::foundation::repo::Repo;
use stagegate::observe::dashboard::Dashboard;
use stagegate::observe::monitor::{LockReport, TableReading, monitor};
use stagegate::release::notify::human;

use super::notify::Slack;
use super::{Env, World, component};

/// What the pipeline reported to people in a scenario.
#[derive(Debug, Default)]
pub struct Observations {
    /// The last report: KPIs and dashboard.
    pub(super) dashboard: Option<Dashboard>,
    /// The last lock monitor report.
    pub(super) lock_report: Option<LockReport>,
    /// The Slack sink and what it received.
    pub(super) slack: Slack,
}

impl World {
    /// A lock-table item with the given `Info`, or with none.
    async fn put_lock_item(&mut self, env: Environment, lock_id: &str, info: Option<&str>) {
        let store = self.store(env).await;
        let mut put = store
            .clients()
            .dynamodb
            .put_item()
            .table_name(store.lock_table())
            .item("LockID", AttributeValue::S(lock_id.to_owned()));
        if let Some(info) = info {
            put = put.item("Info", AttributeValue::S(info.to_owned()));
        }
        put.send().await.expect("the lock item is written");
    }

    fn lock_report(&self) -> &LockReport {
        self.observed.lock_report.as_ref().expect("the monitor ran")
    }
}

#[given(expr = "{string} has held the {env} lock of component {string} since {string}, as Terraform writes it")]
#[when(expr = "{string} has held the {env} lock of component {string} since {string}, as Terraform writes it")]
async fn held_since(w: &mut World, who: String, env: Env, name: String, since: String) {
    let store = w.store(env.0).await;
    store.bootstrap().await.expect("the backend exists");
    let path = store.lock_id(&component(&name));
    let created = since.parse().expect("an RFC 3339 instant in the feature");
    let info = LockInfo::new(&path, OPERATION_APPLY, &who, "", created);
    w.put_lock_item(env.0, &path, Some(&info.to_json())).await;
}

#[given(expr = "the {env} lock table holds an item {string} whose Info is {string}")]
async fn broken_item(w: &mut World, env: Env, lock_id: String, info: String) {
    w.put_lock_item(env.0, &lock_id, Some(&info)).await;
}

#[given(expr = "the {env} lock table holds an item {string} without Info")]
async fn item_without_info(w: &mut World, env: Env, lock_id: String) {
    w.put_lock_item(env.0, &lock_id, None).await;
}

#[when(expr = "the lock monitor runs at {string}")]
async fn runs(w: &mut World, at: String) {
    let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
    run_monitor(w, &at, policy.notifications.lock_alert_after.0).await;
}

#[when(expr = "the lock monitor runs at {string} with a limit of {string}")]
async fn runs_with_limit(w: &mut World, at: String, limit: String) {
    run_monitor(w, &at, limit.parse().expect("a duration like 45m")).await;
}

async fn run_monitor(w: &mut World, at: &str, max_age: jiff::SignedDuration) {
    let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
    let notifier = w.notifier(&policy);
    let endpoint = w.endpoint().await;
    let now = at.parse().expect("an RFC 3339 instant in the feature");
    let settings = w.state.settings();
    let report =
        monitor(&endpoint, DEFAULT_REGION, &Environment::ALL, max_age, now, notifier.as_ref(), &settings).await;
    w.observed.lock_report = Some(report);
}

#[then("the monitor lists these locks:")]
async fn lists(w: &mut World, step: &Step) {
    let got: Vec<Vec<String>> = w
        .lock_report()
        .held()
        .map(|l| {
            vec![
                l.environment.label().to_owned(),
                l.path.clone(),
                l.holder.clone(),
                l.operation.clone(),
                l.age.map_or_else(|| "unknown".into(), human),
                if l.overdue { "yes" } else { "no" }.to_owned(),
            ]
        })
        .collect();
    let want: Vec<Vec<String>> = step.table.as_ref().expect("a table").rows.iter().skip(1).cloned().collect();
    assert_eq!(got, want);
}

#[then("the monitor lists no locks")]
async fn lists_none(w: &mut World) {
    assert_eq!(w.lock_report().held().count(), 0);
}

#[then(regex = r"^the monitor (raises no alert|raises an alert)$")]
async fn alert(w: &mut World, verdict: String) {
    assert_eq!(w.lock_report().alerting(), verdict == "raises an alert", "{}", w.lock_report());
}

#[then(expr = "the monitor reports {env}'s lock table as not bootstrapped")]
async fn missing(w: &mut World, env: Env) {
    not_bootstrapped(w, env, "lock table");
}

#[then(expr = "the monitor reports {env}'s state bucket as not bootstrapped")]
async fn bucket_missing(w: &mut World, env: Env) {
    not_bootstrapped(w, env, "state bucket");
}

/// The environment was read as missing, and the report says which of its places is missing.
fn not_bootstrapped(w: &World, env: Env, place: &str) {
    let report = w.lock_report();
    let e = report.environments.iter().find(|e| e.environment == env.0).expect("the environment was read");
    assert_eq!(e.reading, TableReading::Missing, "{report}");
    let line = format!("{} {}: not bootstrapped (no {place})", env.0.label(), e.table);
    assert!(report.to_string().lines().any(|l| l.split_whitespace().eq(line.split_whitespace())), "{report}");
}

#[then("the monitor reports these items, and no others, as not locks:")]
async fn not_locks(w: &mut World, step: &Step) {
    let got: Vec<String> = w.lock_report().malformed().map(|m| m.lock_id.clone()).collect();
    let want: Vec<String> = step.table.as_ref().expect("a table").rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(got, want, "{}", w.lock_report());
}

#[then("the monitor's alerts were:")]
async fn alerts_were(w: &mut World, step: &Step) {
    let got: Vec<String> = w.lock_report().alerts.iter().map(|d| d.alert.to_string()).collect();
    let want: Vec<String> = step.table.as_ref().expect("a table").rows.iter().skip(1).map(|r| r[0].clone()).collect();
    assert_eq!(got, want);
}
