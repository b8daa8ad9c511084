//! `stagegate scan` (R05): the security rules of LLD 7.3.2 (tfsec, fail on HIGH/CRITICAL) and
//! 7.9.3 on the desired configuration: table definitions, environment files and pipeline.yml.
//! Each rule has a stable ID and names its Trivy (AVD) and Checkov equivalents.
//!
//! Bucket settings are stagegate's secure defaults unless an environment file or pipeline.yml
//! overrides them (see the README); a finding is an override that weakens them.
//! Suppressions need a written reason: inline in an environment file
//! (`# stagegate:ignore SG-S3-006 REASON`, for that file) or in `scan-suppressions.yml`.

pub mod deployer;
mod rules;

use crate::checks::sarif::{SarifFinding, SarifRule, sarif_log};
pub use crate::checks::sarif::{Severity, Suppression};
pub use rules::{RULES, ScanRule, rule};

use std::fmt;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use serde::Serialize;
use serde_json::Value;

use crate::Environment;
use crate::checks::validate::diagnostic::LineIndex;
use crate::checks::validate::json::{JsonDocument, JsonPath};
use crate::checks::validate::source::{self, Source};
use crate::checks::validate::{ValidateError, files_under, table};
use crate::foundation::exit;

/// The file of file-based suppressions, at the repo root.
pub const SUPPRESSIONS_FILE: &str = "scan-suppressions.yml";
/// The inline suppression marker in environment files.
pub const INLINE_MARKER: &str = "stagegate:ignore";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static ScanRule,
    /// `dynamodb/tenants`, `s3/bbws-templates-dev`, ...
    pub resource: String,
    pub file: String,
    pub line: usize,
    pub message: String,
    pub suppressed: Option<Suppression>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub repo: PathBuf,
    pub findings: Vec<Finding>,
}

impl ScanReport {
    /// The findings that count: not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    /// 1 when an unsuppressed finding is HIGH or CRITICAL.
    pub fn exit_code(&self) -> u8 {
        if self.active().any(|f| f.rule.severity.fails()) { exit::RULE_FAILED } else { exit::OK }
    }

    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "repo": self.repo.display().to_string(),
            "failed": self.exit_code() != exit::OK,
            "findings": self.findings,
        })
    }

    pub fn to_sarif(&self) -> Value {
        let rules: Vec<SarifRule> = RULES
            .iter()
            .map(|r| SarifRule {
                id: r.id,
                title: r.title,
                description: format!("{} (Trivy {}, Checkov {})", r.title, r.trivy, r.checkov),
                help: r.remediation,
                severity: r.severity,
                tags: ["security", r.trivy, r.checkov].into_iter().filter(|t| *t != "-").collect(),
            })
            .collect();
        let findings: Vec<SarifFinding> = self
            .findings
            .iter()
            .map(|f| SarifFinding {
                rule_id: f.rule.id,
                severity: f.rule.severity,
                message: format!("{} [{}]", f.message, f.resource),
                file: &f.file,
                line: f.line,
                column: 0,
                fingerprint: format!("{}:{}:{}", f.rule.id, f.resource, f.file),
                suppression: f.suppressed.as_ref(),
            })
            .collect();
        sarif_log(&rules, &findings)
    }
}

impl fmt::Display for ScanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for x in &self.findings {
            let r = x.rule;
            let loc = if x.line > 0 { format!("{}:{}", x.file, x.line) } else { x.file.clone() };
            match &x.suppressed {
                None => writeln!(
                    f,
                    "{loc}: {} {}: {} [{}] ({} / {})",
                    r.severity.label(),
                    r.id,
                    x.message,
                    x.resource,
                    r.trivy,
                    r.checkov
                )?,
                Some(s) => writeln!(
                    f,
                    "{loc}: suppressed {} {}: {} [{}] — {} ({})",
                    r.severity.label(),
                    r.id,
                    x.message,
                    x.resource,
                    s.reason,
                    s.at
                )?,
            }
            if x.suppressed.is_none() {
                writeln!(f, "    fix: {}", r.remediation)?;
            }
        }
        let failing = self.active().filter(|x| x.rule.severity.fails()).count();
        let active = self.active().count();
        writeln!(
            f,
            "{}: {active} finding{} ({failing} HIGH or CRITICAL), {} suppressed",
            self.repo.display(),
            if active == 1 { "" } else { "s" },
            self.findings.len() - active
        )
    }
}

/// Scans the repo at `dir`.
pub fn scan(dir: &Path) -> Result<ScanReport, ValidateError> {
    scan_with_actions(dir, None)
}

/// Scans the repo at `dir` and, given the calls an apply made in one environment, checks that
/// environment's deployer permissions allow each of them (SG-IAM-003).
pub fn scan_with_actions(
    dir: &Path,
    applied: Option<(Environment, &[crate::aws::RecordedCall])>,
) -> Result<ScanReport, ValidateError> {
    let root = crate::checks::validate::open(dir)?;
    let mut findings = Vec::new();
    tables(&root, &mut findings);
    let mut inline = Vec::new();
    for env in Environment::ALL {
        environment(&root, env, &mut findings, &mut inline);
    }
    state_bucket(&root, &mut findings);
    deployer::deployer_roles(&root, &mut findings);
    if let Some((env, calls)) = applied {
        deployer::sufficiency(&root, env, calls, &mut findings);
    }
    let file_based = file_suppressions(&root, &mut findings);
    for (rule_id, file, suppression) in inline {
        for f in findings.iter_mut().filter(|f| f.rule.id == rule_id && f.file == file && f.suppressed.is_none()) {
            f.suppressed = Some(suppression.clone());
        }
    }
    for (rule_id, resource, suppression) in file_based {
        for f in findings.iter_mut().filter(|f| {
            f.rule.id == rule_id && resource.as_ref().is_none_or(|r| *r == f.resource) && f.suppressed.is_none()
        }) {
            f.suppressed = Some(suppression.clone());
        }
    }
    Ok(ScanReport { repo: root, findings })
}

fn push(findings: &mut Vec<Finding>, id: &str, resource: String, file: &str, line: usize, message: String) {
    findings.push(Finding { rule: rule(id), resource, file: file.to_owned(), line, message, suppressed: None });
}

/// SG-DDB-001 and SG-DDB-002 on every table definition.
fn tables(root: &Path, findings: &mut Vec<Finding>) {
    for rel in files_under(root, "schemas", ".json") {
        let Ok(source) = Source::read(root, &rel, source::JSON_FILE) else { continue };
        let Some(doc) = JsonDocument::parse(&source, &mut Vec::new()) else { continue };
        if !table::is_table_definition(&rel, &doc.value) {
            continue;
        }
        let name = doc.value["TableName"].as_str().unwrap_or("?");
        let resource = format!("dynamodb/{name}");
        let pitr = JsonPath::root().key("Stagegate").key("PointInTimeRecovery");
        if doc.value["Stagegate"]["PointInTimeRecovery"] != Value::Bool(true) {
            push(
                findings,
                "SG-DDB-001",
                resource.clone(),
                &rel,
                doc.position(&pitr).0,
                format!("table {name} does not enable point-in-time recovery"),
            );
        }
        let sse = &doc.value["SSESpecification"];
        let cmk = sse["Enabled"] == Value::Bool(true)
            && sse["SSEType"] == "KMS"
            && sse["KMSMasterKeyId"].as_str().is_some_and(|k| !k.is_empty() && !k.ends_with("alias/aws/dynamodb"));
        if !cmk {
            let at = JsonPath::root().key("SSESpecification");
            push(
                findings,
                "SG-DDB-002",
                resource,
                &rel,
                doc.position(&at).0,
                format!("table {name} is encrypted with an AWS-owned or AWS-managed key"),
            );
        }
    }
}

/// The templates bucket and PITR overrides of one environment file, and its inline suppressions.
fn environment(
    root: &Path,
    env: Environment,
    findings: &mut Vec<Finding>,
    inline: &mut Vec<(String, String, Suppression)>,
) {
    let rel = format!("environments/{}.tfvars", env.name());
    let Ok(source) = Source::read(root, &rel, source::ENVIRONMENT_FILE) else { return };
    let text = source.body();
    let Ok(body) = hcl_edit::parser::parse_body(text) else { return };
    let lines = LineIndex::new(text);
    let line_of = |span: Option<std::ops::Range<usize>>| span.map_or(0, |s| lines.position(s.start).0);
    let bucket = body
        .get_attribute("templates_bucket_name")
        .and_then(|a| a.value.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("bbws-templates-{}", env.name()));
    let resource = format!("s3/{bucket}");
    let is_false = |e: &Expression| matches!(e, Expression::Bool(b) if !*b.value());

    if let Some(a) = body.get_attribute("templates_bucket_public_access_block")
        && let Expression::Object(o) = &a.value
    {
        for (flag, id) in [
            ("block_public_acls", "SG-S3-001"),
            ("block_public_policy", "SG-S3-002"),
            ("ignore_public_acls", "SG-S3-003"),
            ("restrict_public_buckets", "SG-S3-004"),
        ] {
            let off = o.iter().find(|(k, _)| object_key(k) == flag).map(|(_, v)| v);
            if let Some(v) = off.filter(|v| is_false(v.expr())) {
                push(
                    findings,
                    id,
                    resource.clone(),
                    &rel,
                    line_of(v.expr().span()),
                    format!("{bucket}: {flag} = false"),
                );
            }
        }
    }
    if let Some(a) = body.get_attribute("templates_bucket_encryption") {
        let value = a.value.as_str().unwrap_or("");
        if !matches!(value, "AES256" | "aws:kms" | "aws:kms:dsse") {
            push(
                findings,
                "SG-S3-005",
                resource.clone(),
                &rel,
                line_of(a.span()),
                format!("{bucket}: default encryption {value:?}"),
            );
        }
    }
    if let Some(a) = body.get_attribute("templates_bucket_versioning").filter(|a| is_false(&a.value)) {
        push(
            findings,
            "SG-S3-006",
            resource.clone(),
            &rel,
            line_of(a.span()),
            format!("{bucket}: versioning disabled"),
        );
    }
    if let Some(a) = body.get_attribute("enable_point_in_time_recovery").filter(|a| is_false(&a.value)) {
        push(
            findings,
            "SG-DDB-001",
            format!("dynamodb/* ({})", env.name()),
            &rel,
            line_of(a.span()),
            format!("{} turns point-in-time recovery off for every table", env.label()),
        );
    }
    for (i, line) in text.lines().enumerate() {
        let Some(comment) = line.trim_start().strip_prefix('#').or_else(|| line.trim_start().strip_prefix("//")) else {
            continue;
        };
        let Some(rest) = comment.trim().strip_prefix(INLINE_MARKER) else { continue };
        let mut words = rest.trim().splitn(2, char::is_whitespace);
        let id = words.next().unwrap_or("").to_owned();
        let reason = words.next().unwrap_or("").trim().to_owned();
        let at = format!("{rel}:{}", i + 1);
        if reason.is_empty() {
            push(
                findings,
                "SG-SUP-001",
                format!("suppression of {id}"),
                &rel,
                i + 1,
                format!("{id} is suppressed without a reason"),
            );
        } else {
            inline.push((id, rel.clone(), Suppression { reason, at, inline: true }));
        }
    }
}

fn object_key(k: &hcl_edit::expr::ObjectKey) -> String {
    match k {
        hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_owned(),
        hcl_edit::expr::ObjectKey::Expression(e) => e.as_str().unwrap_or_default().to_owned(),
    }
}

/// SG-STATE-001 and SG-STATE-002 from pipeline.yml's `state:` overrides.
fn state_bucket(root: &Path, findings: &mut Vec<Finding>) {
    let Ok(text) = std::fs::read_to_string(root.join("pipeline.yml")) else { return };
    let Ok(yaml) = serde_norway::from_str::<serde_norway::Value>(&text) else { return };
    let state = &yaml["state"];
    let line_of =
        |key: &str| text.lines().position(|l| l.trim_start().starts_with(&format!("{key}:"))).map_or(0, |i| i + 1);
    let bucket = state["bucket"].as_str().unwrap_or("bbws-terraform-state-{env}").to_owned();
    if let Some(enc) = state.get("encryption") {
        let value = enc.as_str().unwrap_or("");
        if !matches!(value, "AES256" | "aws:kms" | "aws:kms:dsse") {
            push(
                findings,
                "SG-STATE-001",
                format!("s3/{bucket}"),
                "pipeline.yml",
                line_of("encryption"),
                format!("state bucket encryption {value:?}"),
            );
        }
    }
    if state.get("versioning").and_then(serde_norway::Value::as_bool) == Some(false) {
        push(
            findings,
            "SG-STATE-002",
            format!("s3/{bucket}"),
            "pipeline.yml",
            line_of("versioning"),
            "state bucket versioning disabled".into(),
        );
    }
}

/// `scan-suppressions.yml`: `suppressions: [{rule, resource?, reason}]`.
fn file_suppressions(root: &Path, findings: &mut Vec<Finding>) -> Vec<(String, Option<String>, Suppression)> {
    let mut out = Vec::new();
    let Ok(text) = std::fs::read_to_string(root.join(SUPPRESSIONS_FILE)) else { return out };
    let Ok(yaml) = serde_norway::from_str::<serde_norway::Value>(&text) else {
        push(
            findings,
            "SG-SUP-001",
            "suppressions".into(),
            SUPPRESSIONS_FILE,
            1,
            format!("{SUPPRESSIONS_FILE} is not YAML, so none of its suppressions has a reason"),
        );
        return out;
    };
    let entries = yaml["suppressions"].as_sequence().cloned().unwrap_or_default();
    let rule_lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().trim_start_matches("- ").starts_with("rule:"))
        .map(|(i, _)| i + 1)
        .collect();
    for (i, e) in entries.iter().enumerate() {
        let id = e["rule"].as_str().unwrap_or("").to_owned();
        let resource = e["resource"].as_str().map(str::to_owned);
        let reason = e["reason"].as_str().unwrap_or("").trim().to_owned();
        let line = rule_lines.get(i).copied().unwrap_or(1);
        if reason.is_empty() {
            push(
                findings,
                "SG-SUP-001",
                format!("suppression of {id}"),
                SUPPRESSIONS_FILE,
                line,
                format!("{id} is suppressed without a reason"),
            );
        } else {
            out.push((id, resource, Suppression { reason, at: format!("{SUPPRESSIONS_FILE}:{line}"), inline: false }));
        }
    }
    out
}
