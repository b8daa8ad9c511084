//! Rollback to a deployment tag (LLD 7.3.6, 7.7.2, 7.11.2): the tag's configuration is read
//! from git, planned, previewed, stored, and exactly that stored plan is applied (F09), behind
//! the same gate as a deployment plus the `rollback-{env}` confirmation (R34). Afterwards the
//! post-deploy tests run, and the rollback is tagged and recorded like a deployment.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::Environment;
use crate::Error;
use crate::aws::AwsClients;
use crate::engine::apply::ApplyOptions;
use crate::engine::desired::DesiredEnvironment;
use crate::engine::plan::{Plan, plan_environment};
use crate::engine::state::StateStore;
use crate::foundation::git::{self, Worktree};
use crate::foundation::repo::Repo;
use crate::release::deploy::{DeployOutcome, Deployment};
use crate::release::gate::GateRequest;
use crate::release::ledger;

/// `--to-tag last-good`: the newest deployment whose post-deploy tests passed (R36).
pub const LAST_GOOD: &str = "last-good";

static DEPLOY_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^deploy-(dev|sit|prod)-[0-9]{8}-[0-9]{6}(-[0-9]{2})?$").expect("a valid pattern"));

/// Why a rollback could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    #[error("--to-tag: {tag:?} is not a deployment tag of {} (deploy-{}-YYYYMMDD-HHMMSS) or {LAST_GOOD}", env.label(), env.name())]
    NotADeploymentTag { env: Environment, tag: String },
    #[error("--to-tag last-good: {} has no deployment whose tests passed", env.label())]
    NoGoodDeployment { env: Environment },
    #[error("--to-tag {tag}: {source}")]
    UnknownTag { tag: String, source: git::GitError },
    #[error("reading the deployment tags: {0}")]
    Tags(crate::release::tags::TagError),
    #[error("checking the tag out: {0}")]
    Checkout(git::GitError),
    #[error(
        "--to-version {version}: no recorded deployment of {} wrote this version of {component}'s state, so stagegate cannot tell which configuration it describes; roll back with --to-tag (`stagegate state versions --env {} --component {component}` shows which deployment wrote each version)",
        env.label(),
        env.name()
    )]
    UnrecordedVersion { env: Environment, component: String, version: String },
    #[error(
        "--to-version {version}: this version of {component}'s state was written by a {} deployment of commit {commit} that {why}, so it is no configuration to return to; roll back with --to-tag last-good",
        env.label()
    )]
    VersionOfBadDeployment { env: Environment, component: String, version: String, commit: String, why: String },
}

impl RollbackError {
    pub fn exit_code(&self) -> u8 {
        match self {
            RollbackError::NotADeploymentTag { .. }
            | RollbackError::NoGoodDeployment { .. }
            | RollbackError::UnknownTag { .. }
            | RollbackError::Tags(_)
            | RollbackError::UnrecordedVersion { .. }
            | RollbackError::VersionOfBadDeployment { .. } => crate::foundation::exit::BAD_INPUT,
            RollbackError::Checkout(_) => crate::foundation::exit::INFRASTRUCTURE,
        }
    }
}

/// Checks a tag name before it goes anywhere near git.
pub fn checked_tag(env: Environment, tag: &str) -> Result<String, Error> {
    let ok = DEPLOY_TAG.captures(tag).is_some_and(|c| &c[1] == env.name());
    if ok { Ok(tag.to_owned()) } else { Err(RollbackError::NotADeploymentTag { env, tag: tag.into() }.into()) }
}

/// The newest `deploy-{env}-*` tag whose recorded post-deploy tests passed (R36).
pub async fn last_good(store: &StateStore, repo: &Path) -> Result<Option<String>, Error> {
    let env = store.environment();
    let tags = crate::release::tags::deployment_tags(repo, env).map_err(RollbackError::Tags)?;
    let records = ledger::records(store).await?;
    Ok(tags.into_iter().rev().find(|t| records.iter().any(|r| r.tag.as_deref() == Some(t.as_str()) && r.is_green())))
}

/// A checkout of the tag's tree beside the repo (a detached git worktree), removed on drop.
#[derive(Debug)]
pub struct TagCheckout {
    worktree: Worktree,
    pub commit: String,
}

impl TagCheckout {
    pub fn new(repo: &Path, tag: &str) -> Result<TagCheckout, Error> {
        let commit =
            git::tag_commit(repo, tag).map_err(|e| RollbackError::UnknownTag { tag: tag.into(), source: e })?;
        let worktree = Worktree::add(repo, &commit).map_err(RollbackError::Checkout)?;
        Ok(TagCheckout { worktree, commit })
    }

    pub fn root(&self) -> PathBuf {
        self.worktree.root()
    }
}

/// R32: a rollback to a deployment tag, prepared and not yet run: the tag resolved (`last-good` or
/// a named tag), its tree checked out, and the plan that returns the environment to it
/// previewed. [`TagRollback::execute`] applies exactly that plan (F09), whose variables come from
/// the tag's own var file, and tests the result against the same tree (F15: the LLD applies with
/// neither the plan nor the var file it previewed with).
#[derive(Debug)]
pub struct TagRollback {
    pub tag: String,
    checkout: TagCheckout,
    tree: Repo,
    pub plan: Plan,
}

impl TagRollback {
    /// Resolves `target` (a `deploy-{env}-*` tag or [`LAST_GOOD`]) in the deployment's repo and
    /// previews the rollback of `env` to it at `at`.
    pub async fn prepare(
        deployment: &Deployment<'_>,
        env: Environment,
        target: &str,
        at: jiff::Timestamp,
    ) -> Result<TagRollback, Error> {
        let repo = deployment.repo.root();
        let tag = if target == LAST_GOOD {
            last_good(&deployment.state_store(env).await, repo).await?.ok_or(RollbackError::NoGoodDeployment { env })?
        } else {
            checked_tag(env, target)?
        };
        let checkout = TagCheckout::new(repo, &tag)?;
        let tree = Repo::open(&checkout.root())?;
        let plan = preview(deployment, env, &tree, &checkout.commit, at).await?;
        Ok(TagRollback { tag, checkout, tree, plan })
    }

    /// The commit the tag points at.
    pub fn commit(&self) -> &str {
        &self.checkout.commit
    }

    /// The tag's tree, as the rollback applies it.
    pub fn tree(&self) -> &Repo {
        &self.tree
    }

    /// Runs the gate on `req` (for the tag's commit) and, when it opens, applies the previewed
    /// plan from the tag's tree; the record keeps `detected`, when the problem was detected,
    /// so that detection → recovery can be measured (R49).
    pub async fn execute(
        self,
        deployment: &Deployment<'_>,
        req: &GateRequest,
        options: &ApplyOptions,
        detected: Option<jiff::Timestamp>,
    ) -> Result<DeployOutcome, Error> {
        let mut req = req.clone();
        req.commit = Some(self.checkout.commit.clone());
        deployment.at(&self.tree).run_after_detection(&req, Some(self.plan), options, detected).await
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

/// R33, F14: a rollback to one component's state version. The LLD restores the version and
/// applies main's configuration over it, so the infrastructure stays as main has it (F14).
/// stagegate finds the deployment that wrote the version in the ledger and returns the
/// environment to that deployment's tag: the version becomes the component's current state
/// (lineage kept, serial raised, digest updated), then the tag's tree is planned, previewed and
/// exactly that plan applied. A version no recorded green deployment wrote is refused.
#[derive(Debug)]
pub struct VersionRollback {
    pub component: crate::foundation::component::Component,
    pub version_id: String,
    /// The tag of the deployment that wrote the version.
    pub tag: String,
    checkout: TagCheckout,
    tree: Repo,
}

impl VersionRollback {
    /// Finds the deployment of `env` that wrote `version_id` of `component`'s state and checks
    /// its tag out; nothing is changed.
    pub async fn resolve(
        deployment: &Deployment<'_>,
        env: Environment,
        component: &crate::foundation::component::Component,
        version_id: &str,
    ) -> Result<VersionRollback, Error> {
        let store = deployment.state_store(env).await;
        let records = ledger::records(&store).await?;
        let name = component.to_string();
        let writer = records.iter().rev().find(|r| r.wrote(&name, version_id)).ok_or_else(|| {
            RollbackError::UnrecordedVersion { env, component: name.clone(), version: version_id.into() }
        })?;
        let bad = |why: &str| RollbackError::VersionOfBadDeployment {
            env,
            component: name.clone(),
            version: version_id.into(),
            commit: writer.commit.clone(),
            why: why.into(),
        };
        let tag = match (&writer.tag, writer.is_green()) {
            (Some(tag), true) => tag.clone(),
            _ if writer.error.is_some() => return Err(bad("failed").into()),
            _ => return Err(bad("failed its post-deploy tests").into()),
        };
        let checkout = TagCheckout::new(deployment.repo.root(), &tag)?;
        if checkout.commit != writer.commit {
            return Err(bad(&format!("is no longer what its tag {tag} points at ({})", checkout.commit)).into());
        }
        let tree = Repo::open(&checkout.root())?;
        Ok(VersionRollback { component: component.clone(), version_id: version_id.into(), tag, checkout, tree })
    }

    /// The commit of the deployment that wrote the version.
    pub fn commit(&self) -> &str {
        &self.checkout.commit
    }

    /// Runs the rollback gate for the deployment's commit and, when it opens, restores the
    /// version under its lock, previews the plan of the deployment's tree and applies exactly it.
    pub async fn execute(
        self,
        deployment: &Deployment<'_>,
        req: &GateRequest,
        options: &ApplyOptions,
    ) -> Result<DeployOutcome, Error> {
        let mut req = req.clone();
        req.commit = Some(self.checkout.commit.clone());
        let verdict = crate::release::gate::evaluate(deployment.policy, deployment.tickets, None, &req);
        if !verdict.passed() {
            return Ok(DeployOutcome::refused(verdict));
        }
        let store = deployment.state_store(req.env).await;
        let info = format!("stagegate rollback to state version {} ({})", self.version_id, self.tag);
        store.restore_locked(&self.component, &self.version_id, &req.deployer, &info).await?;
        let plan = preview(deployment, req.env, &self.tree, &self.checkout.commit, req.at).await?;
        deployment.at(&self.tree).run(&req, Some(plan), options).await
    }
}

/// [`VersionRollback::resolve`], then [`VersionRollback::execute`].
pub async fn to_state_version(
    deployment: &Deployment<'_>,
    component: &crate::foundation::component::Component,
    version_id: &str,
    req: &GateRequest,
    options: &ApplyOptions,
) -> Result<DeployOutcome, Error> {
    let rollback = VersionRollback::resolve(deployment, req.env, component, version_id).await?;
    rollback.execute(deployment, req, options).await
}
