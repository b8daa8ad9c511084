//! `pipeline.yml`'s `watch:` section (R55): per environment, the CloudWatch alarms that say a
//! deployment is unhealthy, how often the watch looks, for how long, and whether a failure may
//! be rolled back without waiting for people.

use serde::Deserialize;

use crate::Environment;
use crate::foundation::policy::PolicyDuration;

/// The watch of each environment; an environment without one is watched by its post-deploy
/// tests alone and never rolled back automatically.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchPolicy {
    #[serde(default)]
    pub dev: Option<EnvironmentWatch>,
    #[serde(default)]
    pub sit: Option<EnvironmentWatch>,
    #[serde(default)]
    pub prod: Option<EnvironmentWatch>,
}

impl WatchPolicy {
    pub fn environment(&self, env: Environment) -> EnvironmentWatch {
        let w = match env {
            Environment::Dev => &self.dev,
            Environment::Sit => &self.sit,
            Environment::Prod => &self.prod,
        };
        w.clone().unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentWatch {
    /// The alarms the watch reads (DescribeAlarms) in the environment's account.
    #[serde(default)]
    pub alarms: Vec<WatchedAlarm>,
    /// How often the watch looks (default 1m).
    #[serde(default = "one_minute")]
    pub poll_interval: PolicyDuration,
    /// How long after a deployment it is watched (default 24h; `--for` overrides).
    #[serde(default = "one_day")]
    pub window: PolicyDuration,
    /// `pre_approved`: a failure is rolled back without waiting for people when the deployment's
    /// approvers pre-approved it (R55); `never` (default): the watch alerts and changes nothing.
    #[serde(default)]
    pub automated_rollback: AutomatedRollback,
}

impl Default for EnvironmentWatch {
    fn default() -> Self {
        EnvironmentWatch {
            alarms: Vec::new(),
            poll_interval: one_minute(),
            window: one_day(),
            automated_rollback: AutomatedRollback::Never,
        }
    }
}

fn one_minute() -> PolicyDuration {
    PolicyDuration(jiff::SignedDuration::from_mins(1))
}

fn one_day() -> PolicyDuration {
    PolicyDuration(jiff::SignedDuration::from_hours(24))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AutomatedRollback {
    #[default]
    Never,
    PreApproved,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchedAlarm {
    pub name: AlarmName,
    pub severity: Severity,
}

/// A critical alarm in state ALARM fails the deployment; a warning is reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
}

/// A CloudWatch alarm name: 1 to 255 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(try_from = "String")]
pub struct AlarmName(pub String);

impl TryFrom<String> for AlarmName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok = (1..=255).contains(&s.chars().count()) && !s.chars().any(char::is_control);
        if ok { Ok(AlarmName(s)) } else { Err(format!("alarm name {s:?}: 1 to 255 printable characters")) }
    }
}
