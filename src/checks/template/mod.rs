//! Email templates (`templates/NAME.html`) and their sample data (`templates/NAME.sample.json`):
//! R07 HTML structure, R08 Mustache placeholders, R09 the render test.
//!
//! The sample data is also the declaration of the template's variables: its keys, and the keys
//! of the objects in its arrays (section items), are exactly the variables the template may use.

mod context;
mod declarations;
pub mod html;
pub mod mustache;
pub mod render;

use context::check_placeholder_contexts;
pub use context::{MarkupContext, markup_contexts};
use declarations::check_declarations;

use std::collections::HashSet;
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

fn sigil(tag: &Tag) -> &'static str {
    if tag.kind == TagKind::Inverted { "^" } else { "#" }
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
