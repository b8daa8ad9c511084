//! R55: who may let a rollback run without waiting for people, and for how long.
//!
//! The rule, as the feature states it: a failure after a deployment is rolled back
//! automatically only when that deployment's own approvers pre-approved it when it was
//! dispatched, at least as many of them as the environment's gate requires, none of them the
//! deployer where the environment forbids self-review (PROD), each pre-approval recorded with
//! who gave it and when; and when the failure is found, the rollback passes the environment's
//! rollback gate with those pre-approvals as its approvals: each younger than the approval
//! timeout (R18), from `main` (R19), inside the window (R20) and the change ticket's window
//! (R21). Anything short of that and the watch alerts and changes nothing.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Environment;
use crate::engine::state::{StateError, StateStore};
use crate::foundation::policy::Pipeline;
use crate::foundation::tickets::TicketSource;
use crate::foundation::watch_policy::AutomatedRollback;
use crate::release::gate::{Approval, GateRequest, GateVerdict, RuleVerdict, Verdict, evaluate};
use crate::release::ledger::{self, DeploymentRecord};

/// Where pre-approvals are kept, in the environment's state bucket beside its ledger.
pub const PRE_APPROVAL_PREFIX: &str = "watch/pre-approvals/";

/// One person's pre-approval of an automated rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreApprover {
    pub who: String,
    pub at: Timestamp,
}

/// The pre-approval of an automated rollback of one deployment, with what its gate request
/// carried (branch, trigger, change ticket) so that the rollback's gate is the same gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackPreApproval {
    pub environment: Environment,
    /// The deployment record it belongs to.
    pub deployment: String,
    pub deployer: String,
    pub branch: Option<String>,
    pub trigger: String,
    pub change_ticket: Option<String>,
    pub pre_approved_by: Vec<PreApprover>,
    pub recorded: Timestamp,
}

/// A pre-approval refused when the deployment is dispatched (exit 2, before anything changes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreApprovalError {
    #[error(
        "--pre-approve-rollback {who}: {who} did not approve this deployment; only its own approvers may pre-approve its rollback"
    )]
    NotAnApprover { who: String },
    #[error("--pre-approve-rollback {who}: the deployer may not pre-approve the rollback of their own {} deployment", env.label())]
    SelfApproval { who: String, env: Environment },
    #[error("--pre-approve-rollback: {} never rolls back automatically (pipeline.yml watch.{}.automated_rollback is never)", env.label(), env.name())]
    NotAllowed { env: Environment },
}

/// R55: checks the pre-approvers of a deployment request; each one's time is the one given, or
/// the request's instant.
pub fn pre_approvers(
    policy: &Pipeline,
    req: &GateRequest,
    given: &[Approval],
) -> Result<Vec<PreApprover>, PreApprovalError> {
    if policy.watch.environment(req.env).automated_rollback == AutomatedRollback::Never && !given.is_empty() {
        return Err(PreApprovalError::NotAllowed { env: req.env });
    }
    let p = policy.environment(req.env);
    given
        .iter()
        .map(|a| {
            let who = a.who.to_ascii_lowercase();
            if p.prevent_self_review && who == req.deployer.to_ascii_lowercase() {
                return Err(PreApprovalError::SelfApproval { who: a.who.clone(), env: req.env });
            }
            if !req.approvals.iter().any(|d| d.who.eq_ignore_ascii_case(&who)) {
                return Err(PreApprovalError::NotAnApprover { who: a.who.clone() });
            }
            Ok(PreApprover { who: a.who.clone(), at: a.at.unwrap_or(req.at) })
        })
        .collect()
}

impl RollbackPreApproval {
    pub fn new(req: &GateRequest, record: &DeploymentRecord, pre: Vec<PreApprover>) -> RollbackPreApproval {
        RollbackPreApproval {
            environment: req.env,
            deployment: record.id.clone(),
            deployer: record.deployer.clone(),
            branch: req.branch.clone(),
            trigger: req.trigger.clone(),
            change_ticket: req.change_ticket.as_ref().map(ToString::to_string),
            pre_approved_by: pre,
            recorded: Timestamp::now(),
        }
    }

    /// The object a deployment's pre-approval is kept in: one per environment and deployment.
    pub fn key(env: Environment, deployment: &str) -> String {
        format!("{PRE_APPROVAL_PREFIX}{}/{deployment}.json", env.name())
    }
}

/// Records a pre-approval beside the deployment it belongs to.
pub async fn record(store: &StateStore, pre: &RollbackPreApproval) -> Result<(), StateError> {
    let body = serde_json::to_vec_pretty(pre).expect("a pre-approval serialises");
    ledger::put_json(store, RollbackPreApproval::key(pre.environment, &pre.deployment), body).await
}

/// The pre-approval of `deployment`, if one was recorded.
pub async fn find(
    store: &StateStore,
    deployment: &DeploymentRecord,
) -> Result<Option<RollbackPreApproval>, StateError> {
    let key = RollbackPreApproval::key(deployment.environment, &deployment.id);
    let found: Vec<RollbackPreApproval> = ledger::read_all(store, &key).await?;
    Ok(found.into_iter().find(|p| p.deployment == deployment.id))
}

/// Whether an automated rollback may run, and the gate request it runs under.
#[derive(Debug, Clone, Serialize)]
pub struct AutomatedVerdict {
    /// R55 itself: the policy allows it and a pre-approval of this deployment exists.
    pub pre_approval: RuleVerdict,
    /// The environment's rollback gate, evaluated with the pre-approvals (when there are some).
    pub gate: Option<GateVerdict>,
    #[serde(skip)]
    pub request: Option<GateRequest>,
}

impl AutomatedVerdict {
    pub fn allowed(&self) -> bool {
        self.pre_approval.verdict == Verdict::Pass && self.gate.as_ref().is_some_and(GateVerdict::passed)
    }

    /// Every rule that refused, `R55` first.
    pub fn refusals(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.pre_approval.verdict == Verdict::Fail {
            out.push(format!("{}: {}", self.pre_approval.rule, self.pre_approval.detail));
        }
        for r in self.gate.iter().flat_map(GateVerdict::failures) {
            out.push(format!("{}: {}", r.rule, r.detail));
        }
        out
    }
}

/// R55: decides on the automated rollback of `deployment` (to a tag of `commit`) for a failure
/// found at `at`.
pub fn decide(
    policy: &Pipeline,
    tickets: &dyn TicketSource,
    deployment: &DeploymentRecord,
    pre: Option<&RollbackPreApproval>,
    commit: &str,
    at: Timestamp,
    slack_configured: bool,
) -> AutomatedVerdict {
    let env = deployment.environment;
    let fail = |detail: String| AutomatedVerdict {
        pre_approval: RuleVerdict { rule: "R55", name: "automated rollback", verdict: Verdict::Fail, detail },
        gate: None,
        request: None,
    };
    if policy.watch.environment(env).automated_rollback == AutomatedRollback::Never {
        return fail(format!(
            "{} never rolls back without people (watch.{}.automated_rollback)",
            env.label(),
            env.name()
        ));
    }
    let Some(pre) = pre.filter(|p| p.deployment == deployment.id && p.environment == env) else {
        return fail(format!(
            "nobody pre-approved an automated rollback of the {} deployment {}",
            env.label(),
            deployment.id
        ));
    };
    let mut req = GateRequest::from_main(env, &pre.deployer, commit, at, true);
    req.branch = pre.branch.clone();
    req.trigger = pre.trigger.clone();
    req.confirmation = Some(format!("rollback-{}", env.name()));
    req.approvals = pre.pre_approved_by.iter().map(|p| Approval { who: p.who.clone(), at: Some(p.at) }).collect();
    req.change_ticket = pre.change_ticket.as_deref().and_then(|t| t.parse().ok());
    req.slack_configured = slack_configured;
    let who: Vec<String> = pre.pre_approved_by.iter().map(|p| format!("{} at {}", p.who, p.at)).collect();
    let gate = evaluate(policy, tickets, None, &req);
    AutomatedVerdict {
        pre_approval: RuleVerdict {
            rule: "R55",
            name: "automated rollback",
            verdict: Verdict::Pass,
            detail: format!("pre-approved by {}", who.join(", ")),
        },
        gate: Some(gate),
        request: Some(req),
    }
}
