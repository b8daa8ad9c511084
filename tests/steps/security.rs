//! Steps for the deployer roles (features/security): their trust and permissions policies
//! under iam/, scanned, and checked against the calls a real apply makes.

use std::collections::BTreeSet;
use std::path::Path;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::{Value, json};
use stagegate::Environment;
use stagegate::aws::{ActionRecorder, AwsClients, DEFAULT_REGION, RecordedCall};
use stagegate::checks::iam::{self, PolicyKind};
use stagegate::engine::apply::{ApplyOptions, apply};
use stagegate::engine::desired::DesiredEnvironment;
use stagegate::engine::plan::plan_environment;
use stagegate::engine::state::StateStore;

use super::validation::copy_dir;
use super::{Env, World};

/// The calls an apply made, recorded or written out as a summary.
#[derive(Debug, Default)]
pub struct RecordedApply {
    env: Option<Environment>,
    calls: Vec<RecordedCall>,
}

impl RecordedApply {
    /// What `recorder` saw of an apply to `env`.
    pub(super) fn of(env: Environment, recorder: &ActionRecorder) -> RecordedApply {
        RecordedApply { env: Some(env), calls: recorder.calls() }
    }

    /// Every distinct operation the recorded apply performed, sorted.
    pub(super) fn operations(&self) -> BTreeSet<&str> {
        assert!(self.env.is_some(), "no apply was recorded");
        self.calls.iter().map(|c| c.action.as_str()).collect()
    }
}

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
}

fn trust_file(env: Env) -> String {
    iam::policy_file(env.0, iam::TRUST_POLICY)
}

fn permissions_file(env: Env) -> String {
    iam::policy_file(env.0, iam::PERMISSIONS_POLICY)
}

impl World {
    /// Plans and applies the working copy with `env`'s credentials, recording every call; the
    /// state backend is bootstrapped beforehand, as the platform team does, and not recorded.
    async fn apply_as_deployer(&mut self, env: Environment) {
        self.store(env).await.bootstrap().await.expect("the state backend is bootstrapped");
        let recorder = ActionRecorder::default();
        let clients = AwsClients::recording(&self.endpoint().await, env, DEFAULT_REGION, recorder.clone()).await;
        let (repo, at) = (self.working_copy(), jiff::Timestamp::now());
        let desired = DesiredEnvironment::load(&repo, env).expect("the working copy loads");
        let plan = plan_environment(&clients, &desired, None, at).await.expect("a plan");
        let store = StateStore::new(clients, env);
        apply(&store, &plan, &repo, at, &ApplyOptions::default()).await.expect("the apply succeeds");
        self.stage1.recorded = RecordedApply::of(env, &recorder);
    }

    /// `(IAM action, resource)` of every recorded call `policies`' permissions do not allow;
    /// resources as `table/NAME` or the bucket (and key), without account and region.
    fn missing_actions(&self, policies: &Path) -> Vec<(String, String)> {
        let env = self.stage1.recorded.env.expect("an apply was recorded");
        let doc = iam::load_policy(policies, env, PolicyKind::Permissions).expect("the permissions policy");
        let resources = iam::environment_resources(self.working_copy().root(), env).expect("the environment");
        let verdict = iam::check_sufficiency(&doc, &resources, &self.stage1.recorded.calls);
        let short =
            |arn: &str| arn.rsplit_once(":::").or_else(|| arn.rsplit_once(':')).map_or(arn, |(_, r)| r).to_owned();
        verdict.missing().flat_map(|v| v.denied_on.iter().map(|r| (v.action.clone(), short(r)))).collect()
    }
}

#[given("the sample repo with the deployer policies of LLD 7.5.2")]
fn lld_policies(w: &mut World) {
    w.stage1.repo.copy_of("repo");
    copy_dir(&fixtures().join("lld-7.5.2"), w.stage1.repo.root());
}

#[given(expr = "the {env} trust policy matches the subject {string} with StringLike")]
fn sub_like(w: &mut World, env: Env, sub: String) {
    w.stage1.repo.edit_json(&trust_file(env), |p| {
        let c = &mut p["Statement"][0]["Condition"];
        c["StringEquals"].as_object_mut().expect("StringEquals").remove("token.actions.githubusercontent.com:sub");
        c["StringLike"] = json!({ "token.actions.githubusercontent.com:sub": sub });
    });
}

#[given(expr = "the {env} trust policy pins the subject {string}")]
fn sub_pinned(w: &mut World, env: Env, sub: String) {
    w.stage1.repo.edit_json(&trust_file(env), |p| {
        p["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] = json!(sub);
    });
}

#[given(expr = "the {env} trust policy has no subject condition")]
fn sub_missing(w: &mut World, env: Env) {
    w.stage1.repo.edit_json(&trust_file(env), |p| {
        let equals = p["Statement"][0]["Condition"]["StringEquals"].as_object_mut().expect("StringEquals");
        equals.remove("token.actions.githubusercontent.com:sub");
    });
}

#[given(expr = "the {env} trust policy trusts the OIDC provider of account {word}")]
fn other_account(w: &mut World, env: Env, account: String) {
    w.stage1.repo.edit_json(&trust_file(env), |p| {
        p["Statement"][0]["Principal"]["Federated"] = json!(iam::checks::oidc_provider(&account));
    });
}

#[given(expr = "the {env} trust policy accepts the audience {string}")]
fn audience(w: &mut World, env: Env, aud: String) {
    w.stage1.repo.edit_json(&trust_file(env), |p| {
        p["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:aud"] = json!(aud);
    });
}

#[given(expr = "the {env} permissions policy also allows {string} on {string}")]
fn also_allows(w: &mut World, env: Env, action: String, resource: String) {
    w.stage1.repo.edit_json(&permissions_file(env), |p| {
        let statements = p["Statement"].as_array_mut().expect("a Statement array");
        statements.push(json!({"Effect": "Allow", "Action": action, "Resource": resource}));
    });
}

#[given(expr = "the operations recorded by a {env} apply, without their resources:")]
fn recorded_summary(w: &mut World, env: Env, step: &Step) {
    let rows = step.table.as_ref().expect("a table of operations").rows.iter().skip(1);
    let summary: serde_json::Map<String, Value> =
        rows.map(|r| (r[0].clone(), json!(r[1].parse::<u64>().expect("a count")))).collect();
    let calls =
        iam::parse_recorded_actions("recorded-actions.json", &Value::Object(summary).to_string()).expect("a summary");
    w.stage1.recorded = RecordedApply { env: Some(env.0), calls };
}

#[when("the repo is scanned against those operations")]
fn scanned_against(w: &mut World) {
    let env = w.stage1.recorded.env.expect("recorded operations");
    let report =
        stagegate::checks::scan::scan_with_actions(w.stage1.repo.root(), Some((env, &w.stage1.recorded.calls)))
            .expect("a repo");
    w.stage1.repo.scanned(report);
}

#[when(expr = "the working copy is applied to {env} by its deployer, recording every AWS call")]
async fn applied_by_deployer(w: &mut World, env: Env) {
    w.apply_as_deployer(env.0).await;
}

#[then("no deployer role finding is reported")]
fn no_role_findings(w: &mut World) {
    let report = w.stage1.repo.scan_report();
    let role: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule.id.starts_with("SG-IAM"))
        .map(|f| format!("{}: {}", f.rule.id, f.message))
        .collect();
    assert!(role.is_empty(), "{role:#?}");
}

#[then(expr = "the check fails with {word} in the {env} {word} policy, saying {string}")]
fn fails_in_policy(w: &mut World, rule: String, env: Env, which: String, says: String) {
    let file = iam::policy_file(env.0, &format!("{which}-policy.json"));
    let report = w.stage1.repo.scan_report();
    assert_eq!(report.exit_code(), 1, "{report}");
    let found = report.active().any(|f| f.rule.id == rule && f.file == file && f.message.contains(&says));
    assert!(found, "no {rule} in {file} saying {says:?}:\n{report}");
}

#[then(expr = "no {word} finding names {string}")]
fn no_finding_names(w: &mut World, rule: String, text: String) {
    let report = w.stage1.repo.scan_report();
    assert!(!report.active().any(|f| f.rule.id == rule && f.message.contains(&text)), "{report}");
}

#[then("the permissions of LLD 7.5.2 do not allow exactly:")]
fn lld_missing(w: &mut World, step: &Step) {
    let rows = step.table.as_ref().expect("a table of actions").rows.iter().skip(1);
    let expected: Vec<(String, String)> = rows.map(|r| (r[0].clone(), r[1].clone())).collect();
    assert_eq!(w.missing_actions(&fixtures().join("lld-7.5.2")), expected);
}

#[then(expr = "the permissions of LLD 7.5.2 lack {word}")]
fn lld_misses(w: &mut World, action: String) {
    let missing = w.missing_actions(&fixtures().join("lld-7.5.2"));
    assert!(missing.iter().any(|(a, _)| *a == action), "{action} not in {missing:?}");
}

#[then("the permissions of the sample repo allow every recorded call")]
fn sample_sufficient(w: &mut World) {
    assert_eq!(w.missing_actions(&fixtures().join("repo")), Vec::new());
}
