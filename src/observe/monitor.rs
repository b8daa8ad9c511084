//! The state lock monitor (LLD 7.8.1, R48): every environment's locks, in the lock table and/or
//! the `.tflock` lock files as `state.locking` says (R53), read in Terraform's format, so it
//! works on locks written by real Terraform and OpenTofu; locks held longer than the policy
//! allows are alerted to `#devops-alerts` with a page (7.8.3).

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::Environment;
use crate::emulator::Endpoint;
use crate::engine::state::{LockEntry, StateLocking, StateSettings, StateStore};
use crate::release::notify::{Delivery, Event, Notice, Notifier, human};

/// One lock held in a lock table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldLock {
    pub environment: Environment,
    pub lock_id: String,
    pub path: String,
    pub holder: String,
    pub operation: String,
    pub id: String,
    pub created: Option<Timestamp>,
    /// How long it has been held, at the monitor's clock; none when `Created` is unreadable.
    #[serde(serialize_with = "seconds")]
    pub age: Option<SignedDuration>,
    pub overdue: bool,
}

/// What one environment's lock table holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "table_status", rename_all = "snake_case")]
pub enum TableReading {
    Read {
        locks: Vec<HeldLock>,
        malformed: Vec<MalformedLock>,
    },
    /// The environment's backend has not been bootstrapped.
    Missing,
    Unreadable {
        reason: String,
    },
}

/// A lock item that is not Terraform's LockInfo: something wrote it by hand or broke it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MalformedLock {
    pub lock_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentLocks {
    pub environment: Environment,
    /// Where the locks were read: the lock table, the bucket's lock files, or both.
    pub table: String,
    pub locking: StateLocking,
    #[serde(flatten)]
    pub reading: TableReading,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockReport {
    pub at: Timestamp,
    #[serde(serialize_with = "seconds_plain")]
    pub max_age: SignedDuration,
    pub environments: Vec<EnvironmentLocks>,
    pub alerts: Vec<Delivery>,
}

/// Ages and verdicts for the entries of one lock table (pure: the monitor's rule).
pub fn assess(env: Environment, entries: Vec<LockEntry>, now: Timestamp, max_age: SignedDuration) -> TableReading {
    let mut locks = Vec::new();
    let mut malformed = Vec::new();
    for entry in entries {
        match entry.info {
            Ok(info) => {
                let created = info.created_at();
                // A lock stamped in the future (clock skew) is as young as can be.
                let age = created.map(|c| now.duration_since(c).max(SignedDuration::ZERO));
                let overdue = age.is_some_and(|a| a > max_age);
                locks.push(HeldLock {
                    environment: env,
                    lock_id: entry.lock_id,
                    path: info.path,
                    holder: info.who,
                    operation: info.operation,
                    id: info.id,
                    created,
                    age,
                    overdue,
                });
            }
            Err(reason) => malformed.push(MalformedLock { lock_id: entry.lock_id, reason }),
        }
    }
    TableReading::Read { locks, malformed }
}

impl LockReport {
    pub fn overdue(&self) -> impl Iterator<Item = &HeldLock> {
        self.held().filter(|l| l.overdue)
    }

    pub fn held(&self) -> impl Iterator<Item = &HeldLock> {
        self.environments.iter().flat_map(|e| match &e.reading {
            TableReading::Read { locks, .. } => locks.as_slice(),
            _ => &[],
        })
    }

    pub fn malformed(&self) -> impl Iterator<Item = &MalformedLock> {
        self.environments.iter().flat_map(|e| match &e.reading {
            TableReading::Read { malformed, .. } => malformed.as_slice(),
            _ => &[],
        })
    }

    /// Alert: a lock held too long, or a lock item that is not a lock.
    pub fn alerting(&self) -> bool {
        self.overdue().next().is_some() || self.malformed().next().is_some()
    }

    pub fn unreadable(&self) -> Vec<String> {
        self.environments
            .iter()
            .filter_map(|e| match &e.reading {
                TableReading::Unreadable { reason } => Some(format!("{}: {reason}", e.table)),
                _ => None,
            })
            .collect()
    }
}

/// Reads the lock tables of `envs`, each with its own account's credentials, and alerts on
/// every lock held longer than `max_age`.
pub async fn monitor(
    endpoint: &Endpoint,
    region: &str,
    envs: &[Environment],
    max_age: SignedDuration,
    now: Timestamp,
    notifier: Option<&Notifier>,
    settings: &StateSettings,
) -> LockReport {
    let mut environments = Vec::new();
    for &env in envs {
        let store = StateStore::for_environment(endpoint, env, region).await.with_settings(settings.clone());
        let reading = match store.lock_entries().await {
            Ok(Some(entries)) => assess(env, entries, now, max_age),
            Ok(None) => TableReading::Missing,
            Err(e) => TableReading::Unreadable { reason: e.to_string() },
        };
        let table = match (settings.locking.uses_lock_file(), settings.locking.uses_table()) {
            (true, false) => format!("{} (*.tflock)", store.bucket()),
            (false, _) => store.lock_table().to_owned(),
            (true, true) => format!("{} (*.tflock) + {}", store.bucket(), store.lock_table()),
        };
        environments.push(EnvironmentLocks { environment: env, table, locking: settings.locking, reading });
    }
    let mut report = LockReport { at: now, max_age, environments, alerts: Vec::new() };
    if let Some(notifier) = notifier {
        let notices: Vec<Notice> = report
            .overdue()
            .map(|l| Notice {
                env: l.environment,
                event: Event::LockHeld {
                    path: l.path.clone(),
                    holder: l.holder.clone(),
                    operation: l.operation.clone(),
                    lock_id: l.id.clone(),
                    age: l.age.unwrap_or_default(),
                },
            })
            .collect();
        for notice in &notices {
            report.alerts.extend(notifier.notify(notice).await);
        }
    }
    report
}

impl std::fmt::Display for LockReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for e in &self.environments {
            let label = e.environment.label();
            match &e.reading {
                TableReading::Missing => writeln!(
                    f,
                    "{label:<4} {}: not bootstrapped (no {})",
                    e.table,
                    if e.locking.uses_table() { "lock table" } else { "state bucket" }
                )?,
                TableReading::Unreadable { reason } => writeln!(f, "{label:<4} {}: UNREADABLE: {reason}", e.table)?,
                TableReading::Read { locks, malformed } => {
                    let n = locks.len();
                    writeln!(f, "{label:<4} {}: {n} active lock{}", e.table, if n == 1 { "" } else { "s" })?;
                    for l in locks {
                        let age = l.age.map_or_else(|| "unknown age".to_owned(), human);
                        let verdict = if l.overdue { format!("  OVER {}", human(self.max_age)) } else { String::new() };
                        writeln!(
                            f,
                            "  {}  held by {}  {}  for {age}{verdict}  (lock ID {})",
                            l.path, l.holder, l.operation, l.id
                        )?;
                    }
                    for m in malformed {
                        writeln!(f, "  {}  NOT A LOCK: {}", m.lock_id, m.reason)?;
                    }
                }
            }
        }
        let overdue = self.overdue().count();
        writeln!(
            f,
            "{} active lock(s); {overdue} held over {}; {} malformed",
            self.held().count(),
            human(self.max_age),
            self.malformed().count()
        )?;
        for a in &self.alerts {
            writeln!(f, "{a}")?;
        }
        Ok(())
    }
}

fn seconds<S: serde::Serializer>(d: &Option<SignedDuration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs()),
        None => s.serialize_none(),
    }
}

fn seconds_plain<S: serde::Serializer>(d: &SignedDuration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(d.as_secs())
}
