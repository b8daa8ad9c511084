//! `stagegate watch` and `deploy --watch` (R55, LLD 7.12.1 item 3): after a deployment, follow
//! the environment's health (its post-deploy tests and the CloudWatch alarms `pipeline.yml`
//! names for it) for a bounded window; on a failure, roll back to the last known good
//! deployment without waiting for people only where [`preapproval`]'s rule allows it, and
//! record the time from detection to passing tests after the rollback (MTTR, LLD 7.10.1).
//!
//! Time comes from the injectable clock: on the system clock the watch sleeps between looks;
//! on a fixed clock (`--at`, `STAGEGATE_NOW`) it runs on simulated time, each look one poll
//! interval after the last, so a 24-hour watch is rehearsed without waiting for it.

pub mod alarms;
pub mod preapproval;
mod report;

use jiff::{SignedDuration, Timestamp};

use crate::Environment;
use crate::Error;
use crate::aws::AwsClients;
use crate::engine::apply::ApplyOptions;
use crate::engine::desired::DesiredEnvironment;
use crate::foundation::clock::Clock;
use crate::foundation::exit;
use crate::foundation::repo::Repo;
use crate::release::deploy::{DeployOutcome, Deployment};
use crate::release::gate::{Approval, GateRequest};
use crate::release::ledger::{self, DeploymentRecord, RecordKind};
use crate::release::notify::{Event, Notice};
use crate::release::rollback::{TagCheckout, TagRollback};

pub use report::{Failure, WatchRecord, WatchReport, records};

/// Why a watch could not run.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{} has no deployment to watch", env.label())]
    NothingToWatch { env: Environment },
    #[error(transparent)]
    Alarms(#[from] alarms::AlarmError),
    #[error(transparent)]
    PreApproval(#[from] preapproval::PreApprovalError),
    #[error("{flag}: {reason}")]
    BadDuration { flag: &'static str, reason: String },
}

impl WatchError {
    pub fn exit_code(&self) -> u8 {
        match self {
            WatchError::NothingToWatch { .. } | WatchError::PreApproval(_) | WatchError::BadDuration { .. } => {
                exit::BAD_INPUT
            }
            WatchError::Alarms(_) => exit::INFRASTRUCTURE,
        }
    }
}

/// How long to watch and how often to look; the policy's values where `None`.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    pub window: Option<SignedDuration>,
    pub poll: Option<SignedDuration>,
    pub clock: Clock,
}

/// Where the watch's "now" comes from: the system clock, or simulated time that a wait
/// advances without sleeping.
enum Ticker {
    System,
    Simulated(Timestamp),
}

impl Ticker {
    fn new(clock: Clock) -> Ticker {
        match clock {
            Clock::System => Ticker::System,
            Clock::Fixed(t) => Ticker::Simulated(t),
        }
    }

    fn now(&self) -> Timestamp {
        match self {
            Ticker::System => Timestamp::now(),
            Ticker::Simulated(t) => *t,
        }
    }

    async fn wait(&mut self, d: SignedDuration) {
        match self {
            Ticker::System => tokio::time::sleep(std::time::Duration::try_from(d).unwrap_or_default()).await,
            Ticker::Simulated(t) => *t = t.saturating_add(d).unwrap_or(*t),
        }
    }
}

/// What one look found wrong, if anything.
struct Look {
    failure: Option<Failure>,
    warnings: Vec<String>,
}

/// Watches the newest deployment of `env`.
pub async fn watch(d: &Deployment<'_>, env: Environment, options: &WatchOptions) -> Result<WatchReport, Error> {
    let store = d.state_store(env).await;
    let records = ledger::records(&store).await?;
    let Some(index) = records.iter().rposition(|r| r.kind == RecordKind::Deploy) else {
        return Err(WatchError::NothingToWatch { env }.into());
    };
    let watched = &records[index];
    let policy = d.policy.watch.environment(env);
    let window = options.window.unwrap_or(policy.window.0);
    let poll = options.poll.unwrap_or(policy.poll_interval.0);
    if !window.is_positive() || !poll.is_positive() {
        return Err(WatchError::BadDuration {
            flag: "--for/--poll",
            reason: "the window and poll interval must be positive".into(),
        }
        .into());
    }
    let clients = AwsClients::for_environment(d.endpoint, env, d.region).await;
    let cloudwatch = crate::aws::cloudwatch::client(d.endpoint, env.account_id(), d.region).await;
    // The deployment's own tree, to test the environment against what it deployed.
    let checkout = match (&watched.tag, watched.is_green()) {
        (Some(tag), true) => Some(TagCheckout::new(d.repo.root(), tag)?),
        _ => None,
    };
    let tree = checkout.as_ref().map(|c| Repo::open(&c.root())).transpose()?;
    let desired = tree.as_ref().map(|t| DesiredEnvironment::load(t, env)).transpose()?;
    let tier = d.policy.environment(env).post_deploy_tests;

    let mut ticker = Ticker::new(options.clock);
    let started = ticker.now();
    let end = started.saturating_add(window).unwrap_or(started);
    let mut report = WatchReport::new(watched, started, window);
    loop {
        let now = ticker.now();
        report.looks += 1;
        report.last_look = now;
        let look =
            look(&clients, &cloudwatch, &policy.alarms, watched, desired.as_ref(), tree.as_ref(), tier, now).await?;
        for w in look.warnings {
            if !report.warnings.contains(&w) {
                report.warnings.push(w);
            }
        }
        if let Some(failure) = look.failure {
            report.failure = Some(failure);
            break;
        }
        if now >= end {
            break;
        }
        let remaining = end.duration_since(now);
        ticker.wait(if remaining < poll { remaining } else { poll }).await;
    }
    drop(checkout);
    if let Some(failure) = report.failure.clone() {
        respond(d, &store, &records[..index], watched, &failure, &mut report).await?;
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn look(
    clients: &AwsClients,
    cloudwatch: &aws_sdk_cloudwatch::Client,
    watched_alarms: &[crate::foundation::watch_policy::WatchedAlarm],
    watched: &DeploymentRecord,
    desired: Option<&DesiredEnvironment>,
    tree: Option<&Repo>,
    tier: crate::foundation::policy::TestTier,
    now: Timestamp,
) -> Result<Look, Error> {
    let account = watched.environment.account_id();
    let states = alarms::read(cloudwatch, account, watched_alarms).await.map_err(WatchError::from)?;
    let warnings = states
        .iter()
        .filter(|a| a.state == "ALARM" && !a.fails())
        .map(|a| format!("warning alarm {} is in ALARM: {}", a.name, a.reason))
        .collect();
    if let Some(a) = states.iter().find(|a| a.fails()) {
        let failure = Failure {
            signal: format!("critical alarm {}", a.name),
            detail: format!("{} is in ALARM: {}", a.name, a.reason),
            detected: now,
            alarm_changed: a.changed,
        };
        return Ok(Look { failure: Some(failure), warnings });
    }
    // The deployment's own tests failed: it is failing from the start.
    let (Some(desired), Some(tree)) = (desired, tree) else {
        let detail = match (&watched.error, &watched.tests) {
            (Some(e), _) => e.clone(),
            (None, Some(t)) => t.summary.clone(),
            (None, None) => "no post-deploy tests ran".into(),
        };
        let failure = Failure { signal: "post-deploy tests".into(), detail, detected: now, alarm_changed: None };
        return Ok(Look { failure: Some(failure), warnings });
    };
    let tests = crate::release::verify::post_deploy_tests(clients, desired, tier, tree.root())
        .await
        .map_err(crate::engine::plan::PlanError::Live)?;
    let broken: Vec<String> =
        tests.failures().iter().map(|c| format!("{} {}: {}", c.requirement, c.subject, c.detail)).collect();
    let failure = (!broken.is_empty()).then(|| Failure {
        signal: "post-deploy tests".into(),
        detail: broken.join("; "),
        detected: now,
        alarm_changed: None,
    });
    Ok(Look { failure, warnings })
}

/// A failure was found: roll back where R55 allows it, else alert and change nothing.
async fn respond(
    d: &Deployment<'_>,
    store: &crate::engine::state::StateStore,
    earlier: &[DeploymentRecord],
    watched: &DeploymentRecord,
    failure: &Failure,
    report: &mut WatchReport,
) -> Result<(), Error> {
    let env = watched.environment;
    let tags = crate::release::tags::deployment_tags(d.repo.root(), env)
        .map_err(crate::release::rollback::RollbackError::Tags)?;
    let target = earlier
        .iter()
        .rev()
        .filter(|r| r.is_green())
        .find_map(|r| r.tag.clone().filter(|t| tags.contains(t) && Some(t) != watched.tag.as_ref()));
    let pre = preapproval::find(store, watched).await?;
    let slack = d.notifier.is_some_and(|n| n.configured(env));
    let action = match &target {
        None => format!(
            "not rolled back: {} has no earlier deployment whose tests passed and whose tag is in the repo",
            env.label()
        ),
        Some(tag) => {
            let commit = crate::foundation::git::tag_commit(d.repo.root(), tag)
                .map_err(|e| crate::release::rollback::RollbackError::UnknownTag { tag: tag.clone(), source: e })?;
            let verdict =
                preapproval::decide(d.policy, d.tickets, watched, pre.as_ref(), &commit, failure.detected, slack);
            let allowed = verdict.allowed();
            let request = verdict.request.clone();
            report.decision = Some(verdict);
            match request.filter(|_| allowed) {
                Some(req) => {
                    let outcome = roll_back(d, env, tag, &req, failure.detected).await?;
                    report.target = Some(tag.clone());
                    let done = outcome.record.as_ref().filter(|r| r.is_green()).map(DeploymentRecord::finished);
                    report.mttr_ms = done.map(|t| millis(t.duration_since(failure.detected)));
                    let text = if outcome.succeeded() {
                        "rolled back automatically to"
                    } else {
                        "automated rollback FAILED to"
                    };
                    report.rollback = Some(outcome);
                    format!("{text} {tag}")
                }
                None => format!(
                    "not rolled back: {}",
                    report.decision.as_ref().map(|v| v.refusals().join("; ")).unwrap_or_default()
                ),
            }
        }
    };
    report.action = action.clone();
    let notice = Notice {
        env,
        event: Event::HealthFailed { signal: failure.signal.clone(), detail: failure.detail.clone(), action },
    };
    if let Some(n) = d.notifier {
        report.notifications.extend(n.notify(&notice).await);
    }
    report::append(store, &WatchRecord::of(report, pre.as_ref())).await?;
    Ok(())
}

async fn roll_back(
    d: &Deployment<'_>,
    env: Environment,
    tag: &str,
    req: &GateRequest,
    detected: Timestamp,
) -> Result<DeployOutcome, Error> {
    let rollback = TagRollback::prepare(d, env, tag, req.at).await?;
    rollback.execute(d, req, &ApplyOptions::default(), Some(detected)).await
}

fn millis(d: SignedDuration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(0)
}

/// `deploy --watch`: the deployment, its rollback pre-approvals recorded (R55), then the watch.
pub async fn deploy_and_watch(
    d: &Deployment<'_>,
    req: &GateRequest,
    pre_approvals: &[Approval],
    plan: Option<crate::engine::plan::Plan>,
    watch_options: Option<&WatchOptions>,
) -> Result<(DeployOutcome, Option<WatchReport>), Error> {
    // Checked before anything changes: a refused pre-approval refuses the deployment.
    let pre = preapproval::pre_approvers(d.policy, req, pre_approvals).map_err(WatchError::from)?;
    let outcome = d.run(req, plan, &ApplyOptions::default()).await?;
    let Some(record) = &outcome.record else { return Ok((outcome, None)) };
    if !pre.is_empty() {
        let store = d.state_store(req.env).await;
        preapproval::record(&store, &preapproval::RollbackPreApproval::new(req, record, pre)).await?;
    }
    let report = match watch_options {
        Some(o) => Some(watch(d, req.env, o).await?),
        None => None,
    };
    Ok((outcome, report))
}
