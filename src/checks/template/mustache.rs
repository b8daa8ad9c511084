//! R08: a Mustache scanner that keeps positions. Renderers stop at the first problem and do
//! not say where it is; this one finds every tag with its line and column, so each problem
//! of a template can be reported at once.

use crate::checks::validate::diagnostic::LineIndex;

/// What a tag does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// `{{name}}`: HTML-escaped output.
    Escaped,
    /// `{{{name}}}` or `{{&name}}`: raw output.
    Unescaped,
    /// `{{#name}}`
    Section,
    /// `{{^name}}`
    Inverted,
    /// `{{/name}}`
    Close,
    /// `{{>name}}`
    Partial,
    /// `{{!text}}`: the name holds the comment's text.
    Comment,
    /// `{{=<% %>=}}`: a change of delimiters.
    Delimiters,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub kind: TagKind,
    /// The name, trimmed (for a comment, its text).
    pub name: String,
    /// Byte range of the whole tag in the text.
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
}

impl Tag {
    /// The tag as written.
    pub fn source<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or_default()
    }
}

/// A problem the scanner itself finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanProblem {
    /// `{{` with no closing `}}` (or `}}}`); scanning stops there.
    Unterminated { line: usize, column: usize },
    /// A tag whose name is empty or not a plain (dotted) identifier.
    BadName { line: usize, column: usize, tag: String },
}

/// All tags of a template, in order, and what could not be scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    pub tags: Vec<Tag>,
    pub problems: Vec<ScanProblem>,
}

/// Scans `text`. Never fails: what is not a tag is text, and what is malformed is a problem.
pub fn scan(text: &str) -> Scan {
    let lines = LineIndex::new(text);
    let mut out = Scan::default();
    let mut pos = 0;
    while let Some(found) = text[pos..].find("{{") {
        let start = pos + found;
        let (line, column) = lines.position(start);
        let rest = &text[start + 2..];
        let (kind, inner, len) = if let Some(body) = rest.strip_prefix('{') {
            match body.find("}}}") {
                Some(i) => (TagKind::Unescaped, &body[..i], 3 + i + 3),
                None => {
                    out.problems.push(ScanProblem::Unterminated { line, column });
                    return out;
                }
            }
        } else {
            match rest.find("}}") {
                Some(i) => {
                    let inner = &rest[..i];
                    let (kind, name) = match inner.chars().next() {
                        Some('#') => (TagKind::Section, &inner[1..]),
                        Some('^') => (TagKind::Inverted, &inner[1..]),
                        Some('/') => (TagKind::Close, &inner[1..]),
                        Some('>') => (TagKind::Partial, &inner[1..]),
                        Some('!') => (TagKind::Comment, &inner[1..]),
                        Some('&') => (TagKind::Unescaped, &inner[1..]),
                        Some('=') => (TagKind::Delimiters, &inner[1..]),
                        _ => (TagKind::Escaped, inner),
                    };
                    (kind, name, 2 + i + 2)
                }
                None => {
                    out.problems.push(ScanProblem::Unterminated { line, column });
                    return out;
                }
            }
        };
        let end = start + len;
        let name = inner.trim().trim_end_matches(if kind == TagKind::Delimiters { "=" } else { "" }).trim();
        let tag = Tag { kind, name: name.to_owned(), start, end, line, column };
        if !matches!(kind, TagKind::Comment | TagKind::Delimiters) && !is_name(name) {
            out.problems.push(ScanProblem::BadName { line, column, tag: tag.source(text).to_owned() });
        } else {
            out.tags.push(tag);
        }
        if kind == TagKind::Delimiters {
            // The rest is written with other delimiters, which this scanner does not follow.
            return out;
        }
        pos = end;
    }
    out
}

/// `.` (the current item) or dot-separated names of letters, digits, `_` and `-`.
pub fn is_name(name: &str) -> bool {
    name == "."
        || (!name.is_empty()
            && name
                .split('.')
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')))
}

/// A section problem, at the tag that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionProblem {
    /// `{{/name}}` closes `open` (opened at `open_line`) instead.
    Mismatched { close: Tag, open: Tag },
    /// `{{/name}}` with no section open.
    Unopened { close: Tag },
    /// A section still open at the end of the template.
    Unclosed { open: Tag },
}

/// Checks that sections nest and close with their own names.
pub fn sections(tags: &[Tag]) -> Vec<SectionProblem> {
    let mut open: Vec<&Tag> = Vec::new();
    let mut problems = Vec::new();
    for tag in tags {
        match tag.kind {
            TagKind::Section | TagKind::Inverted => open.push(tag),
            TagKind::Close => match open.last() {
                Some(o) if o.name == tag.name => {
                    open.pop();
                }
                Some(o) => {
                    problems.push(SectionProblem::Mismatched { close: tag.clone(), open: (*o).clone() });
                    // A close naming a section further out also closes the ones inside it; one
                    // naming no open section is taken as a misspelled close of the innermost.
                    match open.iter().rposition(|x| x.name == tag.name) {
                        Some(i) => open.truncate(i),
                        None => {
                            open.pop();
                        }
                    }
                }
                None => problems.push(SectionProblem::Unopened { close: tag.clone() }),
            },
            _ => {}
        }
    }
    problems.extend(open.into_iter().map(|o| SectionProblem::Unclosed { open: o.clone() }));
    problems
}
