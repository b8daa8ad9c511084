//! `stagegate drift` (R56, LLD 7.12.1 item 1): plans each environment against its live
//! resources and reports what changed outside the pipeline, by R51's rule (a live value that
//! differs from the recorded state where the repo did not change it, or a recorded resource
//! that is gone). Each environment with drift is alerted in its own Slack channel and recorded
//! in its state bucket (`drift/{env}/`) for the dashboard.
//!
//! Exit codes, as `terraform plan -detailed-exitcode` in spirit: 0 no drift anywhere, 1 drift
//! in at least one environment, 3 some environment could not be looked at (its drift is then
//! unknown, whatever the others show).

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Environment;
use crate::Error;
use crate::aws::AwsClients;
use crate::engine::desired::DesiredEnvironment;
use crate::engine::plan::{Action, Cause, Plan, plan_environment};
use crate::foundation::exit;
use crate::release::deploy::Deployment;
use crate::release::ledger;
use crate::release::notify::{Delivery, Event, Notice};

pub const DRIFT_PREFIX: &str = "drift/";

/// One resource changed outside the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftedResource {
    pub address: String,
    /// The attributes that drifted; empty when the whole resource is gone.
    pub attributes: Vec<String>,
    pub detail: String,
}

impl fmt::Display for DriftedResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.address, self.detail)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Look {
    /// Planned against live resources; the drift found, if any.
    Looked { drifted: Vec<DriftedResource> },
    /// No state recorded: nothing deployed, so nothing can have drifted.
    NotDeployed,
    /// The environment could not be planned (AWS or the emulator did not answer).
    CouldNotLook { reason: String },
}

#[derive(Debug, Serialize)]
pub struct EnvironmentDrift {
    pub environment: Environment,
    #[serde(flatten)]
    pub look: Look,
    pub notifications: Vec<Delivery>,
}

#[derive(Debug, Serialize)]
pub struct DriftReport {
    pub at: Timestamp,
    pub environments: Vec<EnvironmentDrift>,
}

impl DriftReport {
    /// 0 no drift, 1 drift, 3 could not look.
    pub fn exit_code(&self) -> u8 {
        let looks = || self.environments.iter().map(|e| &e.look);
        if looks().any(|l| matches!(l, Look::CouldNotLook { .. })) {
            exit::INFRASTRUCTURE
        } else if looks().any(|l| matches!(l, Look::Looked { drifted } if !drifted.is_empty())) {
            exit::RULE_FAILED
        } else {
            exit::OK
        }
    }

    pub fn environment(&self, env: Environment) -> Option<&EnvironmentDrift> {
        self.environments.iter().find(|e| e.environment == env)
    }
}

impl fmt::Display for DriftReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.environments {
            let label = e.environment.label();
            match &e.look {
                Look::Looked { drifted } if drifted.is_empty() => writeln!(f, "{label}: no drift")?,
                Look::Looked { drifted } => {
                    writeln!(f, "{label}: DRIFT in {} resources", drifted.len())?;
                    for r in drifted {
                        writeln!(f, "  {r}")?;
                    }
                }
                Look::NotDeployed => writeln!(f, "{label}: nothing deployed, no drift")?,
                Look::CouldNotLook { reason } => writeln!(f, "{label}: COULD NOT LOOK: {reason}")?,
            }
            for n in &e.notifications {
                writeln!(f, "  {n}")?;
            }
        }
        Ok(())
    }
}

/// R56: the resources of `plan` changed outside the pipeline (R51's drift).
pub fn drifted(plan: &Plan) -> Vec<DriftedResource> {
    plan.components
        .iter()
        .flat_map(|c| &c.resources)
        .filter_map(|r| {
            let attributes: Vec<String> =
                r.changes.iter().filter(|c| c.cause == Cause::Drift).map(|c| c.name.clone()).collect();
            if r.drift && r.action == Action::Create {
                let detail = r.reason.clone().unwrap_or_else(|| "missing".into());
                return Some(DriftedResource { address: r.address.clone(), attributes, detail });
            }
            if attributes.is_empty() {
                return None;
            }
            let detail = r
                .changes
                .iter()
                .filter(|c| c.cause == Cause::Drift)
                .map(|c| format!("{} is {} (the state and the repo say {})", c.name, c.before, c.after))
                .collect::<Vec<_>>()
                .join("; ");
            Some(DriftedResource { address: r.address.clone(), attributes, detail })
        })
        .collect()
}

/// A drift found, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftRecord {
    pub id: String,
    pub environment: Environment,
    pub at: Timestamp,
    pub commit: Option<String>,
    pub drifted: Vec<DriftedResource>,
}

/// Every drift record of the environment, oldest first.
pub async fn records(
    store: &crate::engine::state::StateStore,
) -> Result<Vec<DriftRecord>, crate::engine::state::StateError> {
    ledger::read_all(store, &format!("{DRIFT_PREFIX}{}/", store.environment())).await
}

/// Looks at each of `envs` at `at`, alerts and records where it finds drift.
pub async fn detect(d: &Deployment<'_>, envs: &[Environment], at: Timestamp) -> Result<DriftReport, Error> {
    let commit = crate::foundation::git::current_commit(d.repo.root());
    let mut environments = Vec::new();
    for &env in envs {
        // The repo itself must read: a bad file is bad input (exit 2), not drift.
        let desired = DesiredEnvironment::load(d.repo, env)?;
        let clients = AwsClients::for_environment(d.endpoint, env, d.region).await;
        let look = match plan_environment(&clients, &desired, commit.clone(), at).await {
            Err(e) => Look::CouldNotLook { reason: crate::foundation::error_chain(&e) },
            Ok(plan) if plan.components.iter().all(|c| c.lineage.is_none()) => Look::NotDeployed,
            Ok(plan) => Look::Looked { drifted: drifted(&plan) },
        };
        let mut notifications = Vec::new();
        if let Look::Looked { drifted } = &look
            && !drifted.is_empty()
        {
            let notice = Notice {
                env,
                event: Event::DriftDetected { resources: drifted.iter().map(ToString::to_string).collect() },
            };
            if let Some(n) = d.notifier {
                notifications = n.notify(&notice).await;
            }
            let record = DriftRecord {
                id: uuid::Uuid::new_v4().to_string(),
                environment: env,
                at,
                commit: commit.clone(),
                drifted: drifted.clone(),
            };
            let utc = at.to_zoned_datetime(jiff::tz::TimeZone::UTC);
            let key = format!("{DRIFT_PREFIX}{}/{}-{}.json", env, utc.strftime("%Y%m%dT%H%M%S"), record.id);
            let store = d.state_store(env).await;
            ledger::put_json(&store, key, serde_json::to_vec_pretty(&record).expect("a record serialises")).await?;
        }
        environments.push(EnvironmentDrift { environment: env, look, notifications });
    }
    Ok(DriftReport { at, environments })
}
