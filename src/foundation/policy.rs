//! The pipeline policy, `pipeline.yml`: LLD 7.4.1's configuration matrix and 7.4.2's GitHub
//! Environment settings, per environment. Unknown keys and impossible values are refused with
//! the line they are on.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use jiff::SignedDuration;
use jiff::civil::Time;
use serde::Deserialize;

use crate::Environment;

/// The policy file at the root of an infra repo.
pub const POLICY_FILE: &str = "pipeline.yml";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    pub region: String,
    pub state: StateNames,
    pub components: BTreeMap<String, String>,
    pub promotion: Vec<Environment>,
    pub environments: Environments,
    pub notifications: Notifications,
    /// The workflow matrix `.github/workflows` follows (`matrix: lld-7.3.1`), read by
    /// `lint-workflows`; without it only the generic workflow rules run.
    #[serde(default)]
    pub workflows: Option<WorkflowsDeclaration>,
    /// R57: the monthly cost increase above which a change needs a cost approval.
    #[serde(default)]
    pub cost_alert: Option<crate::foundation::level4::CostAlert>,
    /// R58: the DR region the tables and the templates bucket are replicated to.
    #[serde(default)]
    pub dr: Option<crate::foundation::level4::DrRegion>,
    /// R55: what `stagegate watch` follows after a deployment, per environment.
    #[serde(default)]
    pub watch: crate::foundation::watch_policy::WatchPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowsDeclaration {
    pub matrix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateNames {
    pub bucket: String,
    pub lock_table: String,
    /// R53: `dynamodb` (default), `s3` (the `.tflock` lock file) or `both`.
    #[serde(default)]
    pub locking: crate::foundation::state_backend::StateLocking,
    /// The Terraform release written into states and lock infos; default by locking mode.
    #[serde(default)]
    pub terraform_version: Option<crate::foundation::state_backend::TerraformVersion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environments {
    pub dev: EnvironmentPolicy,
    pub sit: EnvironmentPolicy,
    pub prod: EnvironmentPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentPolicy {
    pub account_id: String,
    pub region: String,
    pub required_approvals: Approvals,
    pub reviewers: Vec<String>,
    pub prevent_self_review: bool,
    pub deployment_branches: Vec<String>,
    pub window: Window,
    pub post_deploy_tests: TestTier,
    pub slack: Slack,
    pub change_ticket_required: bool,
    pub approval_timeout: PolicyDuration,
    pub rollback_rto: Rto,
}

/// How many distinct reviewers must approve: 1 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u32")]
pub struct Approvals(pub u32);

impl TryFrom<u32> for Approvals {
    type Error = String;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        if (1..=10).contains(&n) {
            Ok(Approvals(n))
        } else {
            Err(format!("required_approvals: {n} is impossible; it must be 1 to 10"))
        }
    }
}

/// When an environment may be deployed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Window {
    Anytime,
    BusinessHours(BusinessHours),
    /// Inside the change ticket's window.
    ChangeWindow,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawBusinessHours")]
pub struct BusinessHours {
    pub days: Vec<jiff::civil::Weekday>,
    pub start: Time,
    pub end: Time,
    pub timezone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBusinessHours {
    days: Vec<String>,
    start: String,
    end: String,
    end_exclusive: bool,
    timezone: String,
}

impl TryFrom<RawBusinessHours> for BusinessHours {
    type Error = String;
    fn try_from(raw: RawBusinessHours) -> Result<Self, Self::Error> {
        use jiff::civil::Weekday::*;
        let days = raw
            .days
            .iter()
            .map(|d| match d.to_ascii_lowercase().as_str() {
                "mon" => Ok(Monday),
                "tue" => Ok(Tuesday),
                "wed" => Ok(Wednesday),
                "thu" => Ok(Thursday),
                "fri" => Ok(Friday),
                "sat" => Ok(Saturday),
                "sun" => Ok(Sunday),
                other => Err(format!("window.days: {other:?} is not a day (mon, tue, ... sun)")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let time = |field: &str, s: &str| {
            s.parse::<Time>().map_err(|e| format!("window.{field}: {s:?} is not a time of day like 08:00: {e}"))
        };
        let (start, end) = (time("start", &raw.start)?, time("end", &raw.end)?);
        if end <= start {
            return Err(format!("window: end {} is not after start {}", raw.end, raw.start));
        }
        if !raw.end_exclusive {
            return Err("window.end_exclusive: must be true (17:00 itself is outside 08:00-17:00)".into());
        }
        if days.is_empty() {
            return Err("window.days: no day at all".into());
        }
        jiff::tz::TimeZone::get(&raw.timezone)
            .map_err(|e| format!("window.timezone: {:?} is not a known time zone: {e}", raw.timezone))?;
        Ok(BusinessHours { days, start, end, timezone: raw.timezone })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestTier {
    Basic,
    Integration,
    Smoke,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slack {
    pub required: bool,
    pub channel: String,
    /// The name of the secret (environment variable) holding the webhook URL, never the URL.
    pub webhook_secret: String,
}

/// A duration written `30m` or `24h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PolicyDuration(pub SignedDuration);

impl TryFrom<String> for PolicyDuration {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let (n, unit) = s.split_at(s.len().saturating_sub(1));
        let n: i64 = n.parse().map_err(|_| format!("{s:?} is not a duration like 30m or 24h"))?;
        if n <= 0 {
            return Err(format!("{s:?}: a duration must be positive"));
        }
        match unit {
            "m" => Ok(PolicyDuration(SignedDuration::from_mins(n))),
            "h" => Ok(PolicyDuration(SignedDuration::from_hours(n))),
            _ => Err(format!("{s:?} is not a duration like 30m or 24h")),
        }
    }
}

impl fmt::Display for PolicyDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mins = self.0.as_secs() / 60;
        if mins % 60 == 0 { write!(f, "{}h", mins / 60) } else { write!(f, "{mins}m") }
    }
}

/// The rollback RTO target: `best_effort` or a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Rto {
    BestEffort,
    Within(PolicyDuration),
}

impl Rto {
    /// R35: whether a rollback that took `measured` meets the target; best effort always does.
    pub fn is_met_by(&self, measured: std::time::Duration) -> bool {
        match self {
            Rto::BestEffort => true,
            Rto::Within(d) => measured < std::time::Duration::try_from(d.0).unwrap_or(std::time::Duration::MAX),
        }
    }
}

impl TryFrom<String> for Rto {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s == "best_effort" { Ok(Rto::BestEffort) } else { PolicyDuration::try_from(s).map(Rto::Within) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    /// Channels beyond the per-environment ones (`oncall`, `devops`), each with its webhook secret.
    pub channels: BTreeMap<String, Slack>,
    pub lock_alert_after: PolicyDuration,
    pub escalation: Escalations,
}

/// LLD 7.8.3: who hears about what, beyond the environment's own channel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalations {
    pub workflow_failure: Escalation,
    pub state_lock_timeout: Escalation,
    pub prod_deployment_failure: Escalation,
    pub prod_rollback: Escalation,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub channel: String,
    pub page_oncall: bool,
    pub email: Vec<String>,
    pub executive: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{path}: cannot read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}:{line}:{column}: {reason}")]
    Invalid { path: String, line: usize, column: usize, reason: String },
}

impl Pipeline {
    pub fn load(repo_root: &Path) -> Result<Pipeline, PolicyError> {
        let path = repo_root.join(POLICY_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| PolicyError::Unreadable { path: path.display().to_string(), reason: e.to_string() })?;
        Self::parse(&path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Pipeline, PolicyError> {
        let invalid = |line: usize, column: usize, reason: String| PolicyError::Invalid {
            path: path.display().to_string(),
            line,
            column,
            reason,
        };
        let pipeline: Pipeline =
            crate::foundation::yaml::from_str(text).map_err(|e| invalid(e.line, e.column, e.reason))?;
        crate::foundation::state_backend::check_locking(
            pipeline.state.locking,
            pipeline.state.terraform_version.as_ref(),
        )
        .map_err(|reason| invalid(crate::foundation::yaml::line_starting(text, "state:"), 1, reason))?;
        for env in Environment::ALL {
            let p = pipeline.environment(env);
            let line = crate::foundation::yaml::line_starting(text, &format!("  {}:", env.name()));
            if p.account_id != env.account_id() {
                return Err(invalid(
                    line,
                    1,
                    format!(
                        "{}.account_id {:?} is not {}'s account {}",
                        env.name(),
                        p.account_id,
                        env.label(),
                        env.account_id()
                    ),
                ));
            }
            if (p.reviewers.len() as u32) < p.required_approvals.0 {
                return Err(invalid(
                    line,
                    1,
                    format!(
                        "{}: {} approvals required but only {} reviewers listed: the gate could never pass",
                        env.name(),
                        p.required_approvals.0,
                        p.reviewers.len()
                    ),
                ));
            }
            if p.deployment_branches.is_empty() {
                return Err(invalid(line, 1, format!("{}.deployment_branches: no branch may deploy", env.name())));
            }
        }
        crate::foundation::level4::check(&pipeline).map_err(|(section, reason)| {
            invalid(crate::foundation::yaml::line_starting(text, section).max(1), 1, reason)
        })?;
        let e = &pipeline.notifications.escalation;
        for (name, rule) in [
            ("workflow_failure", e.workflow_failure.clone()),
            ("state_lock_timeout", e.state_lock_timeout.clone()),
            ("prod_deployment_failure", e.prod_deployment_failure.clone()),
            ("prod_rollback", e.prod_rollback.clone()),
        ] {
            if pipeline.channel(&rule.channel).is_none() {
                return Err(invalid(
                    crate::foundation::yaml::line_starting(text, &format!("    {name}:")),
                    1,
                    format!(
                        "notifications.escalation.{name}.channel {:?} is neither an environment's slack.channel \
                         nor one of notifications.channels, so no webhook could reach it",
                        rule.channel
                    ),
                ));
            }
        }
        Ok(pipeline)
    }

    /// The Slack channel called `name` (`#prod-alerts`) with its webhook secret.
    pub fn channel(&self, name: &str) -> Option<&Slack> {
        Environment::ALL
            .into_iter()
            .map(|env| &self.environment(env).slack)
            .chain(self.notifications.channels.values())
            .find(|s| s.channel == name)
    }

    pub fn environment(&self, env: Environment) -> &EnvironmentPolicy {
        match env {
            Environment::Dev => &self.environments.dev,
            Environment::Sit => &self.environments.sit,
            Environment::Prod => &self.environments.prod,
        }
    }

    /// The environment that must have deployed the same commit first (R25).
    pub fn previous(&self, env: Environment) -> Option<Environment> {
        let i = self.promotion.iter().position(|e| *e == env)?;
        i.checked_sub(1).map(|j| self.promotion[j])
    }
}
