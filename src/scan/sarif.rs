//! SARIF 2.1.0 for GitHub code scanning: one run, every rule with its severity as
//! `security-severity`, every finding at its file and line, suppressions with their reasons.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag, Region,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, Run, SCHEMA_URL, Sarif, Suppression, Tool,
    ToolComponent,
};

use super::{RULES, ScanReport, Severity};

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

pub fn to_sarif(report: &ScanReport) -> Value {
    let rules: Vec<ReportingDescriptor> = RULES
        .iter()
        .map(|r| {
            let mut props = BTreeMap::new();
            props.insert("security-severity".to_owned(), json!(security_severity(r.severity)));
            let tags: Vec<&str> = ["security", r.trivy, r.checkov].into_iter().filter(|t| *t != "-").collect();
            props.insert("tags".to_owned(), json!(tags));
            ReportingDescriptor::builder()
                .id(r.id.to_owned())
                .name(r.id.replace('-', ""))
                .short_description(MultiformatMessageString::builder().text(r.title.to_owned()).build())
                .full_description(
                    MultiformatMessageString::builder()
                        .text(format!("{} (Trivy {}, Checkov {})", r.title, r.trivy, r.checkov))
                        .build(),
                )
                .help(MultiformatMessageString::builder().text(r.remediation.to_owned()).build())
                .default_configuration(ReportingConfiguration::builder().level(json!(level(r.severity))).build())
                .properties(PropertyBag::builder().additional_properties(props).build())
                .build()
        })
        .collect();
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|f| {
            let rule_index = RULES.iter().position(|r| r.id == f.rule.id).unwrap_or(0);
            let location = Location::builder()
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(ArtifactLocation::builder().uri(f.file.clone()).build())
                        // GitHub refuses line 0: a finding about a whole file points at its first line.
                        .region(Region::builder().start_line(f.line.max(1) as i64).build())
                        .build(),
                )
                .build();
            let mut fingerprints = BTreeMap::new();
            fingerprints.insert("stagegate/v1".to_owned(), format!("{}:{}:{}", f.rule.id, f.resource, f.file));
            let result = SarifResult::builder()
                .rule_id(f.rule.id.to_owned())
                .rule_index(rule_index as i64)
                .level(
                    serde_json::from_value(json!(level(f.rule.severity)))
                        .unwrap_or(serde_sarif::sarif::ResultLevel::Warning),
                )
                .message(Message::builder().text(format!("{} [{}]", f.message, f.resource)).build())
                .locations(vec![location])
                .partial_fingerprints(fingerprints);
            match &f.suppressed {
                Some(s) => result
                    .suppressions(vec![
                        Suppression::builder()
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
