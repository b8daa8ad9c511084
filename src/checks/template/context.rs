//! R08: where each placeholder sits in the markup (text, attribute value, URL, script),
//! which decides whether its escaping is safe there.

use super::mustache::{Tag, TagKind};
use super::{mustache, rule};
use crate::checks::validate::diagnostic::Diagnostic;

/// Where a placeholder sits in the markup around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkupContext {
    /// Text between tags.
    Text,
    /// Inside a tag, in a double-quoted attribute value.
    DoubleQuoted,
    /// Inside a tag, in a single-quoted attribute value.
    SingleQuoted,
    /// Inside a tag, outside quotes: an attribute name or an unquoted value.
    Unquoted,
}

/// The markup context at each of `offsets` (ascending byte offsets) of a template, in one pass
/// over the source: inside a tag from a `<` followed by a letter to its `>`, tracking quotes.
pub fn markup_contexts(text: &str, offsets: &[usize]) -> Vec<MarkupContext> {
    let mut out = Vec::with_capacity(offsets.len());
    let mut next = offsets.iter().peekable();
    let mut in_tag = false;
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    loop {
        let here = chars.peek().map_or(text.len(), |(i, _)| *i);
        while let Some(&&o) = next.peek() {
            if o > here {
                break;
            }
            out.push(context(in_tag, quote));
            next.next();
        }
        let Some((_, c)) = chars.next() else { break };
        match (in_tag, quote, c) {
            (false, _, '<') if chars.peek().is_some_and(|(_, n)| n.is_ascii_alphabetic()) => in_tag = true,
            (true, None, '>') => in_tag = false,
            (true, None, '"' | '\'') => quote = Some(c),
            (true, Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    // Offsets past the end see the state at the end.
    let end = context(in_tag, quote);
    while out.len() < offsets.len() {
        out.push(end);
    }
    out
}

fn context(in_tag: bool, quote: Option<char>) -> MarkupContext {
    match (in_tag, quote) {
        (false, _) => MarkupContext::Text,
        (true, Some('"')) => MarkupContext::DoubleQuoted,
        (true, Some(_)) => MarkupContext::SingleQuoted,
        (true, None) => MarkupContext::Unquoted,
    }
}

/// R07: ramhorns escapes `"` but not `'`, so only a double-quoted attribute value keeps data
/// from adding attributes.
pub(super) fn check_placeholder_contexts(rel: &str, text: &str, scan: &mustache::Scan, findings: &mut Vec<Diagnostic>) {
    let placeholders: Vec<&Tag> =
        scan.tags.iter().filter(|t| matches!(t.kind, TagKind::Escaped | TagKind::Unescaped)).collect();
    let offsets: Vec<usize> = placeholders.iter().map(|t| t.start).collect();
    for (tag, context) in placeholders.into_iter().zip(markup_contexts(text, &offsets)) {
        if matches!(context, MarkupContext::SingleQuoted | MarkupContext::Unquoted) {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::UNQUOTED_PLACEHOLDER,
                    format!(
                        "{} sits in a tag outside a double-quoted attribute value, where data could add attributes",
                        tag.source(text)
                    ),
                    "write the attribute as name=\"{{value}}\"",
                )
                .at(tag.line, tag.column),
            );
        }
    }
}
