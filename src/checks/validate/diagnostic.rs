//! One finding of `validate`, `fmt --check` or `scan`: where it is, which rule it breaks, what
//! to do about it.

use std::fmt;

use serde::Serialize;

/// A rule's stable ID (`R02/unused-attribute`): the requirement it belongs to, then the rule.
pub type RuleId = &'static str;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The file, relative to the repo root, with `/` separators.
    pub file: String,
    /// 1-based; 0 when the finding is about the whole file.
    pub line: usize,
    /// 1-based, in characters; 0 when the finding is about the whole file or line.
    pub column: usize,
    pub rule: RuleId,
    pub message: String,
    /// The JSON path of the offending value (`$.GlobalSecondaryIndexes[0].IndexName`), for JSON files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub hint: String,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, rule: RuleId, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: 0,
            column: 0,
            rule,
            message: message.into(),
            path: None,
            hint: hint.into(),
        }
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// `file:line:col`, leaving out what is unknown.
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (0, _) => self.file.clone(),
            (l, 0) => format!("{}:{l}", self.file),
            (l, c) => format!("{}:{l}:{c}", self.file),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location(), self.rule, self.message)?;
        if let Some(path) = &self.path {
            write!(f, " (at {path})")?;
        }
        if !self.hint.is_empty() {
            write!(f, "\n    hint: {}", self.hint)?;
        }
        Ok(())
    }
}

/// Byte offsets to 1-based line and column (in characters), for one text.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// Line and column of a byte offset (clamped to the text, snapped back to a char boundary).
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        (line, column)
    }
}
