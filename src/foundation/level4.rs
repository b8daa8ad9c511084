//! pipeline.yml's sections beyond LLD 7.4 that 7.12.1 plans: `cost_alert:` (R57), the monthly
//! cost increase above which a change needs a cost approval, and `dr:` (R58), the disaster
//! recovery region the tables and the templates bucket are replicated to.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::Environment;

static HANDLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$").expect("a valid pattern"));
static REGION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z]{2}(?:-gov)?-[a-z]+-[1-9]$").expect("a valid pattern"));

/// R57: a plan that raises an environment's monthly cost by more than `monthly_increase`
/// (in the price list's currency) needs one approval more than the environment requires, and
/// one of its approvals from `approvers`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostAlert {
    pub monthly_increase: Threshold,
    pub approvers: Vec<String>,
}

/// A monthly amount: a number of at least 0 with at most two decimals (`50`, `12.50`), kept
/// in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "serde_norway::Value")]
pub struct Threshold {
    pub cents: u64,
}

impl Threshold {
    pub fn amount(self) -> f64 {
        self.cents as f64 / 100.0
    }
}

impl TryFrom<serde_norway::Value> for Threshold {
    type Error = String;
    fn try_from(v: serde_norway::Value) -> Result<Self, Self::Error> {
        let shown = serde_norway::to_string(&v).unwrap_or_default().trim().to_owned();
        let amount =
            v.as_f64().filter(|n| n.is_finite() && *n >= 0.0 && ((n * 100.0) - (n * 100.0).round()).abs() < 1e-6);
        amount.map(|n| Threshold { cents: (n * 100.0).round() as u64 }).ok_or_else(|| {
            format!(
                "monthly_increase {shown} is not an amount per month like 50 or 12.50 (a number of at least 0, at most two decimals)"
            )
        })
    }
}

/// R58: the DR region, which environments replicate to it, and the IAM role (by name, in each
/// environment's account) S3 replication assumes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrRegion {
    pub region: String,
    pub environments: Vec<Environment>,
    pub replication_role: String,
}

impl DrRegion {
    pub fn covers(&self, env: Environment) -> bool {
        self.environments.contains(&env)
    }

    /// The role S3 replication assumes in `account`.
    pub fn role_arn(&self, account: &str) -> String {
        format!("arn:aws:iam::{account}:role/{}", self.replication_role)
    }

    /// The DR copy of a bucket: its name with the DR region appended.
    pub fn bucket(&self, bucket: &str) -> String {
        format!("{bucket}-{}", self.region)
    }
}

/// R57/R58: the sections checked against the rest of the policy; `Err((section, reason))`.
pub fn check(p: &crate::foundation::policy::Pipeline) -> Result<(), (&'static str, String)> {
    if let Some(alert) = &p.cost_alert {
        if alert.approvers.is_empty() {
            return Err((
                "cost_alert:",
                "cost_alert.approvers: nobody could approve a change above the threshold".into(),
            ));
        }
        if let Some(a) = alert.approvers.iter().find(|a| !HANDLE.is_match(a)) {
            return Err(("cost_alert:", format!("cost_alert.approvers: {a:?} is not a GitHub handle")));
        }
        for env in Environment::ALL {
            let e = p.environment(env);
            let mut people: Vec<String> =
                e.reviewers.iter().chain(&alert.approvers).map(|r| r.to_ascii_lowercase()).collect();
            people.sort();
            people.dedup();
            let needed = e.required_approvals.0 as usize + 1;
            if people.len() < needed {
                return Err((
                    "cost_alert:",
                    format!(
                        "cost_alert: above the threshold {} needs {needed} approvals, but only {} people (its reviewers and the cost approvers) can give them",
                        env.label(),
                        people.len()
                    ),
                ));
            }
        }
    }
    if let Some(dr) = &p.dr {
        check_dr(dr, &p.region).map_err(|reason| ("dr:", reason))?;
    }
    Ok(())
}

fn check_dr(dr: &DrRegion, primary: &str) -> Result<(), String> {
    if dr.region == primary {
        return Err(format!("dr.region {} is the primary region: a DR region is another one", dr.region));
    }
    if !REGION.is_match(&dr.region) {
        return Err(format!("dr.region {:?} is not an AWS region like eu-west-1", dr.region));
    }
    if dr.replication_role.is_empty() || dr.replication_role.contains(['/', ':']) {
        return Err(format!("dr.replication_role {:?} is a role name (no ARN, no path)", dr.replication_role));
    }
    Ok(())
}

/// pipeline.yml's `dr:` section of the repo at `root`, read alone as the state settings are
/// (the rest of the file is Stage 1's and the gate's to check); `None` without a pipeline.yml
/// or without the section.
pub fn dr_region(root: &std::path::Path) -> Result<Option<DrRegion>, crate::foundation::policy::PolicyError> {
    use crate::foundation::policy::{POLICY_FILE, PolicyError};
    #[derive(Deserialize)]
    struct DrOnly {
        region: Option<String>,
        dr: Option<DrRegion>,
    }
    let path = root.join(POLICY_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(PolicyError::Unreadable { path: path.display().to_string(), reason: e.to_string() }),
    };
    let invalid = |line: usize, column: usize, reason: String| PolicyError::Invalid {
        path: path.display().to_string(),
        line,
        column,
        reason,
    };
    let read: DrOnly = crate::foundation::yaml::from_str(&text).map_err(|e| invalid(e.line, e.column, e.reason))?;
    if let Some(dr) = &read.dr {
        check_dr(dr, read.region.as_deref().unwrap_or_default())
            .map_err(|reason| invalid(crate::foundation::yaml::line_starting(&text, "dr:").max(1), 1, reason))?;
    }
    Ok(read.dr)
}
