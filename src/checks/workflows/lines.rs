//! Where each key and sequence item of a workflow file sits. serde_norway reports positions only
//! for errors, so the block structure is read from the text: GitHub workflows are block mappings
//! and sequences whose scalars (flow, quoted or block) never hold a child node, so indentation
//! alone tells which key a line belongs to. A path the text does not show (a flow mapping, an
//! alias) falls back to its nearest ancestor that it does show. serde_norway stays the one parser
//! that decides what a workflow means; the scan only says where its keys are, so a second YAML
//! parser with spans (and its dependencies) would add a way to disagree, not information.

use std::collections::HashMap;

/// One step of a path from the document root: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Item(usize),
}

impl Segment {
    pub fn key(name: &str) -> Segment {
        Segment::Key(name.to_owned())
    }
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug)]
struct Node {
    line: usize,
    column: usize,
    /// The last line that holds the node or one of its children.
    last_line: usize,
}

/// The positions of every key and sequence item of one YAML file.
#[derive(Debug)]
pub struct SourceMap {
    lines: Vec<String>,
    nodes: Vec<Node>,
    by_path: HashMap<Vec<Segment>, usize>,
}

struct Open {
    indent: usize,
    item: bool,
    node: usize,
    path: Vec<Segment>,
}

impl SourceMap {
    pub fn new(text: &str) -> SourceMap {
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut map = SourceMap { lines: Vec::new(), nodes: Vec::new(), by_path: HashMap::new() };
        let mut open: Vec<Open> = Vec::new();
        let mut next_index: HashMap<Vec<Segment>, usize> = HashMap::new();
        let mut i = 0;
        while i < lines.len() {
            let raw = &lines[i];
            let content = raw.trim_start_matches(' ');
            let mut indent = raw.len() - content.len();
            if content.trim().is_empty()
                || content.starts_with('#')
                || (indent == 0 && (content.starts_with("---") || content.starts_with("...")))
            {
                i += 1;
                continue;
            }
            let mut rest = content;
            // The indentation below which following lines continue this line's scalar.
            let mut scalar_indent = None;
            loop {
                if rest == "-" || rest.starts_with("- ") {
                    while open.last().is_some_and(|o| o.indent > indent || (o.indent == indent && o.item)) {
                        open.pop();
                    }
                    let parent = open.last().map(|o| o.path.clone()).unwrap_or_default();
                    let counter = next_index.entry(parent.clone()).or_insert(0);
                    let mut path = parent;
                    path.push(Segment::Item(*counter));
                    *counter += 1;
                    let node = map.push(&path, i + 1, indent + 1);
                    open.push(Open { indent, item: true, node, path });
                    let after = &rest[1..];
                    let item_indent = indent;
                    let skipped = after.len() - after.trim_start_matches(' ').len();
                    indent += 1 + skipped;
                    rest = after.trim_start_matches(' ');
                    if rest.is_empty() || rest.starts_with('#') {
                        break;
                    }
                    if split_key(rest).is_none() && !rest.starts_with("- ") {
                        scalar_indent = Some(item_indent);
                        break;
                    }
                    continue;
                }
                if let Some((key, value)) = split_key(rest) {
                    while open.last().is_some_and(|o| o.indent >= indent) {
                        open.pop();
                    }
                    let mut path = open.last().map(|o| o.path.clone()).unwrap_or_default();
                    path.push(Segment::Key(key));
                    let node = map.push(&path, i + 1, indent + 1);
                    open.push(Open { indent, item: false, node, path });
                    if !holds_no_scalar(value) {
                        scalar_indent = Some(indent);
                    }
                }
                break;
            }
            let mut last = i;
            if let Some(min) = scalar_indent {
                let mut j = i + 1;
                while j < lines.len() {
                    let l = &lines[j];
                    let body = l.trim_start_matches(' ');
                    if body.is_empty() {
                        j += 1;
                        continue;
                    }
                    if l.len() - body.len() <= min {
                        break;
                    }
                    last = j;
                    j += 1;
                }
            }
            for o in &open {
                map.nodes[o.node].last_line = last + 1;
            }
            i = last + 1;
        }
        map.lines = lines;
        map
    }

    fn push(&mut self, path: &[Segment], line: usize, column: usize) -> usize {
        self.nodes.push(Node { line, column, last_line: line });
        let id = self.nodes.len() - 1;
        self.by_path.entry(path.to_vec()).or_insert(id);
        id
    }

    /// The node at `path`, or its nearest ancestor the text shows.
    fn node(&self, path: &[Segment]) -> Option<&Node> {
        (0..=path.len()).rev().find_map(|n| self.by_path.get(&path[..n]).map(|&id| &self.nodes[id]))
    }

    /// Where `path` starts: its key, or its `-`; line 1 when nothing of it is in the text.
    pub fn position(&self, path: &[Segment]) -> Position {
        self.node(path).map_or(Position { line: 1, column: 1 }, |n| Position { line: n.line, column: n.column })
    }

    /// Where the `nth` (0-based) occurrence of `needle` is within the lines of `path`.
    pub fn find(&self, path: &[Segment], needle: &str, nth: usize) -> Option<Position> {
        let node = self.node(path)?;
        let mut seen = 0;
        for line in node.line..=node.last_line {
            let text = self.lines.get(line - 1)?;
            for (at, _) in text.match_indices(needle) {
                if seen == nth {
                    return Some(Position { line, column: text[..at].chars().count() + 1 });
                }
                seen += 1;
            }
        }
        None
    }

    /// Like [`SourceMap::find`], falling back to where `path` starts.
    pub fn locate(&self, path: &[Segment], needle: &str, nth: usize) -> Position {
        self.find(path, needle, nth).unwrap_or_else(|| self.position(path))
    }
}

/// `key: value` → (key, value), for a plain or quoted key; `None` for anything else.
pub fn split_key(text: &str) -> Option<(String, &str)> {
    if let Some(quote) = text.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let close = text[1..].find(quote)? + 1;
        let after = text[close + 1..].strip_prefix(':')?;
        if !(after.is_empty() || after.starts_with(' ')) {
            return None;
        }
        return Some((text[1..close].to_owned(), after.trim_start()));
    }
    if text.starts_with(['[', '{', '#', '&', '*', '!', '|', '>', '%', '@', '`', '?']) {
        return None;
    }
    let mut from = 0;
    while let Some(at) = text[from..].find(':') {
        let at = from + at;
        let after = &text[at + 1..];
        let key = &text[..at];
        if key.contains(" #") {
            return None;
        }
        if after.is_empty() || after.starts_with(' ') {
            return Some((key.trim_end().to_owned(), after.trim_start()));
        }
        from = at + 1;
    }
    None
}

/// Whether a key's value text leaves its children to the following lines: nothing, a comment,
/// or only an anchor or tag.
fn holds_no_scalar(value: &str) -> bool {
    let value = value.trim();
    value.is_empty()
        || value.starts_with('#')
        || (value.starts_with(['&', '!']) && !value.contains(' '))
        || (value.starts_with(['&', '!']) && value.split_once(' ').is_some_and(|(_, c)| c.trim().starts_with('#')))
}
