//! The command line: parses arguments, dispatches to one library flow per command, prints the
//! result and maps errors to exit codes. One file per pipeline stage.

mod args;
mod checks;
mod emulator;
mod engine;
mod observe;
mod practice;
mod release;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::Error;
use crate::aws::DEFAULT_REGION;
use crate::emulator::BackendChoice;
use crate::foundation::exit;

#[derive(Debug, Parser)]
#[command(
    name = "stagegate",
    version,
    about = "The S3/DynamoDB delivery pipeline, executable: validate, plan, gate, apply, verify, roll back."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

// Options every command takes.
#[derive(Debug, clap::Args)]
pub struct Global {
    /// Where AWS calls go: auto, local (moto), localstack, external, aws.
    #[arg(long, global = true, default_value = "auto", value_parser = args::parse_backend)]
    pub backend: BackendChoice,
    /// An AWS-compatible endpoint (implies the external backend under auto).
    #[arg(long, global = true)]
    pub endpoint: Option<String>,
    /// AWS region.
    #[arg(long, global = true, default_value = DEFAULT_REGION)]
    pub region: String,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print how long each step took (to stderr).
    #[arg(long, global = true)]
    pub timings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for `scan` and `lint-workflows` (other commands write JSON).
    Sarif,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Keep an emulator running in the background for chained commands.
    Emulator {
        #[command(subcommand)]
        action: emulator::EmulatorAction,
    },
    /// Terraform state: bootstrap the backend, show a component's state, list and restore versions.
    State {
        /// The infra repo whose pipeline.yml says how states are locked (state.locking).
        #[arg(long, global = true)]
        repo: Option<std::path::PathBuf>,
        /// A Terraform workspace other than default (its states are at env:/NAME/<key>).
        #[arg(long, global = true, value_parser = args::parse_workspace)]
        workspace: Option<String>,
        #[command(subcommand)]
        action: engine::StateAction,
    },
    /// Release a component's state lock; needs the ID of the lock actually held (R31).
    ForceUnlock(engine::ForceUnlockArgs),
    /// Plan the repo against one environment (or all three at once): what apply would change,
    /// with drift told apart from configuration changes.
    Plan(engine::PlanArgs),
    /// Apply a stored plan (or a fresh one) to one environment, holding each component's lock.
    Apply(engine::ApplyArgs),
    /// Evaluate the approval gate of one environment; no AWS needed unless --check-promotion.
    Gate(release::GateCommand),
    /// Deploy: gate, lock, apply, post-deploy tests, tag, record. A closed gate changes nothing.
    Deploy(release::DeployArgs),
    /// Roll an environment back to a deployment tag: preview, gate (rollback-ENV), apply exactly
    /// the previewed plan, post-deploy tests, tag, record.
    Rollback(release::RollbackArgs),
    /// Measure the rollback RTO: promote a good commit, then a bad one, detect, roll back to the
    /// last good tag, verify; print each phase and the verdict against pipeline.yml's target.
    Drill(practice::DrillArgs),
    /// Check the post-deploy invariants of one environment against its live resources.
    Verify(release::VerifyArgs),
    /// Stage 1: schemas, table definitions, environment files and templates (R01-R03, R07-R09).
    Validate(checks::ValidateArgs),
    /// Canonical formatting of schema JSON and environment files (R04).
    Fmt(checks::FmtArgs),
    /// Security rules on the desired configuration (R05) and the deployer roles' policies
    /// (R41, R42); fails on HIGH or CRITICAL findings.
    Scan(checks::ScanArgs),
    /// Estimate the monthly cost of an environment's desired resources (R06).
    Cost(checks::CostArgs),
    /// GitHub Actions workflows against the workflow matrix (R52, F02, F04, F05, F10); fails on any finding.
    LintWorkflows(checks::LintArgs),
    /// List the active state locks of every environment and alert on locks held too long (R48).
    Locks(observe::LocksArgs),
    /// Rehearse the pipeline end to end on an emulator.
    Rehearse(practice::RehearseArgs),
    /// KPIs against their targets and the dashboard of the last days (R49, R50), from every
    /// environment's deployment records and DEV's check records. Informational: exit 0.
    Report(observe::ReportArgs),
    /// Follow an environment's health after a deployment (critical CloudWatch alarms, post-deploy
    /// tests); roll back to the last good deployment where pre-approved (R55).
    Watch(watch::WatchArgs),
    /// Plan every environment against its live resources and report changes made outside the
    /// pipeline (R56): exit 0 none, 1 drift, 3 could not look.
    Drift(watch::DriftArgs),
}

/// The binary's entry point.
pub fn main() -> ExitCode {
    restore_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::BAD_INPUT } else { exit::OK });
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("stagegate: cannot start the async runtime: {e}");
            return ExitCode::from(exit::INFRASTRUCTURE);
        }
    };
    let code = runtime.block_on(async {
        tokio::select! {
            result = run(cli) => match result {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("stagegate: {e}");
                    e.exit_code()
                }
            },
            // Dropping `run` kills any emulator it started.
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stagegate: interrupted");
                130
            }
        }
    });
    ExitCode::from(code)
}

/// Runs one command; `Ok` carries the exit code of a command that completed.
pub async fn run(cli: Cli) -> Result<u8, Error> {
    let g = &cli.global;
    match cli.command {
        Command::Emulator { action } => emulator::run(action, g.backend, g.format).await,
        Command::State { action, repo, workspace } => engine::state(g, action, repo, workspace).await,
        Command::ForceUnlock(a) => engine::force_unlock(g, a).await,
        Command::Plan(a) => engine::plan(g, a).await,
        Command::Apply(a) => engine::apply(g, a).await,
        Command::Gate(a) => release::gate(g, a).await,
        Command::Deploy(a) => release::deploy(g, a).await,
        Command::Rollback(a) => release::rollback(g, a).await,
        Command::Verify(a) => release::verify(g, a).await,
        Command::Drill(a) => practice::drill(g, a).await,
        Command::Rehearse(a) => practice::rehearse(g, a).await,
        Command::Validate(a) => checks::validate(g, a).await,
        Command::Fmt(a) => checks::fmt(g, a),
        Command::Scan(a) => checks::scan(g, a).await,
        Command::Cost(a) => checks::cost(g, a),
        Command::LintWorkflows(a) => checks::lint_workflows(g, a),
        Command::Locks(a) => observe::locks(g, a).await,
        Command::Report(a) => observe::report(g, a).await,
        Command::Watch(a) => watch::watch(g, a).await,
        Command::Drift(a) => watch::drift(g, a).await,
    }
}

/// A report as text (its Display) or as JSON.
fn print_report<T: serde::Serialize + std::fmt::Display>(format: Format, report: &T) {
    match format {
        Format::Text => print!("{report}"),
        Format::Json | Format::Sarif => {
            println!("{}", serde_json::to_string_pretty(report).expect("a report serialises"))
        }
    }
}

/// Writes a report to stdout; a reader that went away (`| head`) is not an error.
fn emit(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Exit 0 when `ok`, else 1: the rule or check failed.
fn verdict(ok: bool) -> u8 {
    if ok { exit::OK } else { exit::RULE_FAILED }
}

/// Rust ignores SIGPIPE, so a print to a closed pipe (`stagegate plan | head`) would panic;
/// the default action ends the process quietly, as other command-line tools do.
fn restore_sigpipe() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: set once at start-up, before any thread exists; SIG_DFL installs no handler code.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}
