//! Plan, apply and state commands (LLD 7.2.2, 7.3.4, 7.3.5, 7.11.1).

use std::path::PathBuf;

use clap::Subcommand;

use super::args::{instant, on_emulator, open_repo, parse_component, parse_duration, parse_env, parse_workspace};
use super::{Format, Global};
use crate::Environment;
use crate::Error;
use crate::aws::{ActionRecorder, AwsClients};
use crate::engine::apply::ApplyOptions;
use crate::engine::desired::DesiredEnvironment;
use crate::engine::plan::{Plan, plan_environment, plan_environments};
use crate::engine::state::{Component, StateSettings, StateStore};
use crate::foundation::exit;
use crate::foundation::git::current_commit;

#[derive(Debug, clap::Args)]
pub struct ForceUnlockArgs {
    #[arg(long, value_parser = parse_env)]
    env: Environment,
    #[arg(long, value_parser = parse_component)]
    component: Component,
    /// The lock ID shown by the failed lock attempt.
    lock_id: String,
    /// The infra repo whose pipeline.yml says where locks live (state.locking).
    #[arg(long)]
    repo: Option<PathBuf>,
    /// The Terraform workspace whose lock this is (default: the default workspace).
    #[arg(long, value_parser = parse_workspace)]
    workspace: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
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
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
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
    /// List the S3 versions of a component's state, newest first, each with its serial and the
    /// recorded deployment (tag, commit) that wrote it.
    Versions {
        #[arg(long, value_parser = parse_env)]
        env: Environment,
        #[arg(long, value_parser = parse_component)]
        component: Component,
    },
    /// Make an old version current: what `terraform state push` of that version does once its
    /// serial is raised (lineage kept, serial = current + 1, digest updated); not `-force`.
    Restore {
        #[arg(long, value_parser = parse_env)]
        env: Environment,
        #[arg(long, value_parser = parse_component)]
        component: Component,
        #[arg(long = "version")]
        version_id: String,
    },
}

/// pipeline.yml's `state:` section of `--repo` (or the repo `open_repo` finds).
fn state_settings(repo: Option<PathBuf>) -> Result<StateSettings, Error> {
    let repo = open_repo(repo)?;
    Ok(StateSettings::for_repo(repo.root())?)
}

pub async fn force_unlock(g: &Global, a: ForceUnlockArgs) -> Result<u8, Error> {
    let settings = state_settings(a.repo.clone())?;
    let released = on_emulator(g, |endpoint| async move {
        let store = StateStore::for_environment(&endpoint, a.env, &g.region)
            .await
            .with_settings(settings)
            .with_workspace(a.workspace.as_deref());
        Ok(store.unlock(&a.component, &a.lock_id).await?)
    })
    .await?;
    println!("released the lock on {} held by {} since {}", released.path, released.who, released.created);
    Ok(exit::OK)
}

pub async fn plan(g: &Global, a: PlanArgs) -> Result<u8, Error> {
    let repo = open_repo(a.repo)?;
    let now = instant(a.at)?;
    let envs: Vec<Environment> = a.env.map_or(Environment::ALL.to_vec(), |e| vec![e]);
    if a.out.is_some() && envs.len() != 1 {
        return Err(Error::Usage("--out: a stored plan is for one environment; add --env".into()));
    }
    let commit = a.commit.or_else(|| current_commit(repo.root()));
    let timed = on_emulator(g, |endpoint| {
        let (repo, envs) = (&repo, &envs);
        async move { plan_environments(&endpoint, &g.region, repo, envs, commit, now).await }
    })
    .await?;
    if g.timings {
        for (plan, took) in &timed {
            eprintln!("timings: plan {} {} ms", plan.environment, took.as_millis());
        }
    }
    let plans: Vec<_> = timed.into_iter().map(|(plan, _)| plan).collect();
    if let (Some(path), [plan]) = (&a.out, plans.as_slice()) {
        plan.save(path)?;
    }
    for plan in &plans {
        match (a.markdown, g.format) {
            (true, _) => {
                let cost = crate::engine::cost::estimate(&repo, plan.environment)?;
                let change = crate::engine::cost_change::of_plan(&repo, plan)?;
                let has_policy = repo.root().join(crate::foundation::policy::POLICY_FILE).exists();
                let policy = has_policy.then(|| crate::foundation::policy::Pipeline::load(repo.root())).transpose()?;
                println!("{}", crate::engine::cost_change::pr_comment(plan, &cost, &change, policy.as_ref()))
            }
            (false, Format::Json | Format::Sarif) => {
                println!("{}", serde_json::to_string_pretty(plan).expect("a plan serialises"))
            }
            (false, Format::Text) => println!("{plan}"),
        }
    }
    if let Some(path) = a.out {
        eprintln!("plan stored in {}", path.display());
    }
    Ok(exit::OK)
}

pub async fn apply(g: &Global, a: ApplyArgs) -> Result<u8, Error> {
    let repo = open_repo(a.repo)?;
    let now = instant(a.at)?;
    let stored = a.plan.as_deref().map(Plan::load).transpose()?;
    let recorder = ActionRecorder::default();
    let report = on_emulator(g, |endpoint| {
        let (repo, recorder) = (&repo, recorder.clone());
        async move {
            let clients = AwsClients::recording(&endpoint, a.env, &g.region, recorder).await;
            let options = ApplyOptions { lock_timeout: a.lock_timeout, ..Default::default() };
            let cancel = options.cancel.clone();
            let run = async {
                let plan = match stored {
                    Some(plan) => plan,
                    None => {
                        let desired = DesiredEnvironment::load(repo, a.env)?;
                        let commit = a.commit.or_else(|| current_commit(repo.root()));
                        plan_environment(&clients, &desired, commit, now).await?
                    }
                };
                if g.format == Format::Text {
                    println!("{plan}");
                }
                let store = StateStore::new(clients.clone(), a.env).with_settings(StateSettings::for_repo(repo.root())?);
                Ok::<_, Error>(crate::engine::apply::apply(&store, &plan, repo, now, &options).await?)
            };
            // The first Ctrl-C lets the apply stop safely (state recorded, locks released).
            tokio::pin!(run);
            let report = tokio::select! {
                r = &mut run => r,
                _ = tokio::signal::ctrl_c() => {
                    eprintln!("stagegate: interrupted: finishing the current operation, recording state, releasing locks");
                    cancel.store(true, std::sync::atomic::Ordering::SeqCst);
                    run.await
                }
            };
            Ok(report)
        }
    })
    .await?;
    // What was called is written even when the apply failed.
    write_json("--record-actions", a.record_actions.as_deref(), &recorder.summary())?;
    write_json("--record-calls", a.record_calls.as_deref(), &recorder.calls_summary())?;
    let report = report?;
    match g.format {
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
            if g.timings {
                for c in &report.components {
                    eprintln!("timings: apply {} {} ms", c.component, c.elapsed_ms);
                }
            }
        }
    }
    Ok(if report.succeeded() { exit::OK } else { exit::INFRASTRUCTURE })
}

/// Writes `value` as pretty JSON to the file `flag` names, when it names one.
fn write_json(flag: &'static str, path: Option<&std::path::Path>, value: &impl serde::Serialize) -> Result<(), Error> {
    let Some(path) = path else { return Ok(()) };
    let text = serde_json::to_vec_pretty(value).expect("recorded calls serialise");
    std::fs::write(path, text).map_err(|source| Error::File { flag, path: path.to_owned(), source })
}

pub async fn state(
    g: &Global,
    action: StateAction,
    repo: Option<PathBuf>,
    workspace: Option<String>,
) -> Result<u8, Error> {
    let settings = state_settings(repo)?;
    on_emulator(g, |endpoint| async move {
        let store_for = |env: Environment| {
            let (endpoint, settings, workspace) = (endpoint.clone(), settings.clone(), workspace.clone());
            async move {
                StateStore::for_environment(&endpoint, env, &g.region)
                    .await
                    .with_settings(settings)
                    .with_workspace(workspace.as_deref())
            }
        };
        match action {
            StateAction::Bootstrap { env } => {
                let store = store_for(env).await;
                store.bootstrap().await?;
                let r = store.inspect().await?;
                let locking = store.settings().locking;
                let locks = match (locking.uses_lock_file(), locking.uses_table()) {
                    (true, false) => "lock files <key>.tflock in the bucket".to_owned(),
                    (false, _) => format!("lock table {}", store.lock_table()),
                    (true, true) => format!("lock files <key>.tflock and lock table {}", store.lock_table()),
                };
                println!(
                    "{}: bucket {} (versioning {}, encryption {}, public access blocked {}), {locks} (state.locking {locking})",
                    env.label(),
                    store.bucket(),
                    if r.versioning_enabled { "on" } else { "off" },
                    r.encryption.as_deref().unwrap_or("off"),
                    r.public_access_block.iter().all(|b| *b),
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
                        let others = store.other_workspaces(&component).await?;
                        if !others.is_empty() && workspace.is_none() {
                            eprintln!(
                                "stagegate: Terraform workspaces {} hold states of {component} (env:/NAME/{}); stagegate manages the default workspace only (--workspace NAME to read one)",
                                others.join(", "),
                                component.state_key()
                            );
                        }
                        Ok(exit::RULE_FAILED)
                    }
                }
            }
            StateAction::Versions { env, component } => {
                let versions = crate::release::history::state_versions(&store_for(env).await, &component).await?;
                match g.format {
                    Format::Json | Format::Sarif => {
                        println!("{}", serde_json::to_string_pretty(&versions).expect("versions serialise"));
                    }
                    Format::Text => versions.iter().for_each(|v| println!("{v}")),
                }
                Ok(exit::OK)
            }
            StateAction::Restore { env, component, version_id } => {
                let store = store_for(env).await;
                let who = crate::engine::state::who_am_i();
                let restored = store.restore_locked(&component, &version_id, &who, "stagegate state restore").await?;
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
    })
    .await
}
