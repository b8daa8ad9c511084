//! `stagegate rehearse`: the pipeline rehearsed end to end on an emulator. It validates the
//! repo, plans it for DEV, SIT and PROD at once, then promotes it DEV → SIT → PROD through each environment's
//! gate with simulated approvers who satisfy the policy, at an instant inside every window,
//! under a generated approved change ticket: lock, apply, post-deploy tests, tag, record.
//! Tags go to a scratch git checkout of the repo, never to the repo itself. Afterwards a new
//! plan must show nothing left to do and a rival lock must be refused naming its holder.

use std::fmt;
use std::time::Instant;

use jiff::Timestamp;
use serde::Serialize;

use crate::Environment;
use crate::Error;
use crate::aws::AwsClients;
use crate::emulator::Endpoint;
use crate::engine::apply::ApplyOptions;
use crate::engine::desired::DesiredEnvironment;
use crate::engine::plan::{Action, plan_environment, plan_environments};
use crate::engine::state::{OPERATION_APPLY, StateError, StateStore};
use crate::foundation::policy::Pipeline;
use crate::foundation::repo::Repo;
use crate::foundation::tickets::{ChangeTicket, FileTickets};
use crate::release::deploy::Deployment;

const RIVAL_WHO: &str = "rival@stagegate";
const REHEARSAL_TICKET: &str = "CHG0000001";

pub struct Rehearsal<'a> {
    repo: &'a Repo,
    endpoint: &'a Endpoint,
    region: &'a str,
}

#[derive(Debug, Serialize)]
pub struct RehearsalReport {
    pub repo: String,
    pub endpoint: String,
    pub commit: Option<String>,
    /// The instant the gates were evaluated at (inside every window).
    pub at: Timestamp,
    /// Files Stage 1 validated, without a finding.
    pub validated_files: usize,
    pub plans: Vec<PlanSummary>,
    pub promotions: Vec<Promotion>,
    /// The PROD rollback drill run after the promotion (R35).
    pub drill: crate::practice::drill::DrillReport,
    /// Steps the backend could not rehearse (AWS Backup on LocalStack community), with why.
    pub not_rehearsed: Vec<crate::practice::not_rehearsed::NotRehearsed>,
    pub total_ms: u128,
    /// The dashboard of the records the rehearsal made (R50).
    pub dashboard: crate::observe::dashboard::Dashboard,
}

#[derive(Debug, Serialize)]
pub struct PlanSummary {
    pub environment: Environment,
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub unchanged: usize,
    pub ms: u128,
}

#[derive(Debug, Serialize)]
pub struct Promotion {
    pub environment: Environment,
    pub account: String,
    pub state_bucket: String,
    pub lock_table: String,
    pub components: usize,
    pub operations: usize,
    pub apply_ms: u128,
    pub converged: bool,
    pub rival_lock_refused_while_held_by: String,
    pub approvers: Vec<String>,
    pub rules_passed: usize,
    pub tests: String,
    pub tag: Option<String>,
    pub record: Option<String>,
}

impl<'a> Rehearsal<'a> {
    pub fn new(repo: &'a Repo, endpoint: &'a Endpoint, region: &'a str) -> Rehearsal<'a> {
        Rehearsal { repo, endpoint, region }
    }

    /// Runs the rehearsal; `started` is when the command began.
    pub async fn run(&self, started: Instant, now: Timestamp) -> Result<RehearsalReport, Error> {
        // A spinner on a terminal; indicatif draws nothing when stderr is not one.
        let progress = indicatif::ProgressBar::new_spinner();
        progress.set_style(
            indicatif::ProgressStyle::with_template("{spinner} rehearse: {msg} [{elapsed}]").expect("valid template"),
        );
        progress.enable_steady_tick(std::time::Duration::from_millis(120));
        progress.set_message("validating");
        let report = self.stages(started, now, &progress).await;
        progress.finish_and_clear();
        report
    }

    async fn stages(
        &self,
        started: Instant,
        now: Timestamp,
        progress: &indicatif::ProgressBar,
    ) -> Result<RehearsalReport, Error> {
        let scratch = tempfile::tempdir().map_err(|e| Error::Infrastructure(format!("a scratch directory: {e}")))?;
        let (checkout, not_rehearsed) = scratch_checkout(self.repo, scratch.path(), self.endpoint.flavor)?;
        let commit = crate::foundation::git::current_commit(checkout.root());
        // Stage 1 first: a repo with findings is not promoted anywhere.
        let validation = crate::checks::validate::validate(checkout.root())?;
        if !validation.diagnostics.is_empty() {
            return Err(Error::Failed(format!(
                "validation found {} problems:\n{validation}",
                validation.diagnostics.len()
            )));
        }
        let at = inside_every_window(now);
        progress.set_message("planning DEV, SIT and PROD");
        let timed =
            plan_environments(self.endpoint, self.region, &checkout, &Environment::ALL, commit.clone(), at).await?;
        let policy = Pipeline::load(checkout.root())?;
        let ticket = ChangeTicket::generated(REHEARSAL_TICKET, "stagegate rehearsal", at);
        let tickets = FileTickets::with(vec![ticket]);
        let deployment = Deployment::new(self.endpoint, self.region, &checkout, &policy, &tickets);
        let mut plans = Vec::new();
        let mut promotions = Vec::new();
        for (plan, took) in timed {
            let counts = plan.counts();
            let n = |a| counts.get(&a).copied().unwrap_or(0);
            plans.push(PlanSummary {
                environment: plan.environment,
                create: n(Action::Create),
                update: n(Action::Update),
                replace: n(Action::Replace),
                delete: n(Action::Delete),
                unchanged: n(Action::NoOp),
                ms: took.as_millis(),
            });
            progress.set_message(format!("promoting to {}", plan.environment.label()));
            promotions.push(self.promote(&deployment, plan, commit.clone().unwrap_or_default(), at).await?);
        }
        // The security scan of the rehearsed commit, before the drill commits a bad one.
        let scan = crate::checks::scan::scan(checkout.root())?;
        let blocking = scan.active().filter(|f| f.rule.severity.fails()).count();
        progress.set_message("PROD rollback drill");
        let drill = crate::practice::drill::drill_promoted(
            &deployment,
            REHEARSAL_TICKET,
            Environment::Prod,
            crate::practice::drill::Breakage::Pitr,
            at,
        )
        .await?;
        progress.set_message("dashboard");
        let dashboard = self.record_checks(commit.clone(), blocking, at).await?;
        Ok(RehearsalReport {
            repo: self.repo.root().display().to_string(),
            endpoint: self.endpoint.to_string(),
            commit,
            at,
            validated_files: validation.files,
            plans,
            promotions,
            drill,
            not_rehearsed,
            total_ms: started.elapsed().as_millis(),
            dashboard,
        })
    }

    /// Records the Stage 1 runs in DEV's state bucket (validation passed, or the rehearsal
    /// would have stopped; the security scan as it came out), then reads the dashboard back.
    async fn record_checks(
        &self,
        commit: Option<String>,
        blocking: usize,
        at: Timestamp,
    ) -> Result<crate::observe::dashboard::Dashboard, Error> {
        use crate::release::ledger::{CheckKind, CheckRecord, append_check};
        let dev = Environment::Dev;
        let store = StateStore::for_environment(self.endpoint, dev, self.region).await;
        append_check(&store, &CheckRecord::new(CheckKind::Validation, commit.clone(), at, true, 0)).await?;
        append_check(&store, &CheckRecord::new(CheckKind::SecurityScan, commit, at, blocking == 0, blocking)).await?;
        let window = crate::observe::metrics::Window::last_days(at, crate::observe::metrics::DEFAULT_DAYS);
        crate::observe::dashboard::Dashboard::load(self.endpoint, self.region, window).await
    }

    async fn promote(
        &self,
        deployment: &Deployment<'_>,
        plan: crate::engine::plan::Plan,
        commit: String,
        at: Timestamp,
    ) -> Result<Promotion, Error> {
        let env = plan.environment;
        let req = crate::release::deploy::simulated_request(
            deployment.policy,
            env,
            "rehearsal-bot",
            REHEARSAL_TICKET,
            &commit,
            at,
            false,
        );
        let approvers: Vec<String> = req.approvals.iter().map(|a| a.who.clone()).collect();
        let outcome = deployment.run(&req, Some(plan), &ApplyOptions::default()).await?;
        if !outcome.verdict.passed() {
            return Err(Error::Failed(format!("{}: the gate stayed closed:\n{}", env.label(), outcome.verdict)));
        }
        let report = outcome.report.as_ref();
        if let Some(failed) = report.and_then(|r| r.components.iter().find(|c| c.error.is_some())) {
            return Err(Error::Failed(format!(
                "{}: applying {} failed: {}",
                env.label(),
                failed.component,
                failed.error.as_deref().unwrap_or_default()
            )));
        }
        let clients = AwsClients::for_environment(self.endpoint, env, self.region).await;
        let store = StateStore::new(clients.clone(), env).with_settings(deployment.state_settings());
        let desired = DesiredEnvironment::load(deployment.repo, env)?;
        let again = plan_environment(&clients, &desired, None, at).await?;
        let rival_lock_refused_while_held_by = match desired.components.first().map(|d| d.component.clone()) {
            Some(c) => {
                let held = store.lock(&c, OPERATION_APPLY, "rehearsal@stagegate", "stagegate rehearse").await?;
                let rival = store.lock(&c, OPERATION_APPLY, RIVAL_WHO, "rival").await;
                store.unlock(&c, &held.id).await?;
                match rival {
                    Err(StateError::Locked { holder, .. }) => holder.who,
                    Ok(granted) => {
                        store.unlock(&c, &granted.id).await?;
                        return Err(Error::Failed(format!("{}: a second lock on {c} was granted", env.label())));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            None => String::new(),
        };
        Ok(Promotion {
            environment: env,
            account: env.account_id().into(),
            state_bucket: store.bucket().into(),
            lock_table: match (store.settings().locking.uses_lock_file(), store.settings().locking.uses_table()) {
                (true, false) => format!("{} (*.tflock)", store.bucket()),
                (false, _) => store.lock_table().into(),
                (true, true) => format!("{} (*.tflock) and {}", store.bucket(), store.lock_table()),
            },
            components: report.map_or(0, |r| r.components.len()),
            operations: report.map_or(0, |r| r.components.iter().map(|c| c.operations.len()).sum()),
            apply_ms: report.map_or(0, |r| r.elapsed_ms),
            converged: !again.has_changes(),
            rival_lock_refused_while_held_by,
            approvers,
            rules_passed: outcome
                .verdict
                .rules
                .iter()
                .filter(|r| r.verdict == crate::release::gate::Verdict::Pass)
                .count(),
            tests: outcome
                .tests
                .as_ref()
                .map_or("not run".into(), |t| format!("{}: {}", if t.passed { "passed" } else { "FAILED" }, t.summary)),
            tag: outcome.tag.clone(),
            record: outcome.record.as_ref().map(|r| r.id.clone()),
        })
    }
}

/// A git checkout of the repo's files in `dir` with one commit on main, so that deployment
/// tags never land in the user's own repo; adjusted to what the backend `flavor` emulates, with
/// the steps that leaves out.
pub(crate) fn scratch_checkout(
    repo: &Repo,
    dir: &std::path::Path,
    flavor: crate::emulator::Flavor,
) -> Result<(Repo, Vec<crate::practice::not_rehearsed::NotRehearsed>), Error> {
    let fail = |what: String| Error::Infrastructure(format!("preparing the rehearsal checkout: {what}"));
    crate::foundation::repo::copy_tree(repo.root(), dir).map_err(|e| fail(e.to_string()))?;
    let not_rehearsed = crate::practice::not_rehearsed::set_aside(dir, flavor)?;
    let source = crate::foundation::git::current_commit(repo.root()).unwrap_or_else(|| "a working tree".into());
    let message = format!("stagegate rehearsal of {source}");
    crate::foundation::git::init_with_everything(dir, &message).map_err(|e| fail(e.to_string()))?;
    Ok((Repo::open(dir)?, not_rehearsed))
}

/// `now` if it is inside SIT's business hours, else the next weekday at 10:00 in
/// Africa/Johannesburg: an instant every environment's window admits.
pub fn inside_every_window(now: Timestamp) -> Timestamp {
    let local = crate::foundation::clock::in_pipeline_zone(now);
    let weekday = |d: jiff::civil::Weekday| !matches!(d, jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday);
    let hour = local.hour();
    if weekday(local.weekday()) && (9..16).contains(&hour) {
        return now;
    }
    let mut day = local.date();
    if hour >= 10 || !weekday(day.weekday()) {
        day = day.tomorrow().expect("a next day");
    }
    while !weekday(day.weekday()) {
        day = day.tomorrow().expect("a next day");
    }
    day.at(10, 0, 0, 0).to_zoned_datetime(local.time_zone().clone()).map(|z| z.timestamp()).unwrap_or(now)
}

impl fmt::Display for RehearsalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stagegate rehearse")?;
        writeln!(f, "  repo      {}", self.repo)?;
        writeln!(f, "  commit    {}", self.commit.as_deref().unwrap_or("(not a git checkout)"))?;
        writeln!(f, "  emulator  {}", self.endpoint)?;
        writeln!(
            f,
            "  clock     {} (inside every window; simulated approvers, change ticket CHG0000001)",
            crate::foundation::clock::in_pipeline_zone(self.at).strftime("%a %Y-%m-%d %H:%M %Z")
        )?;
        writeln!(f)?;
        writeln!(f, "Validate: {} files, no findings", self.validated_files)?;
        writeln!(f)?;
        writeln!(f, "Plan (DEV, SIT and PROD at once)")?;
        for p in &self.plans {
            writeln!(
                f,
                "  {:<4} {} to create, {} to update, {} to replace, {} to delete, {} unchanged  ({} ms)",
                p.environment.label(),
                p.create,
                p.update,
                p.replace,
                p.delete,
                p.unchanged,
                p.ms
            )?;
        }
        writeln!(f)?;
        writeln!(f, "Promote DEV → SIT → PROD")?;
        for p in &self.promotions {
            writeln!(
                f,
                "  {:<4} account {}: {} components, {} operations applied in {} ms; re-plan {}; rival lock refused (held by {})",
                p.environment.label(),
                p.account,
                p.components,
                p.operations,
                p.apply_ms,
                if p.converged { "clean" } else { "NOT CLEAN" },
                p.rival_lock_refused_while_held_by
            )?;
            writeln!(f, "       gate: {} rules passed, approved by {}", p.rules_passed, p.approvers.join(", "))?;
            writeln!(f, "       post-deploy tests {}", p.tests)?;
            writeln!(
                f,
                "       tag {}, record {}",
                p.tag.as_deref().unwrap_or("(none)"),
                p.record.as_deref().unwrap_or("(none)")
            )?;
            writeln!(f, "       state in {}, locks in {}", p.state_bucket, p.lock_table)?;
        }
        writeln!(f)?;
        write!(f, "{}", self.drill)?;
        writeln!(f)?;
        crate::practice::not_rehearsed::write_section(f, &self.not_rehearsed)?;
        writeln!(f, "total {:.1} s", self.total_ms as f64 / 1000.0)?;
        writeln!(f)?;
        write!(f, "{}", self.dashboard)
    }
}
