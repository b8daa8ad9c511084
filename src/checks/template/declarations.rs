//! R08: the variables a template may use, as its sample data declares them, and the check
//! that every placeholder resolves to one and every declared one is used.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::mustache::{ScanProblem, TagKind};
use super::{ALLOW_UNESCAPED, mustache, rule};
use crate::checks::validate::diagnostic::Diagnostic;
use crate::checks::validate::json::{JsonDocument, JsonPath};

/// One declared variable: its dotted ID (`items.description`) and where the sample declares it.
struct Declared {
    path: JsonPath,
}

/// One level of lookup: the keys a context offers, and the ID prefix of those keys.
struct Scope<'v> {
    prefix: String,
    keys: BTreeMap<&'v str, (&'v Value, JsonPath)>,
}

/// The keys a value offers as a section context: an object's, or those of an array's objects.
fn scope_of<'v>(prefix: String, value: &'v Value, path: &JsonPath) -> Option<Scope<'v>> {
    let mut keys = BTreeMap::new();
    match value {
        Value::Object(o) => {
            for (k, v) in o {
                keys.insert(k.as_str(), (v, path.key(k)));
            }
        }
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                if let Value::Object(o) = item {
                    for (k, v) in o {
                        keys.entry(k.as_str()).or_insert_with(|| (v, path.index(i).key(k)));
                    }
                }
            }
            if keys.is_empty() {
                return None;
            }
        }
        _ => return None,
    }
    Some(Scope { prefix, keys })
}

/// Every variable the sample data declares, by ID.
fn declared(scope: &Scope<'_>, out: &mut BTreeMap<String, Declared>) {
    for (k, (v, path)) in &scope.keys {
        let id = format!("{}{k}", scope.prefix);
        if let Some(inner) = scope_of(format!("{id}."), v, path) {
            declared(&inner, out);
        }
        out.insert(id, Declared { path: path.clone() });
    }
}

/// Resolves a (dotted) name against the open contexts, innermost first, as Mustache does;
/// returns the IDs it went through and the value found.
fn resolve<'v>(name: &str, stack: &[Option<Scope<'v>>]) -> Option<(Vec<String>, &'v Value, JsonPath)> {
    let mut parts = name.split('.');
    let first = parts.next()?;
    let (scope, (value, path)) =
        stack.iter().rev().flatten().find_map(|s| s.keys.get(first).map(|found| (s, found.clone())))?;
    let mut ids = vec![format!("{}{first}", scope.prefix)];
    let (mut value, mut path) = (value, path);
    for part in parts {
        let id = ids.last().cloned().unwrap_or_default();
        let inner = scope_of(format!("{id}."), value, &path)?;
        let (v, p) = inner.keys.get(part).cloned()?;
        ids.push(format!("{id}.{part}"));
        value = v;
        path = p;
    }
    Some((ids, value, path))
}

/// R08 against the declaration. Returns the allow-listed unescaped variables.
pub(super) fn check_declarations(
    rel: &str,
    text: &str,
    sample_rel: &str,
    scan: &mustache::Scan,
    sample: &JsonDocument<'_>,
    findings: &mut Vec<Diagnostic>,
) -> HashSet<String> {
    let root = scope_of(String::new(), &sample.value, &JsonPath::root());
    let mut all = BTreeMap::new();
    if let Some(r) = &root {
        declared(r, &mut all);
    }
    let mut allowed = HashSet::new();
    let tags = &scan.tags;
    for tag in tags.iter().filter(|t| t.kind == TagKind::Comment) {
        let Some(rest) = tag.name.strip_prefix(ALLOW_UNESCAPED) else { continue };
        let (name, reason) = rest.split_once(':').unwrap_or((rest, ""));
        if reason.trim().is_empty() {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::ALLOW_WITHOUT_REASON,
                    format!("allow-listing {} without a reason", name.trim()),
                    "write why this variable may carry markup: {{! allow-unescaped NAME: REASON }}",
                )
                .at(tag.line, tag.column),
            );
        } else {
            allowed.insert(name.trim().to_owned());
        }
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut stack: Vec<Option<Scope<'_>>> = vec![root];
    for tag in tags {
        match tag.kind {
            TagKind::Escaped | TagKind::Unescaped | TagKind::Section | TagKind::Inverted => {
                let found = if tag.name == "." { None } else { resolve(&tag.name, &stack) };
                if tag.name != "." && found.is_none() {
                    findings.push(
                        Diagnostic::new(
                            rel,
                            rule::UNDECLARED,
                            format!("{{{{{}}}}} is not declared in {sample_rel}", tag.name),
                            format!("add {:?} to {sample_rel}, or fix the name", tag.name),
                        )
                        .at(tag.line, tag.column),
                    );
                }
                if let Some((ids, _, _)) = &found {
                    used.extend(ids.iter().cloned());
                }
                if tag.kind == TagKind::Unescaped && !allowed.contains(&tag.name) {
                    findings.push(
                        Diagnostic::new(
                            rel,
                            rule::UNESCAPED,
                            format!("{} writes {} without HTML escaping", tag.source(text), tag.name),
                            format!(
                                "use {{{{{}}}}}, or allow-list it with {{{{! allow-unescaped {}: REASON }}}}",
                                tag.name, tag.name
                            ),
                        )
                        .at(tag.line, tag.column),
                    );
                }
                if matches!(tag.kind, TagKind::Section | TagKind::Inverted) {
                    let context = match (&found, tag.kind) {
                        (Some((ids, value, path)), TagKind::Section) => {
                            scope_of(format!("{}.", ids.last().cloned().unwrap_or_default()), value, path)
                        }
                        _ => None,
                    };
                    stack.push(context);
                }
            }
            TagKind::Close if stack.len() > 1 => {
                stack.pop();
            }
            _ => {}
        }
    }
    // A scan that stopped early has not seen every use.
    let complete = !scan.problems.iter().any(|p| matches!(p, ScanProblem::Unterminated { .. }))
        && !tags.iter().any(|t| t.kind == TagKind::Delimiters);
    for (id, d) in all.iter().filter(|_| complete) {
        if !used.contains(id) {
            findings.push(sample.finding(
                sample_rel,
                rule::UNUSED,
                &d.path,
                format!("{id} is declared but {rel} never uses it"),
                "remove it from the sample data, or use it in the template",
            ));
        }
    }
    allowed
}
