//! Plans: what applying the repo would change, per environment and component, comparing the
//! desired resources with the live ones and telling configuration changes from drift (a live
//! resource changed behind stagegate's back while the recorded state still matches the repo).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Environment;
use crate::aws::AwsClients;
use crate::engine::desired::{DesiredComponent, DesiredEnvironment, Resource};
use crate::engine::live::{LiveError, read_component};
use crate::engine::state::{StateError, StateStore, TerraformState};

pub use crate::resources::{Action, AttributeChange, Cause, ResourceChange};

/// Plans are kept, like the LLD's plan artifacts, for 30 days.
pub const PLAN_LIFETIME_DAYS: i64 = 30;
pub const PLAN_FORMAT: &str = "stagegate-plan/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentPlan {
    pub component: String,
    pub state_key: String,
    /// The state the plan was made against: `None`/0 when there was none yet.
    pub lineage: Option<String>,
    pub serial: u64,
    pub resources: Vec<ResourceChange>,
    /// The table definition to create from, for table components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<crate::resources::schema::TableDefinition>,
}

impl ComponentPlan {
    pub fn has_changes(&self) -> bool {
        self.resources.iter().any(|r| r.action != Action::NoOp)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format: String,
    pub environment: Environment,
    pub account: String,
    pub commit: Option<String>,
    pub created: Timestamp,
    pub expires: Timestamp,
    pub components: Vec<ComponentPlan>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Live(#[from] LiveError),
    #[error("{address}: {reason}")]
    Refused { address: String, reason: String },
    #[error("{path}: cannot read the plan: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: not a stagegate plan: {reason}")]
    Malformed { path: String, reason: String },
    #[error("{path}: cannot write the plan: {reason}")]
    Unwritable { path: String, reason: String },
    #[error(transparent)]
    Unsupported(#[from] crate::emulator::Unsupported),
}

impl Plan {
    pub fn counts(&self) -> BTreeMap<Action, usize> {
        let mut counts = BTreeMap::new();
        for r in self.components.iter().flat_map(|c| &c.resources) {
            *counts.entry(r.action).or_insert(0) += 1;
        }
        counts
    }

    pub fn has_changes(&self) -> bool {
        self.components.iter().any(ComponentPlan::has_changes)
    }

    /// R12: a stored plan is refused once it has expired.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        now >= self.expires
    }

    pub fn resource(&self, address: &str) -> Option<&ResourceChange> {
        self.components.iter().flat_map(|c| &c.resources).find(|r| r.address == address)
    }

    /// Writes the plan file (JSON).
    pub fn save(&self, path: &Path) -> Result<(), PlanError> {
        let text = serde_json::to_vec_pretty(self).expect("a plan serialises");
        std::fs::write(path, text)
            .map_err(|e| PlanError::Unwritable { path: path.display().to_string(), reason: e.to_string() })
    }

    pub fn load(path: &Path) -> Result<Plan, PlanError> {
        let text = std::fs::read(path)
            .map_err(|e| PlanError::Unreadable { path: path.display().to_string(), reason: e.to_string() })?;
        let plan: Plan = serde_json::from_slice(&text)
            .map_err(|e| PlanError::Malformed { path: path.display().to_string(), reason: e.to_string() })?;
        if plan.format != PLAN_FORMAT {
            return Err(PlanError::Malformed {
                path: path.display().to_string(),
                reason: format!("format {:?}, expected {PLAN_FORMAT}", plan.format),
            });
        }
        Ok(plan)
    }
}

/// The recorded resources of a state that are stagegate's, by address; everything else a state
/// holds (other types, modules, data sources, keyed instances) is not planned and is kept (R54).
pub fn recorded(state: Option<&TerraformState>) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for r in state.map(|s| s.resources.as_slice()).unwrap_or_default() {
        let Some(address) = r.managed_address(|k| crate::resources::kind(k).is_some()) else { continue };
        if let Some(attrs) = r.instances.first().and_then(|i| i.attributes.as_object()) {
            out.insert(address, attrs.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        }
    }
    out
}

/// Compares one resource's desired, recorded and live attributes. R51: a live value that
/// differs from what the state recorded, where the repo did not change, is drift.
pub fn diff_resource(
    desired: &Resource,
    recorded: Option<&BTreeMap<String, Value>>,
    live: Option<&Resource>,
) -> ResourceChange {
    let address = desired.address();
    let mut change = ResourceChange {
        address: address.clone(),
        kind: desired.kind.to_owned(),
        name: desired.name.clone(),
        action: Action::NoOp,
        reason: None,
        changes: Vec::new(),
        after: desired.attributes.clone(),
        drift: false,
    };
    let Some(live) = live else {
        change.action = Action::Create;
        if recorded.is_some() {
            change.drift = true;
            change.reason = Some("recorded in the state but missing: deleted outside stagegate".into());
        }
        return change;
    };
    let names: BTreeSet<&String> = desired.attributes.keys().chain(live.attributes.keys()).collect();
    for name in names {
        let after = desired.attributes.get(name).cloned().unwrap_or(Value::Null);
        let before = live.attributes.get(name).cloned().unwrap_or(Value::Null);
        if after == before {
            continue;
        }
        let repo_unchanged = recorded.is_some_and(|r| r.get(name).unwrap_or(&Value::Null) == &after);
        let cause = if repo_unchanged { Cause::Drift } else { Cause::Config };
        change.changes.push(AttributeChange { name: name.clone(), before, after, cause });
    }
    if change.changes.is_empty() {
        return change;
    }
    change.drift = change.changes.iter().all(|c| c.cause == Cause::Drift);
    let forcing: Vec<&str> = change
        .changes
        .iter()
        .filter(|c| crate::resources::replace_attributes(desired.kind).contains(&c.name.as_str()))
        .map(|c| c.name.as_str())
        .collect();
    if forcing.is_empty() {
        change.action = Action::Update;
    } else {
        change.action = Action::Replace;
        change.reason = Some(format!("{} cannot change in place: the table must be replaced", forcing.join(", ")));
    }
    change
}

/// Plans one component against its recorded state and live resources.
pub async fn plan_component(store: &StateStore, desired: &DesiredComponent) -> Result<ComponentPlan, PlanError> {
    // An environment whose state backend does not exist yet has no state: everything is new.
    let stored = match store.read(&desired.component).await {
        Err(StateError::NoBackend { .. }) => None,
        other => other?,
    };
    let state = stored.as_ref().map(|s| &s.state);
    let recorded = recorded(state);
    let live = read_component(store.clients(), desired).await?;
    let live_by_address: BTreeMap<String, &Resource> = live.iter().map(|r| (r.address(), r)).collect();
    let mut resources: Vec<ResourceChange> = desired
        .resources
        .iter()
        .map(|d| diff_resource(d, recorded.get(&d.address()), live_by_address.get(&d.address()).copied()))
        .collect();
    // Resources the state records that the repo no longer has.
    let wanted: BTreeSet<String> = desired.resources.iter().map(Resource::address).collect();
    for (address, attrs) in &recorded {
        if wanted.contains(address) {
            continue;
        }
        let (kind, name) = address.split_once('.').unwrap_or((address, ""));
        if !crate::resources::removable(kind, attrs) {
            return Err(PlanError::Refused {
                address: address.clone(),
                reason: "removing a table or the templates bucket is not supported by plan; delete it by hand".into(),
            });
        }
        resources.push(ResourceChange {
            address: address.clone(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            action: Action::Delete,
            reason: Some("no longer in the repo".into()),
            changes: Vec::new(),
            // What is deleted, so that apply knows where it is.
            after: attrs.clone(),
            drift: false,
        });
    }
    for r in &resources {
        let protected = live_by_address
            .get(&r.address)
            .is_some_and(|l| l.attributes.get("deletion_protection_enabled") == Some(&Value::Bool(true)));
        if r.action == Action::Replace && protected {
            return Err(PlanError::Refused {
                address: r.address.clone(),
                reason: format!(
                    "{}, but deletion protection is on; turn enable_deletion_protection off for this environment, apply, then apply the key change",
                    r.reason.clone().unwrap_or_default()
                ),
            });
        }
    }
    Ok(ComponentPlan {
        component: desired.component.name().to_owned(),
        state_key: desired.component.state_key(),
        lineage: state.map(|s| s.lineage.clone()),
        serial: state.map_or(0, |s| s.serial),
        resources,
        table: desired.table.clone(),
    })
}

/// Plans every component of an environment.
pub async fn plan_environment(
    clients: &AwsClients,
    desired: &DesiredEnvironment,
    commit: Option<String>,
    now: Timestamp,
) -> Result<Plan, PlanError> {
    let env = desired.environment;
    let kinds = desired.components.iter().flat_map(|c| &c.resources).map(|r| r.kind);
    crate::resources::require_capabilities(clients.flavor, kinds, &format!("planning {env}"))?;
    let store = StateStore::new(clients.clone(), env).with_settings(desired.state.clone());
    let mut components = Vec::new();
    for d in &desired.components {
        components.push(plan_component(&store, d).await?);
    }
    Ok(Plan {
        format: PLAN_FORMAT.into(),
        environment: env,
        account: env.account_id().into(),
        commit,
        created: now,
        expires: now + SignedDuration::from_hours(24 * PLAN_LIFETIME_DAYS),
        components,
    })
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} (account {}), commit {}",
            self.environment.label(),
            self.account,
            self.commit.as_deref().unwrap_or("unknown")
        )?;
        for c in &self.components {
            for r in &c.resources {
                let sign = match r.action {
                    Action::Create => "+",
                    Action::Update => "~",
                    Action::Replace => "-/+",
                    Action::Delete => "-",
                    Action::NoOp => continue,
                };
                let drift = if r.drift { "  [drift]" } else { "" };
                writeln!(f, "  {sign:<3} {} ({}){drift}", r.address, r.action.word())?;
                if let Some(reason) = &r.reason {
                    writeln!(f, "        {reason}")?;
                }
                for a in &r.changes {
                    let cause = if a.cause == Cause::Drift { " (drift: changed outside stagegate)" } else { "" };
                    writeln!(f, "        {}: {} -> {}{cause}", a.name, show(&a.before), show(&a.after))?;
                }
            }
        }
        let counts = self.counts();
        let n = |a| counts.get(&a).copied().unwrap_or(0);
        writeln!(
            f,
            "  Plan: {} to create, {} to update, {} to replace, {} to delete, {} unchanged.",
            n(Action::Create),
            n(Action::Update),
            n(Action::Replace),
            n(Action::Delete),
            n(Action::NoOp)
        )
    }
}

/// The PR comment of one environment's plan (R11): counts, a table, details folded.
pub fn markdown(plan: &Plan) -> String {
    let counts = plan.counts();
    let n = |a| counts.get(&a).copied().unwrap_or(0);
    let mut md = String::new();
    let _ = writeln!(md, "### stagegate plan: `{}` (account {})", plan.environment, plan.account);
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "**{} to create, {} to update, {} to replace, {} to delete**, {} unchanged. Commit `{}`, expires {}.",
        n(Action::Create),
        n(Action::Update),
        n(Action::Replace),
        n(Action::Delete),
        n(Action::NoOp),
        plan.commit.as_deref().unwrap_or("unknown"),
        plan.expires
    );
    let _ = writeln!(md);
    let _ = writeln!(md, "| Component | Resource | Action | Why |");
    let _ = writeln!(md, "| --- | --- | --- | --- |");
    for c in &plan.components {
        for r in c.resources.iter().filter(|r| r.action != Action::NoOp) {
            let why = r.reason.clone().unwrap_or_else(|| if r.drift { "drift".into() } else { "configuration".into() });
            let _ = writeln!(
                md,
                "| {} | `{}` | {} | {} |",
                c.component,
                r.address,
                r.action.word(),
                why.replace('|', "\\|")
            );
        }
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "<details><summary>Attribute changes</summary>");
    let _ = writeln!(md);
    let _ = writeln!(md, "```diff");
    for r in plan.components.iter().flat_map(|c| &c.resources) {
        for a in &r.changes {
            let _ = writeln!(md, "- {}.{} = {}", r.address, a.name, show(&a.before));
            let _ = writeln!(md, "+ {}.{} = {}", r.address, a.name, show(&a.after));
        }
    }
    let _ = writeln!(md, "```");
    let _ = writeln!(md, "</details>");
    md
}

/// Plans several environments of one repo at once, from one commit (R10); each plan comes
/// with how long it took.
pub async fn plan_environments(
    endpoint: &crate::emulator::Endpoint,
    region: &str,
    repo: &crate::foundation::repo::Repo,
    envs: &[Environment],
    commit: Option<String>,
    now: Timestamp,
) -> Result<Vec<(Plan, std::time::Duration)>, crate::Error> {
    let plans = envs.iter().map(|&env| {
        let commit = commit.clone();
        async move {
            let started = std::time::Instant::now();
            let desired = DesiredEnvironment::load(repo, env)?;
            let clients = AwsClients::for_environment(endpoint, env, region).await;
            let plan = plan_environment(&clients, &desired, commit, now).await?;
            Ok::<_, crate::Error>((plan, started.elapsed()))
        }
    });
    futures::future::try_join_all(plans).await
}
