//! What a watch found and did, as printed, and as recorded in the environment's state bucket
//! (`watch/events/{env}/`) for the dashboard: each failure, the automated rollback or its
//! refusal, and the MTTR.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::preapproval::{AutomatedVerdict, PreApprover, RollbackPreApproval};
use crate::Environment;
use crate::engine::state::{StateError, StateStore};
use crate::release::deploy::DeployOutcome;
use crate::release::ledger::{self, DeploymentRecord};
use crate::release::notify::{Delivery, human};

pub const WATCH_PREFIX: &str = "watch/events/";

/// The failure a watch found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// `critical alarm NAME` or `post-deploy tests`.
    pub signal: String,
    pub detail: String,
    /// The look that found it, on the watch's clock: where MTTR starts.
    pub detected: Timestamp,
    /// When CloudWatch moved the alarm to ALARM, for an alarm.
    pub alarm_changed: Option<Timestamp>,
}

#[derive(Debug, Serialize)]
pub struct WatchReport {
    pub environment: Environment,
    pub deployment: String,
    pub tag: Option<String>,
    pub commit: String,
    pub started: Timestamp,
    pub window_ms: u64,
    pub looks: u32,
    /// When the last look was made: the window's end for a healthy watch.
    pub last_look: Timestamp,
    pub warnings: Vec<String>,
    pub failure: Option<Failure>,
    /// R55's decision on an automated rollback, when there was something to roll back to.
    pub decision: Option<AutomatedVerdict>,
    /// What the watch did about the failure.
    pub action: String,
    pub target: Option<String>,
    pub rollback: Option<DeployOutcome>,
    /// Detection to passing tests after the rollback.
    pub mttr_ms: Option<u64>,
    pub notifications: Vec<Delivery>,
}

impl WatchReport {
    pub fn new(watched: &DeploymentRecord, started: Timestamp, window: SignedDuration) -> WatchReport {
        WatchReport {
            environment: watched.environment,
            deployment: watched.id.clone(),
            tag: watched.tag.clone(),
            commit: watched.commit.clone(),
            started,
            window_ms: u64::try_from(window.as_millis()).unwrap_or(0),
            looks: 0,
            last_look: started,
            warnings: Vec::new(),
            failure: None,
            decision: None,
            action: String::new(),
            target: None,
            rollback: None,
            mttr_ms: None,
            notifications: Vec::new(),
        }
    }

    /// Healthy for the whole window.
    pub fn healthy(&self) -> bool {
        self.failure.is_none()
    }

    /// An automated rollback ran and its post-deploy tests passed.
    pub fn rolled_back(&self) -> bool {
        self.rollback.as_ref().is_some_and(DeployOutcome::succeeded)
    }
}

impl fmt::Display for WatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.tag.as_deref().unwrap_or(&self.commit);
        let window = SignedDuration::from_millis(i64::try_from(self.window_ms).unwrap_or(i64::MAX));
        writeln!(
            f,
            "watching {} deployment {what} from {} for {}",
            self.environment.label(),
            self.started,
            human(window)
        )?;
        for w in &self.warnings {
            writeln!(f, "{w}")?;
        }
        let Some(failure) = &self.failure else {
            return writeln!(
                f,
                "healthy: {} looks, the last at {}, no critical alarm, post-deploy tests passing",
                self.looks, self.last_look
            );
        };
        writeln!(f, "FAILING at {} (look {}): {}: {}", failure.detected, self.looks, failure.signal, failure.detail)?;
        if let Some(v) = &self.decision {
            writeln!(f, "{} {}", v.pre_approval.rule, v.pre_approval.detail)?;
            if let Some(g) = &v.gate {
                write!(f, "{g}")?;
            }
        }
        if let Some(r) = &self.rollback {
            write!(f, "{r}")?;
        }
        writeln!(f, "{}", self.action)?;
        if let Some(ms) = self.mttr_ms {
            let d = SignedDuration::from_millis(i64::try_from(ms).unwrap_or(i64::MAX));
            writeln!(f, "MTTR {} (detection to passing tests after the rollback)", human(d))?;
        }
        for n in &self.notifications {
            writeln!(f, "{n}")?;
        }
        Ok(())
    }
}

/// A failure a watch found, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchRecord {
    pub id: String,
    pub environment: Environment,
    pub deployment: String,
    pub failure: Failure,
    pub action: String,
    /// The rollback's deployment record, when one ran.
    pub rollback: Option<String>,
    pub target: Option<String>,
    pub rolled_back: bool,
    pub mttr_ms: Option<u64>,
    pub pre_approved_by: Vec<PreApprover>,
}

impl WatchRecord {
    pub fn of(report: &WatchReport, pre: Option<&RollbackPreApproval>) -> WatchRecord {
        WatchRecord {
            id: uuid::Uuid::new_v4().to_string(),
            environment: report.environment,
            deployment: report.deployment.clone(),
            failure: report.failure.clone().expect("a record is made of a failure"),
            action: report.action.clone(),
            rollback: report.rollback.as_ref().and_then(|o| o.record.as_ref()).map(|r| r.id.clone()),
            target: report.target.clone(),
            rolled_back: report.rolled_back(),
            mttr_ms: report.mttr_ms,
            pre_approved_by: pre.map(|p| p.pre_approved_by.clone()).unwrap_or_default(),
        }
    }

    fn key(&self) -> String {
        let utc = self.failure.detected.to_zoned_datetime(jiff::tz::TimeZone::UTC);
        format!("{WATCH_PREFIX}{}/{}-{}.json", self.environment, utc.strftime("%Y%m%dT%H%M%S"), self.id)
    }
}

pub(super) async fn append(store: &StateStore, record: &WatchRecord) -> Result<(), StateError> {
    ledger::put_json(store, record.key(), serde_json::to_vec_pretty(record).expect("a record serialises")).await
}

/// Every watch record of the environment, oldest first.
pub async fn records(store: &StateStore) -> Result<Vec<WatchRecord>, StateError> {
    ledger::read_all(store, &format!("{WATCH_PREFIX}{}/", store.environment())).await
}
