//! R57: the gate's cost alert. A plan that raises the environment's monthly cost by more than
//! pipeline.yml's `cost_alert.monthly_increase` needs one approval more than the environment
//! requires, and one of its approvals from `cost_alert.approvers`. A rollback is not held to it:
//! it returns to a configuration the environment already ran, and an outage is no time to wait
//! for a budget owner.

use std::collections::BTreeSet;

use crate::engine::cost_change::CostChange;
use crate::foundation::policy::Pipeline;
use crate::release::gate::{GateRequest, RuleVerdict, Verdict};

/// The R57 verdict of `req` for a plan whose cost change is `change`; `None` when pipeline.yml
/// sets no cost alert.
pub fn rule(policy: &Pipeline, req: &GateRequest, change: &CostChange) -> Option<RuleVerdict> {
    let alert = policy.cost_alert.as_ref()?;
    let threshold = crate::engine::cost::money(alert.monthly_increase.amount());
    let verdict = |verdict, detail| Some(RuleVerdict { rule: "R57", name: "cost alert", verdict, detail });
    if req.rollback {
        return verdict(Verdict::NotChecked, "a rollback returns to a configuration already run".into());
    }
    if !change.exceeds(alert) {
        return verdict(Verdict::Pass, format!("{} a month, within the {threshold} threshold", change.signed()));
    }
    let p = policy.environment(req.env);
    let lower = |s: &String| s.to_ascii_lowercase();
    let cost_approvers: BTreeSet<String> = alert.approvers.iter().map(lower).collect();
    let may_approve: BTreeSet<String> = p.reviewers.iter().map(lower).chain(cost_approvers.iter().cloned()).collect();
    let deployer = req.deployer.to_ascii_lowercase();
    // The same approvals R16 counts: given by someone who may approve, not by the deployer where
    // self-review is prevented, and not older than the approval timeout.
    let counted: BTreeSet<String> = req
        .approvals
        .iter()
        .filter(|a| a.at.is_none_or(|at| at <= req.at && req.at.duration_since(at) <= p.approval_timeout.0))
        .map(|a| a.who.to_ascii_lowercase())
        .filter(|who| may_approve.contains(who) && !(p.prevent_self_review && *who == deployer))
        .collect();
    let needed = p.required_approvals.0 as usize + 1;
    let by_cost_approver: Vec<&String> = counted.iter().filter(|w| cost_approvers.contains(*w)).collect();
    let passed = counted.len() >= needed && !by_cost_approver.is_empty();
    let mut detail = format!(
        "{} a month is above the {threshold} threshold: {} of {needed} approvals",
        change.signed(),
        counted.len()
    );
    match by_cost_approver.first() {
        Some(who) => detail.push_str(&format!(", the cost approval by {who}")),
        None => detail.push_str(&format!(", and none from a cost approver ({})", alert.approvers.join(", "))),
    }
    verdict(if passed { Verdict::Pass } else { Verdict::Fail }, detail)
}
