//! The World and the step definitions, one module per domain concept.

mod backup;
mod cost;
mod cost_alert;
mod deploy;
mod dr;
mod drill;
mod gates;
mod history;
mod metrics;
mod monitor;
mod notify;
mod promotion;
mod rollback;
mod secrets;
mod security;
mod state;
mod team_repo;
mod tf_interop;
mod validation;
mod verify;
mod watch;
mod workflows;

use std::str::FromStr;
use std::sync::OnceLock;

use stagegate::Environment;
use stagegate::aws::{AwsClients, DEFAULT_REGION};
use stagegate::engine::state::{Component, StateStore};

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

/// One scenario's world: where it runs, and what its steps observed, by domain concept.
#[derive(Debug, Default, cucumber::World)]
pub struct World {
    /// The emulator leased on first use and this scenario's checkout of the sample repo.
    infra: Infra,
    /// State backends: locks taken, states remembered, the last refusal, the last lock item read.
    state: state::StateScene,
    /// Plans, applies, deployments, verifications, rollbacks and drills, in this scenario's order.
    release: promotion::ReleaseScene,
    /// Stage 1: the repo checked, the workflows linted, the cost estimated, an apply's calls.
    stage1: validation::Stage1,
    /// What the pipeline reported: the dashboard, the lock monitor's report, the Slack messages.
    observed: monitor::Observations,
    /// The gate being evaluated.
    gate: gates::GateScenario,
    /// The secrets canary: the values set and what the commands printed.
    canary: secrets::Canary,
    /// The DR region and the cost alert: the PR comment with its cost change.
    dr: dr::DrScene,
    /// A run of this suite on a team's repo (R66), made by a scenario.
    suite_run: team_repo::SuiteRun,
    /// The watch after a deployment (R55) and drift detection (R56).
    watch: watch::WatchScene,
    /// When the scenario's first step started (the suite's timing report).
    pub started: Option<std::time::Instant>,
}

/// Where a scenario runs: an AWS emulator and a checkout of the sample repo, each made on demand.
#[derive(Debug, Default)]
pub struct Infra {
    /// The emulator leased from the pool on first use, returned by the after hook.
    emulator: Option<Lease>,
    /// This scenario's working copy (or git checkout) of the sample repo.
    checkout: Option<tempfile::TempDir>,
}

impl World {
    async fn lease(&mut self) -> &Lease {
        if self.infra.emulator.is_none() {
            let harness = HARNESS.get().expect("the harness is installed before scenarios run");
            let lease = harness.lease().await.unwrap_or_else(|e| panic!("no emulator for this scenario: {e}"));
            self.infra.emulator = Some(lease);
        }
        self.infra.emulator.as_ref().expect("leased above")
    }

    /// Clients with `env`'s credentials on this scenario's emulator.
    pub async fn clients(&mut self, env: Environment) -> AwsClients {
        let endpoint = self.lease().await.endpoint().clone();
        AwsClients::for_environment(&endpoint, env, DEFAULT_REGION).await
    }

    /// `target`'s state backend, reached with `env`'s own credentials, used as this scenario's
    /// locking mode says.
    pub async fn store(&mut self, env: Environment) -> StateStore {
        let settings = self.state.settings();
        StateStore::for_environment(&self.endpoint().await, env, DEFAULT_REGION).await.with_settings(settings)
    }

    /// The endpoint of this scenario's emulator.
    pub async fn endpoint(&mut self) -> stagegate::emulator::Endpoint {
        self.lease().await.endpoint().clone()
    }

    /// Returns the emulator to the pool (the after hook).
    pub async fn finish(&mut self) {
        self.infra.emulator = None;
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
