//! The deployer role's three checks: its trust policy lets only the repository's `main` branch
//! in (R41); its permissions are least privilege and stay inside the environment (R42); and they
//! allow every call an apply really made (R42, F06).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::actions::{EnvironmentResources, iam_actions, resource_kind};
use super::document::{Effect, OneOrMany, PolicyDocument, Principal, Statement};
use super::evaluate::{Request, evaluate, wildcard_match};
use crate::aws::RecordedCall;
use crate::checks::validate::json::JsonPath;

/// GitHub's OIDC issuer, as the condition keys and the provider ARN name it.
pub const GITHUB_OIDC: &str = "token.actions.githubusercontent.com";
pub const AUDIENCE: &str = "sts.amazonaws.com";
pub const ASSUME_ROLE: &str = "sts:AssumeRoleWithWebIdentity";

/// One thing wrong with a policy, at the JSON path of the value that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(serialize_with = "as_text")]
    pub path: JsonPath,
    pub message: String,
}

fn as_text<S: serde::Serializer>(p: &JsonPath, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string())
}

fn problem(path: JsonPath, message: impl Into<String>) -> Problem {
    Problem { path, message: message.into() }
}

/// The path of each statement, as written (`$.Statement` or `$.Statement[i]`).
fn statements(doc: &PolicyDocument) -> impl Iterator<Item = (JsonPath, &Statement)> {
    let array = doc.statement.is_array();
    doc.statements().iter().enumerate().map(move |(i, s)| {
        let p = JsonPath::root().key("Statement");
        (if array { p.index(i) } else { p }, s)
    })
}

fn element(path: &JsonPath, field: &OneOrMany<String>, i: usize) -> JsonPath {
    if field.is_array() { path.index(i) } else { path.clone() }
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// The OIDC provider ARN of GitHub in an account.
pub fn oidc_provider(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:oidc-provider/{GITHUB_OIDC}")
}

/// R41: every `Allow` lets in only GitHub's OIDC provider of the environment's account, for
/// `sts:AssumeRoleWithWebIdentity`, with audience `sts.amazonaws.com` and a `sub` pinned to
/// `repo:OWNER/NAME:ref:refs/heads/BRANCH` for one of the environment's deployment branches.
pub fn check_trust(doc: &PolicyDocument, account_id: &str, branches: &[String]) -> Vec<Problem> {
    let mut out = Vec::new();
    let provider = oidc_provider(account_id);
    let allows: Vec<_> = statements(doc).filter(|(_, s)| s.effect == Effect::Allow).collect();
    if allows.is_empty() {
        out.push(problem(JsonPath::root().key("Statement"), "no statement allows the deployer to assume the role"));
    }
    for (at, s) in allows {
        let principal_at = at.key("Principal");
        match (&s.principal, &s.not_principal) {
            (_, Some(_)) => {
                out.push(problem(at.key("NotPrincipal"), "Allow with NotPrincipal trusts every other principal"))
            }
            (Some(Principal::Of(kinds)), None) => {
                for (kind, values) in kinds {
                    for (i, v) in values.as_slice().iter().enumerate() {
                        let here = element(&principal_at.key(kind), values, i);
                        if kind != "Federated" {
                            out.push(problem(
                                here,
                                format!("trusts {kind} principal {v}, not only GitHub's OIDC provider"),
                            ));
                        } else if *v != provider {
                            let account = v.strip_prefix("arn:aws:iam::").and_then(|r| r.split(':').next());
                            let message = match account {
                                Some(a) if v.ends_with(&format!(":oidc-provider/{GITHUB_OIDC}")) => {
                                    format!(
                                        "trusts the GitHub OIDC provider of account {a}, not this environment's account {account_id}"
                                    )
                                }
                                _ => format!("trusts federated principal {v}, not {provider}"),
                            };
                            out.push(problem(here, message));
                        }
                    }
                }
                if !kinds.contains_key("Federated") {
                    out.push(problem(principal_at, format!("does not name the federated principal {provider}")));
                }
            }
            (Some(Principal::Any(v)), None) => {
                out.push(problem(principal_at, format!("Principal {v:?} trusts everyone")));
            }
            (None, None) => out.push(problem(at.clone(), format!("names no principal; it must be {provider}"))),
        }
        match (&s.action, &s.not_action) {
            (Some(actions), _) => {
                for (i, a) in actions.as_slice().iter().enumerate() {
                    if !a.eq_ignore_ascii_case(ASSUME_ROLE) && !a.eq_ignore_ascii_case("sts:TagSession") {
                        out.push(problem(
                            element(&at.key("Action"), actions, i),
                            format!("allows {a}; only {ASSUME_ROLE} is needed"),
                        ));
                    }
                }
            }
            _ => out.push(problem(at.key("NotAction"), "Allow with NotAction allows every other action")),
        }
        trust_conditions(&at, s, branches, &mut out);
    }
    out
}

fn trust_conditions(at: &JsonPath, s: &Statement, branches: &[String], out: &mut Vec<Problem>) {
    let aud_key = format!("{GITHUB_OIDC}:aud");
    let sub_key = format!("{GITHUB_OIDC}:sub");
    let conditions = s.condition.clone().unwrap_or_default();
    let mut aud_seen = false;
    let mut sub_seen = false;
    for (op, keys) in &conditions {
        for (key, values) in keys {
            let here = at.key("Condition").key(op).key(key);
            let values: Vec<String> = values.as_slice().iter().map(super::document::scalar).collect();
            if key.eq_ignore_ascii_case(&aud_key) {
                aud_seen = true;
                if op != "StringEquals" || values.iter().any(|v| v != AUDIENCE) {
                    out.push(problem(here, format!("{op} {aud_key} {values:?}: the audience must equal {AUDIENCE:?}")));
                }
            } else if key.eq_ignore_ascii_case(&sub_key) {
                sub_seen = true;
                if op != "StringEquals" && op != "StringLike" {
                    out.push(problem(here, format!("{op} on {sub_key}: pin the subject with StringEquals")));
                    continue;
                }
                for v in &values {
                    if has_wildcard(v) && op == "StringLike" {
                        out.push(problem(
                            here.clone(),
                            format!("{op} {v:?} lets in any subject that matches the wildcard; pin the main branch with StringEquals"),
                        ));
                    } else if !pinned_subject(v, branches) {
                        out.push(problem(
                            here.clone(),
                            format!(
                                "subject {v:?} is not a deployment branch ({}) of one repository",
                                branches.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
    }
    if !aud_seen {
        out.push(problem(at.key("Condition"), format!("no StringEquals condition on {aud_key}")));
    }
    if !sub_seen {
        out.push(problem(
            at.key("Condition"),
            format!("no condition on {sub_key}: a workflow of any repository and branch can assume the role"),
        ));
    }
}

/// `repo:OWNER/NAME:ref:refs/heads/BRANCH`, with a literal owner and name and an allowed branch.
pub fn pinned_subject(sub: &str, branches: &[String]) -> bool {
    let Some(rest) = sub.strip_prefix("repo:") else { return false };
    let Some((repo, branch)) = rest.split_once(":ref:refs/heads/") else { return false };
    let Some((owner, name)) = repo.split_once('/') else { return false };
    !owner.is_empty()
        && !name.is_empty()
        && !has_wildcard(sub)
        && !name.contains(['/', ':'])
        && branches.iter().any(|b| b == branch)
}

/// Actions that only read: a `Resource: "*"` on them widens nothing that can change.
pub fn is_read_only(action_pattern: &str) -> bool {
    let name = action_pattern.split_once(':').map_or(action_pattern, |(_, n)| n);
    let literal = &name[..name.find(['*', '?']).unwrap_or(name.len())];
    ["Describe", "Get", "List", "Head", "Scan", "Query", "BatchGet", "ConditionCheck"]
        .iter()
        .any(|p| literal.starts_with(p))
}

/// R42, least privilege: no `*` or `service:*` action, no `NotAction`/`NotResource` in an
/// `Allow`, no `Resource: "*"` for an action that changes anything, and every resource inside
/// the environment (its account; its own buckets).
pub fn check_least_privilege(doc: &PolicyDocument, env: &EnvironmentResources) -> Vec<Problem> {
    let mut out = Vec::new();
    for (at, s) in statements(doc).filter(|(_, s)| s.effect == Effect::Allow) {
        if s.not_action.is_some() {
            out.push(problem(at.key("NotAction"), "Allow with NotAction allows every other action of every service"));
        }
        if s.not_resource.is_some() {
            out.push(problem(at.key("NotResource"), "Allow with NotResource allows every other resource"));
        }
        let mut mutating = Vec::new();
        if let Some(actions) = &s.action {
            for (i, a) in actions.as_slice().iter().enumerate() {
                let name = a.split_once(':').map_or(a.as_str(), |(_, n)| n);
                if name.chars().all(|c| c == '*') {
                    out.push(problem(
                        element(&at.key("Action"), actions, i),
                        format!("{a} allows every action{}", if a.contains(':') { " of the service" } else { "" }),
                    ));
                }
                if !is_read_only(a) {
                    mutating.push(a.clone());
                }
            }
        }
        let Some(resources) = &s.resource else { continue };
        for (i, r) in resources.as_slice().iter().enumerate() {
            let here = element(&at.key("Resource"), resources, i);
            if r == "*" {
                if !mutating.is_empty() {
                    out.push(problem(
                        here,
                        format!("Resource \"*\" for {}, which change resources", mutating.join(", ")),
                    ));
                }
            } else if let Some(why) = outside(r, env) {
                out.push(problem(here, why));
            }
        }
    }
    out
}

/// Why a resource pattern reaches outside the environment, if it does.
fn outside(pattern: &str, env: &EnvironmentResources) -> Option<String> {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [arn, _partition, service, region, account, resource] = parts[..] else {
        return Some(format!("{pattern} is not an ARN"));
    };
    if arn != "arn" {
        return Some(format!("{pattern} is not an ARN"));
    }
    if service == "s3" {
        let bucket = resource.split('/').next().unwrap_or("");
        if has_wildcard(bucket) {
            return Some(format!(
                "{pattern}: the bucket name has a wildcard, so it reaches other environments' buckets"
            ));
        }
        if !env.buckets().contains(&bucket) {
            return Some(format!(
                "{pattern}: {bucket} is not one of {}'s buckets ({})",
                env.environment,
                env.buckets().join(", ")
            ));
        }
        return None;
    }
    if account != env.account_id {
        return Some(format!("{pattern}: account {account:?} is not {}'s account {}", env.environment, env.account_id));
    }
    // IAM is global: its ARNs have no region.
    let global = service == "iam" && region.is_empty();
    if !global && region != env.region && region != "*" && !wildcard_match(region, &env.region, false) {
        let region = if region.is_empty() { "(none)" } else { region };
        return Some(format!("{pattern}: region {region} is not {}'s region {}", env.environment, env.region));
    }
    None
}

/// Whether the calls of an apply are all allowed: one verdict per IAM action.
#[derive(Debug, Clone, Serialize)]
pub struct Sufficiency {
    pub environment: String,
    pub verdicts: Vec<ActionVerdict>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionVerdict {
    /// The IAM action (`s3:PutBucketPublicAccessBlock`).
    pub action: String,
    /// The API operations it authorised (`s3:PutPublicAccessBlock`).
    pub operations: BTreeSet<String>,
    pub calls: usize,
    /// Resources the action was refused on.
    pub denied_on: Vec<String>,
    /// Resources it was allowed on.
    pub allowed_on: Vec<String>,
    /// Some calls had no recorded resource: they were checked against each of the
    /// environment's resources of the action's kind, and pass if any one of them is allowed.
    pub resource_assumed: bool,
}

impl ActionVerdict {
    pub fn allowed(&self) -> bool {
        self.denied_on.is_empty()
    }
}

impl Sufficiency {
    pub fn missing(&self) -> impl Iterator<Item = &ActionVerdict> {
        self.verdicts.iter().filter(|v| !v.allowed())
    }

    pub fn sufficient(&self) -> bool {
        self.missing().next().is_none()
    }
}

/// R42 / F06: evaluates every recorded call against the permissions policy.
pub fn check_sufficiency(doc: &PolicyDocument, env: &EnvironmentResources, calls: &[RecordedCall]) -> Sufficiency {
    // IAM action → (operations, calls, recorded resources, any call without a resource)
    let mut by_action: BTreeMap<String, (BTreeSet<String>, usize, BTreeSet<String>, bool)> = BTreeMap::new();
    for call in calls {
        for action in iam_actions(&call.action) {
            let entry = by_action.entry(action).or_default();
            entry.0.insert(call.action.clone());
            entry.1 += call.count.max(1);
            match &call.resource {
                Some(r) => {
                    entry.2.insert(r.clone());
                }
                None => entry.3 = true,
            }
        }
    }
    let allowed = |action: &str, resource: &str| evaluate(&[doc], &Request::new(action, resource)).allowed();
    let verdicts = by_action
        .into_iter()
        .map(|(action, (operations, count, resources, unrecorded))| {
            let (mut allowed_on, mut denied_on): (Vec<String>, Vec<String>) =
                resources.into_iter().partition(|r| allowed(&action, r));
            if unrecorded {
                let candidates = env.candidates(resource_kind(&action));
                let (yes, no): (Vec<String>, Vec<String>) = candidates.into_iter().partition(|r| allowed(&action, r));
                if yes.is_empty() {
                    denied_on.extend(no);
                } else {
                    allowed_on.extend(yes);
                }
            }
            ActionVerdict { action, operations, calls: count, denied_on, allowed_on, resource_assumed: unrecorded }
        })
        .collect();
    Sufficiency { environment: env.environment.clone(), verdicts }
}
