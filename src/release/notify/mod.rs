//! Slack notifications (LLD 7.6.3, 7.8.2, 7.8.3): Block Kit payloads for the pipeline's
//! events, sent to the environment's channel and escalated as `pipeline.yml` says.
//!
//! Webhook URLs are secrets (R43): they are read from the environment variables the policy
//! names, held in a type whose `Debug` hides them, and never appear in a message, an error or
//! a report. A notification that cannot be delivered is reported; it never fails the
//! deployment it tells about.

mod payload;
mod route;
mod webhook;

use jiff::SignedDuration;
use serde::Serialize;

use crate::Environment;

pub use payload::{Message, message, resource_summary};
pub use route::{Alert, route};
pub use webhook::{Delivery, DeliveryStatus, Notifier, Webhook, WebhookError};

/// One of the pipeline's notification events, with the fields the LLD's templates show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// PROD only (7.8.2).
    DeploymentStarted { deployer: String, commit: String, change_ticket: Option<String> },
    /// PROD only (7.8.2).
    DeploymentCompleted {
        deployer: String,
        #[serde(with = "millis")]
        duration: SignedDuration,
        resources: Vec<String>,
        tag: Option<String>,
    },
    /// Every environment (7.8.2).
    DeploymentFailed {
        deployer: String,
        #[serde(with = "millis")]
        duration: SignedDuration,
        reason: String,
    },
    /// Every environment (7.6.3, 7.8.2).
    ApprovalRequired { requested_by: String, approvers_needed: u32, approved_by: Vec<String>, run_url: Option<String> },
    /// Every environment (7.8.2).
    RollbackExecuted {
        by: String,
        target: String,
        #[serde(with = "millis")]
        duration: SignedDuration,
        passed: bool,
        tag: Option<String>,
    },
    /// A state lock held longer than the policy allows (7.8.1, 7.8.3).
    LockHeld {
        path: String,
        holder: String,
        operation: String,
        lock_id: String,
        #[serde(with = "millis")]
        age: SignedDuration,
    },
    /// R55: the watch found a deployment failing (a critical alarm, a post-deploy test) and
    /// says what it did about it.
    HealthFailed { signal: String, detail: String, action: String },
    /// R56: live resources changed outside the pipeline.
    DriftDetected { resources: Vec<String> },
}

/// An event in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub env: Environment,
    #[serde(flatten)]
    pub event: Event,
}

/// `5m 23s`, as the LLD's template writes durations.
pub fn human(d: SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    let d = SignedDuration::from_secs(secs);
    if secs == 0 {
        return "0s".into();
    }
    jiff::fmt::friendly::SpanPrinter::new()
        .designator(jiff::fmt::friendly::Designator::Compact)
        .spacing(jiff::fmt::friendly::Spacing::BetweenUnits)
        .hours_minutes_seconds(false)
        .duration_to_string(&d)
}

mod millis {
    use jiff::SignedDuration;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &SignedDuration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}
