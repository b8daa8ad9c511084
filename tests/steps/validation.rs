//! Steps for Stage 1 (features/validation): validate, fmt and scan on a copy of the sample repo
//! or of a named bad input. No emulator is needed.

use std::path::Path;

use cucumber::{given, then, when};
use serde_json::Value;
use stagegate::checks::scan::ScanReport;

use super::cost::Costs;
use super::security::RecordedApply;
use super::workflows::WorkflowLint;
use super::{Env, World};

/// Stage 1 of the pipeline: the checks made on a change before it is deployed.
#[derive(Debug, Default)]
pub struct Stage1 {
    /// The repo copy validated, formatted or scanned, and what was found.
    pub(super) repo: CheckedRepo,
    /// The workflows linted and what was found.
    pub(super) workflows: WorkflowLint,
    /// Cost estimates and the PR comment carrying one.
    pub(super) costs: Costs,
    /// The calls of an apply, for the deployer role's permissions and the operations it performs.
    pub(super) recorded: RecordedApply,
}

/// A scenario's copy of an infra repo, and what the last command found in it.
#[derive(Debug, Default)]
pub struct CheckedRepo {
    repo: Option<tempfile::TempDir>,
    outcome: Option<Outcome>,
    rendered: Option<String>,
}

#[derive(Debug)]
struct Outcome {
    exit: u8,
    /// `(rule, file:line[:col], JSON path)` of every active finding.
    findings: Vec<(String, String, Option<String>)>,
    scan: Option<ScanReport>,
}

impl CheckedRepo {
    pub(super) fn root(&self) -> &Path {
        self.repo.as_ref().expect("a Given step copied a repo").path()
    }

    fn outcome(&self) -> &Outcome {
        self.outcome.as_ref().expect("a When step ran a command")
    }

    /// Keeps a scan's report for the Then steps.
    pub(super) fn scanned(&mut self, report: ScanReport) {
        let findings =
            report.active().map(|f| (f.rule.id.to_owned(), format!("{}:{}", f.file, f.line), None)).collect();
        self.outcome = Some(Outcome { exit: report.exit_code(), findings, scan: Some(report) });
    }

    pub(super) fn scan_report(&self) -> &ScanReport {
        self.outcome().scan.as_ref().expect("a scan ran")
    }

    pub(super) fn copy_of(&mut self, fixture: &str) {
        self.copy_from(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(fixture));
    }

    pub(super) fn copy_from(&mut self, from: &Path) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_dir(from, dir.path());
        self.repo = Some(dir);
    }

    fn edit(&self, rel: &str, change: impl FnOnce(String) -> String) {
        let path = self.root().join(rel);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        std::fs::write(&path, change(text)).expect("the copy is writable");
    }

    pub(super) fn edit_json(&self, rel: &str, change: impl FnOnce(&mut Value)) {
        self.edit(rel, |text| {
            let mut value: Value = serde_json::from_str(&text).expect("valid JSON in the sample repo");
            change(&mut value);
            serde_json::to_string_pretty(&value).expect("JSON") + "\n"
        });
    }
}

pub(super) fn copy_dir(from: &Path, to: &Path) {
    stagegate::foundation::repo::copy_tree(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

#[given("the sample repo")]
fn sample_repo(w: &mut World) {
    w.stage1.repo.copy_of("repo");
}

#[given(expr = "the broken input {string}")]
fn broken_input(w: &mut World, name: String) {
    w.stage1.repo.copy_of(&format!("broken/{name}"));
}

#[given(expr = "table {string} declares attribute {string} of type {word} that no key uses")]
fn unused_attribute(w: &mut World, table: String, name: String, kind: String) {
    w.stage1.repo.edit_json(&format!("schemas/{table}/table.json"), |t| {
        let defs = t["AttributeDefinitions"].as_array_mut().expect("AttributeDefinitions");
        defs.push(serde_json::json!({"AttributeName": name, "AttributeType": kind}));
    });
}

#[given(expr = "the {env} environment file sets {word} to {word}")]
fn env_variable(w: &mut World, env: Env, name: String, value: String) {
    w.stage1.repo.edit(&format!("environments/{}.tfvars", env.0.name()), |text| {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        match lines.iter_mut().find(|l| l.split('=').next().is_some_and(|k| k.trim() == name)) {
            Some(line) => *line = format!("{name} = {value}"),
            None => lines.push(format!("{name} = {value}")),
        }
        lines.join("\n") + "\n"
    });
}

#[given(expr = "the {env} environment file has an inline suppression of {word} reading {string}")]
fn inline_suppression(w: &mut World, env: Env, rule: String, reason: String) {
    w.stage1.repo.edit(&format!("environments/{}.tfvars", env.0.name()), |text| {
        format!("{text}# stagegate:ignore {rule} {reason}\n")
    });
}

#[given(expr = "the scan suppressions accept {word} for {string} because {string}")]
fn file_suppression(w: &mut World, rule: String, resource: String, reason: String) {
    let yaml = format!("suppressions:\n  - rule: {rule}\n    resource: {resource:?}\n    reason: {reason:?}\n");
    std::fs::write(w.stage1.repo.root().join("scan-suppressions.yml"), yaml).expect("write");
}

#[given(expr = "the {string} template's sample data sets {word} to {string}")]
fn sample_value(w: &mut World, template: String, key: String, value: String) {
    w.stage1.repo.edit_json(&format!("templates/{template}.sample.json"), |v| v[&key] = Value::String(value));
}

#[given(expr = "the {string} template has {string} replaced by {string}")]
fn template_edit(w: &mut World, template: String, old: String, new: String) {
    w.stage1.repo.edit(&format!("templates/{template}.html"), |text| {
        assert!(text.contains(&old), "the {template} template has no {old:?}");
        text.replacen(&old, &new, 1)
    });
}

#[given(expr = "the repo's {string} has {string} replaced by {string}")]
fn file_edit(w: &mut World, file: String, old: String, new: String) {
    w.stage1.repo.edit(&file, |text| {
        assert!(text.contains(&old), "{file} has no {old:?}");
        text.replacen(&old, &new, 1)
    });
}

#[given(expr = "the repo's {string} ends with the line {string}")]
fn file_append(w: &mut World, file: String, line: String) {
    w.stage1.repo.edit(&file, |text| format!("{}\n{line}\n", text.trim_end_matches('\n')));
}

#[given(expr = "the repo's {string} holds:")]
fn file_holds(w: &mut World, file: String, step: &cucumber::gherkin::Step) {
    let path = w.stage1.repo.root().join(&file);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, format!("{}\n", step.docstring.as_ref().expect("the file's text").trim())).expect("write");
}

#[when("the repo is validated")]
fn validated(w: &mut World) {
    w.stage1.repo.outcome = Some(match stagegate::checks::validate::validate(w.stage1.repo.root()) {
        Ok(r) => Outcome {
            exit: r.exit_code(),
            findings: r.diagnostics.iter().map(|d| (d.rule.to_owned(), d.location(), d.path.clone())).collect(),
            scan: None,
        },
        Err(_) => Outcome { exit: stagegate::foundation::exit::BAD_INPUT, findings: Vec::new(), scan: None },
    });
}

#[when(expr = "formatting is {word}")]
fn formatting(w: &mut World, how: String) {
    let write = match how.as_str() {
        "checked" => false,
        "applied" => true,
        other => panic!("formatting is checked or applied, not {other}"),
    };
    let report = stagegate::checks::fmt::fmt(w.stage1.repo.root(), write).expect("a repo");
    let findings: Vec<_> = report.diagnostics().iter().map(|d| (d.rule.to_owned(), d.location(), None)).collect();
    let exit = u8::from(!report.problems.is_empty() || (!write && !report.changed.is_empty()));
    w.stage1.repo.outcome = Some(Outcome { exit, findings, scan: None });
}

#[when("the repo is scanned")]
fn scanned(w: &mut World) {
    let report = stagegate::checks::scan::scan(w.stage1.repo.root()).expect("a repo");
    w.stage1.repo.scanned(report);
}

#[when(expr = "the {string} template is rendered with its sample data")]
fn rendered(w: &mut World, template: String) {
    let root = w.stage1.repo.root();
    let text = std::fs::read_to_string(root.join(format!("templates/{template}.html"))).expect("the template");
    let data: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(format!("templates/{template}.sample.json"))).expect("sample"),
    )
    .expect("sample JSON");
    w.stage1.repo.rendered =
        Some(stagegate::checks::template::render::render(&text, &data).expect("the template renders"));
}

#[then("the check passes")]
fn passes(w: &mut World) {
    let o = w.stage1.repo.outcome();
    assert_eq!(o.exit, 0, "findings: {:?}", o.findings);
}

#[then("the check passes with no findings")]
fn passes_clean(w: &mut World) {
    let o = w.stage1.repo.outcome();
    assert_eq!((o.exit, o.findings.len()), (0, 0), "findings: {:?}", o.findings);
}

#[then(expr = "the check fails with {word} at {string}")]
fn fails_at(w: &mut World, rule: String, location: String) {
    let o = w.stage1.repo.outcome();
    assert_eq!(o.exit, 1, "findings: {:?}", o.findings);
    assert!(
        o.findings.iter().any(|(r, l, _)| *r == rule && *l == location),
        "no {rule} at {location} in {:?}",
        o.findings
    );
}

#[then(expr = "the check fails with {word} at {string}, JSON path {string}")]
fn fails_at_path(w: &mut World, rule: String, location: String, path: String) {
    let o = w.stage1.repo.outcome();
    assert_eq!(o.exit, 1, "findings: {:?}", o.findings);
    let wanted = (rule, location, Some(path));
    assert!(o.findings.contains(&wanted), "no {wanted:?} in {:?}", o.findings);
}

#[then("the input is refused as unusable")]
fn unusable(w: &mut World) {
    assert_eq!(w.stage1.repo.outcome().exit, 2);
}

#[then(expr = "{word} is reported as {word}, like Trivy {word} and Checkov {word}")]
fn scan_rule(w: &mut World, rule: String, severity: String, trivy: String, checkov: String) {
    let report = w.stage1.repo.outcome().scan.as_ref().expect("a scan ran");
    let f = report.active().find(|f| f.rule.id == rule).unwrap_or_else(|| panic!("no active {rule}"));
    assert_eq!(
        (f.rule.severity.label(), f.rule.trivy, f.rule.checkov),
        (severity.as_str(), trivy.as_str(), checkov.as_str())
    );
}

#[then(expr = "{word} is suppressed because {string}")]
fn suppressed(w: &mut World, rule: String, reason: String) {
    let report = w.stage1.repo.outcome().scan.as_ref().expect("a scan ran");
    let f = report.findings.iter().find(|f| f.rule.id == rule).unwrap_or_else(|| panic!("no {rule}"));
    assert_eq!(f.suppressed.as_ref().map(|s| s.reason.as_str()), Some(reason.as_str()));
}

#[then("the SARIF report conforms to SARIF 2.1.0")]
fn sarif(w: &mut World) {
    let sarif = w.stage1.repo.outcome().scan.as_ref().expect("a scan ran").to_sarif();
    let schema: Value = serde_json::from_str(include_str!("../data/sarif-schema-2.1.0.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(w.stage1.repo.outcome().scan.as_ref().unwrap().findings.len())
    );
}

#[then(expr = "the rendered output contains {string}")]
fn output_contains(w: &mut World, text: String) {
    let out = w.stage1.repo.rendered.as_deref().expect("a template was rendered");
    assert!(out.contains(&text), "{text:?} not in the output");
}

#[then(expr = "the rendered output does not contain {string}")]
fn output_lacks(w: &mut World, text: String) {
    let out = w.stage1.repo.rendered.as_deref().expect("a template was rendered");
    assert!(!out.contains(&text), "{text:?} is in the output");
}

#[given("point-in-time recovery of the tenants table is switched off in the sample repo")]
fn tenants_pitr_off(w: &mut World) {
    w.stage1.repo.edit_json("schemas/tenants/table.json", |t| t["Stagegate"]["PointInTimeRecovery"] = false.into());
}

#[given(regex = r"^the DEV bucket's public access block flag ([a-z_]+) is switched off in the sample repo$")]
fn dev_flag_off(w: &mut World, flag: String) {
    w.stage1.repo.edit("environments/dev.tfvars", |text| {
        let flags = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
        assert!(flags.contains(&flag.as_str()), "{flag} is not a public access block flag");
        let body: String = flags.iter().map(|f| format!("  {f:<23} = {}\n", *f != flag)).collect();
        format!("{text}\ntemplates_bucket_public_access_block = {{\n{body}}}\n")
    });
}

#[then(regex = r"^the scan (passes|fails)$")]
fn scan_verdict(w: &mut World, verdict: String) {
    let o = w.stage1.repo.outcome();
    assert_eq!(o.exit, if verdict == "passes" { 0 } else { 1 }, "findings: {:?}", o.findings);
}
