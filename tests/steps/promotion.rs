//! Steps for promotion: deploy, tags and the ledger (features/promotion).

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use stagegate::Environment;
use stagegate::engine::apply::{ApplyOptions, ApplyReport};
use stagegate::engine::plan::Plan;
use stagegate::practice::drill::DrillReport;
use stagegate::release::deploy::DeployOutcome;
use stagegate::release::gate::Approval;
use stagegate::release::ledger;
use stagegate::release::rollback::TagRollback;
use stagegate::release::verify::VerifyReport;

use super::gates::{IN_WINDOW_TICKET, INSIDE_EVERY_WINDOW, request};
use super::{World, git};

/// The pipeline's runs in a scenario, from plan to rollback, and what each produced.
#[derive(Debug, Default)]
pub struct ReleaseScene {
    /// The last plans made (one per environment).
    pub(super) plans: Vec<Plan>,
    /// The last apply (or rollback): its report, or why it, or the plan before it, was refused.
    pub(super) outcome: Option<Result<ApplyReport, String>>,
    /// The address of the resource the last plan step checked, for the steps about that change.
    pub(super) focus: Option<String>,
    /// Of two applies run at the same moment, the report of the one that proceeded.
    pub(super) winning_apply: Option<(String, ApplyReport)>,
    /// Deployments (and rollbacks) run in this scenario, in order.
    pub(super) deployments: Vec<DeployOutcome>,
    /// The last verification or post-deploy tests of an environment.
    pub(super) verification: Option<VerifyReport>,
    /// A previewed rollback, not yet run.
    pub(super) rollback: Option<TagRollback>,
    /// The last rollback run: its outcome, or why it could not run. Rollbacks are kept apart
    /// from `deployments` so that a rollback Then never reads the deployment before it.
    pub(super) rolled_back: Option<Result<DeployOutcome, String>>,
    /// The plan the last rollback to a tag previewed, as it was shown before it ran.
    pub(super) rollback_plan: Option<Plan>,
    /// The AWS calls the last post-deploy tests made (R24), as the SDK sent them.
    pub(super) test_calls: Option<stagegate::aws::ActionRecorder>,
    /// The current state's serial just before a plain copy over it (F03).
    pub(super) serial_before_copy: Option<u64>,
    /// The last listing of a component's state versions.
    pub(super) versions: Vec<stagegate::release::history::VersionEntry>,
    /// The lineage of the state version the last rollback to a version went back to.
    pub(super) restored_lineage: Option<String>,
    /// The last rollback drill.
    pub(super) drill: Option<DrillReport>,
    /// Why the last drill could not run.
    pub(super) drill_refused: Option<String>,
}

/// How long before a deployment or rollback its approvals were given, unless a step says.
pub(super) const APPROVED_HOURS_BEFORE: i64 = 2;

/// The approvals of `"a", "b" and "c"`, each given `hours` before `at`, as GitHub records them.
pub(super) fn approvals(approvers: &str, at: jiff::Timestamp, hours: i64) -> Vec<Approval> {
    let given = at - jiff::SignedDuration::from_hours(hours);
    approvers.split('"').skip(1).step_by(2).map(|who| Approval { who: who.into(), at: Some(given) }).collect()
}

impl World {
    fn checkout_commit(&self) -> String {
        git(&self.checkout_dir(), &["rev-parse", "HEAD"])
    }

    pub(super) async fn deploy(&mut self, env: Environment, approvers: &str, trigger: &str) {
        self.deploy_approved_before(env, approvers, trigger, APPROVED_HOURS_BEFORE).await;
    }

    /// A deployment whose approvals were given `hours` before it runs.
    pub(super) async fn deploy_approved_before(
        &mut self,
        env: Environment,
        approvers: &str,
        trigger: &str,
        hours: i64,
    ) {
        let mut req = request(
            env,
            "release-bot",
            &self.checkout_commit(),
            INSIDE_EVERY_WINDOW.parse().expect("an instant"),
            false,
        );
        req.confirmation = Some(format!("deploy-{}", env.name()));
        req.trigger = trigger.into();
        req.approvals = approvals(approvers, req.at, hours);
        if env == Environment::Prod {
            req.change_ticket = Some(IN_WINDOW_TICKET.parse().expect("a ticket id"));
        }
        let outcome = self
            .with_deployment(async |d| {
                req.slack_configured = d.notifier.is_some_and(|n| n.configured(env));
                d.run(&req, None, &ApplyOptions::default()).await
            })
            .await
            .expect("the deployment ran");
        self.release.deployments.push(outcome);
    }

    fn last_deployment(&self) -> &DeployOutcome {
        self.release.deployments.last().expect("a deployment ran")
    }
}

#[given("a git checkout of the sample repo with one commit on main")]
async fn checkout(w: &mut World) {
    super::deploy::working_copy(w).await;
    let dir = w.checkout_dir();
    git(&dir, &["init", "--quiet", "--initial-branch=main"]);
    git(&dir, &["add", "--all"]);
    git(&dir, &["commit", "--quiet", "--message", "Sample infra repo"]);
}

#[given(
    regex = r#"^the checkout's commit has been deployed to (DEV|SIT|PROD) by "release-bot" approved by (.+?)(?:, triggered by "([a-z_]+)")?$"#
)]
#[when(
    regex = r#"^the checkout's commit is deployed to (DEV|SIT|PROD) by "release-bot" approved by (.+?)(?:, triggered by "([a-z_]+)")?$"#
)]
async fn deployed(w: &mut World, env: String, approvers: String, trigger: String) {
    let trigger = if trigger.is_empty() { "manual".to_owned() } else { trigger };
    w.deploy(env.parse().expect("an environment"), &approvers, &trigger).await;
}

#[when(
    regex = r#"^the checkout's commit is deployed to (DEV|SIT|PROD) by "release-bot" with approvals from (.+?) given (\d+) hours before$"#
)]
async fn deployed_approved_before(w: &mut World, env: String, approvers: String, hours: i64) {
    w.deploy_approved_before(env.parse().expect("an environment"), &approvers, "manual", hours).await;
}

#[then("every deployment succeeded with its post-deploy tests passed")]
async fn all_green(w: &mut World) {
    for d in &w.release.deployments {
        assert!(d.succeeded(), "{}\n{:?}", d.verdict, d.record);
    }
}

#[then("the checkout has these tags on its commit:")]
async fn tags_on_commit(w: &mut World, step: &Step) {
    let dir = w.checkout_dir();
    let commit = w.checkout_commit();
    let listed = git(&dir, &["tag", "--list", "deploy-*", "--points-at", &commit]);
    let tags: Vec<String> = listed.lines().map(str::to_owned).collect();
    assert_eq!(tags, super::state::column(step));
    for tag in &tags {
        assert_eq!(git(&dir, &["cat-file", "-t", tag]), "tag", "{tag} is not an annotated tag");
    }
}

#[then(
    "each environment's ledger holds one record of the deployment with its commit, deployer, approvers, trigger, start, duration, result and tests"
)]
async fn ledgers(w: &mut World) {
    let commit = w.checkout_commit();
    let deployed: Vec<_> = w.release.deployments.iter().map(|d| d.record.clone()).collect();
    for (env, deployed) in Environment::ALL.into_iter().zip(deployed) {
        let records = ledger::records(&w.store(env).await).await.expect("the ledger");
        assert_eq!(records.len(), 1, "{env}");
        let r = &records[0];
        assert_eq!(
            (r.environment, r.commit.as_str(), r.deployer.as_str(), r.trigger.as_str()),
            (env, commit.as_str(), "release-bot", "manual")
        );
        assert_eq!(r.approvers.len(), env_approvals(env));
        assert_eq!(r.started, INSIDE_EVERY_WINDOW.parse::<jiff::Timestamp>().expect("an instant"));
        assert!(r.is_green() && r.tests.as_ref().is_some_and(|t| t.summary.contains("match the repo")), "{r:?}");
        assert_eq!(Some(r), deployed.as_ref());
    }
}

fn env_approvals(env: Environment) -> usize {
    match env {
        Environment::Dev => 1,
        Environment::Sit => 2,
        Environment::Prod => 3,
    }
}

#[then(regex = r#"^the deployment is refused by rule ([RF]\d\d)(?: and rule ([RF]\d\d))? saying "([^"]+)"$"#)]
async fn refused_by(w: &mut World, rule: String, also: String, why: String) {
    let d = w.last_deployment();
    assert!(!d.verdict.passed() && d.record.is_none() && d.report.is_none(), "{}", d.verdict);
    let mut failures: Vec<_> = d.verdict.failures().into_iter().map(|r| r.rule).collect();
    let mut expected = vec![rule.as_str()];
    if !also.is_empty() {
        expected.push(also.as_str());
    }
    failures.sort_unstable();
    expected.sort_unstable();
    assert_eq!(failures, expected, "{}", d.verdict);
    assert!(d.verdict.rule(&rule).expect("the rule").detail.contains(&why), "{}", d.verdict);
}

#[then(regex = r"^nothing was deployed to (DEV|SIT|PROD): no state backend, no tables, no tag, no record$")]
async fn nothing_deployed(w: &mut World, env: String) {
    let env: Environment = env.parse().expect("an environment");
    let store = w.store(env).await;
    let report = store.inspect().await.expect("inspect");
    assert!(!report.bucket_exists && !report.lock_table_exists, "{report:?}");
    let tables = store.clients().dynamodb.list_tables().send().await.expect("list tables");
    assert!(tables.table_names().is_empty(), "{:?}", tables.table_names());
    let dir = w.checkout_dir();
    assert_eq!(git(&dir, &["tag", "--list", &format!("deploy-{}-*", env.name())]), "");
}

#[then(expr = "the DEV ledger holds {int} records, each naming its own tag")]
async fn dev_records(w: &mut World, n: usize) {
    let records = ledger::records(&w.store(Environment::Dev).await).await.expect("the ledger");
    assert_eq!(records.len(), n);
    let mut tags: Vec<String> = records.iter().map(|r| r.tag.clone().expect("a tag")).collect();
    tags.dedup();
    assert_eq!(tags.len(), n, "{tags:?}");
}

#[given(
    regex = r"^DEV's only deployment record is (a green deployment of the previous commit|a deployment of the checkout's commit that failed its post-deploy tests)$"
)]
async fn only_dev_record(w: &mut World, evidence: String) {
    let green = evidence.starts_with("a green");
    if green {
        w.deploy(Environment::Dev, "\"lead-developer\"", "manual").await;
        super::rollback::pitr_off_commit(w).await;
    } else {
        super::rollback::pitr_off_commit(w).await;
        w.deploy(Environment::Dev, "\"lead-developer\"", "manual").await;
    }
    let records = ledger::records(&w.store(Environment::Dev).await).await.expect("the DEV ledger");
    let [record] = records.as_slice() else { panic!("one DEV record: {records:?}") };
    assert_eq!((record.is_green(), record.commit == w.checkout_commit()), (green, !green), "{record:?}");
}

#[given(expr = "DEV's ledger also holds {string}, written by another tool, that is not JSON")]
async fn foreign_dev_record(w: &mut World, name: String) {
    let store = w.store(Environment::Dev).await;
    let key = format!("{}dev/{name}", ledger::LEDGER_PREFIX);
    let body = aws_sdk_s3::primitives::ByteStream::from_static(b"deployed: yes\n");
    let put = store.clients().s3.put_object().bucket(store.bucket()).key(&key).body(body).send().await;
    put.expect("the foreign record is written");
}
