//! GitHub Actions expressions (`${{ … }}`) and action references, read as the runner reads them.

use std::sync::LazyLock;

use regex::Regex;

/// One `${{ … }}` in a string: its byte offset, its whole text and the expression inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpolation<'a> {
    pub offset: usize,
    pub text: &'a str,
    pub expression: &'a str,
}

/// Every `${{ … }}` in `text`, in order.
pub fn interpolations(text: &str) -> Vec<Interpolation<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("${{") {
        let start = from + start;
        let Some(len) = text[start + 3..].find("}}") else { break };
        let end = start + 3 + len + 2;
        out.push(Interpolation { offset: start, text: &text[start..end], expression: text[start + 3..end - 2].trim() });
        from = end;
    }
    out
}

/// A context value an expression reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextRef {
    /// `github.event.inputs.NAME`: always a string.
    EventInput(String),
    /// `inputs.NAME`: typed as the input declares.
    Input(String),
    /// `github.head_ref`.
    HeadRef,
    /// Any other `github.event.…` path (`github.event.pull_request.title`).
    Event(String),
}

impl ContextRef {
    /// The name a shell variable holding this value would take: `CHANGE_TICKET`, `HEAD_REF`, `TITLE`.
    pub fn variable(&self) -> String {
        let name = match self {
            ContextRef::EventInput(n) | ContextRef::Input(n) => n.as_str(),
            ContextRef::HeadRef => "head_ref",
            ContextRef::Event(path) => path.rsplit('.').next().unwrap_or(path),
        };
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
    }

    /// The reference as written in an expression.
    pub fn written(&self) -> String {
        match self {
            ContextRef::EventInput(n) => format!("github.event.inputs.{n}"),
            ContextRef::Input(n) => format!("inputs.{n}"),
            ContextRef::HeadRef => "github.head_ref".to_owned(),
            ContextRef::Event(path) => format!("github.event.{path}"),
        }
    }

    /// The dispatch input it reads, if any.
    pub fn input(&self) -> Option<&str> {
        match self {
            ContextRef::EventInput(n) | ContextRef::Input(n) => Some(n),
            _ => None,
        }
    }
}

static CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^A-Za-z0-9_.])((?:github\.event\.inputs|inputs)\.([A-Za-z_][A-Za-z0-9_-]*)|github\.head_ref\b|github\.event\.([A-Za-z0-9_.\-*\[\]']+))")
        .expect("a valid pattern")
});

/// Every input, `github.head_ref` and `github.event.…` reference in an expression, with its byte
/// offset in the expression.
pub fn context_refs(expression: &str) -> Vec<(usize, ContextRef)> {
    CONTEXT
        .captures_iter(expression)
        .filter_map(|c| {
            let whole = c.get(1)?;
            let r = if let Some(name) = c.get(2) {
                if whole.as_str().starts_with("github.") {
                    ContextRef::EventInput(name.as_str().to_owned())
                } else {
                    ContextRef::Input(name.as_str().to_owned())
                }
            } else if let Some(path) = c.get(3) {
                ContextRef::Event(path.as_str().trim_end_matches('.').to_owned())
            } else {
                ContextRef::HeadRef
            };
            Some((whole.start(), r))
        })
        .collect()
}

/// Fields of an event payload whose values are numbers, IDs, hashes, times, booleans or one of
/// a fixed set of words GitHub writes (a run's conclusion, an action, a state), which no one can
/// craft into a command.
pub fn is_safe_event_field(field: &str) -> bool {
    matches!(
        field,
        "number"
            | "id"
            | "sha"
            | "size"
            | "additions"
            | "deletions"
            | "commits"
            | "run_attempt"
            | "conclusion"
            | "status"
            | "action"
            | "event"
            | "state"
            | "author_association"
            | "merged"
            | "draft"
            | "locked"
            | "private"
            | "fork"
            | "forced"
            | "created"
            | "deleted"
            | "mergeable"
            | "rebaseable"
            | "changed_files"
            | "comments"
            | "review_comments"
            | "maintainer_can_modify"
            | "node_id"
            | "url"
            | "html_url"
            | "api_url"
            | "visibility"
    ) || field.ends_with("_id")
        || field.ends_with("_sha")
        || field.ends_with("_at")
        || field.ends_with("_number")
        || field.ends_with("_count")
}

/// Whether the value a reference reads can be chosen by whoever starts or triggers the run.
/// `typed_input` says whether a dispatch input is a choice, boolean or number, which GitHub checks
/// before the run starts.
pub fn is_untrusted(r: &ContextRef, typed_input: impl Fn(&str) -> bool) -> bool {
    match r {
        ContextRef::EventInput(n) | ContextRef::Input(n) => !typed_input(n),
        ContextRef::HeadRef => true,
        ContextRef::Event(path) => {
            let field = path.rsplit('.').next().unwrap_or(path);
            !is_safe_event_field(field)
        }
    }
}

/// The boolean inputs an `if:` condition tests as truthy through `github.event.inputs`, where
/// every value is a string and `'false'` is true. Comparing with a string literal is correct.
pub fn truthy_string_booleans(condition: &str, is_boolean: impl Fn(&str) -> bool) -> Vec<String> {
    let expression = strip_interpolation(condition);
    context_refs(expression)
        .into_iter()
        .filter_map(|(at, r)| match r {
            ContextRef::EventInput(name) if is_boolean(&name) => {
                let end = at + "github.event.inputs.".len() + name.len();
                let compared =
                    compared_with_string(&expression[end..], false) || compared_with_string(&expression[..at], true);
                (!compared).then_some(name)
            }
            _ => None,
        })
        .collect()
}

/// `== 'x'` after the reference, or `'x' ==` before it.
fn compared_with_string(side: &str, before: bool) -> bool {
    static AFTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(==|!=)\s*'").expect("a valid pattern"));
    static BEFORE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"'\s*(==|!=)\s*$").expect("a valid pattern"));
    if before { BEFORE.is_match(side) } else { AFTER.is_match(side) }
}

/// `${{ x }}` → `x`; an `if:` may be written either way.
pub fn strip_interpolation(condition: &str) -> &str {
    let t = condition.trim();
    match t.strip_prefix("${{").and_then(|r| r.strip_suffix("}}")) {
        Some(inner) if !inner.contains("${{") => inner.trim(),
        _ => t,
    }
}

/// A `uses:` value: `owner/repo[/path]@ref`, `./local`, or `docker://image`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionRef<'a> {
    Remote {
        action: &'a str,
        reference: &'a str,
    },
    Local,
    Docker {
        image: &'a str,
    },
    /// No `@ref` at all.
    Unversioned {
        action: &'a str,
    },
}

pub fn action_ref(uses: &str) -> ActionRef<'_> {
    let uses = uses.trim();
    if uses.starts_with("./") {
        ActionRef::Local
    } else if let Some(image) = uses.strip_prefix("docker://") {
        ActionRef::Docker { image }
    } else {
        match uses.rsplit_once('@') {
            Some((action, reference)) => ActionRef::Remote { action, reference },
            None => ActionRef::Unversioned { action: uses },
        }
    }
}

/// A full 40-hex commit SHA: the only reference a repository owner cannot move.
pub fn is_commit_sha(reference: &str) -> bool {
    reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Versions GitHub has retired: runs that use them fail.
const RETIRED: [(&str, &[&str]); 3] = [
    ("actions/upload-artifact", &["v1", "v2", "v3"]),
    ("actions/download-artifact", &["v1", "v2", "v3"]),
    ("actions/cache", &["v1", "v2"]),
];

/// The replacement major version when `action@reference` is retired.
pub fn retired(action: &str, reference: &str) -> Option<&'static str> {
    let major = reference.split('.').next().unwrap_or(reference);
    RETIRED.iter().find(|(a, versions)| a.eq_ignore_ascii_case(action) && versions.contains(&major)).map(|_| "v4")
}
