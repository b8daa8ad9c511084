//! `stagegate fmt` (R04): the canonical formatting of environment files and schema JSON, the
//! `terraform fmt -check -recursive` step of LLD 7.3.2 for what this repo holds.
//!
//! - JSON: 2-space indentation, `"key": value`, one element per line, keys in their written
//!   order, UTF-8 without BOM, LF line ends, one final newline.
//! - tfvars: `terraform fmt` style: 2-space indentation per nesting level, the `=` of
//!   consecutive assignments at one level aligned, no trailing spaces, at most one blank line
//!   in a row, LF line ends, one final newline. A rewrite is kept only when it parses to the
//!   same HCL as the original.

use std::path::Path;

use serde::Serialize;

use crate::checks::validate::diagnostic::Diagnostic;
use crate::checks::validate::files_under;
use crate::checks::validate::source::{self, Source};

pub mod rule {
    /// The file is not in canonical form.
    pub const NOT_CANONICAL: &str = "R04/not-canonical";
    /// The file does not parse, so it cannot be formatted (`stagegate validate` says why).
    pub const UNPARSABLE: &str = "R04/unparsable";
}

/// One file's formatting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Formatted {
    pub file: String,
    /// The canonical text, when it differs from the file's.
    #[serde(skip)]
    pub canonical: Option<String>,
    /// The first line that differs.
    pub line: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FmtReport {
    pub files: usize,
    /// Files not in canonical form (rewritten unless checking).
    pub changed: Vec<Formatted>,
    /// Files that could not be formatted.
    pub problems: Vec<Diagnostic>,
}

impl FmtReport {
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .changed
            .iter()
            .map(|f| {
                Diagnostic::new(
                    &f.file,
                    rule::NOT_CANONICAL,
                    "not in canonical format",
                    "run `stagegate fmt` to rewrite it",
                )
                .at(f.line, 0)
            })
            .collect();
        out.extend(self.problems.iter().cloned());
        out
    }
}

/// The canonical form of a JSON text, or why it has none.
pub fn canonical_json(text: &str) -> Result<String, serde_json::Error> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(body);
    let mut out = Vec::with_capacity(body.len());
    {
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        serde_transcode::transcode(&mut de, &mut ser)?;
    }
    de.end()?;
    out.push(b'\n');
    // serde_json writes UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// Why a tfvars text has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TfvarsError {
    #[error("not HCL: {0}")]
    Syntax(String),
    #[error("the formatted text would not mean the same; format it by hand")]
    Meaning,
}

/// The canonical form of a tfvars text.
pub fn canonical_tfvars(text: &str) -> Result<String, TfvarsError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let original: hcl::Body = hcl::from_str(body).map_err(|e| TfvarsError::Syntax(e.to_string()))?;
    let normalised = body.replace("\r\n", "\n");
    // Heredocs keep their lines as written; only the whitespace around them is touched.
    let lines: Vec<String> = if normalised.contains("<<") {
        normalised.lines().map(|l| l.trim_end().to_owned()).collect()
    } else {
        let mut depth: usize = 0;
        let mut lines = Vec::new();
        for line in normalised.lines() {
            let trimmed = line.trim();
            let (opens, closes, leading_closes) = brackets(trimmed);
            let indent = depth.saturating_sub(leading_closes);
            lines.push(if trimmed.is_empty() { String::new() } else { format!("{}{trimmed}", "  ".repeat(indent)) });
            depth = (depth + opens).saturating_sub(closes);
        }
        align(lines)
    };
    let mut out = String::with_capacity(normalised.len());
    let mut blank = true; // drops leading blank lines
    for line in lines {
        if line.is_empty() {
            if !blank {
                out.push('\n');
            }
            blank = true;
        } else {
            out.push_str(&line);
            out.push('\n');
            blank = false;
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    let formatted: hcl::Body = hcl::from_str(&out).map_err(|_| TfvarsError::Meaning)?;
    if formatted != original {
        return Err(TfvarsError::Meaning);
    }
    Ok(out)
}

/// Opening and closing brackets outside strings and comments, and how many closing brackets
/// start the line.
fn brackets(line: &str) -> (usize, usize, usize) {
    let (mut opens, mut closes, mut leading) = (0, 0, 0);
    let mut in_string = false;
    let mut escaped = false;
    let mut only_closes_so_far = true;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'#' => break,
                b'/' if bytes.get(i + 1) == Some(&b'/') => break,
                b'{' | b'[' | b'(' => opens += 1,
                b'}' | b']' | b')' => {
                    closes += 1;
                    if only_closes_so_far {
                        leading += 1;
                    }
                }
                _ => {}
            }
            if !matches!(b, b'}' | b']' | b')' | b' ' | b',') {
                only_closes_so_far = false;
            }
        }
        i += 1;
    }
    (opens, closes, leading)
}

/// `key = value` split at its assignment, when the line is one.
fn assignment(line: &str) -> Option<(&str, &str, &str)> {
    let indent_len = line.len() - line.trim_start().len();
    let (indent, rest) = line.split_at(indent_len);
    let key_end = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.find('"')? + 2
    } else {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))?
    };
    if key_end == 0 {
        return None;
    }
    let (key, after) = rest.split_at(key_end);
    let after = after.trim_start();
    let value = after.strip_prefix('=')?;
    if value.starts_with('=') {
        return None;
    }
    Some((indent, key, value.trim_start()))
}

/// Aligns the `=` of consecutive assignments at one indentation.
fn align(lines: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let Some((indent, _, _)) = assignment(&lines[i]) else {
            out.push(lines[i].clone());
            i += 1;
            continue;
        };
        let mut j = i;
        while j < lines.len() && assignment(&lines[j]).is_some_and(|(ind, _, _)| ind == indent) {
            j += 1;
        }
        let width =
            lines[i..j].iter().filter_map(|l| assignment(l)).map(|(_, k, _)| k.chars().count()).max().unwrap_or(0);
        for l in &lines[i..j] {
            if let Some((ind, key, value)) = assignment(l) {
                let pad = " ".repeat(width - key.chars().count());
                out.push(format!("{ind}{key}{pad} = {value}"));
            }
        }
        i = j;
    }
    out
}

/// The first line where two texts differ.
fn first_difference(a: &str, b: &str) -> usize {
    a.split('\n')
        .zip(b.split('\n'))
        .position(|(x, y)| x.trim_end_matches('\r') != y || x.ends_with('\r'))
        .map_or_else(|| a.split('\n').count().min(b.split('\n').count()), |i| i + 1)
}

/// Formats every schema JSON file and environment file of the repo; with `write`, rewrites the
/// ones not in canonical form.
pub fn fmt(root: &Path, write: bool) -> Result<FmtReport, crate::checks::validate::ValidateError> {
    let root = crate::checks::validate::open(root)?;
    let mut report = FmtReport::default();
    let json = files_under(&root, "schemas", ".json").into_iter().map(|f| (f, true));
    let tfvars = files_under(&root, "environments", ".tfvars").into_iter().map(|f| (f, false));
    for (rel, is_json) in json.chain(tfvars) {
        report.files += 1;
        let rules = if is_json { source::JSON_FILE } else { source::ENVIRONMENT_FILE };
        let text = match Source::read(&root, &rel, rules) {
            Ok(s) => s.text,
            Err(d) => {
                report.problems.push(*d);
                continue;
            }
        };
        let canonical = if is_json {
            canonical_json(&text).map_err(|e| e.to_string())
        } else {
            canonical_tfvars(&text).map_err(|e| e.to_string())
        };
        match canonical {
            Ok(c) if c == text => {}
            Ok(c) => {
                if write && let Err(e) = std::fs::write(root.join(&rel), &c) {
                    report.problems.push(Diagnostic::new(
                        &rel,
                        rule::UNPARSABLE,
                        format!("cannot rewrite: {e}"),
                        "check its permissions",
                    ));
                    continue;
                }
                let line = first_difference(&text, &c);
                report.changed.push(Formatted { file: rel, canonical: Some(c), line });
            }
            Err(reason) => report.problems.push(Diagnostic::new(
                &rel,
                rule::UNPARSABLE,
                format!("cannot be formatted: {reason}"),
                "run `stagegate validate` and fix the syntax first",
            )),
        }
    }
    Ok(report)
}
