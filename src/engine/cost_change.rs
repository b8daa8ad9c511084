//! R57: the monthly cost change of a plan, per environment: R06's estimate of the state the
//! plan leads to minus the same estimate of what exists now (the live resources the plan was
//! made against), from the same price list and usage file. Shown in the plan's PR comment and
//! held against pipeline.yml's `cost_alert` threshold by the gate.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::Environment;
use crate::engine::cost::{
    CostError, CostEstimate, check_usage, inputs, markdown as estimate_markdown, money, price_resources,
};
use crate::engine::desired::Resource;
use crate::engine::plan::{Action, Plan, ResourceChange};
use crate::foundation::config::EnvironmentFile;
use crate::foundation::level4::CostAlert;
use crate::foundation::repo::Repo;

/// What a plan does to an environment's monthly bill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostChange {
    pub environment: Environment,
    pub currency: String,
    /// The estimate of what exists now.
    pub current: f64,
    /// The estimate of what exists once the plan is applied.
    pub planned: f64,
}

impl CostChange {
    /// Planned minus current, rounded to the cent as it is shown and compared.
    pub fn monthly_delta(&self) -> f64 {
        ((self.planned - self.current) * 100.0).round() / 100.0
    }

    /// Whether it raises the bill by more than `alert`'s threshold.
    pub fn exceeds(&self, alert: &CostAlert) -> bool {
        (self.monthly_delta() * 100.0).round() > alert.monthly_increase.cents as f64
    }

    /// `+$2.61`, `-$0.40`, `+$0.00`.
    pub fn signed(&self) -> String {
        let d = self.monthly_delta();
        format!("{}{}", if d < 0.0 { "-" } else { "+" }, money(d.abs()))
    }
}

fn resource(r: &ResourceChange, attributes: BTreeMap<String, Value>) -> Option<Resource> {
    Some(Resource { kind: crate::resources::kind(&r.kind)?, name: r.name.clone(), attributes, body: None })
}

/// What exists before a change: nothing for a create, the attributes it had otherwise.
fn before(r: &ResourceChange) -> Option<Resource> {
    if r.action == Action::Create {
        return None;
    }
    let mut attrs = r.after.clone();
    for c in &r.changes {
        attrs.insert(c.name.clone(), c.before.clone());
    }
    resource(r, attrs)
}

/// What exists after it: nothing for a delete.
fn after(r: &ResourceChange) -> Option<Resource> {
    if r.action == Action::Delete { None } else { resource(r, r.after.clone()) }
}

/// The cost change of `plan`, priced with the repo's price list and the environment's usage file.
pub fn of_plan(repo: &Repo, plan: &Plan) -> Result<CostChange, CostError> {
    let env = plan.environment;
    let region =
        EnvironmentFile::load(repo.root(), env).map_err(crate::engine::desired::DesiredError::from)?.aws_region;
    let (prices, prices_path, usage, usage_path) = inputs(repo, env)?;
    let changes: Vec<&ResourceChange> = plan.components.iter().flat_map(|c| &c.resources).collect();
    let now: Vec<Resource> = changes.iter().filter_map(|r| before(r)).collect();
    let then: Vec<Resource> = changes.iter().filter_map(|r| after(r)).collect();
    let (now, then): (Vec<&Resource>, Vec<&Resource>) = (now.iter().collect(), then.iter().collect());
    check_usage(env, &then, usage.as_ref(), &usage_path)?;
    let (_, current) = price_resources(&region, &now, &prices, &prices_path, usage.as_ref())?;
    let (_, planned) = price_resources(&region, &then, &prices, &prices_path, usage.as_ref())?;
    // An empty sum of f64 is -0.0, which would show as "$-0.00".
    Ok(CostChange { environment: env, currency: prices.currency, current: current + 0.0, planned: planned + 0.0 })
}

/// The cost change section of the PR comment, with the cost alert's verdict where pipeline.yml
/// sets one.
pub fn markdown(change: &CostChange, alert: Option<&CostAlert>, required_approvals: u32) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "**Monthly cost change: {}** ({} now, {} once applied; {}).",
        change.signed(),
        money(change.current),
        money(change.planned),
        change.currency
    );
    if let Some(alert) = alert {
        let threshold = money(alert.monthly_increase.amount());
        let _ = writeln!(md);
        if change.exceeds(alert) {
            let _ = writeln!(
                md,
                ":warning: Above the {threshold} cost alert threshold: deploying to `{}` needs {} approvals, one of them from {}.",
                change.environment,
                required_approvals + 1,
                alert.approvers.join(" or ")
            );
        } else {
            let _ = writeln!(md, "Within the {threshold} cost alert threshold.");
        }
    }
    md
}

/// The plan's whole PR comment (R11): the plan, its cost estimate (R06) and its cost change
/// (R57).
pub fn pr_comment(
    plan: &Plan,
    estimate: &CostEstimate,
    change: &CostChange,
    policy: Option<&crate::foundation::policy::Pipeline>,
) -> String {
    let alert = policy.and_then(|p| p.cost_alert.as_ref());
    let required = policy.map_or(1, |p| p.environment(plan.environment).required_approvals.0);
    format!(
        "{}\n{}\n{}",
        crate::engine::plan::markdown(plan),
        estimate_markdown(estimate),
        markdown(change, alert, required)
    )
}
