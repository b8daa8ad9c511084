//! What several commands take: value parsers, the gate's inputs, the repo and the clock, and
//! the policy, tickets and webhooks a gated command reads from the repo.

use std::path::PathBuf;

use crate::Environment;
use crate::Error;
use crate::emulator::{BackendChoice, Emulator, Endpoint};
use crate::engine::state::Component;
use crate::foundation::policy::Pipeline;
use crate::foundation::repo::Repo;
use crate::foundation::tickets::{FileTickets, TicketId};
use crate::release::deploy::Deployment;
use crate::release::gate::{self, Approval, GateRequest};
use crate::release::notify::Notifier;

use super::Global;

pub fn parse_backend(s: &str) -> Result<BackendChoice, String> {
    s.parse().map_err(|_| format!("expected one of {}", BackendChoice::NAMES.join(", ")))
}

pub fn parse_env(s: &str) -> Result<Environment, String> {
    s.parse().map_err(|e: crate::foundation::environment::UnknownEnvironment| e.to_string())
}

pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let d: jiff::SignedDuration = s.parse().map_err(|e| format!("{s:?} is not a duration like 30s or 5m: {e}"))?;
    std::time::Duration::try_from(d).map_err(|_| format!("{s:?}: a duration cannot be negative"))
}

pub fn parse_max_age(s: &str) -> Result<jiff::SignedDuration, String> {
    let d: jiff::SignedDuration = s.parse().map_err(|e| format!("{s:?} is not a duration like 30m or 1h: {e}"))?;
    if d.is_positive() { Ok(d) } else { Err(format!("{s:?}: the limit must be positive")) }
}

/// A Terraform workspace name: what Terraform accepts (a URL path segment needing no escape).
pub fn parse_workspace(s: &str) -> Result<String, String> {
    let ok = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!("{s:?} is not a Terraform workspace name (letters, digits, - . _ ~)"))
    }
}

pub fn parse_component(s: &str) -> Result<Component, String> {
    s.parse().map_err(|e: crate::foundation::component::BadComponent| e.to_string())
}

/// `--repo DIR`, else the current directory if it holds pipeline.yml, else the sample repo.
pub fn open_repo(repo: Option<PathBuf>) -> Result<Repo, Error> {
    Ok(match repo {
        Some(dir) => Repo::open(&dir)?,
        None if std::path::Path::new("pipeline.yml").is_file() => Repo::open(std::path::Path::new("."))?,
        None => Repo::open(&Repo::sample_path())?,
    })
}

/// `--at`, else STAGEGATE_NOW, else now.
pub fn instant(at: Option<String>) -> Result<jiff::Timestamp, Error> {
    Ok(match at {
        Some(at) => crate::foundation::clock::parse_instant("--at", &at)?,
        None => crate::foundation::clock::Clock::from_env()?.now(),
    })
}

/// Runs `work` against the chosen backend's emulator (or AWS), and shuts the emulator down
/// afterwards whatever the outcome.
pub async fn on_emulator<T, F, Fut>(global: &Global, work: F) -> Result<T, Error>
where
    F: FnOnce(Endpoint) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let emulator = Emulator::start(global.backend, global.endpoint.as_deref()).await?;
    let result = work(emulator.endpoint().clone()).await;
    emulator.shutdown().await;
    result
}

/// The inputs of an approval gate (LLD 7.4, 7.6); every value is checked against a strict
/// pattern and refused (exit 2, naming the flag) when it does not match.
#[derive(Debug, clap::Args)]
pub struct GateArgs {
    #[arg(long, value_parser = parse_env)]
    pub env: Environment,
    /// Who triggers the deployment (GitHub handle).
    #[arg(long)]
    pub deployer: String,
    /// An approval: WHO, or WHO@RFC3339 with the time it was given. Repeatable.
    #[arg(long = "approve")]
    pub approvals: Vec<String>,
    /// The typed confirmation: deploy-ENV (rollback-ENV for a rollback).
    #[arg(long = "confirm")]
    pub confirmation: Option<String>,
    /// The change ticket (CHG followed by 7 digits); PROD needs one.
    #[arg(long)]
    pub change_ticket: Option<String>,
    /// The branch the commit is on.
    #[arg(long)]
    pub branch: Option<String>,
    /// The commit deployed (default: `git rev-parse HEAD` in the repo).
    #[arg(long)]
    pub commit: Option<String>,
    /// What started the run: manual, workflow_dispatch, push, schedule, ...
    #[arg(long, default_value = "manual")]
    pub trigger: String,
    /// Evaluate at this instant (RFC 3339); default STAGEGATE_NOW or now.
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long)]
    pub repo: Option<PathBuf>,
}

impl GateArgs {
    fn request(&self, repo: &Repo, rollback: bool) -> Result<GateRequest, Error> {
        let approvals = self.approvals.iter().map(|a| a.parse::<Approval>()).collect::<Result<_, _>>()?;
        let commit = match &self.commit {
            Some(c) => Some(gate::commit(c)?),
            None => crate::foundation::git::current_commit(repo.root()),
        };
        Ok(GateRequest {
            env: self.env,
            deployer: gate::github_handle("--deployer", &self.deployer)?,
            approvals,
            confirmation: self.confirmation.as_deref().map(gate::confirmation).transpose()?,
            change_ticket: self.change_ticket.as_deref().map(str::parse::<TicketId>).transpose()?,
            branch: self.branch.as_deref().map(gate::branch).transpose()?,
            commit,
            trigger: gate::trigger(&self.trigger)?,
            at: instant(self.at.clone())?,
            rollback,
            slack_configured: false,
        })
    }
}

/// What the gated commands read from the infra repo: the policy, the change tickets, and the
/// webhooks the policy names (from the environment; their values are never printed).
pub struct Setup {
    pub repo: Repo,
    pub policy: Pipeline,
    pub tickets: FileTickets,
    pub notifier: Notifier,
}

impl Setup {
    pub fn load(repo: Option<PathBuf>) -> Result<Setup, Error> {
        let repo = open_repo(repo)?;
        let policy = Pipeline::load(repo.root())?;
        let tickets = FileTickets::load(repo.root())?;
        let notifier = Notifier::from_env(&policy)?;
        Ok(Setup { repo, policy, tickets, notifier })
    }

    /// The gate request from the command line.
    pub fn request(&self, gate: &GateArgs, rollback: bool) -> Result<GateRequest, Error> {
        let mut req = gate.request(&self.repo, rollback)?;
        req.slack_configured = self.notifier.configured(req.env);
        Ok(req)
    }

    pub fn deployment<'a>(&'a self, endpoint: &'a Endpoint, region: &'a str) -> Deployment<'a> {
        Deployment::new(endpoint, region, &self.repo, &self.policy, &self.tickets).with_notifier(Some(&self.notifier))
    }
}

/// `--record-timings FILE` (R59): the time every AWS operation of this apply took, added to
/// FILE; the repo's `timings/aws.yml` calibrates the drill's projection.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RecordTimings {
    /// Add the AWS time of every operation the apply performs to FILE (keep it as the repo's
    /// timings/aws.yml to calibrate the drill); with --backend aws only.
    #[arg(long = "record-timings", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

impl RecordTimings {
    /// The file and what it holds already; refused before anything runs when the backend is
    /// not AWS (an emulator's times are not AWS's) or the file is not a timings file.
    pub fn open(&self, g: &Global) -> Result<Option<(PathBuf, crate::practice::calibration::Timings)>, Error> {
        let Some(path) = &self.file else { return Ok(None) };
        if g.backend != BackendChoice::Aws {
            return Err(Error::Usage(format!(
                "--record-timings {}: only times measured on AWS calibrate the projection; add --backend aws",
                path.display()
            )));
        }
        Ok(Some((path.clone(), crate::practice::calibration::Timings::open(path)?)))
    }

    /// Adds the apply's times to the opened file and writes it whole.
    pub fn save(
        opened: Option<(PathBuf, crate::practice::calibration::Timings)>,
        report: Option<&crate::engine::apply::ApplyReport>,
        repo: &Repo,
        env: Environment,
        region: &str,
    ) -> Result<(), Error> {
        let (Some((path, mut timings)), Some(report)) = (opened, report) else { return Ok(()) };
        let sizes = crate::practice::projection::TableSizes::load(repo.root(), env)?;
        crate::practice::calibration::add(&mut timings, report, env, region, &sizes, jiff::Timestamp::now());
        timings.save(&path)?;
        let added: usize = report.components.iter().map(|c| c.operations.len()).sum();
        eprintln!("the AWS times of {added} operations added to {}", path.display());
        Ok(())
    }
}
