//! The command line: parses arguments, calls the library, maps errors to exit codes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use crate::Environment;
use crate::Error;
use crate::aws::{AwsClients, DEFAULT_REGION};
use crate::emulator::{BackendChoice, BackgroundEmulator, Emulator};
use crate::engine::state::{Component, StateStore};
use crate::foundation::exit;
use crate::foundation::repo::Repo;
use crate::practice::rehearse::Rehearsal;

#[derive(Debug, Parser)]
#[command(
    name = "stagegate",
    version,
    about = "The S3/DynamoDB delivery pipeline, executable: validate, plan, gate, apply, verify, roll back."
)]
pub struct Cli {
    /// Where AWS calls go: auto, local (moto), localstack, external, aws.
    #[arg(long, global = true, default_value = "auto", value_parser = parse_backend)]
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
    #[command(subcommand)]
    pub command: Command,
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
        action: EmulatorAction,
    },
    /// Terraform state: bootstrap the backend, show a component's state, list and restore versions.
    State {
        #[command(subcommand)]
        action: StateAction,
    },
    /// Release a component's state lock; needs the ID of the lock actually held (R31).
    ForceUnlock {
        #[arg(long, value_parser = parse_env)]
        env: Environment,
        #[arg(long, value_parser = parse_component)]
        component: Component,
        /// The lock ID shown by the failed lock attempt.
        lock_id: String,
    },
    /// Plan the repo against one environment (or all three at once): what apply would change,
    /// with drift told apart from configuration changes.
    Plan {
        #[arg(long, value_parser = parse_env, conflicts_with = "all")]
        env: Option<Environment>,
        /// Plan dev, sit and prod concurrently (the default without --env).
        #[arg(long)]
        all: bool,
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Store the plan (JSON) for a later `apply --plan`; needs --env.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the PR comment (Markdown) instead of text.
        #[arg(long)]
        markdown: bool,
        /// The commit planned (default: `git rev-parse HEAD` in the repo).
        #[arg(long)]
        commit: Option<String>,
        /// Plan as if at this instant (RFC 3339); default STAGEGATE_NOW or now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Apply a stored plan (or a fresh one) to one environment, holding each component's lock.
    Apply {
        #[arg(long, value_parser = parse_env)]
        env: Environment,
        #[arg(long)]
        repo: Option<PathBuf>,
        /// A plan stored by `plan --out`; refused when expired or stale.
        #[arg(long)]
        plan: Option<PathBuf>,
        /// How long to wait for a held lock, e.g. 30s or 5m (default: fail at once).
        #[arg(long, default_value = "0s", value_parser = parse_duration)]
        lock_timeout: std::time::Duration,
        /// Write every AWS operation the apply performed to FILE (JSON).
        #[arg(long)]
        record_actions: Option<PathBuf>,
        /// Write every AWS call with the resource it touched to FILE (JSON), for `scan --actions`.
        #[arg(long)]
        record_calls: Option<PathBuf>,
        #[arg(long)]
        commit: Option<String>,
        #[arg(long)]
        at: Option<String>,
    },
    /// Evaluate the approval gate of one environment; no AWS needed unless --check-promotion.
    Gate {
        #[command(flatten)]
        gate: GateArgs,
        /// Gate a rollback (confirmation rollback-ENV).
        #[arg(long)]
        rollback: bool,
        /// Also check the previous environment's deployment records (R25) through the backend.
        #[arg(long)]
        check_promotion: bool,
    },
    /// Deploy: gate, lock, apply, post-deploy tests, tag, record. A closed gate changes nothing.
    Deploy {
        #[command(flatten)]
        gate: GateArgs,
        /// Apply this stored plan instead of a fresh one.
        #[arg(long)]
        plan: Option<PathBuf>,
    },
    /// Roll an environment back to a deployment tag: preview, gate (rollback-ENV), apply exactly
    /// the previewed plan, post-deploy tests, tag, record.
    Rollback {
        #[command(flatten)]
        gate: GateArgs,
        /// A deploy-ENV-YYYYMMDD-HHMMSS tag, or last-good (the newest whose tests passed).
        #[arg(long, required_unless_present = "to_version", conflicts_with = "to_version")]
        to_tag: Option<String>,
        /// An S3 version id of one component's state (with --component): restored, then the
        /// repo is planned and applied.
        #[arg(long, requires = "component")]
        to_version: Option<String>,
        #[arg(long, value_parser = parse_component)]
        component: Option<Component>,
        /// When the problem this rollback answers was detected (RFC 3339); kept in the record
        /// so that `report` can measure detection → recovery.
        #[arg(long)]
        detected_at: Option<String>,
    },
    /// Measure the rollback RTO: promote a good commit, then a bad one, detect, roll back to the
    /// last good tag, verify; print each phase and the verdict against pipeline.yml's target.
    Drill {
        #[arg(long, value_parser = parse_env, default_value = "prod")]
        env: Environment,
        #[arg(long)]
        repo: Option<PathBuf>,
    },
    /// Check the post-deploy invariants of one environment against its live resources.
    Verify {
        #[arg(long, value_parser = parse_env)]
        env: Environment,
        #[arg(long)]
        repo: Option<PathBuf>,
    },
    /// Stage 1: schemas, table definitions, environment files and templates (R01-R03, R07-R09).
    Validate {
        /// The infra repo (default: the current directory).
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Print the time spent per kind of input.
        #[arg(long)]
        timings: bool,
        /// Record the run in DEV's state bucket (checks/), for the validation pass rate KPI.
        #[arg(long)]
        record: bool,
    },
    /// Canonical formatting of schema JSON and environment files (R04).
    Fmt {
        /// List the files that differ and exit 1, without rewriting them.
        #[arg(long)]
        check: bool,
        #[arg(long, default_value = ".")]
        repo: PathBuf,
    },
    /// Security rules on the desired configuration (R05) and the deployer roles' policies
    /// (R41, R42); fails on HIGH or CRITICAL findings.
    Scan {
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
    },
    /// Estimate the monthly cost of an environment's desired resources (R06).
    Cost {
        /// One environment (default: all three).
        #[arg(long, value_parser = parse_env)]
        env: Option<Environment>,
        #[arg(long)]
        repo: Option<PathBuf>,
    },
    /// GitHub Actions workflows against the workflow matrix (R52, F02, F04, F05, F10); fails on any finding.
    LintWorkflows {
        #[arg(long, default_value = ".")]
        repo: PathBuf,
    },
    /// List the active state locks of every environment and alert on locks held too long (R48).
    Locks {
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
    },
    /// Rehearse the pipeline end to end on an emulator.
    Rehearse {
        /// The infra repo (default: the current directory if it holds pipeline.yml, else the sample repo).
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Also write the rehearsal's dashboard as a self-contained HTML page.
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// KPIs against their targets and the dashboard of the last days (R49, R50), from every
    /// environment's deployment records and DEV's check records. Informational: exit 0.
    Report {
        /// How many days before now (STAGEGATE_NOW or --at) the window covers.
        #[arg(long, default_value_t = crate::observe::metrics::DEFAULT_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
        /// Also write the dashboard as a self-contained HTML page.
        #[arg(long)]
        html: Option<PathBuf>,
        /// The end of the window (RFC 3339); default STAGEGATE_NOW or now.
        #[arg(long)]
        at: Option<String>,
    },
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
    fn request(&self, repo: &Repo, rollback: bool) -> Result<crate::release::gate::GateRequest, Error> {
        let bad = |e: crate::release::gate::BadInput| Error::Usage(e.to_string());
        let approvals = self
            .approvals
            .iter()
            .map(|a| a.parse::<crate::release::gate::Approval>().map_err(bad))
            .collect::<Result<Vec<_>, _>>()?;
        let commit = match &self.commit {
            Some(c) => Some(crate::release::gate::commit(c).map_err(bad)?),
            None => crate::engine::plan::current_commit(repo.root()),
        };
        Ok(crate::release::gate::GateRequest {
            env: self.env,
            deployer: crate::release::gate::github_handle("--deployer", &self.deployer).map_err(bad)?,
            approvals,
            confirmation: self
                .confirmation
                .as_deref()
                .map(crate::release::gate::confirmation)
                .transpose()
                .map_err(bad)?,
            change_ticket: self
                .change_ticket
                .as_deref()
                .map(str::parse::<crate::foundation::tickets::TicketId>)
                .transpose()
                .map_err(|e| Error::Usage(e.to_string()))?,
            branch: self.branch.as_deref().map(crate::release::gate::branch).transpose().map_err(bad)?,
            commit,
            trigger: crate::release::gate::trigger(&self.trigger).map_err(bad)?,
            at: instant(self.at.clone())?,
            rollback,
            slack_configured: false,
        })
    }
}

/// What the gated commands read from the infra repo: the policy, the change tickets, and the
/// webhooks the policy names (from the environment; their values are never printed).
struct Setup {
    repo: Repo,
    policy: crate::foundation::policy::Pipeline,
    tickets: crate::foundation::tickets::FileTickets,
    notifier: crate::release::notify::Notifier,
}

impl Setup {
    fn load(repo: Option<PathBuf>) -> Result<Setup, Error> {
        let repo = open_repo(repo)?;
        let usage = |e: &dyn std::fmt::Display| Error::Usage(e.to_string());
        let policy = crate::foundation::policy::Pipeline::load(repo.root()).map_err(|e| usage(&e))?;
        let tickets = crate::foundation::tickets::FileTickets::load(repo.root()).map_err(|e| usage(&e))?;
        let notifier = crate::release::notify::Notifier::from_env(&policy).map_err(|e| usage(&e))?;
        Ok(Setup { repo, policy, tickets, notifier })
    }

    /// The gate request from the command line, read in `tree` (the repo, or a tag's checkout).
    fn request(
        &self,
        gate: &GateArgs,
        tree: &Repo,
        rollback: bool,
    ) -> Result<crate::release::gate::GateRequest, Error> {
        let mut req = gate.request(tree, rollback)?;
        req.slack_configured = self.notifier.configured(req.env);
        Ok(req)
    }

    fn deployment<'a>(
        &'a self,
        endpoint: &'a crate::emulator::Endpoint,
        region: &'a str,
    ) -> crate::release::deploy::Deployment<'a> {
        crate::release::deploy::Deployment {
            endpoint,
            region,
            repo: &self.repo,
            policy: &self.policy,
            tickets: &self.tickets,
            notifier: Some(&self.notifier),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum EmulatorAction {
    /// Start moto in the background (provisioned on first use) and record its endpoint in .stagegate/.
    Up,
    /// Stop the background emulator.
    Down,
    /// Tell whether a background emulator is running, and where.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum StateAction {
    /// Create the state bucket (versioned, encrypted, private) and the lock table.
    Bootstrap {
        #[arg(long, value_parser = parse_env)]
        env: Environment,
    },
    /// Print a component's current state document.
    Show {
        #[arg(long, value_parser = parse_env)]
        env: Environment,
        #[arg(long, value_parser = parse_component)]
        component: Component,
    },
    /// List the S3 versions of a component's state, newest first.
    Versions {
        #[arg(long, value_parser = parse_env)]
        env: Environment,
        #[arg(long, value_parser = parse_component)]
        component: Component,
    },
    /// Make an old version current (lineage kept, serial raised, digest updated).
    Restore {
        #[arg(long, value_parser = parse_env)]
        env: Environment,
        #[arg(long, value_parser = parse_component)]
        component: Component,
        #[arg(long = "version")]
        version_id: String,
    },
}

fn parse_backend(s: &str) -> Result<BackendChoice, String> {
    s.parse().map_err(|_| format!("expected one of {}", BackendChoice::NAMES.join(", ")))
}

fn parse_env(s: &str) -> Result<Environment, String> {
    s.parse().map_err(|e: crate::foundation::environment::UnknownEnvironment| e.to_string())
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let d: jiff::SignedDuration = s.parse().map_err(|e| format!("{s:?} is not a duration like 30s or 5m: {e}"))?;
    std::time::Duration::try_from(d).map_err(|_| format!("{s:?}: a duration cannot be negative"))
}

fn open_repo(repo: Option<PathBuf>) -> Result<Repo, Error> {
    Ok(match repo {
        Some(dir) => Repo::open(&dir)?,
        None if std::path::Path::new("pipeline.yml").is_file() => Repo::open(std::path::Path::new("."))?,
        None => Repo::open(&Repo::sample_path())?,
    })
}

fn parse_max_age(s: &str) -> Result<jiff::SignedDuration, String> {
    let d: jiff::SignedDuration = s.parse().map_err(|e| format!("{s:?} is not a duration like 30m or 1h: {e}"))?;
    if d.is_positive() { Ok(d) } else { Err(format!("{s:?}: the limit must be positive")) }
}

fn instant(at: Option<String>) -> Result<jiff::Timestamp, Error> {
    Ok(match at {
        Some(at) => crate::foundation::clock::parse_instant("--at", &at)?,
        None => crate::foundation::clock::Clock::from_env()?.now(),
    })
}

fn parse_component(s: &str) -> Result<Component, String> {
    s.parse().map_err(|e: crate::foundation::component::BadComponent| e.to_string())
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

/// A report as text (its Display) or as JSON.
fn print_report<T: serde::Serialize + std::fmt::Display>(format: Format, report: &T) {
    match format {
        Format::Text => print!("{report}"),
        Format::Json | Format::Sarif => {
            println!("{}", serde_json::to_string_pretty(report).expect("a report serialises"))
        }
    }
}

/// Rust ignores SIGPIPE, so a print to a closed pipe (`stagegate plan | head`) would panic;
/// the default action ends the process quietly, as other command-line tools do.
fn restore_sigpipe() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: set once at start-up, before any thread exists; SIG_DFL installs no handler code.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

/// Runs one command; `Ok` carries the exit code of a command that completed.
pub async fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Emulator { action } => emulator(action, cli.format).await,
        Command::State { action } => {
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let result = state(&emulator, &cli.region, action, cli.format).await;
            emulator.shutdown().await;
            result
        }
        Command::ForceUnlock { env, component, lock_id } => {
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let store = StateStore::new(AwsClients::for_environment(emulator.endpoint(), env, &cli.region).await, env);
            let result = store.unlock(&component, &lock_id).await;
            emulator.shutdown().await;
            let released = result?;
            println!("released the lock on {} held by {} since {}", released.path, released.who, released.created);
            Ok(exit::OK)
        }
        Command::Plan { env, all: _, repo, out, markdown, commit, at } => {
            let repo = open_repo(repo)?;
            let now = instant(at)?;
            let envs: Vec<Environment> = env.map_or(Environment::ALL.to_vec(), |e| vec![e]);
            if out.is_some() && envs.len() != 1 {
                return Err(Error::Usage("--out: a stored plan is for one environment; add --env".into()));
            }
            let commit = commit.or_else(|| crate::engine::plan::current_commit(repo.root()));
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let plans =
                crate::engine::plan::plan_environments(emulator.endpoint(), &cli.region, &repo, &envs, commit, now)
                    .await;
            emulator.shutdown().await;
            let timed = plans?;
            if cli.timings {
                for (plan, took) in &timed {
                    eprintln!("timings: plan {} {} ms", plan.environment, took.as_millis());
                }
            }
            let plans: Vec<_> = timed.into_iter().map(|(plan, _)| plan).collect();
            if let (Some(path), [plan]) = (&out, plans.as_slice()) {
                plan.save(path)?;
            }
            for plan in &plans {
                match (markdown, cli.format) {
                    (true, _) => {
                        let cost = crate::engine::cost::estimate(&repo, plan.environment)
                            .map_err(|e| Error::Usage(e.to_string()))?;
                        println!("{}", crate::engine::cost::plan_comment(plan, &cost))
                    }
                    (false, Format::Json | Format::Sarif) => {
                        println!("{}", serde_json::to_string_pretty(plan).expect("a plan serialises"))
                    }
                    (false, Format::Text) => println!("{plan}"),
                }
            }
            if let Some(path) = out {
                eprintln!("plan stored in {}", path.display());
            }
            Ok(exit::OK)
        }
        Command::Apply { env, repo, plan, lock_timeout, record_actions, record_calls, commit, at } => {
            let repo = open_repo(repo)?;
            let now = instant(at)?;
            let stored = plan.as_deref().map(crate::engine::plan::Plan::load).transpose()?;
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let recorder = crate::aws::ActionRecorder::default();
            let clients = AwsClients::recording(emulator.endpoint(), env, &cli.region, recorder.clone()).await;
            let options = crate::engine::apply::ApplyOptions { lock_timeout, ..Default::default() };
            let cancel = options.cancel.clone();
            let run = async {
                let plan = match stored {
                    Some(plan) => plan,
                    None => {
                        let desired = crate::engine::desired::DesiredEnvironment::load(&repo, env)?;
                        let commit = commit.or_else(|| crate::engine::plan::current_commit(repo.root()));
                        crate::engine::plan::plan_environment(&clients, &desired, commit, now).await?
                    }
                };
                if cli.format == Format::Text {
                    println!("{plan}");
                }
                let store = StateStore::new(clients.clone(), env);
                Ok::<_, Error>(crate::engine::apply::apply(&store, &plan, &repo, now, &options).await?)
            };
            // The first Ctrl-C lets the apply stop safely (state recorded, locks released).
            let report = {
                tokio::pin!(run);
                tokio::select! {
                    r = &mut run => r,
                    _ = tokio::signal::ctrl_c() => {
                        eprintln!("stagegate: interrupted: finishing the current operation, recording state, releasing locks");
                        cancel.store(true, std::sync::atomic::Ordering::SeqCst);
                        run.await
                    }
                }
            };
            if let Some(path) = &record_actions {
                let text = serde_json::to_vec_pretty(&recorder.summary()).expect("actions serialise");
                std::fs::write(path, text)
                    .map_err(|e| Error::Usage(format!("--record-actions {}: {e}", path.display())))?;
            }
            if let Some(path) = &record_calls {
                let text = serde_json::to_vec_pretty(&recorder.calls_summary()).expect("calls serialise");
                std::fs::write(path, text)
                    .map_err(|e| Error::Usage(format!("--record-calls {}: {e}", path.display())))?;
            }
            emulator.shutdown().await;
            let report = report?;
            match cli.format {
                Format::Json | Format::Sarif => {
                    println!("{}", serde_json::to_string_pretty(&report).expect("a report serialises"))
                }
                Format::Text => {
                    for c in &report.components {
                        println!("{c}");
                        for op in &c.operations {
                            println!("  {op}");
                        }
                    }
                    println!("apply took {:.1} s", report.elapsed_ms as f64 / 1000.0);
                    if cli.timings {
                        for c in &report.components {
                            eprintln!("timings: apply {} {} ms", c.component, c.elapsed_ms);
                        }
                    }
                }
            }
            Ok(if report.succeeded() { exit::OK } else { exit::INFRASTRUCTURE })
        }
        Command::Gate { gate, rollback, check_promotion } => {
            let setup = Setup::load(gate.repo.clone())?;
            let req = setup.request(&gate, &setup.repo, rollback)?;
            let evidence = if check_promotion {
                let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
                let records = setup.deployment(emulator.endpoint(), &cli.region).evidence(req.env).await;
                emulator.shutdown().await;
                Some(records?)
            } else {
                None
            };
            let verdict = crate::release::gate::evaluate(&setup.policy, &setup.tickets, evidence.as_deref(), &req);
            print_report(cli.format, &verdict);
            Ok(if verdict.passed() { exit::OK } else { exit::RULE_FAILED })
        }
        Command::Deploy { gate, plan } => {
            let setup = Setup::load(gate.repo.clone())?;
            let req = setup.request(&gate, &setup.repo, false)?;
            let stored = plan.as_deref().map(crate::engine::plan::Plan::load).transpose()?;
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let deployment = setup.deployment(emulator.endpoint(), &cli.region);
            let outcome = deployment.run(&req, stored, &crate::engine::apply::ApplyOptions::default()).await;
            emulator.shutdown().await;
            let outcome = outcome?;
            print_report(cli.format, &outcome);
            Ok(if outcome.succeeded() { exit::OK } else { exit::RULE_FAILED })
        }
        Command::Rollback { to_version: Some(_), detected_at: Some(_), .. } => Err(Error::Usage(
            "--detected-at: give it with --to-tag; a state-version rollback does not record it".into(),
        )),
        Command::Rollback { gate, to_tag: None, to_version: Some(version), component: Some(component), .. } => {
            let setup = Setup::load(gate.repo.clone())?;
            let req = setup.request(&gate, &setup.repo, true)?;
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let deployment = setup.deployment(emulator.endpoint(), &cli.region);
            let outcome = crate::release::rollback::to_state_version(
                &deployment,
                &component,
                &version,
                &req,
                &crate::engine::apply::ApplyOptions::default(),
            )
            .await;
            emulator.shutdown().await;
            let outcome = outcome?;
            print_report(cli.format, &outcome);
            Ok(if outcome.succeeded() { exit::OK } else { exit::RULE_FAILED })
        }
        Command::Rollback { to_tag: None, .. } => {
            Err(Error::Usage("rollback: give --to-tag or --to-version with --component".into()))
        }
        Command::Rollback { gate, to_tag: Some(to_tag), detected_at, .. } => {
            let detected =
                detected_at.map(|t| crate::foundation::clock::parse_instant("--detected-at", &t)).transpose()?;
            let setup = Setup::load(gate.repo.clone())?;
            let repo = &setup.repo;
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let result = async {
                let env = gate.env;
                let store =
                    StateStore::new(AwsClients::for_environment(emulator.endpoint(), env, &cli.region).await, env);
                let tag = if to_tag == crate::release::rollback::LAST_GOOD {
                    crate::release::rollback::last_good(&store, repo.root()).await?.ok_or_else(|| {
                        Error::Usage(format!(
                            "--to-tag last-good: {} has no deployment whose tests passed",
                            env.label()
                        ))
                    })?
                } else {
                    crate::release::rollback::checked_tag(env, &to_tag)?
                };
                let checkout = crate::release::rollback::TagCheckout::new(repo.root(), &tag)?;
                let tree = Repo::open(&checkout.root())?;
                let mut req = setup.request(&gate, &tree, true)?;
                req.commit = Some(checkout.commit.clone());
                let deployment = setup.deployment(emulator.endpoint(), &cli.region);
                let plan = crate::release::rollback::preview(&deployment, env, &tree, &checkout.commit, req.at).await?;
                println!("rollback of {} to {tag} ({}), previewed:", env.label(), checkout.commit);
                println!("{plan}");
                let options = crate::engine::apply::ApplyOptions::default();
                let outcome = crate::release::rollback::rollback_after_detection(
                    &deployment,
                    &tree,
                    &req,
                    plan,
                    &options,
                    detected,
                )
                .await?;
                Ok::<_, Error>(outcome)
            }
            .await;
            emulator.shutdown().await;
            let outcome = result?;
            print_report(cli.format, &outcome);
            Ok(if outcome.succeeded() { exit::OK } else { exit::RULE_FAILED })
        }
        Command::Cost { env, repo } => {
            let repo = open_repo(repo)?;
            let envs = env.map_or_else(|| Environment::ALL.to_vec(), |e| vec![e]);
            let estimates = envs
                .into_iter()
                .map(|e| crate::engine::cost::estimate(&repo, e))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::Usage(e.to_string()))?;
            match cli.format {
                Format::Text => estimates.iter().for_each(|e| print!("{e}")),
                Format::Json | Format::Sarif => {
                    println!("{}", serde_json::to_string_pretty(&estimates).expect("estimates serialise"))
                }
            }
            Ok(exit::OK)
        }
        Command::Locks { repo, max_age, env, at } => {
            let Setup { policy, notifier, .. } = Setup::load(repo)?;
            let now = instant(at)?;
            let max_age = max_age.unwrap_or(policy.notifications.lock_alert_after.0);
            let envs = env.map_or_else(|| Environment::ALL.to_vec(), |e| vec![e]);
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let report = crate::observe::monitor::monitor(
                emulator.endpoint(),
                &cli.region,
                &envs,
                max_age,
                now,
                Some(&notifier),
            )
            .await;
            emulator.shutdown().await;
            print_report(cli.format, &report);
            let unreadable = report.unreadable();
            if !unreadable.is_empty() {
                return Err(Error::Infrastructure(format!("lock tables not readable: {}", unreadable.join("; "))));
            }
            Ok(if report.alerting() { exit::RULE_FAILED } else { exit::OK })
        }
        Command::Drill { env, repo } => {
            let repo = open_repo(repo)?;
            let now = crate::foundation::clock::Clock::from_env()?.now();
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let report = crate::practice::drill::drill(emulator.endpoint(), &cli.region, &repo, env, now).await;
            emulator.shutdown().await;
            let report = report?;
            print_report(cli.format, &report);
            Ok(if report.met { exit::OK } else { exit::RULE_FAILED })
        }
        Command::Verify { env, repo } => {
            let repo = open_repo(repo)?;
            let desired = crate::engine::desired::DesiredEnvironment::load(&repo, env)?;
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let clients = AwsClients::for_environment(emulator.endpoint(), env, &cli.region).await;
            let report = crate::release::verify::verify(&clients, &desired).await;
            emulator.shutdown().await;
            let report = report.map_err(|e| Error::Plan(crate::engine::plan::PlanError::Live(e)))?;
            print_report(cli.format, &report);
            Ok(if report.passed() { exit::OK } else { exit::RULE_FAILED })
        }
        Command::Validate { repo, timings, record } => {
            let report = crate::checks::validate::validate(&repo).map_err(|e| Error::Usage(e.to_string()))?;
            match cli.format {
                Format::Text => emit(&report.to_string()),
                Format::Json | Format::Sarif => emit(&format!("{:#}\n", report.to_json())),
            }
            if timings {
                eprint!("{}", report.timings_table());
            }
            if record {
                let run = (
                    crate::release::ledger::CheckKind::Validation,
                    report.diagnostics.is_empty(),
                    report.diagnostics.len(),
                );
                record_check(cli.backend, cli.endpoint.as_deref(), &cli.region, &repo, run).await?;
            }
            Ok(report.exit_code())
        }
        Command::Fmt { check, repo } => {
            let report = crate::checks::fmt::fmt(&repo, !check).map_err(|e| Error::Usage(e.to_string()))?;
            let findings = report.diagnostics();
            let text: String = match cli.format {
                Format::Text if check => findings.iter().map(|d| format!("{d}\n")).collect(),
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
            let failed = !report.problems.is_empty() || (check && !report.changed.is_empty());
            Ok(if failed { exit::RULE_FAILED } else { exit::OK })
        }
        Command::Scan { repo, env, actions, record } => {
            let calls = match &actions {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| Error::Usage(format!("--actions {}: {e}", path.display())))?;
                    crate::checks::iam::parse_recorded_actions(&path.display().to_string(), &text)
                        .map_err(|e| Error::Usage(format!("--actions {e}")))?
                }
                None => Vec::new(),
            };
            let applied = env.map(|env| (env, calls.as_slice()));
            let report =
                crate::checks::scan::scan_with_actions(&repo, applied).map_err(|e| Error::Usage(e.to_string()))?;
            match cli.format {
                Format::Text => emit(&report.to_string()),
                Format::Json => emit(&format!("{:#}\n", report.to_json())),
                Format::Sarif => emit(&format!("{:#}\n", report.to_sarif())),
            }
            if record {
                let blocking = report.active().filter(|f| f.rule.severity.fails()).count();
                let run = (crate::release::ledger::CheckKind::SecurityScan, blocking == 0, blocking);
                record_check(cli.backend, cli.endpoint.as_deref(), &cli.region, &repo, run).await?;
            }
            Ok(report.exit_code())
        }
        Command::LintWorkflows { repo } => {
            let report = crate::checks::workflows::lint(&repo).map_err(|e| Error::Usage(e.to_string()))?;
            match cli.format {
                Format::Text => emit(&report.to_string()),
                Format::Json => emit(&format!("{:#}\n", report.to_json())),
                Format::Sarif => emit(&format!("{:#}\n", report.to_sarif())),
            }
            Ok(report.exit_code())
        }
        Command::Report { days, html, at } => {
            html.as_deref().map(html_destination).transpose()?;
            let window = crate::observe::metrics::Window::last_days(instant(at)?, days);
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let started = Instant::now();
            let dashboard = crate::observe::dashboard::Dashboard::load(emulator.endpoint(), &cli.region, window).await;
            emulator.shutdown().await;
            let dashboard = dashboard?;
            if cli.timings {
                let m = &dashboard.metrics;
                eprintln!(
                    "timings: report read and measured {} deployments and {} rollbacks in {} ms",
                    m.deployments,
                    m.rollbacks,
                    started.elapsed().as_millis()
                );
            }
            if let Some(path) = &html {
                let started = Instant::now();
                write_html(path, &dashboard)?;
                if cli.timings {
                    eprintln!("timings: report wrote {} in {} ms", path.display(), started.elapsed().as_millis());
                }
            }
            print_report(cli.format, &dashboard);
            // A report looks back; the gates and checks are what stop a bad change, so a
            // missed KPI is shown as MISSED but does not fail the command.
            Ok(exit::OK)
        }
        Command::Rehearse { repo, html } => {
            html.as_deref().map(html_destination).transpose()?;
            let repo = open_repo(repo)?;
            let started = Instant::now();
            let emulator = Emulator::start(cli.backend, cli.endpoint.as_deref()).await?;
            let now = crate::foundation::clock::Clock::from_env()?.now();
            let report = Rehearsal::new(&repo, emulator.endpoint(), &cli.region).run(started, now).await;
            emulator.shutdown().await;
            let report = report?;
            if let Some(path) = &html {
                write_html(path, &report.dashboard)?;
            }
            print_report(cli.format, &report);
            Ok(if report.drill.met { exit::OK } else { exit::RULE_FAILED })
        }
    }
}

/// `--record`: one run of a Stage 1 check, appended under `checks/` in DEV's state bucket.
async fn record_check(
    backend: BackendChoice,
    endpoint: Option<&str>,
    region: &str,
    repo: &std::path::Path,
    (check, passed, findings): (crate::release::ledger::CheckKind, bool, usize),
) -> Result<(), Error> {
    let now = crate::foundation::clock::Clock::from_env()?.now();
    let run = crate::release::ledger::CheckRecord::new(
        check,
        crate::engine::plan::current_commit(repo),
        now,
        passed,
        findings,
    );
    let emulator = Emulator::start(backend, endpoint).await?;
    let env = Environment::Dev;
    let store = StateStore::new(AwsClients::for_environment(emulator.endpoint(), env, region).await, env);
    let appended = crate::release::ledger::append_check(&store, &run).await;
    emulator.shutdown().await;
    appended?;
    eprintln!("recorded the {} run ({}) in {}", check.name(), if passed { "passed" } else { "failed" }, store.bucket());
    Ok(())
}

/// Refuses an `--html` path whose directory does not exist before any work is done.
fn html_destination(path: &std::path::Path) -> Result<(), Error> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => {
            Err(Error::Usage(format!("--html {}: the directory {} does not exist", path.display(), dir.display())))
        }
        _ => Ok(()),
    }
}

fn write_html(path: &std::path::Path, dashboard: &crate::observe::dashboard::Dashboard) -> Result<(), Error> {
    std::fs::write(path, dashboard.html()).map_err(|e| Error::Usage(format!("--html {}: {e}", path.display())))
}

async fn emulator(action: EmulatorAction, format: Format) -> Result<u8, Error> {
    let print = |value: serde_json::Value, text: String| match format {
        Format::Text => println!("{text}"),
        Format::Json | Format::Sarif => println!("{value}"),
    };
    match action {
        EmulatorAction::Up => {
            let (bg, started) = BackgroundEmulator::up().await?;
            let verb = if started { "started" } else { "already running" };
            print(
                serde_json::json!({"status": verb, "endpoint": bg.record.url, "pid": bg.record.pid}),
                format!("emulator {verb}: moto at {} (pid {})", bg.record.url, bg.record.pid),
            );
            Ok(exit::OK)
        }
        EmulatorAction::Down => {
            let stopped = BackgroundEmulator::down()?;
            match stopped {
                Some(r) => print(
                    serde_json::json!({"status": "stopped", "endpoint": r.url, "pid": r.pid}),
                    format!("emulator stopped (pid {})", r.pid),
                ),
                None => print(serde_json::json!({"status": "not running"}), "no emulator was running".into()),
            }
            Ok(exit::OK)
        }
        EmulatorAction::Status => match BackgroundEmulator::find_running().await {
            Some(bg) => {
                print(
                    serde_json::json!({"status": "running", "endpoint": bg.record.url, "pid": bg.record.pid, "started": bg.record.started}),
                    format!("running: moto at {} (pid {}, since {})", bg.record.url, bg.record.pid, bg.record.started),
                );
                Ok(exit::OK)
            }
            None => {
                print(serde_json::json!({"status": "not running"}), "not running".into());
                Ok(exit::RULE_FAILED)
            }
        },
    }
}

async fn state(emulator: &Emulator, region: &str, action: StateAction, format: Format) -> Result<u8, Error> {
    let store_for = |env: Environment| async move {
        StateStore::new(AwsClients::for_environment(emulator.endpoint(), env, region).await, env)
    };
    match action {
        StateAction::Bootstrap { env } => {
            let store = store_for(env).await;
            store.bootstrap().await?;
            let r = store.inspect().await?;
            println!(
                "{}: bucket {} (versioning {}, encryption {}, public access blocked {}), lock table {}",
                env.label(),
                store.bucket(),
                if r.versioning_enabled { "on" } else { "off" },
                r.encryption.as_deref().unwrap_or("off"),
                r.public_access_block.iter().all(|b| *b),
                store.lock_table()
            );
            Ok(exit::OK)
        }
        StateAction::Show { env, component } => {
            let store = store_for(env).await;
            match store.read(&component).await? {
                Some(stored) => {
                    print!("{}", String::from_utf8_lossy(&stored.state.to_bytes()));
                    Ok(exit::OK)
                }
                None => {
                    eprintln!("stagegate: {} has no state yet", store.lock_id(&component));
                    Ok(exit::RULE_FAILED)
                }
            }
        }
        StateAction::Versions { env, component } => {
            let store = store_for(env).await;
            let versions = store.versions(&component).await?;
            match format {
                Format::Json | Format::Sarif => {
                    let rows: Vec<_> = versions
                        .iter()
                        .map(|v| serde_json::json!({"version_id": v.version_id, "last_modified": v.last_modified, "latest": v.is_latest, "size": v.size}))
                        .collect();
                    println!("{}", serde_json::Value::Array(rows));
                }
                Format::Text => {
                    for v in &versions {
                        let when = v.last_modified.map(|t| t.to_string()).unwrap_or_default();
                        println!(
                            "{}  {}  {} bytes{}",
                            v.version_id,
                            when,
                            v.size,
                            if v.is_latest { "  (current)" } else { "" }
                        );
                    }
                }
            }
            Ok(exit::OK)
        }
        StateAction::Restore { env, component, version_id } => {
            let store = store_for(env).await;
            let who = crate::engine::state::who_am_i();
            let lock =
                store.lock(&component, crate::engine::state::OPERATION_APPLY, &who, "stagegate state restore").await?;
            let restored = store.restore(&component, &version_id, &lock).await;
            let released = store.unlock(&component, &lock.id).await;
            let restored = restored?;
            released?;
            println!(
                "restored {} version {version_id}: lineage {}, serial {}, digest {}",
                store.lock_id(&component),
                restored.state.lineage,
                restored.state.serial,
                restored.md5
            );
            Ok(exit::OK)
        }
    }
}

/// Writes a report to stdout; a reader that went away (`| head`) is not an error.
fn emit(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
