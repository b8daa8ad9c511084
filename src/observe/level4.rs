//! What the Level 4 automation did in the dashboard's window: automated rollbacks (R55) with
//! their MTTR, refused ones, and drift alerts (R56), from the watch and drift records in each
//! environment's state bucket.

use serde::Serialize;

use crate::Environment;
use crate::Error;
use crate::emulator::Endpoint;
use crate::engine::state::{StateError, StateStore};
use crate::observe::metrics::{Window, human};
use crate::release::drift::DriftRecord;
use crate::release::watch::WatchRecord;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Automation {
    /// Failures the watch rolled back without waiting for people, their tests passing after.
    pub automated_rollbacks: usize,
    /// Failures the watch found and did not roll back (no pre-approval, the gate refused, ...).
    pub failures_not_rolled_back: usize,
    /// Mean detection → passing tests after an automated rollback.
    pub mean_mttr_ms: Option<u64>,
    /// Drift detections that found drift, and the resources they named.
    pub drift_alerts: usize,
    pub drifted_resources: usize,
}

impl Automation {
    /// The figures of the records inside `window`.
    pub fn compute(watches: &[WatchRecord], drifts: &[DriftRecord], window: Window) -> Automation {
        let watches: Vec<&WatchRecord> = watches.iter().filter(|w| window.contains(w.failure.detected)).collect();
        let drifts: Vec<&DriftRecord> = drifts.iter().filter(|d| window.contains(d.at)).collect();
        let mttrs: Vec<u64> = watches.iter().filter(|w| w.rolled_back).filter_map(|w| w.mttr_ms).collect();
        Automation {
            automated_rollbacks: watches.iter().filter(|w| w.rolled_back).count(),
            failures_not_rolled_back: watches.iter().filter(|w| !w.rolled_back).count(),
            mean_mttr_ms: (!mttrs.is_empty()).then(|| mttrs.iter().sum::<u64>() / mttrs.len() as u64),
            drift_alerts: drifts.iter().filter(|d| !d.drifted.is_empty()).count(),
            drifted_resources: drifts.iter().map(|d| d.drifted.len()).sum(),
        }
    }

    /// Every environment's watch and drift records, each read with its own account's credentials.
    pub async fn load(endpoint: &Endpoint, region: &str, window: Window) -> Result<Automation, Error> {
        let (mut watches, mut drifts) = (Vec::new(), Vec::new());
        for env in Environment::ALL {
            let store = StateStore::for_environment(endpoint, env, region).await;
            watches.extend(absent_is_empty(crate::release::watch::records(&store).await)?);
            drifts.extend(absent_is_empty(crate::release::drift::records(&store).await)?);
        }
        Ok(Automation::compute(&watches, &drifts, window))
    }

    /// `1, MTTR 2m 5s`, as the dashboard shows it.
    pub fn rollbacks_line(&self) -> String {
        match self.mean_mttr_ms {
            Some(ms) => {
                let d = jiff::SignedDuration::from_millis(i64::try_from(ms).unwrap_or(i64::MAX));
                format!("{}, MTTR {}", self.automated_rollbacks, human(d))
            }
            None => self.automated_rollbacks.to_string(),
        }
    }
}

fn absent_is_empty<T>(read: Result<Vec<T>, StateError>) -> Result<Vec<T>, Error> {
    match read {
        Ok(r) => Ok(r),
        Err(e) if e.is_missing_bucket() => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}
