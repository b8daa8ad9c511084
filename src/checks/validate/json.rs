//! R01: JSON syntax (serde_json, as strict as `jq empty` and stricter: no BOM, no duplicate
//! keys), and positions of JSON paths for the diagnostics of the other rules.

use std::collections::HashSet;
use std::fmt;

use jsonc_parser::ast;
use jsonc_parser::common::Ranged;
use serde_json::Value;

use super::diagnostic::{Diagnostic, LineIndex};
use super::source::Source;

pub const SYNTAX: &str = "R01/syntax";
pub const BOM: &str = "R01/bom";
pub const TOO_DEEP: &str = "R01/too-deep";
pub const DUPLICATE_KEY: &str = "R01/duplicate-key";

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A JSON path from the document root, shown as `$.GlobalSecondaryIndexes[0].IndexName`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonPath(pub Vec<Segment>);

impl JsonPath {
    pub fn root() -> Self {
        JsonPath(Vec::new())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.to_owned()));
        p
    }

    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }

    /// This path followed by `more`.
    pub fn join(mut self, more: &JsonPath) -> Self {
        self.0.extend(more.0.iter().cloned());
        self
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for s in &self.0 {
            match s {
                Segment::Key(k) if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                    write!(f, ".{k}")?
                }
                Segment::Key(k) => write!(f, "[{k:?}]")?,
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// A JSON file that parsed, with what is needed to point into it.
pub struct JsonDocument<'a> {
    pub value: Value,
    /// The text parsed (without a BOM).
    pub body: &'a str,
    ast: Option<ast::Value<'a>>,
    lines: LineIndex<'a>,
}

impl<'a> JsonDocument<'a> {
    /// Parses `source` (R01). `Err` holds the findings when the file is not usable JSON;
    /// findings on a usable file (a BOM, duplicate keys) are pushed to `findings`.
    pub fn parse(source: &'a Source, findings: &mut Vec<Diagnostic>) -> Option<JsonDocument<'a>> {
        let rel = source.rel.as_str();
        if source.has_bom() {
            findings.push(
                Diagnostic::new(
                    rel,
                    BOM,
                    "the file starts with a UTF-8 byte order mark, which JSON (RFC 8259) forbids and jq rejects",
                    "save it without a BOM (`stagegate fmt` does)",
                )
                .at(1, 1),
            );
        }
        let body = source.body();
        let value: Value = match serde_json::from_str(body) {
            Ok(v) => v,
            Err(e) => {
                let too_deep = e.to_string().starts_with("recursion limit exceeded");
                let (rule, hint) = if too_deep {
                    (TOO_DEEP, "JSON nested over 128 levels is not a table definition or a schema; flatten it")
                } else {
                    (SYNTAX, "fix the JSON syntax at that position (`jq . FILE` shows the same place)")
                };
                let message = if too_deep { "nested too deeply".to_owned() } else { syntax_message(&e) };
                findings.push(Diagnostic::new(rel, rule, message, hint).at(e.line(), e.column()));
                return None;
            }
        };
        // serde_json bounds the nesting at 128 levels, so this second, positional parse is safe.
        let ast = jsonc_parser::parse_to_ast(body, &Default::default(), &Default::default()).ok().and_then(|r| r.value);
        let doc = JsonDocument { value, body, ast, lines: LineIndex::new(body) };
        if let Some(ast) = &doc.ast {
            doc.duplicate_keys(rel, ast, &JsonPath::root(), findings);
        }
        Some(doc)
    }

    fn duplicate_keys(&self, rel: &str, node: &ast::Value<'a>, path: &JsonPath, findings: &mut Vec<Diagnostic>) {
        match node {
            ast::Value::Object(o) => {
                let mut seen = HashSet::new();
                for prop in &o.properties {
                    let name = prop.name.as_str();
                    let here = path.key(name);
                    if !seen.insert(name) {
                        let (line, column) = self.lines.position(prop.range.start);
                        findings.push(
                            Diagnostic::new(
                                rel,
                                DUPLICATE_KEY,
                                format!("key {name:?} appears more than once in this object; parsers disagree on which one wins"),
                                "keep one of them",
                            )
                            .at(line, column)
                            .with_path(here.to_string()),
                        );
                    }
                    self.duplicate_keys(rel, &prop.value, &here, findings);
                }
            }
            ast::Value::Array(a) => {
                for (i, e) in a.elements.iter().enumerate() {
                    self.duplicate_keys(rel, e, &path.index(i), findings);
                }
            }
            _ => {}
        }
    }

    /// Line and column of the value at `path`, or of its nearest existing ancestor.
    pub fn position(&self, path: &JsonPath) -> (usize, usize) {
        let Some(mut node) = self.ast.as_ref() else { return (1, 1) };
        let mut start = node.range().start;
        for segment in &path.0 {
            let next = match (segment, node) {
                (Segment::Key(k), ast::Value::Object(o)) => {
                    o.properties.iter().rev().find(|p| p.name.as_str() == k).map(|p| (&p.value, p.range.start))
                }
                (Segment::Index(i), ast::Value::Array(a)) => a.elements.get(*i).map(|e| (e, e.range().start)),
                _ => None,
            };
            match next {
                Some((n, s)) => {
                    node = n;
                    start = s;
                }
                None => break,
            }
        }
        self.lines.position(start)
    }

    /// A finding at `path`.
    pub fn finding(
        &self,
        rel: &str,
        rule: &'static str,
        path: &JsonPath,
        message: impl Into<String>,
        hint: &str,
    ) -> Diagnostic {
        let (line, column) = self.position(path);
        Diagnostic::new(rel, rule, message, hint).at(line, column).with_path(path.to_string())
    }
}

/// serde_json's message without its own " at line L column C" suffix.
fn syntax_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}
