//! IAM policy documents as AWS writes them: `Statement` is one object or an array; `Action`,
//! `NotAction`, `Resource`, `NotResource` and principals are one string or an array; condition
//! values are strings, booleans or numbers, one or many.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One value or an array of them, as IAM accepts for most fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    // Many first: a condition value (any JSON) written as an array is many values, not one.
    Many(Vec<T>),
    One(T),
}

impl<T> OneOrMany<T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(x) => std::slice::from_ref(x),
            OneOrMany::Many(xs) => xs,
        }
    }

    /// Whether the field was written as an array (for the JSON path of its elements).
    pub fn is_array(&self) -> bool {
        matches!(self, OneOrMany::Many(_))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// `"*"` or a map of principal kinds (`AWS`, `Federated`, `Service`, `CanonicalUser`) to values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Principal {
    Any(String),
    Of(BTreeMap<String, OneOrMany<String>>),
}

impl Principal {
    /// The values of one kind (`Federated`, ...); `"*"` for `Principal: "*"`.
    pub fn values(&self, kind: &str) -> Vec<&str> {
        match self {
            Principal::Any(s) => vec![s.as_str()],
            Principal::Of(m) => {
                m.get(kind).map(|v| v.as_slice().iter().map(String::as_str).collect()).unwrap_or_default()
            }
        }
    }
}

/// `operator → condition key → values`, e.g. `StringEquals → token.actions.githubusercontent.com:aud → [sts.amazonaws.com]`.
pub type Conditions = BTreeMap<String, BTreeMap<String, OneOrMany<Value>>>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Statement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: Effect,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_principal: Option<Principal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<OneOrMany<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_action: Option<OneOrMany<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_resource: Option<OneOrMany<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Conditions>,
}

/// A condition value as IAM compares it: strings as written, booleans and numbers as text.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PolicyDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub statement: OneOrMany<Statement>,
}

/// Why a document is not a usable policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("line {line}, column {column}: {reason}")]
    Syntax { line: usize, column: usize, reason: String },
    #[error("not an IAM policy document: {0}")]
    Shape(String),
    #[error("Version must be \"2012-10-17\" (found {0:?}); without it policy variables are read literally")]
    Version(Option<String>),
    #[error("statement {0}: exactly one of Action and NotAction is required")]
    Action(usize),
    #[error("statement {0}: exactly one of Resource and NotResource is required")]
    Resource(usize),
    #[error("statement {0}: unknown condition operator {1:?}")]
    Operator(usize, String),
}

/// What a policy is attached to: a role's trust (who may assume it) or its permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Trust,
    Permissions,
}

impl PolicyDocument {
    pub fn parse(text: &str, kind: PolicyKind) -> Result<PolicyDocument, PolicyError> {
        let shape = |e: serde_json::Error| PolicyError::Shape(e.to_string());
        let value: Value = serde_json::from_str(text).map_err(|e| {
            let reason = e.to_string();
            let reason = reason.split(" at line ").next().unwrap_or(&reason).to_owned();
            PolicyError::Syntax { line: e.line(), column: e.column(), reason }
        })?;
        // Each statement alone, so that a wrong field is named rather than lost in `OneOrMany`.
        let statements = match value.get("Statement") {
            Some(Value::Array(list)) => list.clone(),
            Some(one) => vec![one.clone()],
            None => Vec::new(),
        };
        for (i, s) in statements.into_iter().enumerate() {
            serde_json::from_value::<Statement>(s).map_err(|e| PolicyError::Shape(format!("statement {i}: {e}")))?;
        }
        let doc: PolicyDocument = serde_json::from_value(value).map_err(shape)?;
        doc.check(kind)?;
        Ok(doc)
    }

    pub fn statements(&self) -> &[Statement] {
        self.statement.as_slice()
    }

    /// The rules IAM itself enforces when a policy is saved.
    pub fn check(&self, kind: PolicyKind) -> Result<(), PolicyError> {
        if self.version.as_deref() != Some("2012-10-17") {
            return Err(PolicyError::Version(self.version.clone()));
        }
        for (i, s) in self.statements().iter().enumerate() {
            if s.action.is_some() == s.not_action.is_some() {
                return Err(PolicyError::Action(i));
            }
            if kind == PolicyKind::Permissions && s.resource.is_some() == s.not_resource.is_some() {
                return Err(PolicyError::Resource(i));
            }
            for op in s.condition.iter().flat_map(|c| c.keys()) {
                if crate::checks::iam::evaluate::Operator::parse(op).is_none() {
                    return Err(PolicyError::Operator(i, op.clone()));
                }
            }
        }
        Ok(())
    }
}
