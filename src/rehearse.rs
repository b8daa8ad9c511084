//! `stagegate rehearse`: the pipeline rehearsed end to end on an emulator. It plans the repo
//! for DEV, SIT and PROD at once, then promotes it DEV → SIT → PROD: each environment's state
//! backend is bootstrapped, the reviewed plan applied under the state locks, a new plan must
//! show nothing left to do, and a rival lock on a component must be refused naming its holder.

use std::fmt;
use std::time::Instant;

use jiff::Timestamp;
use serde::Serialize;

use crate::Environment;
use crate::apply::{ApplyOptions, apply};
use crate::aws::AwsClients;
use crate::desired::DesiredEnvironment;
use crate::emulator::Endpoint;
use crate::error::Error;
use crate::plan::{Action, plan_environment, plan_environments};
use crate::repo::Repo;
use crate::state::{OPERATION_APPLY, StateError, StateStore};

const RIVAL_WHO: &str = "rival@stagegate";

pub struct Rehearsal<'a> {
    repo: &'a Repo,
    endpoint: &'a Endpoint,
    region: &'a str,
}

#[derive(Debug, Serialize)]
pub struct RehearsalReport {
    pub repo: String,
    pub endpoint: String,
    pub commit: Option<String>,
    pub plans: Vec<PlanSummary>,
    pub promotions: Vec<Promotion>,
    pub total_ms: u128,
}

#[derive(Debug, Serialize)]
pub struct PlanSummary {
    pub environment: Environment,
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub unchanged: usize,
    pub ms: u128,
}

#[derive(Debug, Serialize)]
pub struct Promotion {
    pub environment: Environment,
    pub account: String,
    pub state_bucket: String,
    pub lock_table: String,
    pub components: usize,
    pub operations: usize,
    pub apply_ms: u128,
    pub converged: bool,
    pub rival_lock_refused_while_held_by: String,
}

impl<'a> Rehearsal<'a> {
    pub fn new(repo: &'a Repo, endpoint: &'a Endpoint, region: &'a str) -> Rehearsal<'a> {
        Rehearsal { repo, endpoint, region }
    }

    /// Runs the rehearsal; `started` is when the command began.
    pub async fn run(&self, started: Instant, now: Timestamp) -> Result<RehearsalReport, Error> {
        let commit = crate::plan::current_commit(self.repo.root());
        let timed =
            plan_environments(self.endpoint, self.region, self.repo, &Environment::ALL, commit.clone(), now).await?;
        let mut plans = Vec::new();
        let mut promotions = Vec::new();
        for (plan, took) in timed {
            let counts = plan.counts();
            let n = |a| counts.get(&a).copied().unwrap_or(0);
            plans.push(PlanSummary {
                environment: plan.environment,
                create: n(Action::Create),
                update: n(Action::Update),
                replace: n(Action::Replace),
                delete: n(Action::Delete),
                unchanged: n(Action::NoOp),
                ms: took.as_millis(),
            });
            promotions.push(self.promote(plan, now).await?);
        }
        Ok(RehearsalReport {
            repo: self.repo.root().display().to_string(),
            endpoint: self.endpoint.to_string(),
            commit,
            plans,
            promotions,
            total_ms: started.elapsed().as_millis(),
        })
    }

    async fn promote(&self, plan: crate::plan::Plan, now: Timestamp) -> Result<Promotion, Error> {
        let env = plan.environment;
        let clients = AwsClients::for_environment(self.endpoint, env, self.region).await;
        let store = StateStore::new(clients.clone(), env);
        store.bootstrap().await?;
        let report = apply(&store, &plan, self.repo, now, &ApplyOptions::default()).await?;
        if let Some(failed) = report.components.iter().find(|c| c.error.is_some()) {
            return Err(Error::Usage(format!(
                "{}: applying {} failed: {}",
                env.label(),
                failed.component,
                failed.error.as_deref().unwrap_or_default()
            )));
        }
        let desired = DesiredEnvironment::load(self.repo, env)?;
        let again = plan_environment(&clients, &desired, plan.commit.clone(), now).await?;
        let component = desired.components.first().map(|d| d.component.clone());
        let rival_lock_refused_while_held_by = match component {
            Some(c) => {
                let held = store.lock(&c, OPERATION_APPLY, "rehearsal@stagegate", "stagegate rehearse").await?;
                let rival = store.lock(&c, OPERATION_APPLY, RIVAL_WHO, "rival").await;
                store.unlock(&c, &held.id).await?;
                match rival {
                    Err(StateError::Locked { holder }) => holder.who,
                    Ok(granted) => {
                        store.unlock(&c, &granted.id).await?;
                        return Err(Error::Usage(format!("{}: a second lock on {c} was granted", env.label())));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            None => String::new(),
        };
        Ok(Promotion {
            environment: env,
            account: env.account_id().into(),
            state_bucket: store.bucket().into(),
            lock_table: store.lock_table().into(),
            components: report.components.len(),
            operations: report.components.iter().map(|c| c.operations.len()).sum(),
            apply_ms: report.elapsed_ms,
            converged: !again.has_changes(),
            rival_lock_refused_while_held_by,
        })
    }
}

impl fmt::Display for RehearsalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stagegate rehearse")?;
        writeln!(f, "  repo      {}", self.repo)?;
        writeln!(f, "  commit    {}", self.commit.as_deref().unwrap_or("(not a git checkout)"))?;
        writeln!(f, "  emulator  {}", self.endpoint)?;
        writeln!(f)?;
        writeln!(f, "Plan (DEV, SIT and PROD at once)")?;
        for p in &self.plans {
            writeln!(
                f,
                "  {:<4} {} to create, {} to update, {} to replace, {} to delete, {} unchanged  ({} ms)",
                p.environment.label(),
                p.create,
                p.update,
                p.replace,
                p.delete,
                p.unchanged,
                p.ms
            )?;
        }
        writeln!(f)?;
        writeln!(f, "Promote DEV → SIT → PROD")?;
        for p in &self.promotions {
            writeln!(
                f,
                "  {:<4} account {}: {} components, {} operations applied in {} ms; re-plan {}; rival lock refused (held by {})",
                p.environment.label(),
                p.account,
                p.components,
                p.operations,
                p.apply_ms,
                if p.converged { "clean" } else { "NOT CLEAN" },
                p.rival_lock_refused_while_held_by
            )?;
            writeln!(f, "       state in {}, locks in {}", p.state_bucket, p.lock_table)?;
        }
        writeln!(f)?;
        writeln!(f, "total {:.1} s", self.total_ms as f64 / 1000.0)
    }
}
