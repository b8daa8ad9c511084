//! SG-WF-010 and SG-WF-019: values someone outside the team can choose, pasted into a script
//! before it runs. Besides inputs and event fields, a value reaches a script through `env.X`,
//! `steps.S.outputs.O` and `needs.J.outputs.O`; each is followed back to where it was set, and
//! is injection when that place reads an untrusted value.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_norway::Value as Yaml;

use super::Segment;
use super::checks::Lint;
use super::expressions::{self, ContextRef};

/// A value that reaches a script from somewhere else in the workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derived {
    /// `env.NAME`
    Env(String),
    /// `steps.ID.outputs.NAME`
    StepOutput(String, String),
    /// `needs.JOB.outputs.NAME`
    JobOutput(String, String),
}

impl Derived {
    pub fn written(&self) -> String {
        match self {
            Derived::Env(n) => format!("env.{n}"),
            Derived::StepOutput(s, n) => format!("steps.{s}.outputs.{n}"),
            Derived::JobOutput(j, n) => format!("needs.{j}.outputs.{n}"),
        }
    }

    fn variable(&self) -> String {
        let name = match self {
            Derived::Env(n) | Derived::StepOutput(_, n) | Derived::JobOutput(_, n) => n,
        };
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
    }
}

static DERIVED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^A-Za-z0-9_.])(?:env\.([A-Za-z_][A-Za-z0-9_]*)|steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)|needs\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*))")
        .expect("a valid pattern")
});

/// Every `env.X`, `steps.S.outputs.O` and `needs.J.outputs.O` an expression reads.
pub fn derived_refs(expression: &str) -> Vec<Derived> {
    DERIVED
        .captures_iter(expression)
        .filter_map(|c| {
            if let Some(n) = c.get(1) {
                Some(Derived::Env(n.as_str().to_owned()))
            } else if let (Some(s), Some(n)) = (c.get(2), c.get(3)) {
                Some(Derived::StepOutput(s.as_str().to_owned(), n.as_str().to_owned()))
            } else {
                Some(Derived::JobOutput(c.get(4)?.as_str().to_owned(), c.get(5)?.as_str().to_owned()))
            }
        })
        .collect()
}

/// Where a job and step of the workflow sit, to follow derived values back.
struct Scope<'a> {
    doc: &'a Yaml,
    job: &'a Yaml,
    step: usize,
}

impl Scope<'_> {
    /// The untrusted value a text reads, directly or through what it derives from; `depth`
    /// bounds the chase through outputs that read other outputs.
    fn untrusted_in(&self, lint: &Lint, text: &str, depth: usize) -> Option<String> {
        for i in expressions::interpolations(text) {
            if let Some(found) = self.untrusted_expression(lint, i.expression, depth) {
                return Some(found);
            }
        }
        None
    }

    fn untrusted_expression(&self, lint: &Lint, expression: &str, depth: usize) -> Option<String> {
        if let Some((_, r)) = expressions::context_refs(expression)
            .into_iter()
            .find(|(_, r)| expressions::is_untrusted(r, |n| lint.typed_input(n)))
        {
            return Some(r.written());
        }
        if depth == 0 {
            return None;
        }
        derived_refs(expression)
            .into_iter()
            .find_map(|d| self.tainted(lint, &d, depth - 1).map(|why| format!("{} ({why})", d.written())))
    }

    /// Whether a derived value carries an untrusted one, and which.
    fn tainted(&self, lint: &Lint, d: &Derived, depth: usize) -> Option<String> {
        match d {
            Derived::Env(name) => {
                let step = self.job.get("steps").and_then(|s| s.get(self.step));
                [step, Some(self.job), Some(self.doc)]
                    .into_iter()
                    .flatten()
                    .find_map(|holder| holder.get("env").and_then(|e| e.get(name.as_str())).and_then(Yaml::as_str))
                    .and_then(|value| self.untrusted_in(lint, value, depth))
            }
            Derived::StepOutput(id, _) => {
                let steps = self.job.get("steps").and_then(Yaml::as_sequence)?;
                let (index, step) =
                    steps.iter().enumerate().find(|(_, s)| s.get("id").and_then(Yaml::as_str) == Some(id.as_str()))?;
                let inner = Scope { doc: self.doc, job: self.job, step: index };
                let mut texts = Vec::new();
                super::checks::strings(step, Vec::new(), &mut texts);
                texts.into_iter().find_map(|(_, t)| inner.untrusted_in(lint, t, depth))
            }
            Derived::JobOutput(job, name) => {
                let other = self.doc.get("jobs")?.get(job.as_str())?;
                let value = other.get("outputs")?.get(name.as_str())?.as_str()?;
                Scope { doc: self.doc, job: other, step: usize::MAX }.untrusted_in(lint, value, depth)
            }
        }
    }
}

/// SG-WF-010 and SG-WF-019 on one script: a step's `run:` or a github-script body.
pub(super) fn script(
    lint: &mut Lint,
    job: &str,
    step_index: usize,
    // How a message names the step: `step "Deploy"`, or `step 2` when it has no name.
    step: &str,
    path: &[Segment],
    script: &str,
    javascript: bool,
) {
    let doc = &lint.w.doc;
    let Some(job_yaml) = doc.get("jobs").and_then(|j| j.get(job)) else { return };
    let scope = Scope { doc, job: job_yaml, step: step_index };
    let mut found = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for i in expressions::interpolations(script) {
        let nth = seen.entry(i.text).or_insert(0);
        let occurrence = *nth;
        *nth += 1;
        let at = lint.w.map.locate(path, i.text, occurrence);
        for (_, r) in expressions::context_refs(i.expression) {
            if !expressions::is_untrusted(&r, |n| lint.typed_input(n)) {
                continue;
            }
            let var = r.variable();
            found.push((
                "SG-WF-010",
                at,
                format!(
                    "`{}` is pasted into {} of {step} before it runs: a crafted {} runs as code",
                    i.text,
                    what(javascript),
                    describe(&r)
                ),
                format!(
                    "pass it through env: (`{var}: ${{{{ {} }}}}`) and {} instead",
                    r.written(),
                    read(javascript, &var)
                ),
            ));
        }
        for d in derived_refs(i.expression) {
            let var = d.variable();
            let fix = format!(
                "pass it through env: (`{var}: ${{{{ {} }}}}`) and {} instead",
                d.written(),
                read(javascript, &var)
            );
            match scope.tainted(lint, &d, 3) {
                Some(source) => found.push((
                    "SG-WF-010",
                    at,
                    format!(
                        "`{}` is pasted into {} of {step} before it runs, and it carries `{source}`: a crafted value runs as code",
                        i.text,
                        what(javascript)
                    ),
                    fix,
                )),
                None if !matches!(d, Derived::Env(_)) => found.push((
                    "SG-WF-019",
                    at,
                    format!("`{}` is pasted into {} of {step}; whatever that output holds runs as code", i.text, what(javascript)),
                    fix,
                )),
                None => {}
            }
        }
    }
    for (id, at, message, fix) in found {
        lint.push(id, at, Some(job), message, fix);
    }
}

fn what(javascript: bool) -> &'static str {
    if javascript { "the script" } else { "the shell script" }
}

fn read(javascript: bool, var: &str) -> String {
    if javascript { format!("read process.env.{var}") } else { format!("use \"${var}\" (quoted)") }
}

fn describe(r: &ContextRef) -> String {
    match r {
        ContextRef::EventInput(n) | ContextRef::Input(n) => format!("input {n}"),
        ContextRef::HeadRef => "branch name".to_owned(),
        ContextRef::Event(path) => format!("event field {path}"),
    }
}
