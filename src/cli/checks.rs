//! Stage 1 commands (LLD 7.3.2, 7.3.3): validate, fmt, scan, cost and lint-workflows.

use std::path::PathBuf;

use super::args::{on_emulator, open_repo, parse_env};
use super::{Format, Global, emit};
use crate::Environment;
use crate::Error;
use crate::engine::state::StateStore;
use crate::foundation::exit;
use crate::release::ledger::{CheckKind, CheckRecord};

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The infra repo (default: the current directory).
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// Print the time spent per kind of input.
    #[arg(long)]
    timings: bool,
    /// Record the run in DEV's state bucket (checks/), for the validation pass rate KPI.
    #[arg(long)]
    record: bool,
}

#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// List the files that differ and exit 1, without rewriting them.
    #[arg(long)]
    check: bool,
    #[arg(long, default_value = ".")]
    repo: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// The environment whose deployer permissions must allow the calls of --actions.
    #[arg(long, requires = "actions")]
    env: Option<Environment>,
    /// The calls an apply made, as `apply --record-actions` writes them (R42, F06).
    #[arg(long, requires = "env")]
    actions: Option<PathBuf>,
    /// Record the run in DEV's state bucket (checks/), for the security scan pass rate KPI.
    #[arg(long)]
    record: bool,
}

#[derive(Debug, clap::Args)]
pub struct CostArgs {
    /// One environment (default: all three).
    #[arg(long, value_parser = parse_env)]
    env: Option<Environment>,
    #[arg(long)]
    repo: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    #[arg(long, default_value = ".")]
    repo: PathBuf,
}

pub async fn validate(g: &Global, a: ValidateArgs) -> Result<u8, Error> {
    let report = crate::checks::validate::validate(&a.repo)?;
    match g.format {
        Format::Text => emit(&report.to_string()),
        Format::Json | Format::Sarif => emit(&format!("{:#}\n", report.to_json())),
    }
    if a.timings {
        eprint!("{}", report.timings_table());
    }
    if a.record {
        let passed = report.diagnostics.is_empty();
        record_check(g, &a.repo, CheckKind::Validation, passed, report.diagnostics.len()).await?;
    }
    Ok(report.exit_code())
}

pub fn fmt(g: &Global, a: FmtArgs) -> Result<u8, Error> {
    let report = crate::checks::fmt::fmt(&a.repo, !a.check)?;
    let findings = report.diagnostics();
    let text: String = match g.format {
        Format::Text if a.check => findings.iter().map(|d| format!("{d}\n")).collect(),
        Format::Text => report
            .changed
            .iter()
            .map(|f| format!("formatted {}\n", f.file))
            .chain(report.problems.iter().map(|d| format!("{d}\n")))
            .collect(),
        Format::Json | Format::Sarif => {
            format!("{:#}\n", serde_json::json!({"files": report.files, "diagnostics": findings}))
        }
    };
    emit(&text);
    let failed = !report.problems.is_empty() || (a.check && !report.changed.is_empty());
    Ok(if failed { exit::RULE_FAILED } else { exit::OK })
}

pub async fn scan(g: &Global, a: ScanArgs) -> Result<u8, Error> {
    let calls = match &a.actions {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::File {
                flag: "--actions",
                path: path.clone(),
                source,
            })?;
            crate::checks::iam::parse_recorded_actions(&path.display().to_string(), &text)
                .map_err(Error::RecordedActions)?
        }
        None => Vec::new(),
    };
    let applied = a.env.map(|env| (env, calls.as_slice()));
    let report = crate::checks::scan::scan_with_actions(&a.repo, applied)?;
    match g.format {
        Format::Text => emit(&report.to_string()),
        Format::Json => emit(&format!("{:#}\n", report.to_json())),
        Format::Sarif => emit(&format!("{:#}\n", report.to_sarif())),
    }
    if a.record {
        let blocking = report.active().filter(|f| f.rule.severity.fails()).count();
        record_check(g, &a.repo, CheckKind::SecurityScan, blocking == 0, blocking).await?;
    }
    Ok(report.exit_code())
}

pub fn cost(g: &Global, a: CostArgs) -> Result<u8, Error> {
    let repo = open_repo(a.repo)?;
    let envs = a.env.map_or_else(|| Environment::ALL.to_vec(), |e| vec![e]);
    let estimates = envs.into_iter().map(|e| crate::engine::cost::estimate(&repo, e)).collect::<Result<Vec<_>, _>>()?;
    match g.format {
        Format::Text => estimates.iter().for_each(|e| print!("{e}")),
        Format::Json | Format::Sarif => {
            println!("{}", serde_json::to_string_pretty(&estimates).expect("estimates serialise"))
        }
    }
    Ok(exit::OK)
}

pub fn lint_workflows(g: &Global, a: LintArgs) -> Result<u8, Error> {
    let report = crate::checks::workflows::lint(&a.repo)?;
    match g.format {
        Format::Text => emit(&report.to_string()),
        Format::Json => emit(&format!("{:#}\n", report.to_json())),
        Format::Sarif => emit(&format!("{:#}\n", report.to_sarif())),
    }
    Ok(report.exit_code())
}

/// `--record`: one run of a Stage 1 check, appended under `checks/` in DEV's state bucket.
async fn record_check(
    g: &Global,
    repo: &std::path::Path,
    check: CheckKind,
    passed: bool,
    findings: usize,
) -> Result<(), Error> {
    let now = crate::foundation::clock::Clock::from_env()?.now();
    let run = CheckRecord::new(check, crate::foundation::git::current_commit(repo), now, passed, findings);
    let bucket = on_emulator(g, |endpoint| {
        let run = &run;
        async move {
            let store = StateStore::for_environment(&endpoint, Environment::Dev, &g.region).await;
            crate::release::ledger::append_check(&store, run).await?;
            Ok(store.bucket().to_owned())
        }
    })
    .await?;
    eprintln!("recorded the {} run ({}) in {bucket}", check.name(), if passed { "passed" } else { "failed" });
    Ok(())
}
