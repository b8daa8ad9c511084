//! `stagegate validate`: LLD Stage 1 (7.2.1, 7.3.2, 7.3.3) as one pass over an infra repo —
//! JSON syntax (R01), table definitions and item schemas (R02), environment files (R03),
//! templates (R07, R08, R09), and every other file the pipeline reads (R64) — with every finding
//! at its file, line and column.

pub mod diagnostic;
pub mod environment;
mod items;
pub mod json;
pub mod repo_files;
pub mod source;
pub mod table;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

pub use diagnostic::Diagnostic;
use json::JsonDocument;
use source::Source;

use crate::foundation::exit;

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("--repo {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("--repo {path}: not an infra repo (none of pipeline.yml, schemas/, templates/, environments/)")]
    NotARepo { path: String },
}

/// Time spent per kind of input.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub schemas: Duration,
    pub environments: Duration,
    pub templates: Duration,
    /// `pipeline.yml`, change tickets, cost files and IAM policies.
    pub pipeline_files: Duration,
    pub total: Duration,
}

/// The outcome of validating a repo.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub repo: PathBuf,
    pub files: usize,
    pub diagnostics: Vec<Diagnostic>,
    #[serde(skip)]
    pub timings: Timings,
}

impl Report {
    /// 0 when clean, 1 when anything was found.
    pub fn exit_code(&self) -> u8 {
        if self.diagnostics.is_empty() { exit::OK } else { exit::RULE_FAILED }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "repo": self.repo.display().to_string(),
            "files": self.files,
            "findings": self.diagnostics.len(),
            "diagnostics": self.diagnostics,
        })
    }

    /// The `--timings` table.
    pub fn timings_table(&self) -> String {
        let t = &self.timings;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "schemas       {:>9.1} ms\nenvironments  {:>9.1} ms\ntemplates     {:>9.1} ms\npipeline files{:>9.1} ms\ntotal         {:>9.1} ms ({} files)\n",
            ms(t.schemas),
            ms(t.environments),
            ms(t.templates),
            ms(t.pipeline_files),
            ms(t.total),
            self.files
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        let n = self.diagnostics.len();
        if n == 0 {
            writeln!(f, "{}: {} files, no findings", self.repo.display(), self.files)
        } else {
            writeln!(f, "{}: {} files, {n} finding{}", self.repo.display(), self.files, if n == 1 { "" } else { "s" })
        }
    }
}

/// Checks that `dir` is an infra repo at all (exit 2 otherwise).
pub fn open(dir: &Path) -> Result<PathBuf, ValidateError> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| ValidateError::Unreadable { path: dir.display().to_string(), reason: e.to_string() })?;
    if !meta.is_dir() {
        return Err(ValidateError::Unreadable { path: dir.display().to_string(), reason: "not a directory".into() });
    }
    if !["pipeline.yml", "schemas", "templates", "environments"].iter().any(|p| dir.join(p).exists()) {
        return Err(ValidateError::NotARepo { path: dir.display().to_string() });
    }
    Ok(dir.to_path_buf())
}

/// Files under `root/dir` whose names end with `suffix`, relative to `root`, sorted.
pub fn files_under(root: &Path, dir: &str, suffix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&d)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{d}/{name}");
            match entry.file_type() {
                // Symlinked directories are not followed, so a link loop cannot hang the walk.
                Ok(t) if t.is_dir() => pending.push(rel),
                Ok(_) if name.ends_with(suffix) => out.push(rel),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// R01 and R02 on one JSON file under `schemas/`.
pub fn check_schema_file(root: &Path, rel: &str) -> Vec<Diagnostic> {
    let source = match Source::read(root, rel, source::JSON_FILE) {
        Ok(s) => s,
        Err(d) => return vec![*d],
    };
    let mut findings = Vec::new();
    if let Some(doc) = JsonDocument::parse(&source, &mut findings)
        && table::is_table_definition(rel, &doc.value)
    {
        let syntax_found = !findings.is_empty();
        // The shape check would only repeat a duplicate key that R01 already reported.
        let checked = table::check(root, rel, &doc);
        findings.extend(checked.into_iter().filter(|d| !(syntax_found && d.rule == table::rule::SHAPE)));
    }
    findings
}

/// Validates the repo at `dir`.
pub fn validate(dir: &Path) -> Result<Report, ValidateError> {
    let root = open(dir)?;
    let started = Instant::now();
    let mut diagnostics = Vec::new();
    let mut timings = Timings::default();

    let t = Instant::now();
    let schemas = files_under(&root, "schemas", ".json");
    diagnostics.extend(parallel(&schemas, |rel| check_schema_file(&root, rel)));
    timings.schemas = t.elapsed();

    let t = Instant::now();
    let (environments, found) = environment::check_all(&root);
    diagnostics.extend(found);
    timings.environments = t.elapsed();

    let t = Instant::now();
    let templates = files_under(&root, "templates", ".html");
    diagnostics.extend(parallel(&templates, |rel| crate::checks::template::check(&root, rel)));
    timings.templates = t.elapsed();

    let t = Instant::now();
    let (others, found) = repo_files::check_all(&root);
    diagnostics.extend(found);
    timings.pipeline_files = t.elapsed();

    timings.total = started.elapsed();
    let files = schemas.len() + environments + templates.len() + others;
    Ok(Report { repo: root, files, diagnostics, timings })
}

/// Runs `check` on every file, on all cores, keeping the files' order in the result.
fn parallel<F>(files: &[String], check: F) -> Vec<Diagnostic>
where
    F: Fn(&str) -> Vec<Diagnostic> + Sync,
{
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    if workers <= 1 {
        return files.iter().flat_map(|f| check(f)).collect();
    }
    let chunk = files.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().flat_map(|f| check(f)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}
