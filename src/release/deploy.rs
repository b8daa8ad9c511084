//! `stagegate deploy`: gate → lock → apply → post-deploy tests → tag → record. A closed gate
//! changes nothing; everything after the gate is recorded, success or failure.

use std::time::Instant;

use serde::Serialize;

use crate::Environment;
use crate::Error;
use crate::aws::AwsClients;
use crate::emulator::Endpoint;
use crate::engine::apply::{ApplyOptions, ApplyReport, apply};
use crate::engine::desired::DesiredEnvironment;
use crate::engine::plan::{Plan, plan_environment};
use crate::engine::state::StateStore;
use crate::foundation::policy::Pipeline;
use crate::foundation::repo::Repo;
use crate::foundation::tickets::TicketSource;
use crate::release::gate::{GateRequest, GateVerdict, evaluate};
use crate::release::ledger::{self, DeploymentRecord, Outcome, RecordKind, TestResults};
use crate::release::notify::{Delivery, Event, Notice, Notifier};

#[derive(Debug, Serialize)]
pub struct DeployOutcome {
    pub verdict: GateVerdict,
    pub report: Option<ApplyReport>,
    pub tests: Option<TestResults>,
    pub tag: Option<String>,
    pub record: Option<DeploymentRecord>,
    /// What became of each notification; a failed one never fails the deployment.
    pub notifications: Vec<Delivery>,
}

/// The gate's verdict lines, then what the deployment did.
impl std::fmt::Display for DeployOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.verdict)?;
        for c in self.report.iter().flat_map(|r| &r.components) {
            writeln!(f, "{c}")?;
        }
        if let Some(t) = &self.tests {
            writeln!(f, "post-deploy tests {}: {}", if t.passed { "passed" } else { "FAILED" }, t.summary)?;
        }
        if let Some(tag) = &self.tag {
            writeln!(f, "tagged {tag}")?;
        }
        if let Some(r) = &self.record {
            writeln!(f, "recorded {:?} {} ({:?})", r.kind, r.id, r.result)?;
        }
        for n in &self.notifications {
            writeln!(f, "{n}")?;
        }
        Ok(())
    }
}

/// A gate request from simulated approvers who satisfy the policy (rehearse and drill): the
/// required number of the environment's reviewers, all approving at `at`.
pub fn simulated_request(
    policy: &Pipeline,
    env: Environment,
    deployer: &str,
    ticket: &str,
    commit: &str,
    at: jiff::Timestamp,
    rollback: bool,
) -> GateRequest {
    let p = policy.environment(env);
    // Nothing is sent during a rehearsal or drill; the webhook is taken as configured.
    GateRequest {
        approvals: p
            .reviewers
            .iter()
            .take(p.required_approvals.0 as usize)
            .map(|r| crate::release::gate::Approval { who: r.clone(), at: Some(at) })
            .collect(),
        confirmation: Some(format!("{}-{}", if rollback { "rollback" } else { "deploy" }, env.name())),
        change_ticket: Some(ticket.parse().expect("a generated ticket id matches the pattern")),
        ..GateRequest::from_main(env, deployer, commit, at, rollback)
    }
}

impl DeployOutcome {
    /// A deployment the gate refused: nothing ran.
    pub fn refused(verdict: GateVerdict) -> DeployOutcome {
        DeployOutcome { verdict, report: None, tests: None, tag: None, record: None, notifications: Vec::new() }
    }

    pub fn succeeded(&self) -> bool {
        self.record.as_ref().is_some_and(DeploymentRecord::is_green)
    }
}

/// Everything a deployment runs against.
#[derive(Clone, Copy)]
pub struct Deployment<'a> {
    pub endpoint: &'a Endpoint,
    pub region: &'a str,
    pub repo: &'a Repo,
    pub policy: &'a Pipeline,
    pub tickets: &'a dyn TicketSource,
    /// Where notifications go; none during rehearsals and drills.
    pub notifier: Option<&'a Notifier>,
}

impl<'a> Deployment<'a> {
    /// A deployment of `repo` under `policy`, sending no notifications.
    pub fn new(
        endpoint: &'a Endpoint,
        region: &'a str,
        repo: &'a Repo,
        policy: &'a Pipeline,
        tickets: &'a dyn TicketSource,
    ) -> Deployment<'a> {
        Deployment { endpoint, region, repo, policy, tickets, notifier: None }
    }

    /// The same deployment, notifying through `notifier`.
    pub fn with_notifier(self, notifier: Option<&'a Notifier>) -> Deployment<'a> {
        Deployment { notifier, ..self }
    }

    /// The same deployment, of another tree of the repo (a tag's checkout).
    pub fn at<'t>(&self, tree: &'t Repo) -> Deployment<'t>
    where
        'a: 't,
    {
        Deployment { repo: tree, ..*self }
    }

    /// The state backend of `env`, reached with `env`'s own credentials.
    pub async fn state_store(&self, env: Environment) -> StateStore {
        StateStore::for_environment(self.endpoint, env, self.region).await.with_settings(self.state_settings())
    }

    /// How pipeline.yml says the state backends are used (R53).
    pub fn state_settings(&self) -> crate::engine::state::StateSettings {
        crate::engine::state::StateSettings::from_names(&self.policy.state)
    }

    /// The records of the environment before `env` in the promotion order, read with that
    /// environment's own credentials (R25). A backend that does not exist yet has none.
    pub async fn evidence(&self, env: Environment) -> Result<Vec<DeploymentRecord>, Error> {
        let Some(prev) = self.policy.previous(env) else { return Ok(Vec::new()) };
        let store = self.state_store(prev).await;
        match ledger::records(&store).await {
            Ok(r) => Ok(r),
            Err(e) if e.is_missing_bucket() => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs the gate and, when it opens, the deployment.
    pub async fn run(
        &self,
        req: &GateRequest,
        plan: Option<Plan>,
        options: &ApplyOptions,
    ) -> Result<DeployOutcome, Error> {
        self.run_after_detection(req, plan, options, None).await
    }

    /// [`Deployment::run`] for a rollback that answers a problem detected at `detected`
    /// (kept in the record, for mean time to rollback).
    pub async fn run_after_detection(
        &self,
        req: &GateRequest,
        plan: Option<Plan>,
        options: &ApplyOptions,
        detected: Option<jiff::Timestamp>,
    ) -> Result<DeployOutcome, Error> {
        let evidence = self.evidence(req.env).await?;
        let mut verdict = evaluate(self.policy, self.tickets, Some(&evidence), req);
        // R57: the cost alert is judged on the plan, so a deployment under one plans first.
        let plan = match plan {
            Some(p) => Some(p),
            None if self.policy.cost_alert.is_some() && !req.rollback => {
                let clients = AwsClients::for_environment(self.endpoint, req.env, self.region).await;
                let desired = DesiredEnvironment::load(self.repo, req.env)?;
                Some(plan_environment(&clients, &desired, req.commit.clone(), req.at).await?)
            }
            None => None,
        };
        if let (Some(p), Some(_)) = (&plan, &self.policy.cost_alert) {
            let change = crate::engine::cost_change::of_plan(self.repo, p)?;
            verdict.rules.extend(crate::release::cost_gate::rule(self.policy, req, &change));
        }
        if !verdict.passed() {
            let mut outcome = DeployOutcome::refused(verdict);
            if let Some(notice) = approval_required(self.policy, req, &outcome.verdict) {
                outcome.notifications = self.notify(&notice).await;
            }
            return Ok(outcome);
        }
        let started = Instant::now();
        let mut notifications = Vec::new();
        if !req.rollback {
            let event = Event::DeploymentStarted {
                deployer: req.deployer.clone(),
                commit: req.commit.clone().unwrap_or_default(),
                change_ticket: req.change_ticket.as_ref().map(ToString::to_string),
            };
            notifications.extend(self.notify(&Notice { env: req.env, event }).await);
        }
        let commit = req.commit.clone().unwrap_or_default();
        let clients = AwsClients::for_environment(self.endpoint, req.env, self.region).await;
        let store = StateStore::new(clients.clone(), req.env).with_settings(self.state_settings());
        store.bootstrap().await?;
        let desired = DesiredEnvironment::load(self.repo, req.env)?;
        let plan = match plan {
            Some(p) => p,
            None => plan_environment(&clients, &desired, Some(commit.clone()), req.at).await?,
        };
        let applied = apply(&store, &plan, self.repo, req.at, options).await;
        let (report, error) = match applied {
            Ok(r) => {
                let failed: Vec<String> = r
                    .components
                    .iter()
                    .filter_map(|c| c.error.as_ref().map(|e| format!("{}: {e}", c.component)))
                    .collect();
                (Some(r), (!failed.is_empty()).then(|| failed.join("; ")))
            }
            Err(e) => (None, Some(e.to_string())),
        };
        // Post-deploy tests: the invariants hold, and the environment matches the repo,
        // resource by resource.
        let tests = match &error {
            Some(_) => None,
            None => {
                let tier = self.policy.environment(req.env).post_deploy_tests;
                let invariants = crate::release::verify::post_deploy_tests(&clients, &desired, tier, self.repo.root())
                    .await
                    .map_err(crate::engine::plan::PlanError::Live)?;
                let again = plan_environment(&clients, &desired, Some(commit.clone()), req.at).await?;
                let resources: usize = again.components.iter().map(|c| c.resources.len()).sum();
                let differing: Vec<String> = again
                    .components
                    .iter()
                    .flat_map(|c| &c.resources)
                    .filter(|r| r.action != crate::engine::plan::Action::NoOp)
                    .map(|r| r.address.clone())
                    .collect();
                let broken: Vec<String> = invariants
                    .failures()
                    .iter()
                    .map(|c| format!("{} {}: {}", c.requirement, c.subject, c.detail))
                    .collect();
                let mut summary = format!("{tier:?} tests: {} checks pass", invariants.checks.len() - broken.len());
                if !broken.is_empty() {
                    summary.push_str(&format!("; broken: {}", broken.join("; ")));
                }
                if differing.is_empty() {
                    summary.push_str(&format!("; all {resources} resources match the repo"));
                } else {
                    summary.push_str(&format!("; differ from the repo: {}", differing.join(", ")));
                }
                Some(TestResults { passed: differing.is_empty() && broken.is_empty(), summary })
            }
        };
        let green = error.is_none() && tests.as_ref().is_some_and(|t| t.passed);
        let tag = if green {
            let message = format!("Deployment to {} by {}", req.env.name(), req.deployer);
            Some(crate::release::tags::tag_deployment(
                self.repo.root(),
                req.env,
                &commit,
                req.at,
                &req.deployer,
                &message,
            )?)
        } else {
            None
        };
        let committed = crate::foundation::git::committed_at(self.repo.root(), &commit);
        let record = DeploymentRecord {
            id: uuid::Uuid::new_v4().to_string(),
            kind: if req.rollback { RecordKind::Rollback } else { RecordKind::Deploy },
            environment: req.env,
            commit,
            deployer: req.deployer.clone(),
            approvers: req.approvals.iter().map(|a| a.who.clone()).collect(),
            trigger: req.trigger.clone(),
            started: req.at,
            recorded: jiff::Timestamp::now(),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            result: if error.is_none() { Outcome::Succeeded } else { Outcome::Failed },
            tests: tests.clone(),
            tag: tag.clone(),
            error,
            committed,
            detected,
            states: written_states(report.as_ref()),
        };
        ledger::append(&store, &record).await?;
        notifications.extend(self.notify(&finished(&record, &plan, req)).await);
        Ok(DeployOutcome { verdict, report, tests, tag, record: Some(record), notifications })
    }

    async fn notify(&self, notice: &Notice) -> Vec<Delivery> {
        match self.notifier {
            Some(n) => n.notify(notice).await,
            None => Vec::new(),
        }
    }
}

/// The state versions an apply wrote, for the deployment's record.
fn written_states(report: Option<&ApplyReport>) -> Vec<ledger::WrittenState> {
    let components = report.map(|r| r.components.as_slice()).unwrap_or_default();
    components
        .iter()
        .filter_map(|c| {
            let version_id = c.state_version.clone()?;
            Some(ledger::WrittenState { component: c.component.clone(), serial: c.serial, version_id })
        })
        .collect()
}

/// The notice for a recorded deployment or rollback (LLD 7.8.2).
fn finished(record: &DeploymentRecord, plan: &Plan, req: &GateRequest) -> Notice {
    let duration = jiff::SignedDuration::from_millis(i64::try_from(record.duration_ms).unwrap_or(i64::MAX));
    let reason = || match (&record.error, &record.tests) {
        (Some(e), _) => e.clone(),
        (None, Some(t)) => format!("post-deploy tests failed: {}", t.summary),
        (None, None) => "no post-deploy tests ran".to_owned(),
    };
    let event = match record.kind {
        RecordKind::Rollback => Event::RollbackExecuted {
            by: record.deployer.clone(),
            target: record.commit.clone(),
            duration,
            passed: record.is_green(),
            tag: record.tag.clone(),
        },
        RecordKind::Deploy if record.is_green() => Event::DeploymentCompleted {
            deployer: record.deployer.clone(),
            duration,
            resources: crate::release::notify::resource_summary(plan),
            tag: record.tag.clone(),
        },
        RecordKind::Deploy => Event::DeploymentFailed { deployer: record.deployer.clone(), duration, reason: reason() },
    };
    Notice { env: req.env, event }
}

/// A gate closed only for want of approvals asks the environment's reviewers for them (7.6.3).
pub fn approval_required(policy: &Pipeline, req: &GateRequest, verdict: &GateVerdict) -> Option<Notice> {
    let failures = verdict.failures();
    let only_approvals = !failures.is_empty() && failures.iter().all(|r| matches!(r.rule, "R16" | "R17" | "R18"));
    only_approvals.then(|| Notice {
        env: req.env,
        event: Event::ApprovalRequired {
            requested_by: req.deployer.clone(),
            approvers_needed: policy.environment(req.env).required_approvals.0,
            approved_by: req.approvals.iter().map(|a| a.who.clone()).collect(),
            run_url: run_url(|k| std::env::var(k).ok()),
        },
    })
}

/// The GitHub Actions run this process belongs to, when it runs in one, from the variables
/// GitHub sets (read by `env`).
pub fn run_url(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    Some(format!("{}/{}/actions/runs/{}", var("GITHUB_SERVER_URL")?, var("GITHUB_REPOSITORY")?, var("GITHUB_RUN_ID")?))
}
