//! Watching the pipeline (LLD 7.8.1, 7.10): the lock monitor and the KPI report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::args::{Setup, instant, on_emulator, parse_env, parse_max_age};
use super::{Global, print_report, verdict};
use crate::Environment;
use crate::Error;
use crate::foundation::exit;
use crate::observe::dashboard::Dashboard;

#[derive(Debug, clap::Args)]
pub struct LocksArgs {
    /// The infra repo, for pipeline.yml's alert limit and channels.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Alert on locks held longer than this (default: notifications.lock_alert_after).
    #[arg(long, value_parser = parse_max_age)]
    max_age: Option<jiff::SignedDuration>,
    /// Only this environment's lock table.
    #[arg(long, value_parser = parse_env)]
    env: Option<Environment>,
    /// The instant ages are measured at (RFC 3339; default now or STAGEGATE_NOW).
    #[arg(long)]
    at: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// How many days before now (STAGEGATE_NOW or --at) the window covers.
    #[arg(long, default_value_t = crate::observe::metrics::DEFAULT_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650))]
    days: u32,
    /// Also write the dashboard as a self-contained HTML page.
    #[arg(long)]
    html: Option<PathBuf>,
    /// The end of the window (RFC 3339); default STAGEGATE_NOW or now.
    #[arg(long)]
    at: Option<String>,
}

pub async fn locks(g: &Global, a: LocksArgs) -> Result<u8, Error> {
    let Setup { policy, notifier, .. } = Setup::load(a.repo)?;
    let now = instant(a.at)?;
    let max_age = a.max_age.unwrap_or(policy.notifications.lock_alert_after.0);
    let envs = a.env.map_or_else(|| Environment::ALL.to_vec(), |e| vec![e]);
    let settings = crate::engine::state::StateSettings::from_names(&policy.state);
    let report = on_emulator(g, |endpoint| {
        let (envs, notifier, settings) = (&envs, &notifier, &settings);
        async move {
            Ok(crate::observe::monitor::monitor(&endpoint, &g.region, envs, max_age, now, Some(notifier), settings)
                .await)
        }
    })
    .await?;
    print_report(g.format, &report);
    let unreadable = report.unreadable();
    if !unreadable.is_empty() {
        return Err(Error::Infrastructure(format!("lock tables not readable: {}", unreadable.join("; "))));
    }
    Ok(verdict(!report.alerting()))
}

pub async fn report(g: &Global, a: ReportArgs) -> Result<u8, Error> {
    a.html.as_deref().map(html_destination).transpose()?;
    let window = crate::observe::metrics::Window::last_days(instant(a.at)?, a.days);
    let started = Instant::now();
    let dashboard =
        on_emulator(g, |endpoint| async move { Dashboard::load(&endpoint, &g.region, window).await }).await?;
    if g.timings {
        let m = &dashboard.metrics;
        eprintln!(
            "timings: report read and measured {} deployments and {} rollbacks in {} ms",
            m.deployments,
            m.rollbacks,
            started.elapsed().as_millis()
        );
    }
    if let Some(path) = &a.html {
        let started = Instant::now();
        write_html(path, &dashboard)?;
        if g.timings {
            eprintln!("timings: report wrote {} in {} ms", path.display(), started.elapsed().as_millis());
        }
    }
    print_report(g.format, &dashboard);
    // A report looks back; the gates and checks are what stop a bad change, so a missed KPI
    // is shown as MISSED but does not fail the command.
    Ok(exit::OK)
}

/// Refuses an `--html` path whose directory does not exist before any work is done.
pub(super) fn html_destination(path: &Path) -> Result<(), Error> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => {
            Err(Error::Usage(format!("--html {}: the directory {} does not exist", path.display(), dir.display())))
        }
        _ => Ok(()),
    }
}

pub(super) fn write_html(path: &Path, dashboard: &Dashboard) -> Result<(), Error> {
    std::fs::write(path, dashboard.html()).map_err(|source| Error::File {
        flag: "--html",
        path: path.to_owned(),
        source,
    })
}
