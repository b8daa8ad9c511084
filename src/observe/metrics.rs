//! The pipeline's KPIs (LLD 7.10.1, R49), computed from the deployment and check records of a
//! window of days. Pure: the records are read elsewhere (`ledger`), the figures are shown
//! elsewhere (`dashboard`). A KPI without records in the window has no value and the verdict
//! "no data", never a made-up 100%.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::Environment;
use crate::release::ledger::{CheckKind, CheckRecord, DeploymentRecord, RecordKind};

/// The dashboard's default window (7.10.2: "Last 30 Days").
pub const DEFAULT_DAYS: u32 = 30;

/// 7.10.1's targets.
pub const SUCCESS_RATE_ABOVE_PERCENT: u64 = 95;
pub const DEPLOY_TIME_BELOW: SignedDuration = SignedDuration::from_mins(10);
pub const ROLLBACK_RATE_BELOW_PERCENT: u64 = 5;
pub const MERGE_TO_PROD_BELOW: SignedDuration = SignedDuration::from_hours(24);
pub const TIME_TO_ROLLBACK_BELOW: SignedDuration = SignedDuration::from_mins(15);

/// The days before `to`: a record counts when `from <= instant <= to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub days: u32,
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Window {
    /// The `days` × 24 hours that end at `now` (the injectable clock's).
    pub fn last_days(now: Timestamp, days: u32) -> Window {
        let span = SignedDuration::from_hours(i64::from(days) * 24);
        Window { days, from: now.checked_sub(span).unwrap_or(Timestamp::MIN), to: now }
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t <= self.to
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Met,
    Missed,
    NoData,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "MISSED",
            Verdict::NoData => "no data",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    DeploymentSuccessRate,
    AverageDeploymentTime,
    RollbackRate,
    MergeToProd,
    TimeToRollback,
    ValidationPassRate,
    SecurityScanPassRate,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::DeploymentSuccessRate,
        Metric::AverageDeploymentTime,
        Metric::RollbackRate,
        Metric::MergeToProd,
        Metric::TimeToRollback,
        Metric::ValidationPassRate,
        Metric::SecurityScanPassRate,
    ];

    /// The metric's name as 7.10.1 writes it.
    pub fn name(self) -> &'static str {
        match self {
            Metric::DeploymentSuccessRate => "Deployment Success Rate",
            Metric::AverageDeploymentTime => "Average Deployment Time",
            Metric::RollbackRate => "Rollback Rate",
            Metric::MergeToProd => "Mean Time to Deploy (merge to PROD)",
            Metric::TimeToRollback => "Mean Time to Rollback",
            Metric::ValidationPassRate => "Validation Pass Rate",
            Metric::SecurityScanPassRate => "Security Scan Pass Rate",
        }
    }

    pub fn target(self) -> String {
        match self {
            Metric::DeploymentSuccessRate => format!("> {SUCCESS_RATE_ABOVE_PERCENT}%"),
            Metric::AverageDeploymentTime => format!("< {}", human(DEPLOY_TIME_BELOW)),
            Metric::RollbackRate => format!("< {ROLLBACK_RATE_BELOW_PERCENT}%"),
            Metric::MergeToProd => format!("< {}", human(MERGE_TO_PROD_BELOW)),
            Metric::TimeToRollback => format!("< {}", human(TIME_TO_ROLLBACK_BELOW)),
            Metric::ValidationPassRate | Metric::SecurityScanPassRate => "100%".into(),
        }
    }
}

/// A figure: a percentage or a duration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Percent(f64),
    Duration { ms: i64 },
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Percent(p) => write!(f, "{p:.1}%"),
            Value::Duration { ms } => f.write_str(&human(SignedDuration::from_millis(*ms))),
        }
    }
}

/// One KPI: its value over the window, what it was computed from, and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    pub metric: Metric,
    pub name: &'static str,
    pub target: String,
    pub value: Option<Value>,
    /// What the value was computed from ("37 of 38 deployments").
    pub basis: String,
    pub verdict: Verdict,
}

impl Kpi {
    fn new(metric: Metric, value: Option<Value>, basis: String, met: Option<bool>) -> Kpi {
        let verdict = match met {
            None => Verdict::NoData,
            Some(true) => Verdict::Met,
            Some(false) => Verdict::Missed,
        };
        Kpi {
            metric,
            name: metric.name(),
            target: metric.target(),
            value: value.filter(|_| met.is_some()),
            basis,
            verdict,
        }
    }
}

/// One environment's figures over the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentFigures {
    pub environment: Environment,
    /// Deployments (rollbacks not included).
    pub deployments: usize,
    /// Deployments that succeeded with their post-deploy tests passed.
    pub succeeded: usize,
    pub rollbacks: usize,
    /// Mean duration of the deployments, trigger to completion.
    pub average_deploy_ms: Option<i64>,
}

/// Every KPI and the per-environment figures of one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub window: Window,
    pub environments: Vec<EnvironmentFigures>,
    pub deployments: usize,
    pub succeeded: usize,
    pub rollbacks: usize,
    pub kpis: Vec<Kpi>,
}

impl Metrics {
    pub fn kpi(&self, metric: Metric) -> &Kpi {
        self.kpis.iter().find(|k| k.metric == metric).expect("every metric is computed")
    }

    /// Deployments that succeeded, in percent of all deployments; `None` without deployments.
    pub fn success_rate(&self) -> Option<f64> {
        percent(self.succeeded, self.deployments)
    }

    /// Rollbacks, in percent of everything deployed (deployments and rollbacks).
    pub fn rollback_rate(&self) -> Option<f64> {
        percent(self.rollbacks, self.deployments + self.rollbacks)
    }
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part.min(whole) as f64 * 100.0 / whole as f64)
}

/// The KPIs of the records inside `window`; records outside it are ignored.
pub fn compute(records: &[DeploymentRecord], checks: &[CheckRecord], window: Window) -> Metrics {
    let inside: Vec<&DeploymentRecord> = records.iter().filter(|r| window.contains(r.started)).collect();
    let deploys: Vec<&DeploymentRecord> = inside.iter().copied().filter(|r| r.kind == RecordKind::Deploy).collect();
    let rollbacks: Vec<&DeploymentRecord> = inside.iter().copied().filter(|r| r.kind == RecordKind::Rollback).collect();

    let environments: Vec<EnvironmentFigures> = Environment::ALL
        .into_iter()
        .map(|env| {
            let own: Vec<&DeploymentRecord> = deploys.iter().copied().filter(|r| r.environment == env).collect();
            EnvironmentFigures {
                environment: env,
                deployments: own.len(),
                succeeded: own.iter().filter(|r| r.is_green()).count(),
                rollbacks: rollbacks.iter().filter(|r| r.environment == env).count(),
                average_deploy_ms: mean(own.iter().map(|r| i64::try_from(r.duration_ms).unwrap_or(i64::MAX))),
            }
        })
        .collect();

    let total = deploys.len();
    let succeeded = deploys.iter().filter(|r| r.is_green()).count();
    let mut kpis = Vec::with_capacity(Metric::ALL.len());

    kpis.push(Kpi::new(
        Metric::DeploymentSuccessRate,
        percent(succeeded, total).map(Value::Percent),
        format!("{succeeded} of {total} deployments succeeded with their tests passed"),
        (total > 0).then(|| succeeded as u64 * 100 > SUCCESS_RATE_ABOVE_PERCENT * total as u64),
    ));

    let slowest =
        environments.iter().filter_map(|e| e.average_deploy_ms.map(|ms| (e.environment, ms))).max_by_key(|(_, ms)| *ms);
    let per_env: Vec<String> = environments
        .iter()
        .filter_map(|e| e.average_deploy_ms.map(|ms| format!("{} {}", e.environment.label(), human_ms(ms))))
        .collect();
    kpis.push(Kpi::new(
        Metric::AverageDeploymentTime,
        slowest.map(|(_, ms)| Value::Duration { ms }),
        match slowest {
            Some((env, _)) => format!("slowest environment {}; {}", env.label(), per_env.join(", ")),
            None => "no deployments".into(),
        },
        slowest.map(|(_, ms)| ms < DEPLOY_TIME_BELOW.as_millis() as i64),
    ));

    let changes = total + rollbacks.len();
    kpis.push(Kpi::new(
        Metric::RollbackRate,
        percent(rollbacks.len(), changes).map(Value::Percent),
        format!("{} of {changes} deployments and rollbacks were rollbacks", rollbacks.len()),
        (changes > 0).then(|| rollbacks.len() as u64 * 100 < ROLLBACK_RATE_BELOW_PERCENT * changes as u64),
    ));

    let leads = merge_to_prod(&deploys);
    let lead = mean(leads.iter().copied());
    kpis.push(Kpi::new(
        Metric::MergeToProd,
        lead.map(|ms| Value::Duration { ms }),
        match leads.len() {
            1 => "1 commit reached PROD with a known merge time".into(),
            n => format!("{n} commits reached PROD with a known merge time"),
        },
        lead.map(|ms| ms < MERGE_TO_PROD_BELOW.as_millis() as i64),
    ));

    let recoveries: Vec<i64> = rollbacks
        .iter()
        .filter(|r| r.is_green())
        .filter_map(|r| r.detected.map(|d| r.finished().duration_since(d).as_millis() as i64))
        .filter(|ms| *ms >= 0)
        .collect();
    let recovery = mean(recoveries.iter().copied());
    kpis.push(Kpi::new(
        Metric::TimeToRollback,
        recovery.map(|ms| Value::Duration { ms }),
        format!("{} of {} rollbacks recovered with a known detection time", recoveries.len(), rollbacks.len()),
        recovery.map(|ms| ms < TIME_TO_ROLLBACK_BELOW.as_millis() as i64),
    ));

    for (metric, kind, noun) in [
        (Metric::ValidationPassRate, CheckKind::Validation, "validations"),
        (Metric::SecurityScanPassRate, CheckKind::SecurityScan, "security scans"),
    ] {
        let runs: Vec<&CheckRecord> = checks.iter().filter(|c| c.check == kind && window.contains(c.at)).collect();
        let passed = runs.iter().filter(|c| c.passed).count();
        kpis.push(Kpi::new(
            metric,
            percent(passed, runs.len()).map(Value::Percent),
            format!("{passed} of {} {noun} passed", runs.len()),
            (!runs.is_empty()).then_some(passed == runs.len()),
        ));
    }

    Metrics { window, environments, deployments: total, succeeded, rollbacks: rollbacks.len(), kpis }
}

/// For each commit that reached PROD: from its merge to the end of its first successful PROD
/// deployment. A merge time after the deployment (clocks that disagree) is left out.
fn merge_to_prod(deploys: &[&DeploymentRecord]) -> Vec<i64> {
    let mut first: std::collections::BTreeMap<&str, (Timestamp, Timestamp)> = Default::default();
    for r in deploys.iter().filter(|r| r.environment == Environment::Prod && r.is_green()) {
        let Some(committed) = r.committed else { continue };
        let done = r.finished();
        first
            .entry(r.commit.as_str())
            .and_modify(|(c, d)| {
                if done < *d {
                    *c = committed;
                    *d = done;
                }
            })
            .or_insert((committed, done));
    }
    first.values().map(|(c, d)| d.duration_since(*c).as_millis() as i64).filter(|ms| *ms >= 0).collect()
}

fn mean(values: impl Iterator<Item = i64>) -> Option<i64> {
    let (sum, n) = values.fold((0i128, 0i128), |(s, n), v| (s + i128::from(v), n + 1));
    (n > 0).then(|| i64::try_from(sum / n).unwrap_or(i64::MAX))
}

/// A duration as the dashboard shows it: `45s`, `6m 23s`, `2h 05m`, `1d 3h`.
pub fn human(d: SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    let (days, hours, mins, s) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{:.1}s", d.as_secs_f64().max(0.0)),
        (0, 0, _) if s == 0 => format!("{mins}m"),
        (0, 0, _) => format!("{mins}m {s:02}s"),
        (0, _, 0) => format!("{hours}h"),
        (0, _, _) => format!("{hours}h {mins:02}m"),
        (_, 0, 0) => format!("{days}d"),
        _ => format!("{days}d {hours}h"),
    }
}

fn human_ms(ms: i64) -> String {
    human(SignedDuration::from_millis(ms))
}
