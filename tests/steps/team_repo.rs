//! Steps for the suite on a team's own repo (features/any_repo, R66): the repo under test is the
//! one `STAGEGATE_REPO` names, else `fixtures/repo-ledger`, the second repo written to prove it.
//! Nothing here assumes the sample repo's tables, templates, reviewers or targets: they are read
//! from the repo and its `pipeline.yml`.

use std::path::{Path, PathBuf};

use cucumber::{given, then, when};
use stagegate::aws::DEFAULT_REGION;
use stagegate::engine::apply::ApplyOptions;
use stagegate::foundation::policy::{Pipeline, Rto};
use stagegate::foundation::repo::{REPO_UNDER_TEST_VAR, Repo};
use stagegate::foundation::tickets::{ChangeTicket, FileTickets};
use stagegate::release::deploy::{Deployment, simulated_request};
use stagegate::resources::vocabulary::Action;

use super::validation::copy_dir;
use super::{Env, World, git};

/// The second repo, on which the repo-agnostic scenarios run when no repo is named.
const LEDGER: &str = "repo-ledger";
const PROMOTION_TICKET: &str = "CHG0000003";

/// The repo the `@any-repo` scenarios run on (the suite has already refused a bad one).
pub fn repo_under_test() -> PathBuf {
    match Repo::under_test() {
        Ok(Some(repo)) => repo.root().to_path_buf(),
        Ok(None) => Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(LEDGER),
        Err(e) => panic!("{e}"),
    }
}

fn tables_and_templates(root: &Path) -> (usize, usize) {
    let count = |dir: &str, keep: &dyn Fn(&Path) -> bool| {
        std::fs::read_dir(root.join(dir)).map_or(0, |rd| rd.flatten().filter(|e| keep(&e.path())).count())
    };
    let tables = count("schemas", &|p| p.is_dir());
    let templates = count("templates", &|p| {
        p.extension().is_some_and(|e| e == "html") && !p.to_string_lossy().ends_with(".sample.json")
    });
    (tables, templates)
}

#[given("a copy of the repo under test")]
fn copy(w: &mut World) {
    w.stage1.repo.copy_from(&repo_under_test());
}

#[given("a working copy of the repo under test")]
fn working_copy(w: &mut World) {
    let dir = tempfile::tempdir().expect("a temp dir");
    copy_dir(&repo_under_test(), dir.path());
    w.infra.checkout = Some(dir);
}

#[given("a git checkout of the repo under test with one commit on main")]
fn checkout(w: &mut World) {
    working_copy(w);
    let dir = w.checkout_dir();
    git(&dir, &["init", "--quiet", "--initial-branch=main"]);
    git(&dir, &["add", "--all"]);
    git(&dir, &["commit", "--quiet", "--message", "Infra repo under test"]);
}

#[given("the workflows of the repo under test")]
fn workflows(w: &mut World) {
    w.stage1.workflows.copy_from(&repo_under_test());
}

#[then("each plan creates every table and every template of the repo, and the templates bucket")]
async fn each_plan_creates_everything(w: &mut World) {
    let (tables, templates) = tables_and_templates(&w.workdir());
    assert!(tables > 0 && templates > 0, "the repo under test has {tables} tables and {templates} templates");
    for p in &w.release.plans {
        let created = |kind: &str| {
            p.components
                .iter()
                .flat_map(|c| &c.resources)
                .filter(|r| r.kind == kind && r.action == Action::Create)
                .count()
        };
        assert_eq!(
            (created("aws_dynamodb_table"), created("aws_s3_object"), created("aws_s3_bucket")),
            (tables, templates, 1),
            "{p}"
        );
    }
}

#[when("the checkout's commit is promoted through the pipeline's environments, approved by each one's reviewers")]
async fn promoted(w: &mut World) {
    let dir = w.checkout_dir();
    let repo = Repo::open(&dir).expect("the checkout");
    let policy = Pipeline::load(&dir).expect("the repo's pipeline.yml");
    let at = stagegate::practice::rehearse::inside_every_window(jiff::Timestamp::now());
    let tickets = FileTickets::with(vec![ChangeTicket::generated(PROMOTION_TICKET, "conformance suite promotion", at)]);
    let endpoint = w.endpoint().await;
    let deployment = Deployment::new(&endpoint, DEFAULT_REGION, &repo, &policy, &tickets);
    let commit = git(&dir, &["rev-parse", "HEAD"]);
    for env in policy.promotion.clone() {
        let req = simulated_request(&policy, env, "release-bot", PROMOTION_TICKET, &commit, at, false);
        let outcome = deployment.run(&req, None, &ApplyOptions::default()).await.expect("the deployment ran");
        assert!(outcome.verdict.passed(), "{}'s gate stayed closed:\n{}", env.label(), outcome.verdict);
        w.release.deployments.push(outcome);
    }
}

#[then("the checkout's commit has a deployment tag for each environment of the pipeline")]
async fn tagged_everywhere(w: &mut World) {
    let dir = w.checkout_dir();
    let policy = Pipeline::load(&dir).expect("the repo's pipeline.yml");
    let listed = git(&dir, &["tag", "--list", "deploy-*", "--points-at", "HEAD"]);
    let mut envs: Vec<&str> = listed.lines().filter_map(|t| t.split('-').nth(1)).collect();
    envs.sort_unstable();
    let mut want: Vec<&str> = policy.promotion.iter().map(|e| e.name()).collect();
    want.sort_unstable();
    assert_eq!(envs, want, "{listed}");
}

#[then(expr = "the drill meets the target pipeline.yml sets for {env}, on its projection")]
async fn drill_meets_policy(w: &mut World, env: Env) {
    let r = w.release.drill.as_ref().expect("a drill ran");
    let policy = Pipeline::load(&w.workdir()).expect("the repo's pipeline.yml");
    match &policy.environment(env.0).rollback_rto {
        Rto::Within(d) => assert_eq!(r.target, Some(format!("< {d}")), "{r}"),
        Rto::BestEffort => assert_eq!(r.target, None, "{r}"),
    }
    assert!(r.met && r.replaced.is_empty(), "{r}");
    assert!(r.phases.iter().any(|p| !p.operations.is_empty()), "{r}");
}

// A broken copy of the second repo, run through the any-repo scenarios by this very suite.

/// What a run of the suite printed, and how it ended.
#[derive(Debug, Default)]
pub struct SuiteRun {
    copy: Option<tempfile::TempDir>,
    stdout: String,
    succeeded: bool,
}

impl SuiteRun {
    /// `(scenario name, failed)` of every scenario the run printed.
    fn scenarios(&self) -> Vec<(String, bool)> {
        let mut found: Vec<(String, bool)> = Vec::new();
        for line in self.stdout.lines() {
            let trimmed = line.trim_start();
            if let Some(name) =
                trimmed.strip_prefix("Scenario: ").or_else(|| trimmed.strip_prefix("Scenario Outline: "))
            {
                found.push((name.trim().to_owned(), false));
            } else if trimmed.starts_with('✘')
                && let Some(last) = found.last_mut()
            {
                last.1 = true;
            }
        }
        found
    }
}

#[given(
    regex = r#"^a copy of the ledger repo whose table "([a-z-]+)" has the attribute definition of its sort key removed$"#
)]
fn broken_ledger(w: &mut World, table: String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(LEDGER), dir.path());
    let path = dir.path().join("schemas").join(&table).join("table.json");
    let mut def: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the table")).expect("JSON");
    let sort = def["KeySchema"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["KeyType"] == "RANGE"))
        .map(|k| k["AttributeName"].clone())
        .expect("a sort key");
    def["AttributeDefinitions"].as_array_mut().expect("definitions").retain(|a| a["AttributeName"] != sort);
    std::fs::write(&path, serde_json::to_string_pretty(&def).expect("JSON") + "\n").expect("write");
    w.suite_run.copy = Some(dir);
}

#[when(regex = r"^the suite is run on that copy with STAGEGATE_REPO, over the feature files (.+)$")]
fn suite_on_copy(w: &mut World, files: String) {
    let copy = w.suite_run.copy.as_ref().expect("a copy").path().to_path_buf();
    let reports = tempfile::tempdir().expect("a temp dir");
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("the suite's own binary"));
    cmd.arg("--exact");
    for f in files.split(" and ") {
        cmd.arg(f.trim().trim_matches('`'));
    }
    let out = cmd
        .env(REPO_UNDER_TEST_VAR, &copy)
        .env_remove("STAGEGATE_TAGS")
        .env("STAGEGATE_EMULATORS", "1")
        .env("CARGO_TARGET_DIR", reports.path())
        .output()
        .expect("the suite runs");
    w.suite_run.stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    w.suite_run.succeeded = out.status.success();
}

#[then(expr = "the run fails, in the scenario {string} only")]
fn fails_in(w: &mut World, scenario: String) {
    let run = &w.suite_run;
    assert!(!run.succeeded, "{}", run.stdout);
    let scenarios = run.scenarios();
    let failed: Vec<&str> = scenarios.iter().filter(|(_, f)| *f).map(|(n, _)| n.as_str()).collect();
    assert_eq!(failed, [scenario.as_str()], "{}", run.stdout);
    assert!(scenarios.len() > 1, "the other scenarios ran too: {}", run.stdout);
    let passed = scenarios.len() - 1;
    assert!(run.stdout.lines().any(|l| l == format!("{passed} passed, 1 failed")), "{}", run.stdout);
}

#[then(expr = "the run says it left out the {int} scenarios of {string}, which pin the sample repo")]
fn left_out(w: &mut World, n: usize, file: String) {
    let run = &w.suite_run;
    let copy = w.suite_run.copy.as_ref().expect("a copy").path();
    let dir = std::fs::canonicalize(copy).expect("the copy");
    let line = format!(
        "not run on {}: pins stagegate's own behaviour on the sample repo, not tagged @any-repo ({n})",
        dir.display()
    );
    assert!(run.stdout.lines().any(|l| l == line), "{file}: {line:?} not in\n{}", run.stdout);
}
