//! Steps for rollback (features/rollback).

use cucumber::{given, then, when};
use serde_json::json;
use stagegate::Environment;
use stagegate::aws::DEFAULT_REGION;
use stagegate::engine::apply::ApplyOptions;
use stagegate::engine::desired::DesiredEnvironment;
use stagegate::foundation::policy::Pipeline;
use stagegate::foundation::repo::Repo;
use stagegate::foundation::tickets::FileTickets;
use stagegate::release::deploy::Deployment;
use stagegate::release::ledger::{self, RecordKind};
use stagegate::release::rollback::{LAST_GOOD, TagRollback, last_good};
use stagegate::release::verify::verify;

use super::gates::{IN_WINDOW_TICKET, INSIDE_EVERY_WINDOW, request};
use super::{Env, World, component, git};

impl World {
    pub(super) fn checkout_dir(&self) -> std::path::PathBuf {
        self.infra.checkout.as_ref().expect("a checkout").path().to_path_buf()
    }

    fn first_commit(&self) -> String {
        git(&self.checkout_dir(), &["rev-list", "--max-parents=0", "HEAD"])
    }

    /// The deployment of this scenario's checkout, under its own policy and tickets, notifying
    /// the scenario's Slack sink (started on first use) through every webhook not left unset.
    pub(super) async fn with_deployment<T>(&mut self, work: impl AsyncFnOnce(Deployment<'_>) -> T) -> T {
        let dir = self.checkout_dir();
        let repo = Repo::open(&dir).expect("the checkout");
        let endpoint = self.endpoint().await;
        let (policy, tickets) = (Pipeline::load(&dir).expect("policy"), FileTickets::load(&dir).expect("tickets"));
        super::notify::ensure_sink(self).await;
        let notifier = self.notifier(&policy);
        let deployment =
            Deployment::new(&endpoint, DEFAULT_REGION, &repo, &policy, &tickets).with_notifier(notifier.as_ref());
        work(deployment).await
    }

    /// Previews a rollback of `env` to `tag` (or last-good), as `stagegate rollback` does.
    pub(super) async fn preview_rollback(&mut self, env: Environment, tag: &str) -> TagRollback {
        let at = INSIDE_EVERY_WINDOW.parse().expect("an instant");
        self.with_deployment(async |d| TagRollback::prepare(&d, env, tag, at).await.expect("a preview")).await
    }

    /// Runs a previewed rollback of `plan`'s environment inside every window; PROD's request names
    /// the in-window change ticket unless `ticket` is false.
    pub(super) async fn run_rollback(&mut self, rollback: TagRollback, approvers: &str, typed: &str, ticket: bool) {
        let env = rollback.plan.environment;
        self.release.rollback_plan = Some(rollback.plan.clone());
        let mut req =
            request(env, "release-bot", rollback.commit(), INSIDE_EVERY_WINDOW.parse().expect("an instant"), true);
        req.confirmation = Some(stagegate::release::gate::confirmation(typed).expect("a well-formed confirmation"));
        req.approvals = super::promotion::approvals(approvers, req.at, super::promotion::APPROVED_HOURS_BEFORE);
        if env == Environment::Prod && ticket {
            req.change_ticket = Some(IN_WINDOW_TICKET.parse().expect("a ticket id"));
        }
        let outcome = self
            .with_deployment(async |d| {
                req.slack_configured = d.notifier.is_some_and(|n| n.configured(env));
                rollback.execute(&d, &req, &ApplyOptions::default(), None).await
            })
            .await;
        self.release.rolled_back = Some(outcome.map_err(|e| e.to_string()));
    }

    /// The last rollback's outcome; fails the step when none ran or it could not run.
    pub(super) fn last_rollback(&self) -> &stagegate::release::deploy::DeployOutcome {
        match self.release.rolled_back.as_ref().expect("a rollback ran") {
            Ok(outcome) => outcome,
            Err(e) => panic!("the rollback could not run: {e}"),
        }
    }

    /// Whether `table` has point-in-time recovery on in `env`, as DynamoDB itself answers.
    async fn pitr_of(&mut self, env: Environment, table: &str) -> bool {
        let clients = self.clients(env).await;
        let out = clients.dynamodb.describe_continuous_backups().table_name(table).send().await;
        let status = out
            .expect("DescribeContinuousBackups")
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status().cloned());
        status == Some(aws_sdk_dynamodb::types::PointInTimeRecoveryStatus::Enabled)
    }
}

#[given("a new commit on main switches point-in-time recovery of the tenants table off")]
pub(super) async fn pitr_off_commit(w: &mut World) {
    let dir = w.checkout_dir();
    let path = dir.join("schemas/tenants/table.json");
    let mut def: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    def["Stagegate"]["PointInTimeRecovery"] = json!(false);
    std::fs::write(&path, serde_json::to_string_pretty(&def).expect("JSON")).expect("write");
    git(&dir, &["commit", "--quiet", "--all", "--message", "tenants: no point-in-time recovery"]);
}

#[then(expr = "the last deployment failed its post-deploy tests naming {string}")]
async fn failed_tests(w: &mut World, what: String) {
    let d = w.release.deployments.last().expect("a deployment");
    let tests = d.tests.as_ref().expect("tests ran");
    assert!(!tests.passed && tests.summary.contains(&what), "{tests:?}");
    assert!(!d.succeeded());
}

#[then("it was not tagged")]
async fn not_tagged(w: &mut World) {
    assert_eq!(w.release.deployments.last().expect("a deployment").tag, None);
}

#[then(expr = "DEV's last good deployment is {string}, on the first commit")]
async fn last_good_is(w: &mut World, tag: String) {
    let dir = w.checkout_dir();
    let store = w.store(Environment::Dev).await;
    assert_eq!(last_good(&store, &dir).await.expect("ledger"), Some(tag.clone()));
    assert_eq!(stagegate::foundation::git::tag_commit(&dir, &tag).expect("the tag"), w.first_commit());
}

#[when(regex = r#"^DEV is rolled back to "last-good" by "release-bot" approved by (.+), confirmed with "([a-z-]+)"$"#)]
async fn rolled_back(w: &mut World, approvers: String, typed: String) {
    let rollback = w.preview_rollback(Environment::Dev, LAST_GOOD).await;
    w.run_rollback(rollback, &approvers, &typed, true).await;
}

#[then("the rollback succeeded with its post-deploy tests passed")]
async fn rollback_green(w: &mut World) {
    let d = w.last_rollback();
    assert!(d.succeeded(), "{}\n{:?}", d.verdict, d.tests);
    let record = d.record.as_ref().expect("a record of the rollback");
    assert_eq!(record.kind, RecordKind::Rollback, "{record:?}");
}

#[then("every post-deploy check of DEV passes against the first commit's configuration")]
async fn checks_pass_at_first(w: &mut World) {
    let dir = w.checkout_dir();
    let first = w.first_commit();
    let checkout = tempfile::tempdir().expect("a temp dir");
    git(&dir, &["worktree", "add", "--detach", "--quiet", checkout.path().join("t").to_str().expect("utf-8"), &first]);
    let desired = DesiredEnvironment::load(&Repo::open(&checkout.path().join("t")).expect("tree"), Environment::Dev)
        .expect("desired");
    let clients = w.clients(Environment::Dev).await;
    let report = verify(&clients, &desired).await.expect("verify");
    git(&dir, &["worktree", "remove", "--force", checkout.path().join("t").to_str().expect("utf-8")]);
    assert!(report.passed(), "{report}");
}

#[then(expr = "the DEV ledger's last record is a rollback of the first commit, tagged {string}")]
async fn rollback_recorded(w: &mut World, tag: String) {
    let records = ledger::records(&w.store(Environment::Dev).await).await.expect("ledger");
    let last = records.last().expect("a record");
    assert_eq!((last.kind, last.commit.clone(), last.tag.clone()), (RecordKind::Rollback, w.first_commit(), Some(tag)));
}

#[then(regex = r"^the rollback is refused by rule (R\d\d)$")]
async fn rollback_refused(w: &mut World, rule: String) {
    let d = w.last_rollback();
    let failures: Vec<_> = d.verdict.failures().into_iter().map(|r| r.rule).collect();
    assert_eq!(failures, vec![rule.as_str()], "{}", d.verdict);
    assert!(d.record.is_none());
}

#[then(expr = "point-in-time recovery of {string} is still off in DEV")]
async fn still_off(w: &mut World, table: String) {
    assert!(!w.pitr_of(Environment::Dev, &table).await, "point-in-time recovery of {table} is on");
}

#[given(expr = "the rollback of DEV to {string} has been previewed")]
async fn previewed(w: &mut World, tag: String) {
    let rollback = w.preview_rollback(Environment::Dev, &tag).await;
    w.release.rollback = Some(rollback);
}

#[given("the tenants state changed after the preview")]
async fn state_changed(w: &mut World) {
    let store = w.store(Environment::Dev).await;
    super::state::write_once(&store, &component("tenants")).await.expect("another write");
}

#[when("the previewed rollback is applied")]
async fn apply_previewed(w: &mut World) {
    let rollback = w.release.rollback.take().expect("a previewed rollback");
    w.run_rollback(rollback, "\"lead-developer\"", "rollback-dev", true).await;
}

#[then(expr = "the rollback fails with {string} and changes nothing")]
async fn rollback_stale(w: &mut World, wording: String) {
    let d = w.last_rollback();
    let record = d.record.as_ref().expect("a record of the failed rollback");
    assert!(record.error.as_deref().unwrap_or_default().contains(&wording), "{record:?}");
    assert!(d.report.is_none() && d.tag.is_none());
}

// F03

#[when(expr = "the oldest DEV state version of {string} is copied over the current state")]
async fn plain_copy(w: &mut World, name: String) {
    let store = w.store(Environment::Dev).await;
    let c = component(&name);
    let current = store.raw_object(&c).await.expect("read").expect("a current state");
    let current: serde_json::Value = serde_json::from_slice(&current).expect("JSON");
    w.release.serial_before_copy = Some(current["serial"].as_u64().expect("a serial"));
    let oldest = store.versions(&c).await.expect("versions").pop().expect("a version");
    let source = format!("{}/{}?versionId={}", store.bucket(), c.state_key(), oldest.version_id);
    store
        .clients()
        .s3
        .copy_object()
        .bucket(store.bucket())
        .key(c.state_key())
        .copy_source(source)
        .send()
        .await
        .expect("a plain copy");
}

#[then(expr = "the current DEV state object of {string} has serial {int}, below the serial {int} last written")]
async fn behind(w: &mut World, name: String, serial: u64, last: u64) {
    let bytes = w.store(Environment::Dev).await.raw_object(&component(&name)).await.expect("read").expect("an object");
    let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(doc["serial"].as_u64(), Some(serial));
    // The serial the state had before the copy, as the bucket held it, not as the feature says.
    let before = w.release.serial_before_copy.expect("the serial before the copy");
    assert_eq!(before, last, "the state last written had serial {before}");
    assert!(serial < before, "serial {serial} is not below {before}");
}

#[when(
    regex = r#"^(DEV|SIT|PROD)'s "([a-z]+)" is rolled back to its state version with serial (\d+) by "release-bot" approved by (.+), confirmed with "([a-z-]+)"$"#
)]
async fn rolled_back_to_version(
    w: &mut World,
    env: String,
    name: String,
    serial: u64,
    approvers: String,
    typed: String,
) {
    let env: Environment = env.parse().expect("an environment");
    let dir = w.checkout_dir();
    let store = w.store(env).await;
    let c = component(&name);
    let version = super::state::restore_serial(&store, &c, serial).await.expect("versions");
    let lineage = store.read_version(&c, &version).await.expect("the version").lineage;
    w.release.restored_lineage = Some(lineage);
    let commit = git(&dir, &["rev-parse", "HEAD"]);
    let mut req = request(env, "release-bot", &commit, INSIDE_EVERY_WINDOW.parse().expect("an instant"), true);
    req.confirmation = Some(stagegate::release::gate::confirmation(&typed).expect("a well-formed confirmation"));
    req.approvals = super::promotion::approvals(&approvers, req.at, super::promotion::APPROVED_HOURS_BEFORE);
    if env == Environment::Prod {
        req.change_ticket = Some(IN_WINDOW_TICKET.parse().expect("a ticket id"));
    }
    let options = ApplyOptions::default();
    let outcome = w
        .with_deployment(async |d| {
            req.slack_configured = d.notifier.is_some_and(|n| n.configured(env));
            stagegate::release::rollback::to_state_version(&d, &c, &version, &req, &options).await
        })
        .await;
    w.release.rolled_back = Some(outcome.map_err(|e| e.to_string()));
}

#[then(expr = "the {env} state of {string} is at serial {int} with the lineage it had at serial 1")]
async fn serial_and_lineage(w: &mut World, env: Env, name: String, serial: u64) {
    let state = w.store(env.0).await.read(&component(&name)).await.expect("read").expect("a state").state;
    let lineage = w.release.restored_lineage.clone().expect("the version's lineage");
    assert_eq!((state.serial, state.lineage), (serial, lineage));
}

#[then(expr = "point-in-time recovery of {string} is on again in {env}")]
async fn on_again(w: &mut World, table: String, env: Env) {
    assert!(w.pitr_of(env.0, &table).await, "point-in-time recovery of {table} is off in {}", env.0);
}

// Releases: commits that each tag the tenants table and mark the welcome template with their
// name, so that every release's configuration differs from the others'.

/// The reviewers who approve in each environment.
fn reviewers(env: Environment) -> &'static str {
    match env {
        Environment::Dev => "\"lead-developer\"",
        Environment::Sit => "\"tech-lead\" and \"qa-lead\"",
        Environment::Prod => "\"tech-lead\", \"product-owner\" and \"devops-lead\"",
    }
}

impl World {
    fn commit_release(&self, release: &str) {
        let dir = self.checkout_dir();
        let path = dir.join("schemas/tenants/table.json");
        let mut def: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        let tags = def["Tags"].as_array_mut().expect("tags");
        tags.retain(|t| t["Key"] != "Release");
        tags.push(json!({"Key": "Release", "Value": release}));
        std::fs::write(&path, serde_json::to_string_pretty(&def).expect("JSON")).expect("write");
        let page = dir.join("templates/welcome.html");
        let text = std::fs::read_to_string(&page).expect("read");
        std::fs::write(&page, text.replace("</body>", &format!("<!-- {release} --></body>"))).expect("write");
        git(&dir, &["commit", "--quiet", "--all", "--message", &format!("release {release}")]);
    }

    /// The `env` deployment tag of `release`'s commit.
    pub(super) fn release_tag(&self, env: Environment, release: &str) -> String {
        let commit = self.release_commit(release);
        let dir = self.checkout_dir();
        let tags = stagegate::release::tags::deployment_tags(&dir, env).expect("tags");
        tags.into_iter()
            .find(|t| stagegate::foundation::git::tag_commit(&dir, t).expect("a tag") == commit)
            .unwrap_or_else(|| panic!("no {env} tag of release {release}"))
    }

    pub(super) fn release_commit(&self, release: &str) -> String {
        let found = git(&self.checkout_dir(), &["log", "--format=%H", "--grep", &format!("^release {release}$")]);
        assert_eq!(found.lines().count(), 1, "release {release}: {found}");
        found
    }

    /// Whether `env` is exactly `release`'s configuration: a plan of it changes nothing and every
    /// post-deploy check passes.
    async fn assert_matches(&mut self, env: Environment, release: &str) {
        let dir = self.checkout_dir();
        let commit = self.release_commit(release);
        let scratch = tempfile::tempdir().expect("a temp dir");
        let tree = scratch.path().join("tree");
        git(&dir, &["worktree", "add", "--detach", "--quiet", tree.to_str().expect("utf-8"), &commit]);
        let desired = DesiredEnvironment::load(&Repo::open(&tree).expect("tree"), env).expect("desired");
        let clients = self.clients(env).await;
        let plan = stagegate::engine::plan::plan_environment(&clients, &desired, Some(commit), jiff::Timestamp::now())
            .await
            .expect("a plan");
        let report = verify(&clients, &desired).await.expect("verify");
        git(&dir, &["worktree", "remove", "--force", tree.to_str().expect("utf-8")]);
        assert!(!plan.has_changes(), "{env} differs from release {release}:\n{plan}");
        assert!(report.passed(), "{report}");
    }
}

#[given(regex = r"^release (v\d+) of the checkout has been promoted to (DEV|SIT|PROD)$")]
async fn release_promoted(w: &mut World, release: String, env: String) {
    let target: Environment = env.parse().expect("an environment");
    w.commit_release(&release);
    for env in Environment::ALL.into_iter().take_while(|e| *e <= target) {
        w.deploy(env, reviewers(env), "manual").await;
        let d = w.release.deployments.last().expect("a deployment");
        assert!(d.succeeded(), "{env}: {}\n{:?}", d.verdict, d.record);
    }
}

#[given(regex = r"^releases (.+) of the checkout have been deployed to DEV in turn$")]
async fn releases_deployed(w: &mut World, releases: String) {
    for release in releases.split([',', ' ']).filter(|r| r.starts_with('v')) {
        release_promoted(w, release.to_owned(), "DEV".into()).await;
    }
    let state = w.store(Environment::Dev).await.read(&component("tenants")).await.expect("read").expect("a state");
    w.state.remembered.insert("tenants".into(), state);
}

#[when(
    regex = r#"^(DEV|SIT|PROD) is rolled back to the tag of release (v\d+) approved by (.+?), confirmed with "([a-z-]+)"(?: and (no change ticket|change ticket CHG0001234))?$"#
)]
async fn rolled_back_to_release(
    w: &mut World,
    env: String,
    release: String,
    approvers: String,
    typed: String,
    ticket: String,
) {
    let env: Environment = env.parse().expect("an environment");
    let tag = w.release_tag(env, &release);
    let rollback = w.preview_rollback(env, &tag).await;
    w.run_rollback(rollback, &approvers, &typed, ticket != "no change ticket").await;
}

#[then(regex = r"^(DEV|SIT|PROD) (?:still )?matches release (v\d+)$")]
async fn matches_release(w: &mut World, env: String, release: String) {
    w.assert_matches(env.parse().expect("an environment"), &release).await;
}

#[then(regex = r"^DEV matches release (v\d+), with the tenants state's serial raised and its lineage kept$")]
async fn matches_with_state(w: &mut World, release: String) {
    let d = w.last_rollback();
    assert!(d.succeeded(), "{}\n{:?}", d.verdict, d.record);
    w.assert_matches(Environment::Dev, &release).await;
    let state = w.store(Environment::Dev).await.read(&component("tenants")).await.expect("read").expect("a state");
    let before = w.state.remembered.insert("tenants".into(), state.clone()).expect("a state remembered");
    assert_eq!(state.state.lineage, before.state.lineage);
    assert!(state.state.serial > before.state.serial, "serial {} after {}", state.state.serial, before.state.serial);
}

#[given(regex = r#"^the bad commit was tagged "(deploy-dev-[0-9-]+)" by hand, outside any deployment$"#)]
async fn tagged_by_hand(w: &mut World, tag: String) {
    let dir = w.checkout_dir();
    git(&dir, &["tag", "--annotate", &tag, "--message", "tagged by hand", "HEAD"]);
}

#[then(expr = "the newest DEV deployment tag is {string}")]
async fn newest_tag(w: &mut World, tag: String) {
    let tags = stagegate::release::tags::deployment_tags(&w.checkout_dir(), Environment::Dev).expect("the tags");
    assert_eq!(tags.last(), Some(&tag), "{tags:?}");
}
