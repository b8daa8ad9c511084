//! Rollback to a deployment tag (LLD 7.3.6, 7.7.2, 7.11.2): the tag's configuration is read
//! from git, planned, previewed, stored, and exactly that stored plan is applied (F09), behind
//! the same gate as a deployment plus the `rollback-{env}` confirmation (R34). Afterwards the
//! post-deploy tests run, and the rollback is tagged and recorded like a deployment.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use regex::Regex;

use crate::Environment;
use crate::Error;
use crate::aws::AwsClients;
use crate::engine::apply::ApplyOptions;
use crate::engine::desired::DesiredEnvironment;
use crate::engine::plan::{Plan, plan_environment};
use crate::engine::state::StateStore;
use crate::foundation::repo::Repo;
use crate::release::deploy::{DeployOutcome, Deployment};
use crate::release::gate::GateRequest;
use crate::release::ledger;

/// `--to-tag last-good`: the newest deployment whose post-deploy tests passed (R36).
pub const LAST_GOOD: &str = "last-good";

static DEPLOY_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^deploy-(dev|sit|prod)-[0-9]{8}-[0-9]{6}(-[0-9]{2})?$").expect("a valid pattern"));

/// Checks a tag name before it goes anywhere near git.
pub fn checked_tag(env: Environment, tag: &str) -> Result<String, Error> {
    let ok = DEPLOY_TAG.captures(tag).is_some_and(|c| &c[1] == env.name());
    if ok {
        Ok(tag.to_owned())
    } else {
        Err(Error::Usage(format!(
            "--to-tag: {tag:?} is not a deployment tag of {} (deploy-{}-YYYYMMDD-HHMMSS) or {LAST_GOOD}",
            env.label(),
            env.name()
        )))
    }
}

/// The newest `deploy-{env}-*` tag whose recorded post-deploy tests passed (R36).
pub async fn last_good(store: &StateStore, repo: &Path) -> Result<Option<String>, Error> {
    let env = store.environment();
    let tags = crate::release::tags::deployment_tags(repo, env).map_err(|e| Error::Usage(e.to_string()))?;
    let records = ledger::records(store).await?;
    Ok(tags.into_iter().rev().find(|t| records.iter().any(|r| r.tag.as_deref() == Some(t.as_str()) && r.is_green())))
}

/// A checkout of the tag's tree beside the repo (a detached git worktree), removed on drop.
#[derive(Debug)]
pub struct TagCheckout {
    repo: PathBuf,
    dir: tempfile::TempDir,
    pub commit: String,
}

impl TagCheckout {
    pub fn new(repo: &Path, tag: &str) -> Result<TagCheckout, Error> {
        let commit =
            crate::release::tags::tag_commit(repo, tag).map_err(|e| Error::Usage(format!("--to-tag {tag}: {e}")))?;
        let dir = tempfile::tempdir().map_err(|e| Error::Infrastructure(format!("a scratch directory: {e}")))?;
        let out = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["worktree", "add", "--detach", "--quiet"])
            .arg(dir.path().join("tree"))
            .arg(&commit)
            .output()
            .map_err(|e| Error::Infrastructure(format!("git worktree: {e}")))?;
        if !out.status.success() {
            return Err(Error::Infrastructure(format!(
                "git worktree add {tag}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(TagCheckout { repo: repo.to_path_buf(), dir, commit })
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("tree")
    }
}

impl Drop for TagCheckout {
    fn drop(&mut self) {
        let _ = Command::new("git")
            .arg("-C")
            .arg(&self.repo)
            .args(["worktree", "remove", "--force"])
            .arg(self.root())
            .output();
    }
}

/// The rollback's preview: the plan that returns the environment to the tag's configuration.
pub async fn preview(
    deployment: &Deployment<'_>,
    env: Environment,
    checkout: &Repo,
    commit: &str,
    at: jiff::Timestamp,
) -> Result<Plan, Error> {
    let clients = AwsClients::for_environment(deployment.endpoint, env, deployment.region).await;
    let desired = DesiredEnvironment::load(checkout, env)?;
    Ok(plan_environment(&clients, &desired, Some(commit.to_owned()), at).await?)
}

/// Runs the gate and, when it opens, applies exactly `plan` (the previewed one) from the
/// tag's checkout; records the result as a rollback.
pub async fn rollback(
    deployment: &Deployment<'_>,
    checkout: &Repo,
    req: &GateRequest,
    plan: Plan,
    options: &ApplyOptions,
) -> Result<DeployOutcome, Error> {
    rollback_after_detection(deployment, checkout, req, plan, options, None).await
}

/// [`rollback`] of a problem detected at `detected`, which the record keeps so that
/// detection → recovery can be measured (R49).
pub async fn rollback_after_detection(
    deployment: &Deployment<'_>,
    checkout: &Repo,
    req: &GateRequest,
    plan: Plan,
    options: &ApplyOptions,
    detected: Option<jiff::Timestamp>,
) -> Result<DeployOutcome, Error> {
    let at_tag = Deployment {
        endpoint: deployment.endpoint,
        region: deployment.region,
        repo: checkout,
        policy: deployment.policy,
        tickets: deployment.tickets,
        notifier: deployment.notifier,
    };
    at_tag.run_after_detection(req, Some(plan), options, detected).await
}

/// Rollback to a state version (R33): behind the rollback gate, the version becomes the
/// component's current state (lineage kept, serial raised, digest updated), then the repo is
/// planned, previewed and exactly that plan applied, so the infrastructure matches again.
pub async fn to_state_version(
    deployment: &Deployment<'_>,
    component: &crate::foundation::component::Component,
    version_id: &str,
    req: &GateRequest,
    options: &ApplyOptions,
) -> Result<DeployOutcome, Error> {
    let verdict = crate::release::gate::evaluate(deployment.policy, deployment.tickets, None, req);
    if !verdict.passed() {
        return Ok(DeployOutcome::refused(verdict));
    }
    let store =
        StateStore::new(AwsClients::for_environment(deployment.endpoint, req.env, deployment.region).await, req.env);
    let info = format!("stagegate rollback to state version {version_id}");
    let lock = store.lock(component, crate::engine::state::OPERATION_APPLY, &req.deployer, &info).await?;
    let restored = store.restore(component, version_id, &lock).await;
    store.unlock(component, &lock.id).await?;
    restored?;
    let commit = req.commit.clone().unwrap_or_default();
    let plan = preview(deployment, req.env, deployment.repo, &commit, req.at).await?;
    deployment.run(req, Some(plan), options).await
}
