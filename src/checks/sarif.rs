//! SARIF 2.1.0 for GitHub code scanning: one run, every rule with its severity as
//! `security-severity`, every finding at its file and line, suppressions with their reasons.
//! `scan` and `lint-workflows` both write it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag, Region,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, Run, SCHEMA_URL, Sarif, Tool, ToolComponent,
};

/// How bad a finding of `scan` or `lint-workflows` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Findings at or above HIGH fail the scan (LLD 7.3.2).
    pub fn fails(self) -> bool {
        self >= Severity::High
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// A finding that is kept but does not fail the check, with the written reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub reason: String,
    /// `file:line` of the suppression.
    pub at: String,
    pub inline: bool,
}

/// GitHub's scale: critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low below.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// One rule as code scanning lists it.
pub struct SarifRule<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub description: String,
    pub help: &'a str,
    pub severity: Severity,
    pub tags: Vec<&'a str>,
}

/// One finding at its file, line and (when known, else 0) column.
pub struct SarifFinding<'a> {
    pub rule_id: &'a str,
    pub severity: Severity,
    pub message: String,
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub fingerprint: String,
    pub suppression: Option<&'a Suppression>,
}

/// A SARIF 2.1.0 log of one stagegate run.
pub fn sarif_log(rules: &[SarifRule], findings: &[SarifFinding]) -> Value {
    let rules: Vec<ReportingDescriptor> = rules
        .iter()
        .map(|r| {
            let mut props = BTreeMap::new();
            props.insert("security-severity".to_owned(), json!(security_severity(r.severity)));
            props.insert("tags".to_owned(), json!(r.tags));
            ReportingDescriptor::builder()
                .id(r.id.to_owned())
                .name(r.id.replace('-', ""))
                .short_description(MultiformatMessageString::builder().text(r.title.to_owned()).build())
                .full_description(MultiformatMessageString::builder().text(r.description.clone()).build())
                .help(MultiformatMessageString::builder().text(r.help.to_owned()).build())
                .default_configuration(ReportingConfiguration::builder().level(json!(level(r.severity))).build())
                .properties(PropertyBag::builder().additional_properties(props).build())
                .build()
        })
        .collect();
    let results: Vec<SarifResult> = findings
        .iter()
        .map(|f| {
            // GitHub refuses line 0: a finding about a whole file points at its first line.
            let region = match f.column {
                0 => Region::builder().start_line(f.line.max(1) as i64).build(),
                c => Region::builder().start_line(f.line.max(1) as i64).start_column(c as i64).build(),
            };
            let location = Location::builder()
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(ArtifactLocation::builder().uri(f.file.to_owned()).build())
                        .region(region)
                        .build(),
                )
                .build();
            let mut fingerprints = BTreeMap::new();
            fingerprints.insert("stagegate/v1".to_owned(), f.fingerprint.clone());
            let result = SarifResult::builder()
                .rule_id(f.rule_id.to_owned())
                .rule_index(rules.iter().position(|r| r.id == f.rule_id).unwrap_or(0) as i64)
                .level(
                    serde_json::from_value(json!(level(f.severity)))
                        .unwrap_or(serde_sarif::sarif::ResultLevel::Warning),
                )
                .message(Message::builder().text(f.message.clone()).build())
                .locations(vec![location])
                .partial_fingerprints(fingerprints);
            match f.suppression {
                Some(s) => result
                    .suppressions(vec![
                        serde_sarif::sarif::Suppression::builder()
                            .kind(json!(if s.inline { "inSource" } else { "external" }))
                            .justification(s.reason.clone())
                            .build(),
                    ])
                    .build(),
                None => result.build(),
            }
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("stagegate".to_owned())
        .version(env!("CARGO_PKG_VERSION").to_owned())
        .rules(rules)
        .build();
    let sarif = Sarif::builder()
        .schema(SCHEMA_URL.to_owned())
        .version(json!("2.1.0"))
        .runs(vec![Run::builder().tool(Tool::builder().driver(driver).build()).results(results).build()])
        .build();
    serde_json::to_value(sarif).unwrap_or(Value::Null)
}
