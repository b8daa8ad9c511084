//! Email templates (`templates/NAME.html`) and their sample data (`templates/NAME.sample.json`):
//! R07 HTML structure, R08 Mustache placeholders, R09 the render test.
//!
//! The sample data is also the declaration of the template's variables: its keys, and the keys
//! of the objects in its arrays (section items), are exactly the variables the template may use.

pub mod html;
pub mod mustache;
pub mod render;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::Value;

use crate::checks::validate::diagnostic::Diagnostic;
use crate::checks::validate::json::{JsonDocument, JsonPath};
use crate::checks::validate::source::{self, Source};
use html::HtmlDocument;
use mustache::{ScanProblem, SectionProblem, Tag, TagKind};

/// Rule IDs.
pub mod rule {
    pub const PARSE_ERROR: &str = "R07/parse-error";
    pub const DOCTYPE: &str = "R07/doctype";
    pub const MISSING_ELEMENT: &str = "R07/missing-element";
    pub const SCRIPT: &str = "R07/script";
    pub const EVENT_HANDLER: &str = "R07/event-handler";
    pub const JAVASCRIPT_URL: &str = "R07/javascript-url";
    pub const PLACEHOLDER_IN_TAG: &str = "R07/placeholder-in-tag";
    pub const UNQUOTED_PLACEHOLDER: &str = "R07/unquoted-placeholder";
    pub const UNTERMINATED: &str = "R08/unterminated-tag";
    pub const BAD_NAME: &str = "R08/bad-name";
    pub const SECTION_MISMATCH: &str = "R08/section-mismatch";
    pub const SECTION_UNOPENED: &str = "R08/section-unopened";
    pub const SECTION_UNCLOSED: &str = "R08/section-unclosed";
    pub const NO_DECLARATION: &str = "R08/no-declaration";
    pub const DECLARATION_NOT_OBJECT: &str = "R08/declaration-not-object";
    pub const UNDECLARED: &str = "R08/undeclared";
    pub const UNUSED: &str = "R08/unused";
    pub const UNESCAPED: &str = "R08/unescaped";
    pub const ALLOW_WITHOUT_REASON: &str = "R08/allow-without-reason";
    pub const PARTIAL: &str = "R08/partial";
    pub const DELIMITERS: &str = "R08/delimiters";
    pub const RENDER_FAILED: &str = "R09/render-failed";
    pub const UNRENDERED: &str = "R09/unrendered";
    pub const OUTPUT_INVALID: &str = "R09/output-invalid";
    pub const NOT_ESCAPED: &str = "R09/not-escaped";
}

/// Elements every template must write itself (R07).
pub const REQUIRED_ELEMENTS: [&str; 4] = ["html", "head", "title", "body"];

/// The value every string of the sample data is replaced with to prove escaping (R09).
pub const ESCAPE_PROBE: &str = "\"'><script>stagegate-probe</script>";

/// At most this many HTML parse errors are listed per file; the rest are counted.
const MAX_PARSE_ERRORS: usize = 20;

/// The comment that allow-lists one unescaped variable: `{{! allow-unescaped NAME: REASON }}`.
pub const ALLOW_UNESCAPED: &str = "allow-unescaped";

/// `templates/NAME.sample.json` for `templates/NAME.html`.
pub fn sample_path(template: &str) -> String {
    format!("{}.sample.json", template.strip_suffix(".html").unwrap_or(template))
}

/// Every check of one template (R07, R08, R09) and of its sample data (R01).
pub fn check(root: &Path, rel: &str) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    let template = match Source::read(root, rel, source::TEMPLATE_FILE) {
        Ok(s) => s,
        Err(d) => return vec![*d],
    };
    let text = template.body();
    let doc = HtmlDocument::parse(text);
    let html_ok = check_html(rel, &doc, &mut findings);

    let scan = mustache::scan(text);
    let scan_ok = check_tags(rel, &scan, &mut findings);
    check_placeholder_contexts(rel, text, &scan, &mut findings);

    let sample_rel = sample_path(rel);
    if !root.join(&sample_rel).is_file() {
        findings.push(Diagnostic::new(
            rel,
            rule::NO_DECLARATION,
            format!("no {sample_rel} declares this template's variables"),
            "add it: a JSON object whose keys are the variables, with sample values for the render test",
        ));
        return findings;
    }
    let sample = match Source::read(root, &sample_rel, source::JSON_FILE) {
        Ok(s) => s,
        Err(d) => {
            findings.push(*d);
            return findings;
        }
    };
    let Some(sample_doc) = JsonDocument::parse(&sample, &mut findings) else { return findings };
    if !sample_doc.value.is_object() {
        findings.push(sample_doc.finding(
            &sample_rel,
            rule::DECLARATION_NOT_OBJECT,
            &JsonPath::root(),
            "the sample data is not a JSON object",
            "write an object whose keys are the template's variables",
        ));
        return findings;
    }
    let allowed = check_declarations(rel, text, &sample_rel, &scan, &sample_doc, &mut findings);
    if scan_ok {
        check_render(rel, text, &sample_doc.value, &allowed, html_ok, &mut findings);
    }
    findings
}

/// R07. Returns whether the template parsed without errors.
fn check_html(rel: &str, doc: &HtmlDocument, findings: &mut Vec<Diagnostic>) -> bool {
    let mut seen = HashSet::new();
    let errors: Vec<_> = doc.errors.iter().filter(|e| seen.insert((*e).clone())).collect();
    for (line, message) in errors.iter().take(MAX_PARSE_ERRORS) {
        findings.push(
            Diagnostic::new(
                rel,
                rule::PARSE_ERROR,
                message.clone(),
                "fix the markup so that html5ever (and every mail client) reads it as written",
            )
            .at(*line, 0),
        );
    }
    if errors.len() > MAX_PARSE_ERRORS {
        findings.push(Diagnostic::new(
            rel,
            rule::PARSE_ERROR,
            format!("{} more parse errors", errors.len() - MAX_PARSE_ERRORS),
            "fix the ones above first",
        ));
    }
    match &doc.doctype {
        None => findings.push(
            Diagnostic::new(rel, rule::DOCTYPE, "no <!DOCTYPE html>", "start the template with <!DOCTYPE html>")
                .at(1, 1),
        ),
        Some((name, line)) if !name.eq_ignore_ascii_case("html") || doc.quirks => findings.push(
            Diagnostic::new(
                rel,
                rule::DOCTYPE,
                format!("the DOCTYPE is {name:?}, which puts mail clients in quirks mode"),
                "use <!DOCTYPE html>",
            )
            .at(*line, 0),
        ),
        Some(_) => {}
    }
    for element in REQUIRED_ELEMENTS {
        if doc.find(element).is_none() {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::MISSING_ELEMENT,
                    format!("no <{element}> element"),
                    "a template is a complete document: <html>, <head> with <title>, and <body>",
                )
                .at(1, 0),
            );
        }
    }
    for tag in &doc.start_tags {
        if tag.name == "script" {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::SCRIPT,
                    "<script> in an email template",
                    "remove it: mail clients drop scripts and spam filters flag them",
                )
                .at(tag.line, 0),
            );
        }
        for (name, value) in &tag.attributes {
            let lower = name.to_ascii_lowercase();
            if lower.len() > 2 && lower.starts_with("on") {
                findings.push(
                    Diagnostic::new(
                        rel,
                        rule::EVENT_HANDLER,
                        format!("event handler attribute {name}= on <{}>", tag.name),
                        "remove it: scripts do not run in email",
                    )
                    .at(tag.line, 0),
                );
            }
            if name.contains("{{") || name.contains("}}") {
                findings.push(
                    Diagnostic::new(
                        rel,
                        rule::PLACEHOLDER_IN_TAG,
                        format!("a placeholder stands where an attribute name belongs in <{}>: {name}", tag.name),
                        "placeholders may only fill quoted attribute values or text; data must never write markup",
                    )
                    .at(tag.line, 0),
                );
            }
            let trimmed: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            if matches!(lower.as_str(), "href" | "src" | "action")
                && trimmed.to_ascii_lowercase().starts_with("javascript:")
            {
                findings.push(
                    Diagnostic::new(
                        rel,
                        rule::JAVASCRIPT_URL,
                        format!("javascript: URL in {name}= of <{}>", tag.name),
                        "link to an https: URL",
                    )
                    .at(tag.line, 0),
                );
            }
        }
    }
    errors.is_empty()
}

/// R08, the tags on their own. Returns whether the template can be rendered at all.
fn check_tags(rel: &str, scan: &mustache::Scan, findings: &mut Vec<Diagnostic>) -> bool {
    let mut renderable = true;
    for p in &scan.problems {
        match p {
            ScanProblem::Unterminated { line, column } => {
                renderable = false;
                findings.push(
                    Diagnostic::new(
                        rel,
                        rule::UNTERMINATED,
                        "`{{` is never closed by `}}`",
                        "close the tag, or write a literal brace as &#123;",
                    )
                    .at(*line, *column),
                );
            }
            ScanProblem::BadName { line, column, tag } => {
                renderable = false;
                findings.push(
                    Diagnostic::new(
                        rel,
                        rule::BAD_NAME,
                        format!("{tag} is not a variable: names are letters, digits, `_`, `-` and dots"),
                        "fix the name, or write a literal brace as &#123;",
                    )
                    .at(*line, *column),
                );
            }
        }
    }
    for problem in mustache::sections(&scan.tags) {
        renderable = false;
        findings.push(match problem {
            SectionProblem::Mismatched { close, open } => Diagnostic::new(
                rel,
                rule::SECTION_MISMATCH,
                format!(
                    "{{{{/{}}}}} does not match the innermost open section, {{{{{}{}}}}} of line {}",
                    close.name,
                    sigil(&open),
                    open.name,
                    open.line
                ),
                format!("close {} with {{{{/{}}}}} before closing anything outside it", open.name, open.name),
            )
            .at(close.line, close.column),
            SectionProblem::Unopened { close } => Diagnostic::new(
                rel,
                rule::SECTION_UNOPENED,
                format!("{{{{/{}}}}} closes a section that is not open", close.name),
                "remove it, or open the section before it",
            )
            .at(close.line, close.column),
            SectionProblem::Unclosed { open } => Diagnostic::new(
                rel,
                rule::SECTION_UNCLOSED,
                format!("the section {{{{{}{}}}}} is never closed", sigil(&open), open.name),
                format!("add {{{{/{}}}}} where the section ends", open.name),
            )
            .at(open.line, open.column),
        });
    }
    for tag in &scan.tags {
        match tag.kind {
            TagKind::Partial => {
                renderable = false;
                findings.push(
                    Diagnostic::new(
                        rel,
                        rule::PARTIAL,
                        format!("partial {{{{>{}}}}}: each template is uploaded and rendered on its own", tag.name),
                        "inline the partial's markup",
                    )
                    .at(tag.line, tag.column),
                );
            }
            TagKind::Delimiters => {
                renderable = false;
                findings.push(
                    Diagnostic::new(
                        rel,
                        rule::DELIMITERS,
                        "changing the Mustache delimiters is not supported",
                        "keep {{ }}",
                    )
                    .at(tag.line, tag.column),
                );
            }
            _ => {}
        }
    }
    renderable
}

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
            out.push(match (in_tag, quote) {
                (false, _) => MarkupContext::Text,
                (true, Some('"')) => MarkupContext::DoubleQuoted,
                (true, Some(_)) => MarkupContext::SingleQuoted,
                (true, None) => MarkupContext::Unquoted,
            });
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
    while out.len() < offsets.len() {
        out.push(MarkupContext::Text);
    }
    out
}

/// R07: ramhorns escapes `"` but not `'`, so only a double-quoted attribute value keeps data
/// from adding attributes.
fn check_placeholder_contexts(rel: &str, text: &str, scan: &mustache::Scan, findings: &mut Vec<Diagnostic>) {
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

fn sigil(tag: &Tag) -> &'static str {
    if tag.kind == TagKind::Inverted { "^" } else { "#" }
}

/// One declared variable: its dotted ID (`items.description`) and where the sample declares it.
struct Declared {
    path: JsonPath,
}

/// One level of lookup: the keys a context offers, and the ID prefix of those keys.
struct Scope<'v> {
    prefix: String,
    keys: BTreeMap<&'v str, (&'v Value, JsonPath)>,
}

/// The keys a value offers as a section context: an object's, or those of an array's objects.
fn scope_of<'v>(prefix: String, value: &'v Value, path: &JsonPath) -> Option<Scope<'v>> {
    let mut keys = BTreeMap::new();
    match value {
        Value::Object(o) => {
            for (k, v) in o {
                keys.insert(k.as_str(), (v, path.key(k)));
            }
        }
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                if let Value::Object(o) = item {
                    for (k, v) in o {
                        keys.entry(k.as_str()).or_insert_with(|| (v, path.index(i).key(k)));
                    }
                }
            }
            if keys.is_empty() {
                return None;
            }
        }
        _ => return None,
    }
    Some(Scope { prefix, keys })
}

/// Every variable the sample data declares, by ID.
fn declared(scope: &Scope<'_>, out: &mut BTreeMap<String, Declared>) {
    for (k, (v, path)) in &scope.keys {
        let id = format!("{}{k}", scope.prefix);
        if let Some(inner) = scope_of(format!("{id}."), v, path) {
            declared(&inner, out);
        }
        out.insert(id, Declared { path: path.clone() });
    }
}

/// Resolves a (dotted) name against the open contexts, innermost first, as Mustache does;
/// returns the IDs it went through and the value found.
fn resolve<'v>(name: &str, stack: &[Option<Scope<'v>>]) -> Option<(Vec<String>, &'v Value, JsonPath)> {
    let mut parts = name.split('.');
    let first = parts.next()?;
    let (scope, (value, path)) =
        stack.iter().rev().flatten().find_map(|s| s.keys.get(first).map(|found| (s, found.clone())))?;
    let mut ids = vec![format!("{}{first}", scope.prefix)];
    let (mut value, mut path) = (value, path);
    for part in parts {
        let id = ids.last().cloned().unwrap_or_default();
        let inner = scope_of(format!("{id}."), value, &path)?;
        let (v, p) = inner.keys.get(part).cloned()?;
        ids.push(format!("{id}.{part}"));
        value = v;
        path = p;
    }
    Some((ids, value, path))
}

/// R08 against the declaration. Returns the allow-listed unescaped variables.
fn check_declarations(
    rel: &str,
    text: &str,
    sample_rel: &str,
    scan: &mustache::Scan,
    sample: &JsonDocument<'_>,
    findings: &mut Vec<Diagnostic>,
) -> HashSet<String> {
    let root = scope_of(String::new(), &sample.value, &JsonPath::root());
    let mut all = BTreeMap::new();
    if let Some(r) = &root {
        declared(r, &mut all);
    }
    let mut allowed = HashSet::new();
    let tags = &scan.tags;
    for tag in tags.iter().filter(|t| t.kind == TagKind::Comment) {
        let Some(rest) = tag.name.strip_prefix(ALLOW_UNESCAPED) else { continue };
        let (name, reason) = rest.split_once(':').unwrap_or((rest, ""));
        if reason.trim().is_empty() {
            findings.push(
                Diagnostic::new(
                    rel,
                    rule::ALLOW_WITHOUT_REASON,
                    format!("allow-listing {} without a reason", name.trim()),
                    "write why this variable may carry markup: {{! allow-unescaped NAME: REASON }}",
                )
                .at(tag.line, tag.column),
            );
        } else {
            allowed.insert(name.trim().to_owned());
        }
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut stack: Vec<Option<Scope<'_>>> = vec![root];
    for tag in tags {
        match tag.kind {
            TagKind::Escaped | TagKind::Unescaped | TagKind::Section | TagKind::Inverted => {
                let found = if tag.name == "." { None } else { resolve(&tag.name, &stack) };
                if tag.name != "." && found.is_none() {
                    findings.push(
                        Diagnostic::new(
                            rel,
                            rule::UNDECLARED,
                            format!("{{{{{}}}}} is not declared in {sample_rel}", tag.name),
                            format!("add {:?} to {sample_rel}, or fix the name", tag.name),
                        )
                        .at(tag.line, tag.column),
                    );
                }
                if let Some((ids, _, _)) = &found {
                    used.extend(ids.iter().cloned());
                }
                if tag.kind == TagKind::Unescaped && !allowed.contains(&tag.name) {
                    findings.push(
                        Diagnostic::new(
                            rel,
                            rule::UNESCAPED,
                            format!("{} writes {} without HTML escaping", tag.source(text), tag.name),
                            format!(
                                "use {{{{{}}}}}, or allow-list it with {{{{! allow-unescaped {}: REASON }}}}",
                                tag.name, tag.name
                            ),
                        )
                        .at(tag.line, tag.column),
                    );
                }
                if matches!(tag.kind, TagKind::Section | TagKind::Inverted) {
                    let context = match (&found, tag.kind) {
                        (Some((ids, value, path)), TagKind::Section) => {
                            scope_of(format!("{}.", ids.last().cloned().unwrap_or_default()), value, path)
                        }
                        _ => None,
                    };
                    stack.push(context);
                }
            }
            TagKind::Close if stack.len() > 1 => {
                stack.pop();
            }
            _ => {}
        }
    }
    // A scan that stopped early has not seen every use.
    let complete = !scan.problems.iter().any(|p| matches!(p, ScanProblem::Unterminated { .. }))
        && !tags.iter().any(|t| t.kind == TagKind::Delimiters);
    for (id, d) in all.iter().filter(|_| complete) {
        if !used.contains(id) {
            findings.push(sample.finding(
                sample_rel,
                rule::UNUSED,
                &d.path,
                format!("{id} is declared but {rel} never uses it"),
                "remove it from the sample data, or use it in the template",
            ));
        }
    }
    allowed
}

/// R09: renders on the sample data, then on probe data.
fn check_render(
    rel: &str,
    text: &str,
    sample: &Value,
    allowed: &HashSet<String>,
    template_parses: bool,
    findings: &mut Vec<Diagnostic>,
) {
    let output = match render::render(text, sample) {
        Ok(o) => o,
        Err(e) => {
            findings.push(Diagnostic::new(
                rel,
                rule::RENDER_FAILED,
                format!("ramhorns cannot render it: {e}"),
                "fix the tags reported above",
            ));
            return;
        }
    };
    if let Some(i) = output.find("{{") {
        let line = output[..i].matches('\n').count() + 1;
        findings.push(Diagnostic::new(
            rel,
            rule::UNRENDERED,
            format!("`{{{{` survives rendering on line {line} of the output"),
            "a placeholder is malformed, or the sample data itself contains `{{`",
        ));
    }
    if template_parses {
        let doc = HtmlDocument::parse(&output);
        if let Some((line, message)) = doc.errors.first() {
            findings.push(Diagnostic::new(
                rel,
                rule::OUTPUT_INVALID,
                format!("the rendered output is not valid HTML: line {line} of the output: {message}"),
                "the sample data breaks the markup; placeholders must sit in text or quoted attribute values",
            ));
        }
    }
    let probe = render::probe_data_except(sample, ESCAPE_PROBE, allowed);
    if let Ok(out) = render::render(text, &probe)
        && out.contains("<script>stagegate-probe")
    {
        findings.push(Diagnostic::new(
            rel,
            rule::NOT_ESCAPED,
            "a <script> value in the data comes out as markup",
            "use {{name}} (escaped) for every variable that is not allow-listed",
        ));
    }
}
