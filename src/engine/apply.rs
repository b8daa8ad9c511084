//! Apply: carries out exactly what a plan shows, holding each component's state lock
//! throughout, and records what really exists afterwards as the component's new state.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::FutureExt;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::aws::AwsClients;
use crate::engine::desired::Resource;
use crate::engine::live::read_resources;
use crate::engine::plan::{Action, ComponentPlan, Plan, ResourceChange};
use crate::engine::state::{
    Component, OPERATION_APPLY, StateError, StateResource, StateStore, StoredState, TerraformState,
};
use crate::foundation::repo::Repo;
use crate::resources::ApplyInputs;
use crate::resources::object::{self, BodyError};

/// How an apply runs.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// `Who` in the lock.
    pub who: String,
    /// How long to wait for a held lock (Terraform's `-lock-timeout`); zero fails at once.
    pub lock_timeout: Duration,
    /// Set by Ctrl-C: the apply stops before its next operation, records what exists and
    /// releases its locks.
    pub cancel: Arc<AtomicBool>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { who: crate::engine::state::who_am_i(), lock_timeout: Duration::ZERO, cancel: Arc::default() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentOutcome {
    pub component: String,
    pub operations: Vec<String>,
    /// How long each operation took on the backend, in order ([`crate::resources::OpLog`]).
    pub operation_ms: Vec<u64>,
    pub serial: u64,
    /// The S3 version id of the state object this apply wrote, when it wrote one.
    pub state_version: Option<String>,
    pub error: Option<String>,
    pub elapsed_ms: u128,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub environment: String,
    pub components: Vec<ComponentOutcome>,
    pub elapsed_ms: u128,
}

/// `component: N operations, state serial S: applied` (or FAILED and why).
impl std::fmt::Display for ComponentOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = self.error.as_deref().map_or("applied".to_owned(), |e| format!("FAILED: {e}"));
        write!(f, "{}: {} operations, state serial {}: {verdict}", self.component, self.operations.len(), self.serial)
    }
}

impl ApplyReport {
    pub fn succeeded(&self) -> bool {
        self.components.iter().all(|c| c.error.is_none())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the plan is for {planned}, not {asked}")]
    WrongEnvironment { planned: String, asked: String },
    #[error("Saved plan has expired: it was created {created} and could be applied until {expires}; make a new plan")]
    Expired { created: Timestamp, expires: Timestamp },
    #[error(
        "Saved plan is stale: the given plan file can no longer be applied because the state of {component} was changed by another operation after the plan was created (planned against lineage {planned_lineage}, serial {planned_serial}; now lineage {lineage}, serial {serial})"
    )]
    Stale { component: String, planned_lineage: String, planned_serial: u64, lineage: String, serial: u64 },
    #[error("{path} changed since the plan was made (MD5 {actual}, planned {planned}); make a new plan")]
    TemplateChanged { path: String, actual: String, planned: String },
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Unsupported(#[from] crate::emulator::Unsupported),
}

/// R22: applies exactly the plan to its environment, holding every changed component's state
/// lock throughout. Every precondition (expiry, staleness, locks, template
/// bodies) is checked for all components before anything changes, so a refused plan changes
/// nothing.
pub async fn apply(
    store: &StateStore,
    plan: &Plan,
    repo: &Repo,
    now: Timestamp,
    options: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let started = Instant::now();
    if plan.environment != store.environment() {
        return Err(ApplyError::WrongEnvironment {
            planned: plan.environment.to_string(),
            asked: store.environment().to_string(),
        });
    }
    let kinds = plan.components.iter().flat_map(|c| &c.resources).map(|r| r.kind.as_str());
    let what = format!("applying {}", plan.environment);
    crate::resources::require_capabilities(store.clients().flavor, kinds, &what)?;
    let changes = plan.components.iter().flat_map(|c| &c.resources);
    crate::resources::require_change_capabilities(store.clients().flavor, changes, &what)?;
    if plan.is_expired(now) {
        return Err(ApplyError::Expired { created: plan.created, expires: plan.expires });
    }
    let bodies = template_bodies(plan, repo)?;
    let changing: Vec<&ComponentPlan> = plan.components.iter().filter(|c| c.has_changes()).collect();

    // Lock every changing component (in a fixed order, so two applies cannot deadlock).
    let mut held = Vec::new();
    for cp in &changing {
        let component: Component =
            cp.component.parse().map_err(|_| StateError::NotLocked { path: cp.state_key.clone() })?;
        let info = format!("stagegate apply, commit {}", plan.commit.as_deref().unwrap_or("unknown"));
        match store.lock_waiting(&component, OPERATION_APPLY, &options.who, &info, options.lock_timeout).await {
            Ok(lock) => held.push((component, lock)),
            Err(e) => {
                release(store, &held).await;
                return Err(e.into());
            }
        }
    }
    // R13, F08: with the locks held, the state must be what the plan was made against; a plan
    // stored before any later apply is stale.
    let mut bases = Vec::new();
    for (cp, (component, _)) in changing.iter().zip(&held) {
        let current = match store.read(component).await {
            Ok(s) => s.map(|s| s.state),
            Err(e) => {
                release(store, &held).await;
                return Err(e.into());
            }
        };
        let (lineage, serial) = current.as_ref().map_or((None, 0), |s| (Some(s.lineage.clone()), s.serial));
        if lineage != cp.lineage || serial != cp.serial {
            release(store, &held).await;
            return Err(ApplyError::Stale {
                component: cp.component.clone(),
                planned_lineage: cp.lineage.clone().unwrap_or_else(|| "(no state)".into()),
                planned_serial: cp.serial,
                lineage: lineage.unwrap_or_else(|| "(no state)".into()),
                serial,
            });
        }
        bases.push(current.unwrap_or_default());
    }

    let mut outcomes = Vec::new();
    for ((cp, (component, lock)), base) in changing.iter().zip(&held).zip(bases) {
        let component_started = Instant::now();
        let mut log = crate::resources::OpLog::new();
        let run = AssertUnwindSafe(apply_component(store.clients(), cp, &bodies, &options.cancel, &mut log))
            .catch_unwind()
            .await;
        let (operations, operation_ms) = log.finish(Instant::now());
        let mut error = match run {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some("the apply panicked".to_owned()),
        };
        // Whatever happened, the state records what really exists now.
        let (mut serial, mut state_version) = (base.serial, None);
        match record(store, component, cp, &base, lock).await {
            Ok(written) => (serial, state_version) = (written.state.serial, written.version_id),
            Err(e) => error = Some(error.map_or(e.to_string(), |first| format!("{first}; then {e}"))),
        }
        if let Err(e) = store.unlock(component, &lock.id).await {
            error = Some(error.map_or(e.to_string(), |first| format!("{first}; then {e}")));
        }
        outcomes.push(ComponentOutcome {
            component: cp.component.clone(),
            operations,
            operation_ms,
            serial,
            state_version,
            error,
            elapsed_ms: component_started.elapsed().as_millis(),
        });
    }
    Ok(ApplyReport {
        environment: plan.environment.to_string(),
        components: outcomes,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

async fn release(store: &StateStore, held: &[(Component, crate::engine::state::LockInfo)]) {
    for (c, lock) in held {
        let _ = store.unlock(c, &lock.id).await;
    }
}

/// The bodies of the templates the plan uploads, checked against the planned MD5.
fn template_bodies(plan: &Plan, repo: &Repo) -> Result<BTreeMap<String, Vec<u8>>, ApplyError> {
    let mut bodies = BTreeMap::new();
    for r in plan.components.iter().flat_map(|c| &c.resources) {
        match object::planned_body(r, repo.root()) {
            Ok(Some(body)) => {
                bodies.insert(r.name.clone(), body);
            }
            Ok(None) => {}
            Err(BodyError::Unreadable { path, reason }) => {
                return Err(StateError::Malformed {
                    path,
                    reason: format!("cannot read the template the plan uploads: {reason}"),
                }
                .into());
            }
            Err(BodyError::Changed { path, actual, planned }) => {
                return Err(ApplyError::TemplateChanged { path, actual, planned });
            }
        }
    }
    Ok(bodies)
}

/// Writes the component's new state from the live resources the plan concerns.
async fn record(
    store: &StateStore,
    component: &Component,
    cp: &ComponentPlan,
    base: &TerraformState,
    lock: &crate::engine::state::LockInfo,
) -> Result<StoredState, ApplyError> {
    let wanted: Vec<Resource> = cp
        .resources
        .iter()
        .filter(|r| r.action != Action::Delete)
        .filter_map(|r| {
            Some(Resource {
                kind: crate::resources::kind(&r.kind)?,
                name: r.name.clone(),
                attributes: r.after.clone(),
                body: None,
            })
        })
        .collect();
    let live = read_resources(store.clients(), &wanted).await.map_err(|e| StateError::Aws {
        operation: "read back",
        resource: cp.component.clone(),
        detail: e.to_string().into(),
    })?;
    let resources = live
        .into_iter()
        .map(|r| StateResource::managed(r.kind, &r.name, Value::Object(r.attributes.into_iter().collect())))
        .collect();
    // What the state holds beyond stagegate's resources is kept as it is (R54).
    let next = base.next_managed(resources, |k| crate::resources::kind(k).is_some());
    Ok(store.write(component, &next, lock).await?)
}

async fn apply_component(
    clients: &AwsClients,
    cp: &ComponentPlan,
    bodies: &BTreeMap<String, Vec<u8>>,
    cancel: &AtomicBool,
    operations: &mut crate::resources::OpLog,
) -> Result<(), String> {
    // The bucket before its settings and objects; tables have one resource each.
    let mut ordered: Vec<&ResourceChange> = cp.resources.iter().filter(|r| r.action != Action::NoOp).collect();
    ordered.sort_by_key(|r| crate::resources::apply_rank(&r.kind));
    let inputs = ApplyInputs { table: cp.table.as_ref(), bodies };
    for r in ordered {
        if cancel.load(Ordering::SeqCst) {
            return Err("interrupted: stopped before the next operation".into());
        }
        crate::resources::apply(clients, r, &inputs, operations).await?;
    }
    Ok(())
}
