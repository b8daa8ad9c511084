//! IAM's evaluation logic for one request against a role's policies: an explicit `Deny` wins,
//! then an `Allow`, and anything else is denied by default. Actions match case-insensitively,
//! resources case-sensitively, both with `*` (any run of characters) and `?` (one character).

use std::collections::BTreeMap;

use serde::Serialize;
use wildmatch::WildMatch;

use super::document::{Effect, PolicyDocument, Statement, scalar};

/// `*` matches any run of characters (including none), `?` exactly one.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let pattern = if ignore_case { WildMatch::new_case_insensitive(pattern) } else { WildMatch::new(pattern) };
    pattern.matches(text)
}

/// Whether an action pattern (`s3:PutBucket*`) covers an action (`s3:PutBucketVersioning`).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    wildcard_match(pattern, action, true)
}

/// Whether a resource pattern (`arn:aws:s3:::bbws-templates-dev/*`) covers a resource ARN.
pub fn resource_matches(pattern: &str, resource: &str) -> bool {
    wildcard_match(pattern, resource, false)
}

/// The condition operators stagegate evaluates, each optionally `...IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub test: Test,
    pub if_exists: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Bool,
    Null,
}

impl Operator {
    pub fn parse(name: &str) -> Option<Operator> {
        // A request here carries one value per key, so the set operators reduce to their test.
        let name = name.strip_prefix("ForAnyValue:").or_else(|| name.strip_prefix("ForAllValues:")).unwrap_or(name);
        let (base, if_exists) = match name.strip_suffix("IfExists") {
            // IAM has no NullIfExists: Null is itself the test of whether the key exists.
            Some("Null") => return None,
            Some(b) => (b, true),
            None => (name, false),
        };
        let test = match base {
            "StringEquals" => Test::StringEquals,
            "StringNotEquals" => Test::StringNotEquals,
            "StringEqualsIgnoreCase" => Test::StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => Test::StringNotEqualsIgnoreCase,
            "StringLike" => Test::StringLike,
            "StringNotLike" => Test::StringNotLike,
            "ArnEquals" => Test::ArnEquals,
            "ArnLike" => Test::ArnLike,
            "ArnNotEquals" => Test::ArnNotEquals,
            "ArnNotLike" => Test::ArnNotLike,
            "Bool" => Test::Bool,
            "Null" => Test::Null,
            _ => return None,
        };
        Some(Operator { test, if_exists })
    }

    fn negated(self) -> bool {
        matches!(
            self.test,
            Test::StringNotEquals
                | Test::StringNotEqualsIgnoreCase
                | Test::StringNotLike
                | Test::ArnNotEquals
                | Test::ArnNotLike
        )
    }

    /// Whether the request's value of a key satisfies the operator for any of the policy's values.
    fn holds(self, value: Option<&str>, wanted: &[String]) -> bool {
        if self.test == Test::Null {
            let absent = value.is_none();
            return wanted.iter().any(|w| w.eq_ignore_ascii_case(if absent { "true" } else { "false" }));
        }
        let Some(v) = value else {
            // A missing key satisfies negated operators and `...IfExists`, nothing else.
            return self.if_exists || self.negated();
        };
        let positive = match self.test {
            Test::StringEquals | Test::StringNotEquals | Test::ArnEquals | Test::ArnNotEquals => {
                wanted.iter().any(|w| w == v)
            }
            Test::StringEqualsIgnoreCase | Test::StringNotEqualsIgnoreCase => {
                wanted.iter().any(|w| w.eq_ignore_ascii_case(v))
            }
            Test::StringLike | Test::StringNotLike | Test::ArnLike | Test::ArnNotLike => {
                wanted.iter().any(|w| wildcard_match(w, v, false))
            }
            Test::Bool => wanted.iter().any(|w| w.eq_ignore_ascii_case(v)),
            Test::Null => unreachable!("handled above"),
        };
        positive != self.negated()
    }
}

/// One request to AWS: who (for trust policies), what, on which resource, with which context.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub action: String,
    pub resource: String,
    /// `(kind, value)`, e.g. `("Federated", "arn:aws:iam::…:oidc-provider/token.actions.githubusercontent.com")`.
    pub principal: Option<(String, String)>,
    /// Condition keys (matched case-insensitively) and their values.
    pub context: BTreeMap<String, String>,
}

impl Request {
    pub fn new(action: &str, resource: &str) -> Request {
        Request { action: action.to_owned(), resource: resource.to_owned(), ..Default::default() }
    }

    pub fn by(mut self, kind: &str, principal: &str) -> Request {
        self.principal = Some((kind.to_owned(), principal.to_owned()));
        self
    }

    pub fn with(mut self, key: &str, value: &str) -> Request {
        self.context.insert(key.to_ascii_lowercase(), value.to_owned());
        self
    }

    fn value(&self, key: &str) -> Option<&str> {
        self.context.get(&key.to_ascii_lowercase()).map(String::as_str)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    ExplicitlyDenied,
    /// No statement allows it (IAM's default deny).
    ImplicitlyDenied,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allowed
    }
}

/// Whether one statement applies to the request, its effect aside.
pub fn statement_applies(s: &Statement, req: &Request) -> bool {
    let action = match (&s.action, &s.not_action) {
        (Some(a), _) => a.as_slice().iter().any(|p| action_matches(p, &req.action)),
        (None, Some(n)) => !n.as_slice().iter().any(|p| action_matches(p, &req.action)),
        (None, None) => false,
    };
    // A trust policy has no resource: the role itself is the resource.
    let resource = match (&s.resource, &s.not_resource) {
        (Some(r), _) => r.as_slice().iter().any(|p| resource_matches(p, &req.resource)),
        (None, Some(n)) => !n.as_slice().iter().any(|p| resource_matches(p, &req.resource)),
        (None, None) => true,
    };
    let principal_matches = |p: &super::document::Principal| match &req.principal {
        Some((kind, value)) => p.values(kind).iter().any(|v| *v == "*" || v == value),
        None => false,
    };
    let principal = match (&s.principal, &s.not_principal) {
        (Some(p), _) => principal_matches(p),
        (None, Some(n)) => !principal_matches(n),
        // An identity policy names no principal: the role it is attached to.
        (None, None) => true,
    };
    action && resource && principal && conditions_hold(s, req)
}

fn conditions_hold(s: &Statement, req: &Request) -> bool {
    let Some(conditions) = &s.condition else { return true };
    conditions.iter().all(|(op, keys)| {
        // An operator IAM would refuse never grants; in a Deny it still denies (see `evaluate`).
        let Some(op) = Operator::parse(op) else { return false };
        keys.iter().all(|(key, values)| {
            let wanted: Vec<String> = values.as_slice().iter().map(scalar).collect();
            op.holds(req.value(key), &wanted)
        })
    })
}

/// IAM's decision for a request against every policy of a role.
pub fn evaluate(policies: &[&PolicyDocument], req: &Request) -> Decision {
    let statements = || policies.iter().flat_map(|p| p.statements());
    let denies = statements().filter(|s| s.effect == Effect::Deny).any(|s| {
        let unknown_operator = s.condition.iter().flat_map(|c| c.keys()).any(|op| Operator::parse(op).is_none());
        let mut unconditioned = s.clone();
        unconditioned.condition = None;
        if unknown_operator { statement_applies(&unconditioned, req) } else { statement_applies(s, req) }
    });
    if denies {
        Decision::ExplicitlyDenied
    } else if statements().filter(|s| s.effect == Effect::Allow).any(|s| statement_applies(s, req)) {
        Decision::Allowed
    } else {
        Decision::ImplicitlyDenied
    }
}
