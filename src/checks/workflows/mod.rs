//! `stagegate lint-workflows` (R52): the repo's `.github/workflows/*.yml` checked against the
//! workflow matrix of LLD 7.3.1 and against what the design's own workflows get wrong: script
//! injection through dispatch inputs (F02), boolean inputs read as strings (F04), unpinned and
//! retired actions (F05), and tags pushed without `contents: write` (F10).
//!
//! Workflows are parsed with serde_norway, which also places a malformed file's error; the
//! position of every key and item comes from [`lines::SourceMap`].

mod checks;
pub mod expressions;
pub mod lines;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::checks::sarif::{SarifFinding, SarifRule, Severity, sarif_log};
use crate::foundation::exit;

pub use lines::{Position, Segment, SourceMap};

/// Where GitHub reads workflows from, relative to the repo root.
pub const WORKFLOWS_DIR: &str = ".github/workflows";

/// One workflow rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkflowRule {
    pub id: &'static str,
    pub severity: Severity,
    /// The requirement or design defect it proves (R52, F02, ...).
    pub requirement: &'static str,
    pub title: &'static str,
    /// How to fix it, in general; each finding says it for its own case.
    pub remedy: &'static str,
}

pub const RULES: [WorkflowRule; 12] = [
    WorkflowRule {
        id: "SG-WF-001",
        severity: Severity::High,
        requirement: "R52",
        title: "An apply or rollback workflow starts on something other than a manual dispatch",
        remedy: "start apply and rollback only with workflow_dispatch",
    },
    WorkflowRule {
        id: "SG-WF-002",
        severity: Severity::Medium,
        requirement: "R52",
        title: "A workflow does not start as the workflow matrix says",
        remedy: "add the events LLD 7.3.1 starts the workflow on",
    },
    WorkflowRule {
        id: "SG-WF-003",
        severity: Severity::Medium,
        requirement: "R52",
        title: "A dispatch input is missing or differs from the workflow matrix",
        remedy: "declare the input with the type, options and required flag of LLD 7.3.5/7.3.6",
    },
    WorkflowRule {
        id: "SG-WF-004",
        severity: Severity::High,
        requirement: "R52",
        title: "A workflow reads a dispatch input it does not declare, which is always empty",
        remedy: "declare the input, or stop reading it",
    },
    WorkflowRule {
        id: "SG-WF-005",
        severity: Severity::High,
        requirement: "R52",
        title: "A job that changes infrastructure declares no GitHub environment, so no protection rule applies",
        remedy: "add `environment: ${{ inputs.environment }}` to the job",
    },
    WorkflowRule {
        id: "SG-WF-006",
        severity: Severity::High,
        requirement: "R52",
        title: "An AWS role is assumed through OIDC without id-token: write",
        remedy: "grant `id-token: write` in the job's permissions",
    },
    WorkflowRule {
        id: "SG-WF-007",
        severity: Severity::High,
        requirement: "F10",
        title: "A tag is pushed without contents: write",
        remedy: "grant `contents: write` in the permissions of the job that pushes the tag",
    },
    WorkflowRule {
        id: "SG-WF-008",
        severity: Severity::Medium,
        requirement: "F05",
        title: "An action is not pinned to a full commit SHA",
        remedy: "pin the action to the full commit SHA of its release, with the tag as a comment",
    },
    WorkflowRule {
        id: "SG-WF-009",
        severity: Severity::High,
        requirement: "F05",
        title: "An action version GitHub has retired: the run fails",
        remedy: "move to v4 of the action, pinned to its commit SHA",
    },
    WorkflowRule {
        id: "SG-WF-010",
        severity: Severity::Critical,
        requirement: "F02",
        title: "A value the caller chooses is interpolated into a script: command injection",
        remedy: "pass the value through `env:` and use \"$VAR\" in the script",
    },
    WorkflowRule {
        id: "SG-WF-011",
        severity: Severity::High,
        requirement: "F04",
        title: "A boolean dispatch input is tested through github.event.inputs, where 'false' is truthy",
        remedy: "test `inputs.NAME` (a boolean) or compare `github.event.inputs.NAME == 'true'`",
    },
    WorkflowRule {
        id: "SG-WF-012",
        severity: Severity::Medium,
        requirement: "R52",
        title: "A workflow of the workflow matrix is missing",
        remedy: "add the workflow",
    },
];

pub fn rule(id: &str) -> &'static WorkflowRule {
    RULES.iter().find(|r| r.id == id).expect("a rule of RULES")
}

/// How a workflow of the matrix starts (LLD 7.3.1, "Trigger").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Trigger {
    /// Push, PR.
    PushAndPullRequest,
    /// After validation, or after apply: another workflow's completion.
    AfterWorkflow,
    /// Manual dispatch, and nothing else.
    ManualDispatch,
}

impl Trigger {
    /// The `on:` events the matrix asks for.
    pub fn events(self) -> &'static [&'static str] {
        match self {
            Trigger::PushAndPullRequest => &["push", "pull_request"],
            Trigger::AfterWorkflow => &["workflow_run"],
            Trigger::ManualDispatch => &["workflow_dispatch"],
        }
    }
}

/// The type a dispatch input must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InputKind {
    Choice(&'static [&'static str]),
    Boolean,
    Text,
}

/// One dispatch input of the matrix (LLD 7.3.5, 7.3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MatrixInput {
    pub name: &'static str,
    pub kind: InputKind,
    /// The run cannot mean anything without it: the target environment, the typed confirmation.
    pub required: bool,
}

/// One row of LLD 7.3.1's workflow matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MatrixRow {
    pub file: &'static str,
    pub trigger: Trigger,
    /// Approval: the jobs that change infrastructure run behind a GitHub environment.
    pub approval: bool,
    pub inputs: &'static [MatrixInput],
}

const ENVIRONMENTS: &[&str] = &["dev", "sit", "prod"];

pub const WORKFLOW_MATRIX: [MatrixRow; 6] = [
    MatrixRow { file: "validate-schemas.yml", trigger: Trigger::PushAndPullRequest, approval: false, inputs: &[] },
    MatrixRow { file: "validate-templates.yml", trigger: Trigger::PushAndPullRequest, approval: false, inputs: &[] },
    MatrixRow { file: "terraform-plan.yml", trigger: Trigger::AfterWorkflow, approval: false, inputs: &[] },
    MatrixRow {
        file: "terraform-apply.yml",
        trigger: Trigger::ManualDispatch,
        approval: true,
        inputs: &[
            MatrixInput { name: "environment", kind: InputKind::Choice(ENVIRONMENTS), required: true },
            MatrixInput { name: "confirmation", kind: InputKind::Text, required: true },
            MatrixInput { name: "use_stored_plan", kind: InputKind::Boolean, required: false },
        ],
    },
    MatrixRow {
        file: "rollback.yml",
        trigger: Trigger::ManualDispatch,
        approval: true,
        inputs: &[
            MatrixInput { name: "environment", kind: InputKind::Choice(ENVIRONMENTS), required: true },
            MatrixInput { name: "state_version_id", kind: InputKind::Text, required: false },
            MatrixInput { name: "deployment_tag", kind: InputKind::Text, required: false },
            MatrixInput { name: "confirmation", kind: InputKind::Text, required: true },
        ],
    },
    MatrixRow { file: "post-deploy-tests.yml", trigger: Trigger::AfterWorkflow, approval: false, inputs: &[] },
];

/// The matrix row of a workflow file name.
pub fn matrix_row(file_name: &str) -> Option<&'static MatrixRow> {
    WORKFLOW_MATRIX.iter().find(|r| r.file == file_name)
}

/// One finding: which rule, where, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static WorkflowRule,
    /// Relative to the repo root: `.github/workflows/terraform-apply.yml`.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The job the finding is in, if any.
    pub job: Option<String>,
    pub message: String,
    pub fix: String,
}

impl Finding {
    /// `file:line:column`.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Why the workflows could not be linted (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{0}: no such directory")]
    NoRepo(PathBuf),
    #[error("{0}: no workflows (.github/workflows/*.yml)")]
    NoWorkflows(PathBuf),
    #[error("{file}: cannot read: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{file}:{line}:{column}: not valid YAML: {message}")]
    Malformed { file: String, line: usize, column: usize, message: String },
    #[error("{file}: not a workflow: {what}")]
    NotAWorkflow { file: String, what: String },
}

/// What linting a repo's workflows found.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowReport {
    pub repo: PathBuf,
    /// The workflow files read, relative to the repo root.
    pub workflows: Vec<String>,
    pub findings: Vec<Finding>,
}

impl WorkflowReport {
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// 0 when clean, 1 on any finding.
    pub fn exit_code(&self) -> u8 {
        if self.passed() { exit::OK } else { exit::RULE_FAILED }
    }

    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "repo": self.repo.display().to_string(),
            "workflows": self.workflows,
            "failed": !self.passed(),
            "findings": self.findings,
        })
    }

    /// SARIF 2.1.0 for GitHub code scanning.
    pub fn to_sarif(&self) -> Value {
        let rules: Vec<SarifRule> = RULES
            .iter()
            .map(|r| SarifRule {
                id: r.id,
                title: r.title,
                description: format!("{} ({})", r.title, r.requirement),
                help: r.remedy,
                severity: r.severity,
                tags: vec!["security", "github-actions", r.requirement],
            })
            .collect();
        let findings: Vec<SarifFinding> = self
            .findings
            .iter()
            .map(|f| SarifFinding {
                rule_id: f.rule.id,
                severity: f.rule.severity,
                message: format!("{} Fix: {}", f.message, f.fix),
                file: &f.file,
                line: f.line,
                column: f.column,
                fingerprint: format!("{}:{}:{}:{}", f.rule.id, f.file, f.job.as_deref().unwrap_or(""), f.message),
                suppression: None,
            })
            .collect();
        sarif_log(&rules, &findings)
    }
}

impl fmt::Display for WorkflowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for x in &self.findings {
            let r = x.rule;
            writeln!(f, "{}: {} {} ({}): {}", x.location(), r.severity.label(), r.id, r.requirement, x.message)?;
            writeln!(f, "    fix: {}", x.fix)?;
        }
        let n = self.findings.len();
        writeln!(
            f,
            "{}: {} workflow{}, {n} finding{}",
            self.repo.display(),
            self.workflows.len(),
            if self.workflows.len() == 1 { "" } else { "s" },
            if n == 1 { "" } else { "s" }
        )
    }
}

/// One parsed workflow file.
#[derive(Debug)]
pub struct Workflow {
    /// Relative to the repo root.
    pub file: String,
    /// The file name alone: `terraform-apply.yml`.
    pub name: String,
    pub doc: serde_norway::Value,
    pub map: SourceMap,
}

impl Workflow {
    /// Parses one workflow; `file` names it in errors and findings.
    pub fn parse(file: &str, text: &str) -> Result<Workflow, WorkflowError> {
        let doc: serde_norway::Value = serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            let message = e.to_string();
            // serde_norway appends " at line L column C"; the location is already in front.
            let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
            WorkflowError::Malformed { file: file.to_owned(), line, column, message }
        })?;
        let not = |what: &str| WorkflowError::NotAWorkflow { file: file.to_owned(), what: what.to_owned() };
        let Some(map) = doc.as_mapping() else { return Err(not("the document is not a mapping")) };
        if !map.contains_key("on") {
            return Err(not("no `on:` (what starts it)"));
        }
        if !map.get("jobs").is_some_and(serde_norway::Value::is_mapping) {
            return Err(not("no `jobs:` mapping"));
        }
        let name = file.rsplit('/').next().unwrap_or(file).to_owned();
        Ok(Workflow { file: file.to_owned(), name, doc, map: SourceMap::new(text) })
    }
}

/// Lints every `.github/workflows/*.yml` (and `*.yaml`) of the repo at `dir`.
pub fn lint(dir: &Path) -> Result<WorkflowReport, WorkflowError> {
    if !dir.is_dir() {
        return Err(WorkflowError::NoRepo(dir.to_path_buf()));
    }
    let folder = dir.join(WORKFLOWS_DIR);
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .map_err(|_| WorkflowError::NoWorkflows(dir.to_path_buf()))?
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(WorkflowError::NoWorkflows(dir.to_path_buf()));
    }
    let mut workflows = Vec::new();
    for name in &names {
        let file = format!("{WORKFLOWS_DIR}/{name}");
        let text = std::fs::read_to_string(folder.join(name))
            .map_err(|source| WorkflowError::Read { file: file.clone(), source })?;
        // Errors name the file as the user gave the repo; findings stay relative to its root.
        let parsed = Workflow::parse(&file, &text).map_err(|e| match e {
            WorkflowError::Malformed { line, column, message, .. } => {
                WorkflowError::Malformed { file: shown(dir, &file), line, column, message }
            }
            WorkflowError::NotAWorkflow { what, .. } => WorkflowError::NotAWorkflow { file: shown(dir, &file), what },
            other => other,
        })?;
        workflows.push(parsed);
    }
    let mut findings = Vec::new();
    for w in &workflows {
        findings.extend(checks::check(w));
    }
    findings.extend(checks::missing_from_matrix(&names));
    findings.sort_by(|a, b| (&a.file, a.line, a.column, a.rule.id).cmp(&(&b.file, b.line, b.column, b.rule.id)));
    Ok(WorkflowReport { repo: dir.to_path_buf(), workflows: workflows.into_iter().map(|w| w.file).collect(), findings })
}

fn shown(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

/// Lints one workflow's text, as if it were `.github/workflows/NAME`.
pub fn lint_text(name: &str, text: &str) -> Result<Vec<Finding>, WorkflowError> {
    let w = Workflow::parse(&format!("{WORKFLOWS_DIR}/{name}"), text)?;
    Ok(checks::check(&w))
}
