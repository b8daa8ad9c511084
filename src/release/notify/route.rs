//! Who hears about an event (R46, R47): the environment's channel for the events 7.8.2 lists
//! for it, then the escalation 7.8.3 gives, as an ordered list without repeats.

use serde::Serialize;

use super::{Event, Notice};
use crate::Environment;
use crate::foundation::policy::{Escalation, Pipeline};

/// One thing to do about an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Alert {
    /// Post to a Slack channel through its webhook.
    Slack { channel: String },
    /// Page the on-call engineer.
    PageOnCall,
    /// Email a group named by the policy (`initiator`, `stakeholders`).
    Email { to: String },
    /// Tell the executives.
    Executive,
}

impl std::fmt::Display for Alert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Alert::Slack { channel } => write!(f, "Slack {channel}"),
            Alert::PageOnCall => f.write_str("page on-call"),
            Alert::Email { to } => write!(f, "email {to}"),
            Alert::Executive => f.write_str("executive notification"),
        }
    }
}

/// The alerts for a notice, in order: channel first, then escalation.
pub fn route(policy: &Pipeline, notice: &Notice) -> Vec<Alert> {
    let own = Alert::Slack { channel: policy.environment(notice.env).slack.channel.clone() };
    let prod = notice.env == Environment::Prod;
    let escalation = &policy.notifications.escalation;
    let mut alerts = match &notice.event {
        Event::DeploymentStarted { .. } | Event::DeploymentCompleted { .. } if prod => vec![own],
        Event::DeploymentStarted { .. } | Event::DeploymentCompleted { .. } => Vec::new(),
        Event::DeploymentFailed { .. } if prod => escalate(own, &escalation.prod_deployment_failure),
        Event::DeploymentFailed { .. } => escalate(own, &escalation.workflow_failure),
        Event::ApprovalRequired { .. } => vec![own],
        Event::RollbackExecuted { .. } if prod => escalate(own, &escalation.prod_rollback),
        Event::RollbackExecuted { .. } => vec![own],
        Event::LockHeld { .. } => escalate_only(&escalation.state_lock_timeout),
        Event::HealthFailed { .. } if prod => escalate(own, &escalation.prod_deployment_failure),
        Event::HealthFailed { .. } | Event::DriftDetected { .. } => vec![own],
    };
    let mut seen = Vec::new();
    alerts.retain(|a| {
        let new = !seen.contains(a);
        seen.push(a.clone());
        new
    });
    alerts
}

fn escalate(own: Alert, rule: &Escalation) -> Vec<Alert> {
    let mut alerts = vec![own];
    alerts.extend(escalate_only(rule));
    alerts
}

fn escalate_only(rule: &Escalation) -> Vec<Alert> {
    let mut alerts = vec![Alert::Slack { channel: rule.channel.clone() }];
    if rule.page_oncall {
        alerts.push(Alert::PageOnCall);
    }
    alerts.extend(rule.email.iter().map(|to| Alert::Email { to: to.clone() }));
    if rule.executive {
        alerts.push(Alert::Executive);
    }
    alerts
}
