//! The gated commands (LLD 7.3.5, 7.3.6, 7.6): gate, deploy, rollback, and verify.

use std::path::PathBuf;

use super::args::{GateArgs, Setup, on_emulator, open_repo, parse_component, parse_env};
use super::{Global, print_report, verdict};
use crate::Environment;
use crate::Error;
use crate::aws::AwsClients;
use crate::engine::apply::ApplyOptions;
use crate::engine::desired::DesiredEnvironment;
use crate::engine::plan::Plan;
use crate::engine::state::Component;
use crate::release::rollback::{TagRollback, VersionRollback};

#[derive(Debug, clap::Args)]
pub struct GateCommand {
    #[command(flatten)]
    gate: GateArgs,
    /// Gate a rollback (confirmation rollback-ENV).
    #[arg(long)]
    rollback: bool,
    /// Also check the previous environment's deployment records (R25) through the backend.
    #[arg(long)]
    check_promotion: bool,
}

#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    #[command(flatten)]
    gate: GateArgs,
    /// Apply this stored plan instead of a fresh one.
    #[arg(long)]
    plan: Option<PathBuf>,
    /// R55: after the deployment, watch its health as `stagegate watch` does.
    #[arg(long)]
    watch: bool,
    #[command(flatten)]
    window: super::watch::WatchWindow,
    /// R55: WHO or WHO@RFC3339, one of this deployment's approvers, pre-approving an automated
    /// rollback of it (repeatable).
    #[arg(long = "pre-approve-rollback")]
    pre_approve_rollback: Vec<String>,
    #[command(flatten)]
    record: super::args::RecordTimings,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    gate: GateArgs,
    /// A deploy-ENV-YYYYMMDD-HHMMSS tag, or last-good (the newest whose tests passed).
    #[arg(long, required_unless_present = "to_version", conflicts_with = "to_version")]
    to_tag: Option<String>,
    /// An S3 version id of one component's state (with --component): the environment goes back
    /// to the recorded deployment that wrote it (its tag), with that version restored first.
    #[arg(long, requires = "component")]
    to_version: Option<String>,
    #[arg(long, value_parser = parse_component)]
    component: Option<Component>,
    /// When the problem this rollback answers was detected (RFC 3339); kept in the record
    /// so that `report` can measure detection → recovery.
    #[arg(long)]
    detected_at: Option<String>,
    /// Preview the rollback to the tag and project its AWS operations' time against the
    /// environment's RTO target (R59), changing nothing; exit 1 if it would miss the target.
    #[arg(long, requires = "to_tag")]
    dry_run: bool,
    #[command(flatten)]
    record: super::args::RecordTimings,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[arg(long, value_parser = parse_env)]
    env: Environment,
    #[arg(long)]
    repo: Option<PathBuf>,
}

pub async fn gate(g: &Global, a: GateCommand) -> Result<u8, Error> {
    let setup = Setup::load(a.gate.repo.clone())?;
    let req = setup.request(&a.gate, a.rollback)?;
    let evidence = if a.check_promotion {
        let records = on_emulator(g, |endpoint| {
            let setup = &setup;
            async move { setup.deployment(&endpoint, &g.region).evidence(req.env).await }
        });
        Some(records.await?)
    } else {
        None
    };
    let v = crate::release::gate::evaluate(&setup.policy, &setup.tickets, evidence.as_deref(), &req);
    print_report(g.format, &v);
    Ok(verdict(v.passed()))
}

pub async fn deploy(g: &Global, a: DeployArgs) -> Result<u8, Error> {
    if a.watch || !a.pre_approve_rollback.is_empty() {
        if a.record.file.is_some() {
            return Err(Error::Usage("--record-timings: not with --watch or --pre-approve-rollback".into()));
        }
        let stored = a.plan.as_deref().map(Plan::load).transpose()?;
        let window = a.watch.then_some(a.window);
        return super::watch::deploy_and_watch(g, &a.gate, stored, &a.pre_approve_rollback, window).await;
    }
    let setup = Setup::load(a.gate.repo.clone())?;
    let req = setup.request(&a.gate, false)?;
    let record = a.record.open(g)?;
    let stored = a.plan.as_deref().map(Plan::load).transpose()?;
    let outcome = on_emulator(g, |endpoint| {
        let (setup, req) = (&setup, &req);
        async move { setup.deployment(&endpoint, &g.region).run(req, stored, &ApplyOptions::default()).await }
    })
    .await?;
    print_report(g.format, &outcome);
    super::args::RecordTimings::save(record, outcome.report.as_ref(), &setup.repo, req.env, &g.region)?;
    Ok(verdict(outcome.succeeded()))
}

pub async fn rollback(g: &Global, a: RollbackArgs) -> Result<u8, Error> {
    if a.to_version.is_some() && a.detected_at.is_some() {
        return Err(Error::Usage(
            "--detected-at: give it with --to-tag; a state-version rollback does not record it".into(),
        ));
    }
    let detected = a.detected_at.map(|t| crate::foundation::clock::parse_instant("--detected-at", &t)).transpose()?;
    let setup = Setup::load(a.gate.repo.clone())?;
    let req = setup.request(&a.gate, true)?;
    if a.dry_run && a.record.file.is_some() {
        return Err(Error::Usage("--record-timings: a --dry-run applies nothing to time".into()));
    }
    let record = a.record.open(g)?;
    if let (true, Some(target)) = (a.dry_run, &a.to_tag) {
        let projection = on_emulator(g, |endpoint| {
            let (setup, req) = (&setup, &req);
            async move {
                let deployment = setup.deployment(&endpoint, &g.region);
                let rollback = TagRollback::prepare(&deployment, req.env, target, req.at).await?;
                println!("rollback of {} to {} ({}), previewed:", req.env.label(), rollback.tag, rollback.commit());
                println!("{}", rollback.plan);
                let sizes = crate::practice::projection::TableSizes::load(setup.repo.root(), req.env)?;
                let rto = &setup.policy.environment(req.env).rollback_rto;
                let model = crate::practice::projection::LatencyModel::for_repo(setup.repo.root())?;
                Ok::<_, Error>(crate::practice::preview::RollbackProjection::new(&model, &rollback.plan, sizes, rto))
            }
        })
        .await?;
        print_report(g.format, &projection);
        return Ok(verdict(projection.met));
    }
    let outcome = match (a.to_tag, a.to_version, a.component) {
        (None, Some(version), Some(component)) => {
            on_emulator(g, |endpoint| {
                let (setup, req) = (&setup, &req);
                async move {
                    let deployment = setup.deployment(&endpoint, &g.region);
                    let rollback = VersionRollback::resolve(&deployment, req.env, &component, &version).await?;
                    println!(
                        "version {version} of {component} was written by the {} deployment tagged {} ({}): rolling back to it",
                        req.env.label(),
                        rollback.tag,
                        rollback.commit()
                    );
                    rollback.execute(&deployment, req, &ApplyOptions::default()).await
                }
            })
            .await?
        }
        (Some(target), _, _) => {
            on_emulator(g, |endpoint| {
                let (setup, req) = (&setup, &req);
                async move {
                    let deployment = setup.deployment(&endpoint, &g.region);
                    let rollback = TagRollback::prepare(&deployment, req.env, &target, req.at).await?;
                    println!("rollback of {} to {} ({}), previewed:", req.env.label(), rollback.tag, rollback.commit());
                    println!("{}", rollback.plan);
                    rollback.execute(&deployment, req, &ApplyOptions::default(), detected).await
                }
            })
            .await?
        }
        _ => return Err(Error::Usage("rollback: give --to-tag or --to-version with --component".into())),
    };
    print_report(g.format, &outcome);
    super::args::RecordTimings::save(record, outcome.report.as_ref(), &setup.repo, req.env, &g.region)?;
    Ok(verdict(outcome.succeeded()))
}

pub async fn verify(g: &Global, a: VerifyArgs) -> Result<u8, Error> {
    let repo = open_repo(a.repo)?;
    let desired = DesiredEnvironment::load(&repo, a.env)?;
    let report = on_emulator(g, |endpoint| {
        let desired = &desired;
        async move {
            let clients = AwsClients::for_environment(&endpoint, a.env, &g.region).await;
            crate::release::verify::verify(&clients, desired)
                .await
                .map_err(|e| Error::Plan(crate::engine::plan::PlanError::Live(e)))
        }
    })
    .await?;
    print_report(g.format, &report);
    Ok(verdict(report.passed()))
}
