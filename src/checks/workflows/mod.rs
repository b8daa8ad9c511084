//! `stagegate lint-workflows` (R52): the repo's `.github/workflows/*.yml` checked against the
//! workflow matrix of LLD 7.3.1 and against what the design's own workflows get wrong: script
//! injection through dispatch inputs (F02), boolean inputs read as strings (F04), unpinned and
//! retired actions (F05), and tags pushed without `contents: write` (F10).
//!
//! Workflows are parsed with serde_norway, which also places a malformed file's error; the
//! position of every key and item comes from [`lines::SourceMap`].

mod checks;
mod declaration;
pub mod expressions;
mod injection;
pub mod lines;
mod rules;
mod scripts;
mod security;
mod suppress;
pub mod syntax;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::checks::sarif::{SarifFinding, SarifRule, sarif_log};
pub use crate::checks::sarif::{Severity, Suppression};
use crate::foundation::exit;

pub use declaration::{Declaration, MATRIX_NAME};
pub use lines::{Position, Segment, SourceMap};
pub use rules::{InputKind, MatrixInput, MatrixRow, RULES, Trigger, WORKFLOW_MATRIX, WorkflowRule, matrix_row, rule};
pub use suppress::INLINE_MARKER;

/// Where GitHub reads workflows from, relative to the repo root.
pub const WORKFLOWS_DIR: &str = ".github/workflows";

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
    /// A reason written in the workflow for accepting it (`# stagegate:ignore ID REASON`).
    pub suppressed: Option<Suppression>,
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
    #[error("{file}: {message}")]
    Declaration { file: String, message: String },
}

/// A workflow file that could not be linted, while the others were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// As the user gave the repo.
    pub file: String,
    /// The whole error, starting with `file:line:column` where there is one.
    pub error: String,
}

/// What linting a repo's workflows found.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowReport {
    pub repo: PathBuf,
    /// Whether the repo's `pipeline.yml` declares LLD 7.3.1's workflow matrix, so the matrix
    /// rules ran.
    pub matrix: bool,
    /// The workflow files read, relative to the repo root.
    pub workflows: Vec<String>,
    /// The workflow files that could not be read or parsed.
    pub unreadable: Vec<Unreadable>,
    /// Every finding, the suppressed ones included.
    pub findings: Vec<Finding>,
}

impl WorkflowReport {
    /// The findings that count: not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    /// No finding counts and every file was read.
    pub fn passed(&self) -> bool {
        self.active().next().is_none() && self.unreadable.is_empty()
    }

    /// 0 when clean, 1 on any finding that counts or any file that could not be read (a repo of
    /// which no file could be read is an error, exit 2, before there is a report).
    pub fn exit_code(&self) -> u8 {
        if self.passed() { exit::OK } else { exit::RULE_FAILED }
    }

    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "repo": self.repo.display().to_string(),
            "matrix": self.matrix,
            "workflows": self.workflows,
            "unreadable": self.unreadable,
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
                suppression: f.suppressed.as_ref(),
            })
            .collect();
        sarif_log(&rules, &findings)
    }
}

impl fmt::Display for WorkflowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for u in &self.unreadable {
            writeln!(f, "{}", u.error)?;
        }
        for x in &self.findings {
            let r = x.rule;
            if let Some(s) = &x.suppressed {
                writeln!(
                    f,
                    "{}: suppressed {} {}: {} — {} ({})",
                    x.location(),
                    r.severity.label(),
                    r.id,
                    x.message,
                    s.reason,
                    s.at
                )?;
                continue;
            }
            writeln!(f, "{}: {} {} ({}): {}", x.location(), r.severity.label(), r.id, r.requirement, x.message)?;
            writeln!(f, "    fix: {}", x.fix)?;
        }
        let n = self.active().count();
        let suppressed = self.findings.len() - n;
        let plural = |k: usize| if k == 1 { "" } else { "s" };
        write!(
            f,
            "{}: {} workflow{}, {n} finding{}",
            self.repo.display(),
            self.workflows.len(),
            plural(self.workflows.len()),
            plural(n)
        )?;
        if suppressed > 0 {
            write!(f, ", {suppressed} suppressed")?;
        }
        if !self.unreadable.is_empty() {
            write!(f, ", {} unreadable", self.unreadable.len())?;
        }
        if !self.matrix {
            write!(f, " (no workflow matrix declared in pipeline.yml: generic rules only)")?;
        }
        writeln!(f)
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
        // A UTF-8 byte order mark is not content: editors on Windows write one.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let malformed = |e: serde_norway::Error| {
            let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            let message = e.to_string();
            // serde_norway appends " at line L column C"; the location is already in front.
            let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
            WorkflowError::Malformed { file: file.to_owned(), line, column, message }
        };
        let mut doc: serde_norway::Value = serde_norway::from_str(text).map_err(malformed)?;
        // GitHub expands merge keys (`<<: *defaults`) before it reads a step.
        doc.apply_merge().map_err(malformed)?;
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

/// Lints every `.github/workflows/*.yml` (and `*.yaml`) of the repo at `dir`. A file that cannot
/// be read or parsed is reported and the others are still linted; only a repo of which no file
/// could be read is an error.
pub fn lint(dir: &Path) -> Result<WorkflowReport, WorkflowError> {
    if !dir.is_dir() {
        return Err(WorkflowError::NoRepo(dir.to_path_buf()));
    }
    let declaration = Declaration::read(dir)?;
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
    let mut unreadable = Vec::new();
    let mut last_error = None;
    for name in &names {
        let file = format!("{WORKFLOWS_DIR}/{name}");
        let parsed = std::fs::read(folder.join(name))
            .map_err(|source| WorkflowError::Read { file: file.clone(), source })
            .and_then(|bytes| {
                String::from_utf8(bytes)
                    .map_err(|_| WorkflowError::NotAWorkflow { file: file.clone(), what: "not UTF-8 text".to_owned() })
            })
            .and_then(|text| Workflow::parse(&file, &text).map(|w| (w, text)));
        // Errors name the file as the user gave the repo; findings stay relative to its root.
        match parsed.map_err(|e| e.shown_from(dir)) {
            Ok(w) => workflows.push(w),
            Err(e) => {
                unreadable.push(Unreadable { file: shown(dir, &file), error: e.to_string() });
                last_error = Some(e);
            }
        }
    }
    if workflows.is_empty()
        && let Some(e) = last_error
    {
        return Err(e);
    }
    let mut findings = Vec::new();
    for (w, text) in &workflows {
        let mut found = checks::check(w, &declaration);
        suppress::apply(text, &mut found);
        findings.extend(found);
    }
    if declaration.matrix {
        findings.extend(checks::missing_from_matrix(&names));
    }
    findings.sort_by(|a, b| (&a.file, a.line, a.column, a.rule.id).cmp(&(&b.file, b.line, b.column, b.rule.id)));
    Ok(WorkflowReport {
        repo: dir.to_path_buf(),
        matrix: declaration.matrix,
        workflows: workflows.into_iter().map(|(w, _)| w.file).collect(),
        unreadable,
        findings,
    })
}

impl WorkflowError {
    /// The same error, naming the file as it is seen from where the user named the repo.
    fn shown_from(self, dir: &Path) -> WorkflowError {
        match self {
            WorkflowError::Malformed { file, line, column, message } => {
                WorkflowError::Malformed { file: shown(dir, &file), line, column, message }
            }
            WorkflowError::NotAWorkflow { file, what } => WorkflowError::NotAWorkflow { file: shown(dir, &file), what },
            WorkflowError::Read { file, source } => WorkflowError::Read { file: shown(dir, &file), source },
            other => other,
        }
    }
}

fn shown(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

/// Lints one workflow's text, as if it were `.github/workflows/NAME` of a repo that declares
/// LLD 7.3.1's workflow matrix, with every rule on.
pub fn lint_text(name: &str, text: &str) -> Result<Vec<Finding>, WorkflowError> {
    lint_text_with(name, text, &Declaration::lld())
}

/// Lints one workflow's text under a repo's declaration (which rules run, which components exist).
pub fn lint_text_with(name: &str, text: &str, declaration: &Declaration) -> Result<Vec<Finding>, WorkflowError> {
    let w = Workflow::parse(&format!("{WORKFLOWS_DIR}/{name}"), text)?;
    let mut found = checks::check(&w, declaration);
    suppress::apply(text, &mut found);
    Ok(found)
}
