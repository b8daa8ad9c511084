//! The CloudWatch alarms a watch follows, read with DescribeAlarms in the environment's account.

use jiff::Timestamp;
use serde::Serialize;

use crate::foundation::watch_policy::{Severity, WatchedAlarm};

/// One alarm as CloudWatch reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmState {
    pub name: String,
    pub severity: Severity,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub reason: String,
    /// When CloudWatch last changed its state.
    pub changed: Option<Timestamp>,
}

impl AlarmState {
    /// A critical alarm in state ALARM: the deployment is failing.
    pub fn fails(&self) -> bool {
        self.severity == Severity::Critical && self.state == "ALARM"
    }
}

/// Why the alarms could not be read (exit 3: the watch could not look).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlarmError {
    #[error("CloudWatch DescribeAlarms in {account}: {detail}")]
    Unreadable { account: String, detail: String },
    #[error(
        "pipeline.yml names the alarm {name:?}, which does not exist in {account}; create it (PutMetricAlarm) or remove it from watch"
    )]
    Missing { name: String, account: String },
}

/// The state of every alarm `watched` names; an alarm that does not exist is an error, so that
/// a typo never reads as a healthy environment.
pub async fn read(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    account: &str,
    watched: &[WatchedAlarm],
) -> Result<Vec<AlarmState>, AlarmError> {
    if watched.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    // DescribeAlarms takes at most 100 names per call.
    for chunk in watched.chunks(100) {
        let names: Vec<String> = chunk.iter().map(|a| a.name.0.clone()).collect();
        let mut pages = cloudwatch.describe_alarms().set_alarm_names(Some(names)).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AlarmError::Unreadable {
                account: account.to_owned(),
                detail: aws_sdk_cloudwatch::error::DisplayErrorContext(&e).to_string(),
            })?;
            found.extend(page.metric_alarms().to_vec());
        }
    }
    watched
        .iter()
        .map(|w| {
            let alarm = found
                .iter()
                .find(|a| a.alarm_name() == Some(w.name.0.as_str()))
                .ok_or_else(|| AlarmError::Missing { name: w.name.0.clone(), account: account.to_owned() })?;
            Ok(AlarmState {
                name: w.name.0.clone(),
                severity: w.severity,
                state: alarm.state_value().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                reason: alarm.state_reason().unwrap_or_default().to_owned(),
                changed: alarm
                    .state_updated_timestamp()
                    .and_then(|t| Timestamp::from_millisecond(t.to_millis().ok()?).ok()),
            })
        })
        .collect()
}
