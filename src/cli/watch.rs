//! After a deployment: `watch` (R55) follows an environment's health and rolls back where the
//! policy allows it; `drift` (R56) looks for changes made outside the pipeline.

use std::path::PathBuf;

use super::args::{GateArgs, Setup, on_emulator, parse_env};
use super::{Global, print_report};
use crate::Environment;
use crate::Error;
use crate::foundation::clock::Clock;
use crate::release::gate::Approval;
use crate::release::watch::WatchOptions;

/// How long to watch and how often to look.
#[derive(Debug, Clone, clap::Args)]
pub struct WatchWindow {
    /// How long to watch (default pipeline.yml's watch.ENV.window, 24h).
    #[arg(long = "for", value_parser = parse_span)]
    pub window: Option<jiff::SignedDuration>,
    /// How often to look (default watch.ENV.poll_interval, 1m).
    #[arg(long, value_parser = parse_span)]
    pub poll: Option<jiff::SignedDuration>,
}

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    #[arg(long, value_parser = parse_env)]
    env: Environment,
    #[command(flatten)]
    window: WatchWindow,
    /// Start at this instant (RFC 3339) on simulated time; default STAGEGATE_NOW, else the clock.
    #[arg(long)]
    at: Option<String>,
    #[arg(long)]
    repo: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DriftArgs {
    /// An environment to look at (repeatable); default every one.
    #[arg(long = "env", value_parser = parse_env)]
    envs: Vec<Environment>,
    /// Plan at this instant (RFC 3339); default STAGEGATE_NOW or now.
    #[arg(long)]
    at: Option<String>,
    #[arg(long)]
    repo: Option<PathBuf>,
}

pub fn parse_span(s: &str) -> Result<jiff::SignedDuration, String> {
    let d: jiff::SignedDuration = s.parse().map_err(|e| format!("{s:?} is not a duration like 30m or 24h: {e}"))?;
    if d.is_positive() { Ok(d) } else { Err(format!("{s:?}: must be positive")) }
}

/// `--at`, else STAGEGATE_NOW, else the system clock.
fn clock(at: Option<String>) -> Result<Clock, Error> {
    Ok(match at {
        Some(at) => Clock::Fixed(crate::foundation::clock::parse_instant("--at", &at)?),
        None => Clock::from_env()?,
    })
}

pub async fn watch(g: &Global, a: WatchArgs) -> Result<u8, Error> {
    let setup = Setup::load(a.repo)?;
    let options = WatchOptions { window: a.window.window, poll: a.window.poll, clock: clock(a.at)? };
    let report = on_emulator(g, |endpoint| {
        let setup = &setup;
        async move { crate::release::watch::watch(&setup.deployment(&endpoint, &g.region), a.env, &options).await }
    })
    .await?;
    print_report(g.format, &report);
    Ok(super::verdict(report.healthy()))
}

/// `deploy --watch` and `--pre-approve-rollback`: the deployment, then its watch.
pub async fn deploy_and_watch(
    g: &Global,
    gate: &GateArgs,
    plan: Option<crate::engine::plan::Plan>,
    pre_approvals: &[String],
    watch: Option<WatchWindow>,
) -> Result<u8, Error> {
    let setup = Setup::load(gate.repo.clone())?;
    let req = setup.request(gate, false)?;
    let pre: Vec<Approval> = pre_approvals
        .iter()
        .map(|p| {
            p.parse::<Approval>().map_err(|mut e| {
                e.flag = "--pre-approve-rollback";
                e
            })
        })
        .collect::<Result<_, _>>()?;
    // A deployment at a given instant is watched on simulated time from that instant.
    let simulated = gate.at.is_some() || matches!(Clock::from_env()?, Clock::Fixed(_));
    let clock = if simulated { Clock::Fixed(req.at) } else { Clock::System };
    let options = watch.map(|w| WatchOptions { window: w.window, poll: w.poll, clock });
    let (outcome, report) = on_emulator(g, |endpoint| {
        let (setup, req, pre) = (&setup, &req, &pre);
        async move {
            let d = setup.deployment(&endpoint, &g.region);
            crate::release::watch::deploy_and_watch(&d, req, pre, plan, options.as_ref()).await
        }
    })
    .await?;
    print_report(g.format, &outcome);
    if let Some(r) = &report {
        print_report(g.format, r);
    }
    Ok(super::verdict(outcome.succeeded() && report.as_ref().is_none_or(|r| r.healthy())))
}

pub async fn drift(g: &Global, a: DriftArgs) -> Result<u8, Error> {
    let setup = Setup::load(a.repo)?;
    let at = super::args::instant(a.at)?;
    let envs = if a.envs.is_empty() { Environment::ALL.to_vec() } else { a.envs };
    let report = on_emulator(g, |endpoint| {
        let setup = &setup;
        async move { crate::release::drift::detect(&setup.deployment(&endpoint, &g.region), &envs, at).await }
    })
    .await?;
    print_report(g.format, &report);
    Ok(report.exit_code())
}
