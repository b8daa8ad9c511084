//! `stagegate drill`: the rollback RTO measured on an emulator (R35). A good commit is promoted
//! DEV → SIT → PROD; a bad one, which switches point-in-time recovery off in the drilled
//! environment only, is promoted after it (DEV and SIT stay green, so the gates let it
//! through); then, from the trigger: detect (verify fails), plan (preview the rollback to the
//! last good tag), gate, apply, verify. The RTO runs from the trigger to the passing verify
//! and is compared with the environment's target in `pipeline.yml`.

use std::fmt;
use std::time::Instant;

use jiff::Timestamp;
use serde::Serialize;

use crate::Environment;
use crate::Error;
use crate::aws::AwsClients;
use crate::emulator::Endpoint;
use crate::engine::apply::ApplyOptions;
use crate::engine::desired::DesiredEnvironment;
use crate::foundation::policy::{Pipeline, Rto};
use crate::foundation::repo::Repo;
use crate::foundation::tickets::{ChangeTicket, FileTickets};
use crate::release::deploy::Deployment;
use crate::release::deploy::simulated_request;
use crate::release::gate::evaluate;
use crate::release::rollback::{LAST_GOOD, TagRollback};

const DRILL_TICKET: &str = "CHG0000002";
use crate::release::verify::verify;

#[derive(Debug, Serialize)]
pub struct Phase {
    pub name: &'static str,
    pub ms: u128,
}

#[derive(Debug, Serialize)]
pub struct DrillReport {
    pub environment: Environment,
    pub detected: Vec<String>,
    pub rolled_back_to: String,
    pub phases: Vec<Phase>,
    pub rto_ms: u128,
    pub target: Option<String>,
    pub met: bool,
    /// Steps the backend could not rehearse, with why (empty inside `rehearse`, which lists them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_rehearsed: Vec<crate::practice::not_rehearsed::NotRehearsed>,
}

impl fmt::Display for DrillReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Rollback drill, {}", self.environment.label())?;
        writeln!(f, "  broken: {}", self.detected.join("; "))?;
        writeln!(f, "  rolled back to {}", self.rolled_back_to)?;
        for p in &self.phases {
            writeln!(f, "  {:<7} {:>7} ms", p.name, p.ms)?;
        }
        let target = self.target.as_deref().unwrap_or("best effort");
        let verdict = if self.met { "met" } else { "MISSED" };
        writeln!(
            f,
            "  RTO {:.1} s from trigger to passing verify; target {target}: {verdict}",
            self.rto_ms as f64 / 1000.0
        )?;
        if !self.not_rehearsed.is_empty() {
            writeln!(f)?;
            crate::practice::not_rehearsed::write_section(f, &self.not_rehearsed)?;
        }
        Ok(())
    }
}

/// Runs the drill for `env` on the emulator at `endpoint`.
pub async fn drill(
    endpoint: &Endpoint,
    region: &str,
    repo: &Repo,
    env: Environment,
    now: Timestamp,
) -> Result<DrillReport, Error> {
    let scratch = tempfile::tempdir().map_err(|e| Error::Infrastructure(format!("a scratch directory: {e}")))?;
    let (checkout, not_rehearsed) = crate::practice::rehearse::scratch_checkout(repo, scratch.path(), endpoint.flavor)?;
    let policy = Pipeline::load(checkout.root())?;
    let at = crate::practice::rehearse::inside_every_window(now);
    let tickets = FileTickets::with(vec![ChangeTicket::generated(DRILL_TICKET, "stagegate rollback drill", at)]);
    let deployment = Deployment::new(endpoint, region, &checkout, &policy, &tickets);
    let good = crate::foundation::git::current_commit(checkout.root()).unwrap_or_default();
    promote(&deployment, DRILL_TICKET, env, &good, at).await?;
    let mut report = drill_promoted(&deployment, DRILL_TICKET, env, at).await?;
    report.not_rehearsed = not_rehearsed;
    Ok(report)
}

/// Promotes `commit` through every environment up to `env`, as the drill's bot.
async fn promote(
    deployment: &Deployment<'_>,
    ticket: &str,
    env: Environment,
    commit: &str,
    at: Timestamp,
) -> Result<(), Error> {
    let policy = deployment.policy;
    let order: Vec<Environment> = policy.promotion.iter().copied().take_while(|e| *e != env).chain([env]).collect();
    for e in order {
        let req = simulated_request(policy, e, "drill-bot", ticket, commit, at, false);
        let outcome = deployment.run(&req, None, &ApplyOptions::default()).await?;
        if !outcome.verdict.passed() {
            return Err(Error::Failed(format!("the drill's {} gate stayed closed:\n{}", e.label(), outcome.verdict)));
        }
    }
    Ok(())
}

/// The drill from a checkout whose commit is already promoted to `env` (as `rehearse` leaves
/// it): promote a bad commit after it, then detect, roll back and verify against the clock.
pub async fn drill_promoted(
    deployment: &Deployment<'_>,
    ticket: &str,
    env: Environment,
    at: Timestamp,
) -> Result<DrillReport, Error> {
    let (endpoint, region, checkout, policy, tickets) =
        (deployment.endpoint, deployment.region, deployment.repo, deployment.policy, deployment.tickets);
    let bad = break_environment(checkout.root(), env)?;
    promote(deployment, ticket, env, &bad, at).await?;

    // The incident: from here the clock runs.
    let trigger = Instant::now();
    let mut phases = Vec::new();
    let mut phase = |name: &'static str, since: Instant| phases.push(Phase { name, ms: since.elapsed().as_millis() });
    let clients = AwsClients::for_environment(endpoint, env, region).await;
    let started = Instant::now();
    let desired_now = DesiredEnvironment::load(checkout, env)?;
    let broken = verify(&clients, &desired_now).await.map_err(crate::engine::plan::PlanError::Live)?;
    let detected: Vec<String> =
        broken.failures().iter().map(|c| format!("{} {}: {}", c.requirement, c.subject, c.detail)).collect();
    phase("detect", started);
    let detected_at = Instant::now();
    if detected.is_empty() {
        return Err(Error::Failed(format!("{}: the bad deployment broke nothing the checks see", env.label())));
    }

    let started = Instant::now();
    let rollback = TagRollback::prepare(deployment, env, LAST_GOOD, at).await?;
    phase("plan", started);

    let started = Instant::now();
    let req = simulated_request(policy, env, "drill-bot", ticket, rollback.commit(), at, true);
    let verdict = evaluate(policy, tickets, None, &req);
    phase("gate", started);
    if !verdict.passed() {
        return Err(Error::Failed(format!("the rollback gate stayed closed:\n{verdict}")));
    }

    let started = Instant::now();
    // The rollback is recorded as starting at `at`; the detection is placed as long before it
    // as it really was, so the record carries detection → recovery on its own clock.
    let lead = jiff::SignedDuration::try_from(detected_at.elapsed()).unwrap_or(jiff::SignedDuration::ZERO);
    let tag = rollback.tag.clone();
    let desired_then = DesiredEnvironment::load(rollback.tree(), env)?;
    let outcome = rollback.execute(deployment, &req, &ApplyOptions::default(), at.checked_sub(lead).ok()).await?;
    phase("apply", started);

    let started = Instant::now();
    let after = verify(&clients, &desired_then).await.map_err(crate::engine::plan::PlanError::Live)?;
    phase("verify", started);
    if !after.passed() || !outcome.succeeded() {
        return Err(Error::Failed(format!("the rollback did not recover {}:\n{after}", env.label())));
    }
    let rto = trigger.elapsed();
    let rto_target = &policy.environment(env).rollback_rto;
    let target = match rto_target {
        Rto::BestEffort => None,
        Rto::Within(d) => Some(d),
    };
    let met = rto_target.is_met_by(rto);
    Ok(DrillReport {
        environment: env,
        detected,
        rolled_back_to: tag,
        phases,
        rto_ms: rto.as_millis(),
        target: target.map(|d| format!("< {d}")),
        met,
        not_rehearsed: Vec::new(),
    })
}

/// The bad commit: point-in-time recovery off in the drilled environment's file only.
fn break_environment(root: &std::path::Path, env: Environment) -> Result<String, Error> {
    let path = crate::foundation::config::EnvironmentFile::path(root, env);
    let text =
        std::fs::read_to_string(&path).map_err(|source| Error::File { flag: "--repo", path: path.clone(), source })?;
    let broken = text.replace("enable_point_in_time_recovery = true", "enable_point_in_time_recovery = false");
    std::fs::write(&path, broken).map_err(|source| Error::File { flag: "--repo", path: path.clone(), source })?;
    Ok(crate::foundation::git::commit_all(root, "drill: point-in-time recovery off")?)
}
