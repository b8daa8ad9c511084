//! R03: environment files (`environments/{dev,sit,prod}.tfvars`, HCL parsed by hcl-edit, which
//! keeps positions): required variables, the account of that environment, a real region.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use hcl_edit::Span;
use hcl_edit::expr::Expression;

use super::diagnostic::{Diagnostic, LineIndex};
use super::source::{self, Source};
use crate::Environment;

pub mod rule {
    pub const SYNTAX: &str = "R03/syntax";
    pub const UNKNOWN_ENVIRONMENT: &str = "R03/unknown-environment";
    pub const MISSING_FILE: &str = "R03/missing-file";
    pub const MISSING_VARIABLE: &str = "R03/missing-variable";
    pub const DUPLICATE_VARIABLE: &str = "R03/duplicate-variable";
    pub const NOT_A_VARIABLE: &str = "R03/not-a-variable";
    pub const WRONG_TYPE: &str = "R03/wrong-type";
    pub const ENVIRONMENT_MISMATCH: &str = "R03/environment-mismatch";
    pub const ACCOUNT_FORMAT: &str = "R03/account-format";
    pub const ACCOUNT_MISMATCH: &str = "R03/account-mismatch";
    pub const REGION: &str = "R03/region";
    /// Otherwise valid, but not what plan and apply read (`config::EnvironmentFile`).
    pub const SHAPE: &str = "R03/shape";
}

/// Variables every environment file sets (strings).
pub const REQUIRED: [&str; 4] = ["environment", "aws_account_id", "aws_region", "templates_bucket_name"];
/// Optional variables with their types, checked when present.
const BOOLEANS: [&str; 3] = ["enable_point_in_time_recovery", "enable_deletion_protection", "backup_plan_required"];

/// AWS regions (commercial, GovCloud and China partitions).
pub const REGIONS: [&str; 38] = [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// What `pipeline.yml` says of one environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvironmentPolicy {
    pub account_id: Option<String>,
    pub region: Option<String>,
}

/// Accounts and regions per environment from `pipeline.yml`; the LLD's accounts when the repo
/// has no pipeline.yml.
pub fn policies(root: &Path, findings: &mut Vec<Diagnostic>) -> BTreeMap<Environment, EnvironmentPolicy> {
    let lld = || {
        Environment::ALL
            .into_iter()
            .map(|e| (e, EnvironmentPolicy { account_id: Some(e.account_id().to_owned()), region: None }))
            .collect()
    };
    let Ok(text) = std::fs::read_to_string(root.join("pipeline.yml")) else { return lld() };
    let yaml: serde_norway::Value = match serde_norway::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            findings.push(
                Diagnostic::new("pipeline.yml", rule::SYNTAX, format!("not YAML: {e}"), "fix the YAML syntax")
                    .at(line, column),
            );
            return lld();
        }
    };
    let mut out = BTreeMap::new();
    for env in Environment::ALL {
        let e = &yaml["environments"][env.name()];
        let text = |v: &serde_norway::Value| v.as_str().map(str::to_owned);
        out.insert(env, EnvironmentPolicy { account_id: text(&e["account_id"]), region: text(&e["region"]) });
    }
    out
}

/// R03 on every `environments/*.tfvars` of the repo.
pub fn check_all(root: &Path) -> (usize, Vec<Diagnostic>) {
    let mut findings = Vec::new();
    let dir = root.join("environments");
    // A repo with a pipeline policy deploys somewhere, so it needs its environment files.
    if !dir.is_dir() && !root.join("pipeline.yml").is_file() {
        return (0, findings);
    }
    let policies = policies(root, &mut findings);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tfvars"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut seen = HashSet::new();
    for name in &files {
        let rel = format!("environments/{name}");
        let stem = name.trim_end_matches(".tfvars");
        match stem.parse::<Environment>() {
            Ok(env) if stem == env.name() => {
                seen.insert(env);
                findings.extend(check(root, &rel, env, policies.get(&env).cloned().unwrap_or_default()));
            }
            _ => findings.push(Diagnostic::new(
                &rel,
                rule::UNKNOWN_ENVIRONMENT,
                format!("{stem:?} is not an environment of this pipeline"),
                "environment files are dev.tfvars, sit.tfvars and prod.tfvars",
            )),
        }
    }
    for env in Environment::ALL {
        if !seen.contains(&env) {
            findings.push(Diagnostic::new(
                format!("environments/{}.tfvars", env.name()),
                rule::MISSING_FILE,
                format!("{} has no environment file", env.label()),
                "copy another environment's file and change its values",
            ));
        }
    }
    (files.len(), findings)
}

/// R03 on one environment file.
pub fn check(root: &Path, rel: &str, env: Environment, policy: EnvironmentPolicy) -> Vec<Diagnostic> {
    let source = match Source::read(root, rel, source::ENVIRONMENT_FILE) {
        Ok(s) => s,
        Err(d) => return vec![*d],
    };
    check_text(rel, source.body(), env, &policy)
}

/// R03 on the text of one environment file.
pub fn check_text(rel: &str, text: &str, env: Environment, policy: &EnvironmentPolicy) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(b) => b,
        Err(e) => {
            let l = e.location();
            return vec![
                Diagnostic::new(
                    rel,
                    rule::SYNTAX,
                    format!("not HCL: {}", e.message()),
                    "fix the syntax (`terraform fmt` points at the same place)",
                )
                .at(l.line(), l.column()),
            ];
        }
    };
    let lines = LineIndex::new(text);
    let at = |span: Option<std::ops::Range<usize>>| span.map_or((0, 0), |s| lines.position(s.start));
    for block in body.blocks() {
        let (line, column) = at(block.span());
        findings.push(
            Diagnostic::new(
                rel,
                rule::NOT_A_VARIABLE,
                format!("block {} in a variable file", block.ident.as_str()),
                "a .tfvars file only assigns variables: name = value",
            )
            .at(line, column),
        );
    }
    let mut strings: BTreeMap<&str, (String, (usize, usize))> = BTreeMap::new();
    let mut seen = HashSet::new();
    for attr in body.attributes() {
        let key = attr.key.as_str();
        let pos = at(attr.span());
        if !seen.insert(key) {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::DUPLICATE_VARIABLE,
                    format!("{key} is assigned twice"),
                    "Terraform refuses this; keep one",
                )
                .at(pos.0, pos.1),
            );
        }
        let value_pos = at(attr.value.span());
        if REQUIRED.contains(&key) {
            match &attr.value {
                Expression::String(s) => {
                    strings.insert(key, (s.value().clone(), value_pos));
                }
                _ => findings.push(
                    Diagnostic::new(
                        rel,
                        rule::WRONG_TYPE,
                        format!("{key} must be a quoted string"),
                        format!("{key} = \"...\""),
                    )
                    .at(value_pos.0, value_pos.1),
                ),
            }
        }
        if BOOLEANS.contains(&key) && !matches!(attr.value, Expression::Bool(_)) {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::WRONG_TYPE,
                    format!("{key} must be true or false"),
                    "write true or false, unquoted",
                )
                .at(value_pos.0, value_pos.1),
            );
        }
    }
    for key in REQUIRED {
        if !seen.contains(key) {
            findings.push(Diagnostic::new(
                rel,
                rule::MISSING_VARIABLE,
                format!("{key} is not set"),
                format!("add {key} = \"...\""),
            ));
        }
    }
    if let Some((value, (l, c))) = strings.get("environment")
        && value != env.name()
    {
        findings.push(
            Diagnostic::new(
                rel,
                rule::ENVIRONMENT_MISMATCH,
                format!("environment = {value:?} in the {} file", env.name()),
                format!("set environment = \"{}\"", env.name()),
            )
            .at(*l, *c),
        );
    }
    if let Some((value, (l, c))) = strings.get("aws_account_id") {
        if value.len() != 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::ACCOUNT_FORMAT,
                    format!("account id {value:?} is not 12 digits"),
                    "AWS account ids are exactly 12 digits, leading zeros included",
                )
                .at(*l, *c),
            );
        } else if let Some(expected) = &policy.account_id
            && value != expected
        {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::ACCOUNT_MISMATCH,
                    format!("account {value} is not {}'s account {expected}", env.label()),
                    format!("{} deploys only to {expected} (pipeline.yml)", env.label()),
                )
                .at(*l, *c),
            );
        }
    }
    if let Some((value, (l, c))) = strings.get("aws_region") {
        if !REGIONS.contains(&value.as_str()) {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::REGION,
                    format!("{value:?} is not an AWS region"),
                    "use a region code such as af-south-1",
                )
                .at(*l, *c),
            );
        } else if let Some(expected) = policy.region.as_ref().filter(|r| *r != value) {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::REGION,
                    format!("region {value} differs from {expected} in pipeline.yml"),
                    format!("use {expected}, or change pipeline.yml"),
                )
                .at(*l, *c),
            );
        }
    }
    if findings.is_empty()
        && let Err(e) = crate::foundation::config::EnvironmentFile::parse(Path::new(rel), text)
    {
        findings.push(Diagnostic::new(
            rel,
            rule::SHAPE,
            e.to_string(),
            "plan and apply read this file too; see the README's table of variables",
        ));
    }
    findings
}
