//! The rules, applied to one parsed workflow.

use std::collections::BTreeMap;

use serde_norway::Value as Yaml;

use super::expressions::{self, ActionRef};
use super::{
    Declaration, Finding, InputKind, Position, Segment, WORKFLOW_MATRIX, WORKFLOWS_DIR, Workflow, injection,
    matrix_row, rule, scripts, security, syntax,
};

/// Commands that change what a state file or account holds.
const CHANGES_INFRASTRUCTURE: [&str; 5] =
    ["terraform apply", "terraform destroy", "terraform state push", "terraform import", "terraform state rm"];

const OIDC_ACTION: &str = "aws-actions/configure-aws-credentials";
const SCRIPT_ACTION: &str = "actions/github-script";

pub(super) fn key(name: &str) -> Segment {
    Segment::key(name)
}

pub(super) fn child(path: &[Segment], seg: Segment) -> Vec<Segment> {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

pub(super) fn text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) struct Lint<'a> {
    pub(super) w: &'a Workflow,
    pub(super) declaration: &'a Declaration,
    pub(super) out: Vec<Finding>,
    /// Declared dispatch and call inputs, by name, with their type (`string` when none is given).
    pub(super) inputs: BTreeMap<String, String>,
}

impl Lint<'_> {
    pub(super) fn push(&mut self, id: &str, at: Position, job: Option<&str>, message: String, fix: String) {
        let rule = rule(id);
        if rule.matrix && !self.declaration.matrix {
            return;
        }
        self.out.push(Finding {
            rule,
            file: self.w.file.clone(),
            line: at.line,
            column: at.column,
            job: job.map(str::to_owned),
            message,
            fix,
            suppressed: None,
        });
    }

    pub(super) fn at(&self, path: &[Segment]) -> Position {
        self.w.map.position(path)
    }

    pub(super) fn typed_input(&self, name: &str) -> bool {
        self.inputs.get(name).is_some_and(|t| matches!(t.as_str(), "choice" | "boolean" | "number" | "environment"))
    }
}

/// Every finding of one workflow.
pub(super) fn check(w: &Workflow, declaration: &Declaration) -> Vec<Finding> {
    let mut lint = Lint { w, declaration, out: Vec::new(), inputs: declared_inputs(&w.doc) };
    if let Some(row) = matrix_row(&w.name).filter(|_| declaration.matrix) {
        triggers(&mut lint, row.trigger);
        matrix_inputs(&mut lint, row.inputs);
    }
    undeclared_inputs(&mut lint);
    syntax::check_all(&mut lint);
    security::workflow(&mut lint);
    if let Some(jobs) = w.doc.get("jobs").and_then(Yaml::as_mapping) {
        for (id, job) in jobs {
            if let Some(id) = id.as_str() {
                self::job(&mut lint, id, job);
            }
        }
    }
    lint.out
}

/// SG-WF-012: the matrix's workflows that the repo lacks.
pub(super) fn missing_from_matrix(names: &[String]) -> Vec<Finding> {
    WORKFLOW_MATRIX
        .iter()
        .filter(|row| !names.iter().any(|n| n == row.file))
        .map(|row| Finding {
            rule: rule("SG-WF-012"),
            file: format!("{WORKFLOWS_DIR}/{}", row.file),
            line: 1,
            column: 1,
            job: None,
            message: format!("{} of the workflow matrix (LLD 7.3.1) is missing", row.file),
            fix: format!("add {WORKFLOWS_DIR}/{}", row.file),
            suppressed: None,
        })
        .collect()
}

/// The events of `on:` with their paths, whichever of its three forms it takes.
pub(super) fn events(doc: &Yaml) -> Vec<(String, Vec<Segment>)> {
    let on = vec![key("on")];
    match doc.get("on") {
        Some(Yaml::String(s)) => vec![(s.clone(), on)],
        Some(Yaml::Sequence(seq)) => seq
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_str().map(|s| (s.to_owned(), child(&on, Segment::Item(i)))))
            .collect(),
        Some(Yaml::Mapping(m)) => {
            m.keys().filter_map(|k| k.as_str().map(|s| (s.to_owned(), child(&on, key(s))))).collect()
        }
        _ => Vec::new(),
    }
}

fn declared_inputs(doc: &Yaml) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for event in ["workflow_dispatch", "workflow_call"] {
        if let Some(inputs) = doc.get("on").and_then(|on| on.get(event)).and_then(|e| e.get("inputs")) {
            for (name, spec) in inputs.as_mapping().into_iter().flatten() {
                if let Some(name) = name.as_str() {
                    let kind = spec.get("type").and_then(Yaml::as_str).unwrap_or("string");
                    out.insert(name.to_owned(), kind.to_owned());
                }
            }
        }
    }
    out
}

/// SG-WF-001 and SG-WF-002: `on:` as the matrix says.
fn triggers(lint: &mut Lint, trigger: super::Trigger) {
    let events = events(&lint.w.doc);
    let name = lint.w.name.clone();
    if trigger == super::Trigger::ManualDispatch {
        for (event, path) in events.iter().filter(|(e, _)| e != "workflow_dispatch") {
            lint.push(
                "SG-WF-001",
                lint.at(path),
                None,
                format!("{name} starts on {event}; the workflow matrix (LLD 7.3.1) starts it only by manual dispatch"),
                format!(
                    "remove `{event}` from `on:`: {name} changes an environment, so only a person starts it, through workflow_dispatch with its confirmation and approval"
                ),
            );
        }
    }
    for wanted in trigger.events() {
        if !events.iter().any(|(e, _)| e == wanted) {
            lint.push(
                "SG-WF-002",
                lint.at(&[key("on")]),
                None,
                format!("{name} does not start on {wanted}, as the workflow matrix (LLD 7.3.1) says"),
                format!("add `{wanted}:` under `on:`"),
            );
        }
    }
}

/// SG-WF-003: the dispatch inputs of the matrix, with their types, options and `required`.
fn matrix_inputs(lint: &mut Lint, wanted: &[super::MatrixInput]) {
    let base = vec![key("on"), key("workflow_dispatch"), key("inputs")];
    let inputs = lint.w.doc.get("on").and_then(|on| on.get("workflow_dispatch")).and_then(|d| d.get("inputs")).cloned();
    let name = lint.w.name.clone();
    for input in wanted {
        let path = child(&base, key(input.name));
        let Some(spec) = inputs.as_ref().and_then(|i| i.get(input.name)) else {
            lint.push(
                "SG-WF-003",
                lint.at(&path),
                None,
                format!("{name} has no dispatch input {}, which the workflow matrix asks for", input.name),
                format!("declare `{}` under on.workflow_dispatch.inputs", input.name),
            );
            continue;
        };
        let kind = spec.get("type").and_then(Yaml::as_str).unwrap_or("string");
        let problem = match input.kind {
            InputKind::Choice(options) => {
                let given: Vec<String> =
                    spec.get("options").and_then(Yaml::as_sequence).into_iter().flatten().filter_map(text).collect();
                let same = given.len() == options.len() && options.iter().all(|o| given.iter().any(|g| g == o));
                (kind != "choice" || !same).then(|| {
                    (
                        format!("input {} must be a choice of {}", input.name, options.join(", ")),
                        format!("set `type: choice` and `options: [{}]`", options.join(", ")),
                    )
                })
            }
            InputKind::Boolean => (kind != "boolean")
                .then(|| (format!("input {} must be a boolean", input.name), "set `type: boolean`".to_owned())),
            InputKind::Text => (kind != "string").then(|| {
                (format!("input {} must be free text, not {kind}", input.name), "set `type: string`".to_owned())
            }),
        };
        if let Some((message, fix)) = problem {
            lint.push("SG-WF-003", lint.at(&path), None, message, fix);
        }
        let required = spec.get("required").and_then(Yaml::as_bool).unwrap_or(false);
        if input.required && !required {
            lint.push(
                "SG-WF-003",
                lint.at(&path),
                None,
                format!("input {} is not required, so a run can start without it and find it empty", input.name),
                format!("add `required: true` to input {}", input.name),
            );
        }
    }
}

/// Every string of the document outside `on:`, with its path.
pub(super) fn strings<'a>(v: &'a Yaml, path: Vec<Segment>, out: &mut Vec<(Vec<Segment>, &'a str)>) {
    match v {
        Yaml::String(s) => out.push((path, s)),
        Yaml::Sequence(seq) => {
            for (i, e) in seq.iter().enumerate() {
                strings(e, child(&path, Segment::Item(i)), out);
            }
        }
        Yaml::Mapping(m) => {
            for (k, e) in m {
                if let Some(k) = k.as_str()
                    && !(path.is_empty() && k == "on")
                {
                    strings(e, child(&path, key(k)), out);
                }
            }
        }
        Yaml::Tagged(t) => strings(&t.value, path, out),
        _ => {}
    }
}

/// SG-WF-004: `github.event.inputs.X` / `inputs.X` read but never declared; once per input.
fn undeclared_inputs(lint: &mut Lint) {
    let mut all = Vec::new();
    strings(&lint.w.doc, Vec::new(), &mut all);
    let mut reported: Vec<String> = Vec::new();
    for (path, s) in all {
        for i in expressions::interpolations(s) {
            for (_, r) in expressions::context_refs(i.expression) {
                let Some(name) = r.input() else { continue };
                if lint.inputs.contains_key(name) || reported.iter().any(|n| n == name) {
                    continue;
                }
                reported.push(name.to_owned());
                let job = job_of(&path);
                lint.push(
                    "SG-WF-004",
                    lint.w.map.locate(&path, &r.written(), 0),
                    job.as_deref(),
                    format!(
                        "`{}` is read, but {} declares no input {name}: it is always empty",
                        r.written(),
                        lint.w.name
                    ),
                    format!("declare `{name}` under on.workflow_dispatch.inputs, or stop reading it"),
                );
            }
        }
    }
}

pub(super) fn job_of(path: &[Segment]) -> Option<String> {
    match path {
        [Segment::Key(j), Segment::Key(id), ..] if j == "jobs" => Some(id.clone()),
        _ => None,
    }
}

/// Whether a `permissions:` value grants `scope: write`.
pub(super) fn grants_write(permissions: Option<&Yaml>, scope: &str) -> bool {
    match permissions {
        Some(Yaml::String(s)) => s == "write-all",
        Some(p @ Yaml::Mapping(_)) => p.get(scope).and_then(Yaml::as_str) == Some("write"),
        _ => false,
    }
}

/// Says which permissions block is lacking: the job's, the workflow's, or none at all.
fn lacking(job_id: &str, job_level: bool, workflow_level: bool) -> String {
    if job_level {
        format!("the permissions of job {job_id} do not grant")
    } else if workflow_level {
        "the workflow's permissions do not grant".to_owned()
    } else {
        "no permissions block grants".to_owned()
    }
}

fn job(lint: &mut Lint, id: &str, job: &Yaml) {
    let jp = vec![key("jobs"), key(id)];
    let job_permissions = job.get("permissions");
    let workflow_permissions = lint.w.doc.get("permissions");
    let permissions = job_permissions.or(workflow_permissions);
    let lacks = lacking(id, job_permissions.is_some(), workflow_permissions.is_some());

    if let Some(uses) = job.get("uses").and_then(Yaml::as_str) {
        pinned(lint, id, &child(&jp, key("uses")), uses);
    }
    if let Some(condition) = job.get("if").and_then(Yaml::as_str) {
        truthy(lint, id, &child(&jp, key("if")), condition);
    }
    let steps = job.get("steps").and_then(Yaml::as_sequence).map(Vec::as_slice).unwrap_or_default();
    let mut changes: Option<&str> = None;
    let mut tags = false;
    let mut pushes: Vec<(Vec<Segment>, bool)> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let sp = child(&child(&jp, key("steps")), Segment::Item(i));
        let label = step
            .get("name")
            .and_then(Yaml::as_str)
            .or_else(|| step.get("uses").and_then(Yaml::as_str))
            .map_or_else(|| format!("step {}", i + 1), |name| format!("step {name:?}"));
        if let Some(condition) = step.get("if").and_then(Yaml::as_str) {
            truthy(lint, id, &child(&sp, key("if")), condition);
        }
        if let Some(uses) = step.get("uses").and_then(Yaml::as_str) {
            let up = child(&sp, key("uses"));
            pinned(lint, id, &up, uses);
            let action = match expressions::action_ref(uses) {
                ActionRef::Remote { action, .. } | ActionRef::Unversioned { action } => action.to_ascii_lowercase(),
                _ => String::new(),
            };
            let with = step.get("with");
            if action == OIDC_ACTION
                && with.and_then(|w| w.get("role-to-assume")).is_some()
                && with.and_then(|w| w.get("aws-access-key-id")).is_none()
                && !grants_write(permissions, "id-token")
            {
                lint.push(
                    "SG-WF-006",
                    lint.at(&up),
                    Some(id),
                    format!("job {id} assumes an AWS role through OIDC, but {lacks} id-token: write, so GitHub issues no token to assume it with"),
                    "add `permissions: { id-token: write, contents: read }` to the job".to_owned(),
                );
            }
            if action == SCRIPT_ACTION
                && let Some(script) = with.and_then(|w| w.get("script")).and_then(Yaml::as_str)
            {
                injection::script(lint, id, i, &label, &child(&child(&sp, key("with")), key("script")), script, true);
            }
        }
        if let Some(run) = step.get("run").and_then(Yaml::as_str) {
            let rp = child(&sp, key("run"));
            injection::script(lint, id, i, &label, &rp, run, false);
            if changes.is_none() {
                changes = CHANGES_INFRASTRUCTURE.iter().copied().find(|c| run.contains(c));
            }
            tags |= run.contains("git tag");
            if run.contains("git push") {
                let names_tags = run.contains("git tag") || run.contains("--tags") || run.contains("refs/tags");
                pushes.push((rp, names_tags));
            }
        }
    }
    // A plain push counts as a tag push when the job creates a tag in another step.
    for (rp, names_tags) in pushes {
        if (names_tags || tags) && !grants_write(permissions, "contents") {
            lint.push(
                "SG-WF-007",
                lint.w.map.locate(&rp, "git push", 0),
                Some(id),
                format!("job {id} pushes a deployment tag, but {lacks} contents: write; the push is refused where the token is read-only"),
                format!("add `permissions: {{ contents: write }}` to job {id} (with id-token: write where it assumes a role)"),
            );
        }
    }
    security::job(lint, id, job);
    scripts::job(lint, id, job);
    if let Some(command) = changes
        && job.get("environment").is_none()
    {
        lint.push(
            "SG-WF-005",
            lint.at(&jp),
            Some(id),
            format!("job {id} runs `{command}` but declares no `environment:`, so that environment's reviewers and branch rules never apply"),
            format!("add `environment: ${{{{ inputs.environment }}}}` to job {id}"),
        );
    }
}

/// SG-WF-008 and SG-WF-009 on one `uses:`.
fn pinned(lint: &mut Lint, job: &str, path: &[Segment], uses: &str) {
    let at = lint.at(path);
    match expressions::action_ref(uses) {
        ActionRef::Local => {}
        ActionRef::Docker { image } => {
            if !image.contains("@sha256:") {
                lint.push(
                    "SG-WF-008",
                    at,
                    Some(job),
                    format!("`{uses}` names an image tag the registry can move"),
                    "pin the image by digest: `docker://IMAGE@sha256:<digest>`".to_owned(),
                );
            }
        }
        ActionRef::Unversioned { action } => lint.push(
            "SG-WF-008",
            at,
            Some(job),
            format!("`{action}` names no version at all"),
            format!("pin it to a full commit SHA: `{action}@<40-hex sha> # vX.Y.Z`"),
        ),
        ActionRef::Remote { action, reference } => {
            if let Some(next) = expressions::retired(action, reference) {
                lint.push(
                    "SG-WF-009",
                    at,
                    Some(job),
                    format!("`{uses}` is retired: GitHub fails every run that uses it"),
                    format!("move to {action} {next}, pinned to its commit SHA (v4 artifacts are immutable: one name per upload)"),
                );
            }
            if !expressions::is_commit_sha(reference) {
                lint.push(
                    "SG-WF-008",
                    at,
                    Some(job),
                    format!("`{uses}` is pinned to `{reference}`, which its owner can move to other code"),
                    format!("pin it to the full commit SHA of that release, tag as a comment: `{action}@<40-hex sha> # {reference}`"),
                );
            }
        }
    }
}

/// SG-WF-011: a boolean input tested as truthy through `github.event.inputs`.
fn truthy(lint: &mut Lint, job: &str, path: &[Segment], condition: &str) {
    for name in expressions::truthy_string_booleans(condition, |n| lint.inputs.get(n).is_some_and(|t| t == "boolean")) {
        let written = format!("github.event.inputs.{name}");
        lint.push(
            "SG-WF-011",
            lint.w.map.locate(path, &written, 0),
            Some(job),
            format!("`if:` tests `{written}`, a string: 'false' is truthy, so the step runs when {name} is false"),
            format!("write `${{{{ inputs.{name} }}}}` (a boolean) or `${{{{ {written} == 'true' }}}}`"),
        );
    }
}
