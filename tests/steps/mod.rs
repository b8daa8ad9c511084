//! The World and the step definitions, one module per domain concept.

mod backup;
mod cost;
mod deploy;
mod drill;
mod gates;
mod metrics;
mod monitor;
mod notify;
mod promotion;
mod rollback;
mod secrets;
mod security;
mod state;
mod validation;
mod verify;
mod workflows;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::OnceLock;

use stagegate::Environment;
use stagegate::aws::{AwsClients, DEFAULT_REGION};
use stagegate::engine::state::{Component, LockInfo, StateError, StateStore, StoredState, TerraformState};

use crate::harness::{Harness, Lease};

static HARNESS: OnceLock<Harness> = OnceLock::new();

/// Hands the started emulator pool to every scenario's World.
pub fn install(harness: Harness) {
    let _ = HARNESS.set(harness);
}

/// `DEV`, `SIT` or `PROD` in a step.
#[derive(Debug, Clone, Copy, cucumber::Parameter)]
#[param(name = "env", regex = "DEV|SIT|PROD")]
pub struct Env(pub Environment);

impl FromStr for Env {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Env).map_err(|e| e.to_string())
    }
}

/// One scenario's world: an emulator leased on first use, and what the steps observed.
#[derive(Debug, Default, cucumber::World)]
pub struct World {
    lease: Option<Lease>,
    /// Locks taken in this scenario, by holder.
    locks: HashMap<String, LockInfo>,
    /// States remembered before a change, by component.
    remembered: HashMap<String, StoredState>,
    /// State versions about to be restored, by serial.
    restored: HashMap<u64, TerraformState>,
    /// The last refusal, for the step that checks it.
    refusal: Option<StateError>,
    /// The last lock item read from a lock table.
    lock_item: Option<state::LockItem>,
    /// This scenario's working copy of the sample repo.
    repo: Option<tempfile::TempDir>,
    /// The last plans made (one per environment).
    plans: Vec<stagegate::engine::plan::Plan>,
    /// The last apply: its report, or why it was refused.
    outcome: Option<Result<stagegate::engine::apply::ApplyReport, String>>,
    /// The address of the resource the last plan step checked, for the steps about that change.
    focus: Option<String>,
    /// Of two applies run at the same moment, the report of the one that proceeded.
    winning_apply: Option<stagegate::engine::apply::ApplyReport>,
    /// The gate being evaluated.
    gate: gates::GateScenario,
    /// Deployments run in this scenario, in order.
    deployments: Vec<stagegate::release::deploy::DeployOutcome>,
    /// The last verification.
    verify: Option<stagegate::release::verify::VerifyReport>,
    /// A previewed rollback, not yet run.
    rollback: Option<stagegate::release::rollback::TagRollback>,
    /// The lineage of the state version the last rollback to a version went back to.
    restored_lineage: Option<String>,
    /// The last rollback drill.
    drill: Option<stagegate::practice::drill::DrillReport>,
    /// Stage 1: the repo copy validated, formatted or scanned, and what was found.
    stage1: validation::Stage1,
    /// The last report: KPIs and dashboard.
    dashboard: Option<stagegate::observe::dashboard::Dashboard>,
    /// Workflow conformance: the workflows linted and what was found.
    workflows: workflows::WorkflowLint,
    /// The Slack sink and what it received.
    slack: notify::Slack,
    /// The last lock monitor report.
    lock_report: Option<stagegate::observe::monitor::LockReport>,
    /// The secrets canary: the values set and what the commands printed.
    canary: secrets::Canary,
    /// Cost estimates and the PR comment carrying one.
    costs: cost::Costs,
    /// The calls of an apply, for the deployer role's permissions and the operations it performs.
    recorded: security::RecordedApply,
}

impl World {
    async fn lease(&mut self) -> &Lease {
        if self.lease.is_none() {
            let harness = HARNESS.get().expect("the harness is installed before scenarios run");
            let lease = harness.lease().await.unwrap_or_else(|e| panic!("no emulator for this scenario: {e}"));
            self.lease = Some(lease);
        }
        self.lease.as_ref().expect("leased above")
    }

    /// Clients with `env`'s credentials on this scenario's emulator.
    pub async fn clients(&mut self, env: Environment) -> AwsClients {
        let endpoint = self.lease().await.endpoint().clone();
        AwsClients::for_environment(&endpoint, env, DEFAULT_REGION).await
    }

    /// `target`'s state backend, reached with `env`'s own credentials.
    pub async fn store(&mut self, env: Environment) -> StateStore {
        StateStore::for_environment(&self.endpoint().await, env, DEFAULT_REGION).await
    }

    /// The endpoint of this scenario's emulator.
    pub async fn endpoint(&mut self) -> stagegate::emulator::Endpoint {
        self.lease().await.endpoint().clone()
    }

    /// Returns the emulator to the pool (the after hook).
    pub async fn finish(&mut self) {
        self.lease = None;
    }
}

/// Runs git in a scenario's checkout with a fixed identity; panics with git's message on failure.
pub fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=dev", "-c", "user.email=dev@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn component(name: &str) -> Component {
    name.parse().expect("a valid component name in the feature")
}
