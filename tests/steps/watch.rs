//! Steps for the watch and its automated rollback (features/rollback/automated.feature, R55)
//! and for drift detection (features/monitor/drift.feature, R56).

use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
use cucumber::{given, then, when};
use jiff::{SignedDuration, Timestamp};
use stagegate::Environment;
use stagegate::foundation::clock::Clock;
use stagegate::foundation::policy::Pipeline;
use stagegate::release::drift::{DriftReport, Look};
use stagegate::release::ledger::{self, DeploymentRecord, RecordKind};
use stagegate::release::watch::{self, WatchOptions, WatchReport};

use super::gates::{IN_WINDOW_TICKET, INSIDE_EVERY_WINDOW, request};
use super::{Env, World, git};

/// What the watch and drift scenarios observed.
#[derive(Debug, Default)]
pub struct WatchScene {
    /// The last watch's report, or why it could not run.
    report: Option<Result<WatchReport, (String, u8)>>,
    /// The last deployment refused before it ran, and why.
    refused: Option<String>,
    /// PROD as it was before the watch: states, ledger, tags.
    before: Option<Snapshot>,
    /// The last drift detection.
    drift: Option<Result<DriftReport, String>>,
}

/// What a watch could change in an environment, read from the emulator and git.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    states: Vec<(String, String)>,
    ledger: Vec<DeploymentRecord>,
    tags: String,
    indexes: Vec<String>,
}

impl World {
    fn watch_report(&self) -> &WatchReport {
        match self.watch.report.as_ref().expect("a watch ran") {
            Ok(r) => r,
            Err((e, _)) => panic!("the watch could not run: {e}"),
        }
    }

    /// The state objects' current versions, the ledger, the deployment tags and the products
    /// table's indexes of `env`.
    async fn snapshot(&mut self, env: Environment) -> Snapshot {
        let store = self.store(env).await;
        let versions =
            store.clients().s3.list_object_versions().bucket(store.bucket()).send().await.expect("ListObjectVersions");
        let mut states: Vec<(String, String)> = versions
            .versions()
            .iter()
            .filter(|v| v.is_latest() == Some(true) && v.key().is_some_and(|k| k.ends_with(".tfstate")))
            .map(|v| (v.key().unwrap_or_default().to_owned(), v.version_id().unwrap_or_default().to_owned()))
            .collect();
        states.sort();
        let ledger = ledger::records(&store).await.expect("the ledger");
        let tags = git(&self.checkout_dir(), &["tag", "--list", &format!("deploy-{}-*", env.name())]);
        let indexes = self.indexes_of(env, "products").await;
        Snapshot { states, ledger, tags, indexes }
    }

    async fn indexes_of(&mut self, env: Environment, table: &str) -> Vec<String> {
        let clients = self.clients(env).await;
        let out = clients.dynamodb.describe_table().table_name(table).send().await.expect("DescribeTable");
        let table = out.table().expect("a table");
        table.global_secondary_indexes().iter().filter_map(|i| i.index_name().map(str::to_owned)).collect()
    }

    /// The checkout's commit through DEV and SIT, then to PROD with these rollback pre-approvals.
    async fn promote_to_prod(&mut self, pre_approvers: &[String]) {
        self.deploy(Environment::Dev, "\"lead-developer\"", "manual").await;
        self.deploy(Environment::Sit, "\"qa-lead\" and \"tech-lead\"", "manual").await;
        if let Some(e) = self.deploy_pre_approved(Environment::Prod, pre_approvers).await {
            panic!("the PROD deployment was refused: {e}");
        }
    }

    /// Deploys the checkout's commit to `env`, approved by as many of its reviewers as its gate
    /// requires 2 hours before, with `pre_approvers` pre-approving its rollback; the refusal, if
    /// it was refused.
    async fn deploy_pre_approved(&mut self, env: Environment, pre_approvers: &[String]) -> Option<String> {
        let at: Timestamp = INSIDE_EVERY_WINDOW.parse().expect("an instant");
        let commit = git(&self.checkout_dir(), &["rev-parse", "HEAD"]);
        let mut req = request(env, "release-bot", &commit, at, false);
        req.confirmation = Some(format!("deploy-{}", env.name()));
        let approvers = match env {
            Environment::Dev => "\"lead-developer\"",
            Environment::Sit => "\"tech-lead\" and \"qa-lead\"",
            Environment::Prod => "\"tech-lead\", \"product-owner\" and \"devops-lead\"",
        };
        req.approvals = super::promotion::approvals(approvers, at, super::promotion::APPROVED_HOURS_BEFORE);
        if env == Environment::Prod {
            req.change_ticket = Some(IN_WINDOW_TICKET.parse().expect("a ticket id"));
        }
        let given = at - SignedDuration::from_hours(super::promotion::APPROVED_HOURS_BEFORE);
        let pre: Vec<_> = pre_approvers
            .iter()
            .map(|who| stagegate::release::gate::Approval { who: who.clone(), at: Some(given) })
            .collect();
        let result = self
            .with_deployment(async |d| {
                req.slack_configured = d.notifier.is_some_and(|n| n.configured(env));
                watch::deploy_and_watch(&d, &req, &pre, None, None).await
            })
            .await;
        match result {
            Ok((outcome, _)) => {
                assert!(outcome.succeeded(), "{outcome}");
                self.release.deployments.push(outcome);
                None
            }
            Err(e) => Some(format!("{e} (exit {})", e.exit_code())),
        }
    }

    /// The tag of the first deployment this scenario made to `env`.
    fn first_tag(&self, env: Environment) -> String {
        let first = self.release.deployments.iter().find(|d| d.record.as_ref().is_some_and(|r| r.environment == env));
        first.and_then(|d| d.tag.clone()).expect("a first deployment tag")
    }

    async fn cloudwatch(&mut self, env: Environment) -> aws_sdk_cloudwatch::Client {
        let endpoint = self.endpoint().await;
        stagegate::aws::cloudwatch::client(&endpoint, env.account_id(), stagegate::aws::DEFAULT_REGION).await
    }

    async fn run_watch(
        &mut self,
        env: Environment,
        start: Timestamp,
        window: SignedDuration,
        poll: Option<SignedDuration>,
    ) {
        self.watch.before = Some(self.snapshot(env).await);
        let options = WatchOptions { window: Some(window), poll, clock: Clock::Fixed(start) };
        let report = self.with_deployment(async |d| watch::watch(&d, env, &options).await).await;
        self.watch.report = Some(report.map_err(|e| (e.to_string(), e.exit_code())));
    }
}

fn quoted(text: &str) -> Vec<String> {
    text.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

#[given(expr = "the alarms pipeline.yml names for {env} exist in its account, all OK")]
async fn alarms_exist(w: &mut World, env: Env) {
    let policy = Pipeline::load(&w.checkout_dir()).expect("the policy");
    let cloudwatch = w.cloudwatch(env.0).await;
    for alarm in policy.watch.environment(env.0).alarms {
        let name = alarm.name.0;
        cloudwatch
            .put_metric_alarm()
            .alarm_name(&name)
            .namespace("AWS/DynamoDB")
            .metric_name("ThrottledRequests")
            .statistic(Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .send()
            .await
            .expect("PutMetricAlarm");
        cloudwatch
            .set_alarm_state()
            .alarm_name(&name)
            .state_value(StateValue::Ok)
            .state_reason("healthy")
            .send()
            .await
            .expect("SetAlarmState OK");
    }
}

#[given(expr = "a new commit on main gives the products table the index {string} on {string}")]
async fn index_commit(w: &mut World, index: String, attribute: String) {
    w.edit_table("products", |def| {
        def["AttributeDefinitions"]
            .as_array_mut()
            .expect("a list")
            .push(serde_json::json!({"AttributeName": attribute, "AttributeType": "S"}));
        def["GlobalSecondaryIndexes"].as_array_mut().expect("a list").push(serde_json::json!({
            "IndexName": index,
            "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}
        }));
    });
    git(&w.checkout_dir(), &["commit", "--quiet", "--all", "--message", "products: a new index"]);
}

#[given("the checkout's commit has been promoted to PROD")]
#[given("the new commit has been promoted to PROD without a rollback pre-approval")]
async fn promoted(w: &mut World) {
    w.promote_to_prod(&[]).await;
}

#[given(regex = r"^the new commit has been promoted to PROD, its rollback pre-approved by (.+)$")]
async fn promoted_pre_approved(w: &mut World, who: String) {
    w.promote_to_prod(&quoted(&who)).await;
}

#[given(
    regex = r"^the new commit has been deployed to DEV(?:, its rollback pre-approved by (.+)| without a rollback pre-approval)$"
)]
async fn dev_pre_approved(w: &mut World, who: String) {
    if let Some(e) = w.deploy_pre_approved(Environment::Dev, &quoted(&who)).await {
        panic!("the DEV deployment was refused: {e}");
    }
}

#[given(expr = "the alarm {string} has been deleted from {env}'s account")]
async fn delete_alarm(w: &mut World, name: String, env: Env) {
    let cloudwatch = w.cloudwatch(env.0).await;
    cloudwatch.delete_alarms().alarm_names(name).send().await.expect("DeleteAlarms");
}

#[then(expr = "the watch could not look, exit {int}, naming {string}")]
async fn watch_could_not_look(w: &mut World, code: u8, what: String) {
    match w.watch.report.as_ref().expect("a watch ran") {
        Ok(r) => panic!("the watch ran:\n{r}"),
        Err((e, exit)) => assert!(*exit == code && e.contains(&what), "exit {exit}: {e}"),
    }
    let now = w.snapshot(Environment::Dev).await;
    assert_eq!(Some(&now), w.watch.before.as_ref());
}

#[when(regex = r"^the new commit is deployed to PROD after DEV and SIT with its rollback pre-approved by (.+)$")]
async fn deploy_pre_approved(w: &mut World, who: String) {
    w.deploy(Environment::Dev, "\"lead-developer\"", "manual").await;
    w.deploy(Environment::Sit, "\"qa-lead\" and \"tech-lead\"", "manual").await;
    w.watch.before = Some(w.snapshot(Environment::Prod).await);
    w.watch.refused = w.deploy_pre_approved(Environment::Prod, &quoted(&who)).await;
}

#[when(expr = "the alarm {string} is set to ALARM by hand in {env}")]
async fn raise_alarm(w: &mut World, name: String, env: Env) {
    let cloudwatch = w.cloudwatch(env.0).await;
    cloudwatch
        .set_alarm_state()
        .alarm_name(&name)
        .state_value(StateValue::Alarm)
        .state_reason("Threshold Crossed: raised by hand")
        .send()
        .await
        .expect("SetAlarmState ALARM");
}

#[when(regex = r"^(DEV|SIT|PROD) is watched for (\d+) hours from (\d+) minutes after the deployment$")]
async fn watched(w: &mut World, env: Env, hours: i64, minutes: i64) {
    let start = INSIDE_EVERY_WINDOW.parse::<Timestamp>().expect("an instant") + SignedDuration::from_mins(minutes);
    w.run_watch(env.0, start, SignedDuration::from_hours(hours), None).await;
}

#[when(
    regex = r"^(DEV|SIT|PROD) is watched for (\d+) (hours|minutes) from (\d+) minutes after the deployment, looking every (\d+) minutes$"
)]
async fn watched_every(w: &mut World, env: Env, length: i64, unit: String, minutes: i64, every: i64) {
    let start = INSIDE_EVERY_WINDOW.parse::<Timestamp>().expect("an instant") + SignedDuration::from_mins(minutes);
    let window = if unit == "hours" { SignedDuration::from_hours(length) } else { SignedDuration::from_mins(length) };
    w.run_watch(env.0, start, window, Some(SignedDuration::from_mins(every))).await;
}

#[given(expr = "the tag of {env}'s first deployment has been deleted from the repo")]
async fn first_tag_deleted(w: &mut World, env: Env) {
    let tag = w.first_tag(env.0);
    git(&w.checkout_dir(), &["tag", "--delete", &tag]);
}

#[then(regex = r#"^the watch found "([^"]+)" failing at its first look$"#)]
async fn found_failing(w: &mut World, signal: String) {
    let r = w.watch_report();
    let failure = r.failure.as_ref().unwrap_or_else(|| panic!("no failure found:\n{r}"));
    assert_eq!((failure.signal.as_str(), r.looks), (signal.as_str(), 1), "{r}");
}

#[then(expr = "the watch rolled {env} back to its first deployment tag without waiting for people")]
async fn rolled_back(w: &mut World, env: Env) {
    let first_tag = w.first_tag(env.0);
    let r = w.watch_report();
    assert!(r.rolled_back(), "{r}");
    assert_eq!(r.target.as_deref(), Some(first_tag.as_str()), "{r}");
    assert!(r.decision.as_ref().is_some_and(|v| v.allowed()), "{r}");
}

#[then(expr = "the products table in {env} has no index {string}")]
async fn no_index(w: &mut World, env: Env, index: String) {
    assert!(!w.indexes_of(env.0, "products").await.contains(&index));
}

#[then(expr = "the products table in {env} still has the index {string}")]
async fn still_index(w: &mut World, env: Env, index: String) {
    assert!(w.indexes_of(env.0, "products").await.contains(&index));
}

#[then(expr = "{env}'s ledger ends with a green rollback detected when the watch saw the alarm")]
async fn ledger_rollback(w: &mut World, env: Env) {
    let records = ledger::records(&w.store(env.0).await).await.expect("the ledger");
    let last = records.last().expect("a record");
    let detected = w.watch_report().failure.as_ref().expect("a failure").detected;
    assert!(last.kind == RecordKind::Rollback && last.is_green(), "{last:?}");
    assert_eq!(last.detected, Some(detected));
}

#[then(
    regex = r"^the (?:(DEV|SIT|PROD) )?watch recorded the MTTR from the alarm to passing tests after the rollback, pre-approved by (.+)$"
)]
async fn mttr_recorded(w: &mut World, env: String, who: String) {
    let env = if env.is_empty() { Environment::Prod } else { env.parse().expect("an environment") };
    let store = w.store(env).await;
    let records = watch::records(&store).await.expect("the watch records");
    let [record] = records.as_slice() else { panic!("one watch record: {records:?}") };
    let ledger = ledger::records(&store).await.expect("the ledger");
    let rollback = ledger.last().expect("the rollback's record");
    let mttr = rollback.finished().duration_since(record.failure.detected);
    let want = u64::try_from(mttr.as_millis()).expect("positive");
    assert!(record.rolled_back && record.rollback.as_deref() == Some(rollback.id.as_str()), "{record:?}");
    assert_eq!(record.mttr_ms, Some(want), "{record:?}");
    let pre: Vec<String> = record.pre_approved_by.iter().map(|p| p.who.clone()).collect();
    assert_eq!(pre, quoted(&who));
}

#[then(regex = r#"^the watch refused to roll back by rule (R\d\d)(?: and rule (R\d\d))? saying "([^"]+)"$"#)]
async fn refused(w: &mut World, rule: String, also: String, why: String) {
    let r = w.watch_report();
    assert!(r.failure.is_some() && r.rollback.is_none() && !r.healthy(), "{r}");
    let v = r.decision.as_ref().unwrap_or_else(|| panic!("no decision:\n{r}"));
    assert!(!v.allowed(), "{r}");
    let refusals = v.refusals();
    for id in [rule.as_str(), also.as_str()].into_iter().filter(|s| !s.is_empty()) {
        assert!(refusals.iter().any(|f| f.starts_with(&format!("{id}:"))), "{id} not among {refusals:?}");
    }
    assert!(refusals.iter().any(|f| f.contains(&why)), "{why:?} not in {refusals:?}");
}

#[given(expr = "what {env} holds is noted: its states, ledger, tags and the products table's indexes")]
async fn noted(w: &mut World, env: Env) {
    w.watch.before = Some(w.snapshot(env.0).await);
}

#[then(expr = "nothing changed in {env}: the same states, ledger and tags, and the products table's indexes")]
async fn nothing_changed(w: &mut World, env: Env) {
    let now = w.snapshot(env.0).await;
    assert_eq!(Some(&now), w.watch.before.as_ref());
}

#[then(expr = "the watch found {env} healthy after {int} looks, and changed nothing")]
async fn healthy(w: &mut World, env: Env, looks: u32) {
    let r = w.watch_report();
    assert!(r.healthy() && r.failure.is_none(), "{r}");
    assert_eq!(r.looks, looks, "{r}");
    let now = w.snapshot(env.0).await;
    assert_eq!(Some(&now), w.watch.before.as_ref());
}

#[then(expr = "its last look was {int} minutes after the deployment, at the window's end")]
async fn last_look(w: &mut World, minutes: i64) {
    let r = w.watch_report();
    let want = INSIDE_EVERY_WINDOW.parse::<Timestamp>().expect("an instant") + SignedDuration::from_mins(minutes);
    assert_eq!(r.last_look, want, "{r}");
}

#[then(expr = "the watch's only warning is {string}")]
async fn only_warning(w: &mut World, warning: String) {
    let r = w.watch_report();
    assert_eq!(r.warnings, vec![warning], "{r}");
}

#[then(expr = "the watch did not roll back, saying {string}")]
async fn not_rolled_back(w: &mut World, why: String) {
    let r = w.watch_report();
    assert!(r.failure.is_some() && r.rollback.is_none() && r.target.is_none(), "{r}");
    assert!(r.action.contains(&why), "{r}");
}

#[then(regex = r#"^"(#[a-z-]+)" received a "([^"]+)" message saying "([^"]+)"$"#)]
async fn received(w: &mut World, channel: String, title: String, saying: String) {
    let messages = w.messages(&channel);
    let found = messages
        .iter()
        .any(|m| m["text"].as_str().is_some_and(|t| t.contains(&title)) && m.to_string().contains(&saying));
    assert!(found, "{channel} has no {title:?} saying {saying:?}: {messages:?}");
}

#[then(regex = r#"^the deployment was refused before anything changed, naming "([^"]+)"$"#)]
async fn deployment_refused(w: &mut World, what: String) {
    let refusal = w.watch.refused.clone().expect("the deployment was refused");
    assert!(refusal.contains(&what) && refusal.ends_with("(exit 2)"), "{refusal}");
    let now = w.snapshot(Environment::Prod).await;
    assert_eq!(Some(&now), w.watch.before.as_ref());
}

// Drift (R56).

impl World {
    async fn run_drift(&mut self, envs: &[Environment], endpoint: Option<stagegate::emulator::Endpoint>) {
        let at: Timestamp = INSIDE_EVERY_WINDOW.parse().expect("an instant");
        let report = match endpoint {
            None => self.with_deployment(async |d| stagegate::release::drift::detect(&d, envs, at).await).await,
            Some(endpoint) => {
                self.with_deployment(async |d| {
                    let d = stagegate::release::deploy::Deployment { endpoint: &endpoint, ..d };
                    stagegate::release::drift::detect(&d, envs, at).await
                })
                .await
            }
        };
        self.watch.drift = Some(report.map_err(|e| e.to_string()));
    }

    fn drift_report(&self) -> &DriftReport {
        match self.watch.drift.as_ref().expect("drift was detected") {
            Ok(r) => r,
            Err(e) => panic!("drift detection could not run: {e}"),
        }
    }
}

#[when("drift detection runs over every environment")]
async fn drift_all(w: &mut World) {
    w.run_drift(&Environment::ALL, None).await;
}

#[when("drift detection runs over DEV")]
async fn drift_dev(w: &mut World) {
    w.run_drift(&[Environment::Dev], None).await;
}

#[when("drift detection runs over DEV against a backend that does not answer")]
async fn drift_unreachable(w: &mut World) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    let flavor = w.endpoint().await.flavor;
    let endpoint = stagegate::emulator::Endpoint { url: Some(format!("http://127.0.0.1:{port}")), flavor };
    w.run_drift(&[Environment::Dev], Some(endpoint)).await;
}

#[then(regex = r"^drift detection exits (\d)$")]
async fn drift_exit(w: &mut World, code: u8) {
    let r = w.drift_report();
    assert_eq!(r.exit_code(), code, "{r}");
}

#[then(expr = "it reports drift in {env} on {string} attribute {string}")]
async fn drift_in(w: &mut World, env: Env, address: String, attribute: String) {
    let r = w.drift_report();
    let e = r.environment(env.0).expect("the environment was looked at");
    let Look::Looked { drifted } = &e.look else { panic!("{r}") };
    assert!(drifted.iter().any(|d| d.address == address && d.attributes.contains(&attribute)), "{r}");
}

#[then(expr = "it reports no drift in {env}")]
async fn no_drift(w: &mut World, env: Env) {
    let r = w.drift_report();
    let e = r.environment(env.0).expect("the environment was looked at");
    assert_eq!(e.look, Look::Looked { drifted: Vec::new() }, "{r}");
    assert!(e.notifications.is_empty(), "{r}");
}

#[then("it reports SIT and PROD as not deployed")]
async fn not_deployed(w: &mut World) {
    let r = w.drift_report();
    for env in [Environment::Sit, Environment::Prod] {
        assert_eq!(r.environment(env).expect("looked at").look, Look::NotDeployed, "{r}");
    }
}

#[then("it could not look at DEV, naming the endpoint")]
async fn could_not_look(w: &mut World) {
    let r = w.drift_report();
    let e = r.environment(Environment::Dev).expect("DEV was looked at");
    assert!(matches!(&e.look, Look::CouldNotLook { reason } if reason.contains("127.0.0.1")), "{r}");
}

#[then(expr = "{env}'s drift was recorded in its state bucket")]
async fn drift_recorded(w: &mut World, env: Env) {
    let records = stagegate::release::drift::records(&w.store(env.0).await).await.expect("drift records");
    let [record] = records.as_slice() else { panic!("one drift record: {records:?}") };
    assert!(!record.drifted.is_empty(), "{record:?}");
}

// The dashboard's Level 4 figures.

impl World {
    async fn automation(&mut self) -> stagegate::observe::level4::Automation {
        let endpoint = self.endpoint().await;
        let now = INSIDE_EVERY_WINDOW.parse::<Timestamp>().expect("an instant") + SignedDuration::from_hours(1);
        let window = stagegate::observe::metrics::Window::last_days(now, 30);
        let d = stagegate::observe::dashboard::Dashboard::load(&endpoint, stagegate::aws::DEFAULT_REGION, window)
            .await
            .expect("the dashboard");
        assert!(d.to_string().contains("Automated rollbacks:"), "{d}");
        d.automation
    }
}

#[then(regex = r"^the dashboard counts (\d+) automated rollbacks? with its MTTR and (\d+) not rolled back$")]
async fn dashboard_rollbacks(w: &mut World, n: usize, refused: usize) {
    let a = w.automation().await;
    let mttr = w.watch_report().mttr_ms;
    assert_eq!((a.automated_rollbacks, a.failures_not_rolled_back, a.mean_mttr_ms), (n, refused, mttr), "{a:?}");
}

#[then(regex = r"^the dashboard counts (\d+) drift alerts?$")]
async fn dashboard_drift(w: &mut World, n: usize) {
    let a = w.automation().await;
    assert_eq!(a.drift_alerts, n, "{a:?}");
}
