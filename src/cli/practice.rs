//! Practice on an emulator: the rehearsal of the whole pipeline and the rollback drill.

use std::path::PathBuf;
use std::time::Instant;

use super::args::{on_emulator, open_repo, parse_env};
use super::observe::{html_destination, write_html};
use super::{Global, print_report, verdict};
use crate::Environment;
use crate::Error;
use crate::practice::rehearse::Rehearsal;

#[derive(Debug, clap::Args)]
pub struct DrillArgs {
    #[arg(long, value_parser = parse_env, default_value = "prod")]
    env: Environment,
    #[arg(long)]
    repo: Option<PathBuf>,
    /// What the bad commit breaks: pitr (point-in-time recovery off), index (also drops an
    /// index of the largest table, which the rollback backfills again) or replace (also adds a
    /// sort key to it, so the rollback replaces the table).
    #[arg(long = "break", value_enum, default_value = "pitr")]
    breakage: crate::practice::drill::Breakage,
    #[command(flatten)]
    record: super::args::RecordTimings,
}

#[derive(Debug, clap::Args)]
pub struct RehearseArgs {
    /// The infra repo (default: the current directory if it holds pipeline.yml, else the sample repo).
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Also write the rehearsal's dashboard as a self-contained HTML page.
    #[arg(long)]
    html: Option<PathBuf>,
}

pub async fn drill(g: &Global, a: DrillArgs) -> Result<u8, Error> {
    let repo = open_repo(a.repo)?;
    let record = a.record.open(g)?;
    let now = crate::foundation::clock::Clock::from_env()?.now();
    let report = on_emulator(g, |endpoint| {
        let repo = &repo;
        async move { crate::practice::drill::drill(&endpoint, &g.region, repo, a.env, a.breakage, now).await }
    })
    .await?;
    print_report(g.format, &report);
    super::args::RecordTimings::save(record, report.applied.as_ref(), &repo, a.env, &g.region)?;
    Ok(verdict(report.met))
}

pub async fn rehearse(g: &Global, a: RehearseArgs) -> Result<u8, Error> {
    a.html.as_deref().map(html_destination).transpose()?;
    let repo = open_repo(a.repo)?;
    let started = Instant::now();
    let report = on_emulator(g, |endpoint| {
        let repo = &repo;
        async move {
            let now = crate::foundation::clock::Clock::from_env()?.now();
            Rehearsal::new(repo, &endpoint, &g.region).run(started, now).await
        }
    })
    .await?;
    if let Some(path) = &a.html {
        write_html(path, &report.dashboard)?;
    }
    print_report(g.format, &report);
    Ok(verdict(report.drill.met))
}
