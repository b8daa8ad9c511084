//! The generic security rules, on any repo: dangerous triggers and pwn requests (SG-WF-013/014),
//! token permissions (015/016), persisted credentials (017), cache poisoning (018); and the
//! workflow-level run-time failures of LLD 7.3's workflows that any workflow can have (025–027).

use serde_norway::Value as Yaml;

use super::checks::{Lint, child, events, key, strings};
use super::expressions::{self, ActionRef};
use super::{Segment, matrix_row};

/// Events that run with the base repository's secrets and a write token, on something an
/// outsider can cause (a fork's pull request, a comment).
const DANGEROUS_TRIGGERS: [&str; 3] = ["pull_request_target", "workflow_run", "issue_comment"];

/// What a `ref:` or script names when it checks out a contribution rather than the base.
const CONTRIBUTION_REFS: [&str; 7] = [
    "github.event.pull_request.head.",
    "github.head_ref",
    "refs/pull/",
    "github.event.workflow_run.head_",
    "github.event.issue.pull_request",
    "github.event.pull_request.merge_commit_sha",
    "github.event.number",
];

/// `owner/repo` of a step's `uses:`, lower case; empty for local actions and images.
pub(super) fn action(step: &Yaml) -> String {
    match step.get("uses").and_then(Yaml::as_str).map(expressions::action_ref) {
        Some(ActionRef::Remote { action, .. } | ActionRef::Unversioned { action }) => action.to_ascii_lowercase(),
        _ => String::new(),
    }
}

fn with<'a>(step: &'a Yaml, name: &str) -> Option<&'a Yaml> {
    step.get("with").and_then(|w| w.get(name))
}

fn is_false(v: Option<&Yaml>) -> bool {
    matches!(v, Some(Yaml::Bool(false))) || v.and_then(Yaml::as_str).is_some_and(|s| s.trim() == "false")
}

fn is_true(v: Option<&Yaml>) -> bool {
    matches!(v, Some(Yaml::Bool(true))) || v.and_then(Yaml::as_str).is_some_and(|s| s.trim() == "true")
}

pub(super) fn steps(job: &Yaml) -> &[Yaml] {
    job.get("steps").and_then(Yaml::as_sequence).map(Vec::as_slice).unwrap_or_default()
}

pub(super) fn step_path(job: &str, i: usize) -> Vec<Segment> {
    vec![key("jobs"), key(job), key("steps"), Segment::Item(i)]
}

/// The rules that look at the workflow as a whole.
pub(super) fn workflow(lint: &mut Lint) {
    let events = events(&lint.w.doc);
    let name = lint.w.name.clone();
    for (event, path) in events.iter().filter(|(e, _)| DANGEROUS_TRIGGERS.contains(&e.as_str())) {
        lint.push(
            "SG-WF-013",
            lint.at(path),
            None,
            format!("{name} starts on {event}, which runs with this repository's secrets and a write token on something an outsider can cause"),
            format!("start on pull_request instead, or make sure no job of {name} reads the contribution; if it reads none, say so with `# stagegate:ignore SG-WF-013 <reason>`"),
        );
    }
    permissions(lint);
    cache_poisoning(lint, &events);
    inputs_on_other_events(lint, &events);
    artifacts_of_another_run(lint);
    if events.iter().any(|(e, _)| e == "workflow_run") {
        unchecked_conclusion(lint);
    }
    if lint.declaration.matrix && matrix_row(&name).is_some_and(|r| r.file == "rollback.yml") {
        rollback_names_a_component(lint);
    }
}

/// SG-WF-015 and SG-WF-016.
fn permissions(lint: &mut Lint) {
    let doc = &lint.w.doc;
    let jobs: Vec<(String, bool)> = doc
        .get("jobs")
        .and_then(Yaml::as_mapping)
        .into_iter()
        .flatten()
        .filter_map(|(k, j)| Some((k.as_str()?.to_owned(), j.get("permissions").is_some())))
        .collect();
    // A reusable workflow runs with its caller's token: the caller's permissions apply.
    let called_only = events(doc).iter().all(|(e, _)| e == "workflow_call");
    let mut found = Vec::new();
    match doc.get("permissions") {
        None if called_only => {}
        None => {
            for (job, _) in jobs.iter().filter(|(_, own)| !own) {
                found.push((
                    "SG-WF-016",
                    vec![key("jobs"), key(job)],
                    Some(job.clone()),
                    format!("job {job} has no permissions block, nor has the workflow: it gets the repository's default token, which may write everywhere"),
                    "add `permissions: { contents: read }` at workflow level and grant the job only what it needs".to_owned(),
                ));
            }
        }
        Some(Yaml::String(s)) if s == "write-all" && jobs.len() > 1 => found.push((
            "SG-WF-015",
            vec![key("permissions")],
            None,
            "`permissions: write-all` at workflow level gives every job a token that can write everywhere".to_owned(),
            "set `permissions: { contents: read }` at workflow level and grant write scopes per job".to_owned(),
        )),
        Some(Yaml::Mapping(m)) if jobs.len() > 1 => {
            for (scope, level) in m {
                let (Some(scope), Some("write")) = (scope.as_str(), level.as_str()) else { continue };
                found.push((
                    "SG-WF-015",
                    vec![key("permissions"), key(scope)],
                    None,
                    format!(
                        "`{scope}: write` is granted at workflow level, so each of the {} jobs gets it",
                        jobs.len()
                    ),
                    format!("move `{scope}: write` to the permissions of the job that needs it"),
                ));
            }
        }
        _ => {}
    }
    for (id, path, job, message, fix) in found {
        lint.push(id, lint.at(&path), job.as_deref(), message, fix);
    }
}

/// Actions that publish what the job built: a release, a package, signed provenance.
const PUBLISHERS: [&str; 8] = [
    "goreleaser/goreleaser-action",
    "softprops/action-gh-release",
    "ncipollo/release-action",
    "actions/create-release",
    "pypa/gh-action-pypi-publish",
    "actions/attest-build-provenance",
    "rubygems/release-gem",
    "docker/build-push-action",
];

/// Whether a workflow publishes: it starts on a release or on pushed tags, or a step hands what
/// was built to a publishing action.
fn is_release(doc: &Yaml, events: &[(String, Vec<Segment>)]) -> bool {
    let jobs = doc.get("jobs").and_then(Yaml::as_mapping).into_iter().flatten();
    events.iter().any(|(e, _)| e == "release")
        || doc.get("on").and_then(|on| on.get("push")).and_then(|p| p.get("tags")).is_some()
        || jobs.flat_map(|(_, j)| steps(j)).any(|s| PUBLISHERS.contains(&action(s).as_str()))
}

/// The cache a step restores, if it restores one: (what, the setting that turns it off).
fn restores_cache(step: &Yaml) -> Option<(&'static str, &'static str)> {
    let action = action(step);
    let major = step
        .get("uses")
        .and_then(Yaml::as_str)
        .and_then(|u| u.rsplit_once('@'))
        .map(|(_, r)| r.trim_start_matches('v').split('.').next().unwrap_or("").to_owned())
        .unwrap_or_default();
    let set =
        |name: &str| with(step, name).and_then(super::checks::text).is_some_and(|v| !v.is_empty() && v != "false");
    match action.as_str() {
        "actions/cache" | "actions/cache/restore" => {
            (!is_true(with(step, "lookup-only"))).then_some(("actions/cache", "remove the cache step"))
        }
        // setup-go caches by default from v4 on; a commit SHA is taken to be a recent release.
        "actions/setup-go" => {
            let default_on = major.parse::<u32>().map_or(major.len() == 40, |m| m >= 4);
            let on = if with(step, "cache").is_some() { !is_false(with(step, "cache")) } else { default_on };
            on.then_some(("actions/setup-go's module cache", "set `cache: false`"))
        }
        "actions/setup-node" | "actions/setup-python" | "actions/setup-java" | "actions/setup-dotnet" => {
            set("cache").then_some(("the setup action's package cache", "remove `cache:`"))
        }
        "ruby/setup-ruby" => {
            is_true(with(step, "bundler-cache")).then_some(("the bundler cache", "remove `bundler-cache: true`"))
        }
        "swatinem/rust-cache" => Some(("rust-cache", "remove the rust-cache step")),
        // mise-action caches its tools unless told not to.
        "jdx/mise-action" => (!is_false(with(step, "cache"))).then_some(("mise's tool cache", "set `cache: false`")),
        _ => None,
    }
}

/// SG-WF-018: a release workflow restores a cache.
fn cache_poisoning(lint: &mut Lint, events: &[(String, Vec<Segment>)]) {
    if !is_release(&lint.w.doc, events) {
        return;
    }
    let mut found = Vec::new();
    for (job, j) in lint.w.doc.get("jobs").and_then(Yaml::as_mapping).into_iter().flatten() {
        let Some(job) = job.as_str() else { continue };
        for (i, step) in steps(j).iter().enumerate() {
            if let Some((what, off)) = restores_cache(step) {
                found.push((job.to_owned(), child(&step_path(job, i), key("uses")), what, off));
            }
        }
    }
    let name = lint.w.name.clone();
    for (job, path, what, off) in found {
        lint.push(
            "SG-WF-018",
            lint.at(&path),
            Some(&job),
            format!("{name} publishes a release, and job {job} restores {what}, which any branch's run can have written: what is released can hold code no one reviewed"),
            format!("{off} in this release workflow"),
        );
    }
}

/// SG-WF-026: dispatch inputs read in a workflow that other events start too.
fn inputs_on_other_events(lint: &mut Lint, events: &[(String, Vec<Segment>)]) {
    let others: Vec<&str> = events
        .iter()
        .map(|(e, _)| e.as_str())
        .filter(|e| !matches!(*e, "workflow_dispatch" | "workflow_call"))
        .collect();
    if others.is_empty() || lint.inputs.is_empty() {
        return;
    }
    let mut all = Vec::new();
    strings(&lint.w.doc, Vec::new(), &mut all);
    let mut reported: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for (path, s) in all {
        for i in expressions::interpolations(s) {
            // A comparison, negation or fallback already says what an empty value means.
            if ["||", "&&", "==", "!=", "!"].iter().any(|op| i.expression.contains(op)) {
                continue;
            }
            for (_, r) in expressions::context_refs(i.expression) {
                let Some(name) = r.input() else { continue };
                if !lint.inputs.contains_key(name) || reported.iter().any(|n| n == name) {
                    continue;
                }
                reported.push(name.to_owned());
                found.push((path.clone(), r.written(), name.to_owned()));
            }
        }
    }
    let events = others.join(", ");
    let file = lint.w.name.clone();
    for (path, written, name) in found {
        let job = super::checks::job_of(&path);
        lint.push(
            "SG-WF-026",
            lint.w.map.locate(&path, &written, 0),
            job.as_deref(),
            format!("{file} also starts on {events}, where `{written}` is empty: the run works on no {name}"),
            format!("give {name} a value for {events} too (`${{{{ {written} || <its source on {events}> }}}}`), or start {file} only by dispatch"),
        );
    }
}

/// SG-WF-025: a download of an artifact that this run never uploads.
fn artifacts_of_another_run(lint: &mut Lint) {
    let jobs: Vec<(String, &Yaml)> = lint
        .w
        .doc
        .get("jobs")
        .and_then(Yaml::as_mapping)
        .into_iter()
        .flatten()
        .filter_map(|(k, j)| Some((k.as_str()?.to_owned(), j)))
        .collect();
    // A reusable workflow (called or calling) or a local action may upload what this run downloads.
    let called = lint
        .w
        .doc
        .get("on")
        .is_some_and(|on| on.get("workflow_call").is_some() || on.as_str() == Some("workflow_call"));
    let elsewhere = called
        || jobs.iter().any(|(_, j)| {
            j.get("uses").is_some()
                || steps(j).iter().any(|s| s.get("uses").and_then(Yaml::as_str).is_some_and(|u| u.starts_with("./")))
        });
    if elsewhere {
        return;
    }
    let uploads: Vec<Option<String>> = jobs
        .iter()
        .flat_map(|(_, j)| steps(j))
        .filter(|s| action(s) == "actions/upload-artifact")
        .map(|s| with(s, "name").and_then(super::checks::text))
        .collect();
    let mut found = Vec::new();
    for (job, j) in &jobs {
        for (i, step) in steps(j).iter().enumerate() {
            if action(step) != "actions/download-artifact" || with(step, "run-id").is_some() {
                continue;
            }
            let name = with(step, "name").and_then(super::checks::text);
            let uploaded = match &name {
                Some(n) => {
                    uploads.iter().any(|u| u.as_ref().is_none_or(|u| u == n || u.contains("${{") || n.contains("${{")))
                }
                None => !uploads.is_empty(),
            };
            if !uploaded {
                found.push((job.clone(), child(&step_path(job, i), key("uses")), name));
            }
        }
    }
    let file = lint.w.name.clone();
    for (job, path, name) in found {
        let what = name.map_or_else(|| "artifacts".to_owned(), |n| format!("artifact {n}"));
        lint.push(
            "SG-WF-025",
            lint.at(&path),
            Some(&job),
            format!("job {job} downloads {what}, but no job of {file} uploads it and no `run-id:` names another run: download-artifact reads only this run's artifacts, so it finds nothing"),
            "upload it in this run, or give download-artifact v4 the `run-id:` of the run that uploaded it and `github-token:`".to_owned(),
        );
    }
}

/// SG-WF-027: workflow_run jobs that do not look at how the run they follow ended.
fn unchecked_conclusion(lint: &mut Lint) {
    let mut found = Vec::new();
    for (job, j) in lint.w.doc.get("jobs").and_then(Yaml::as_mapping).into_iter().flatten() {
        let Some(job) = job.as_str() else { continue };
        let checked = j.get("if").and_then(super::checks::text).is_some_and(|c| c.contains("workflow_run.conclusion"));
        let needs_checked = j.get("needs").is_some();
        if !checked && !needs_checked {
            found.push(job.to_owned());
        }
    }
    let file = lint.w.name.clone();
    for job in found {
        lint.push(
            "SG-WF-027",
            lint.at(&[key("jobs"), key(&job)]),
            Some(&job),
            format!("job {job} of {file} runs after the run it follows whether that run succeeded or failed"),
            format!("add `if: ${{{{ github.event_name != 'workflow_run' || github.event.workflow_run.conclusion == 'success' }}}}` to job {job}"),
        );
    }
}

/// SG-WF-022 (F12), the rollback half: one component's state cannot be restored without
/// naming the component.
fn rollback_names_a_component(lint: &mut Lint) {
    if lint.inputs.contains_key("component") {
        return;
    }
    let names: Vec<&str> = lint.declaration.components.iter().map(|(n, _)| n.as_str()).collect();
    lint.push(
        "SG-WF-022",
        lint.at(&[key("on"), key("workflow_dispatch"), key("inputs")]),
        None,
        "rollback.yml has no component input, so it cannot say which component's state (LLD 7.2.2: one state file per component) to restore".to_owned(),
        format!("declare `component` as a required choice of {} and build the state key from it", names.join(", ")),
    );
}

/// The rules that look at one job.
pub(super) fn job(lint: &mut Lint, id: &str, job: &Yaml) {
    let dangerous = events(&lint.w.doc).iter().any(|(e, _)| DANGEROUS_TRIGGERS.contains(&e.as_str()));
    let steps = steps(job);
    let mut found: Vec<(&str, Vec<Segment>, String, String, String)> = Vec::new();
    let mut contribution: Option<(usize, String)> = None;
    for (i, step) in steps.iter().enumerate() {
        let sp = step_path(id, i);
        let later = steps.len() > i + 1;
        let action = action(step);
        if action == "actions/checkout" {
            if !is_false(with(step, "persist-credentials")) && later {
                found.push((
                    "SG-WF-017",
                    child(&sp, key("uses")),
                    String::new(),
                    format!("the checkout of job {id} leaves the job's token in .git/config, where every later step (and any artifact of the workspace) can read it"),
                    "add `persist-credentials: false` under `with:` (and pass a token only to the step that pushes)".to_owned(),
                ));
            }
            if let Some(r) = with(step, "ref").and_then(Yaml::as_str)
                && let Some(c) = CONTRIBUTION_REFS.iter().find(|c| r.contains(*c))
            {
                contribution = Some((i, c.trim_end_matches('.').to_owned()));
            }
        }
        let Some(run) = step.get("run").and_then(Yaml::as_str) else {
            if dangerous
                && let Some((at, what)) = &contribution
                && step.get("uses").and_then(Yaml::as_str).is_some_and(|u| u.starts_with("./"))
            {
                found.push(pwn(id, &step_path(id, *at), what));
                contribution = None;
            }
            continue;
        };
        if dangerous {
            if contribution.is_none() && (run.contains("gh pr checkout") || run.contains("pull/${{")) {
                contribution = Some((i, "the pull request's head".to_owned()));
            }
            if let Some((at, what)) = &contribution
                && *at < i
            {
                found.push(pwn(id, &step_path(id, *at), what));
                contribution = None;
            }
        }
    }
    for (rule, path, needle, message, fix) in found {
        let at = if needle.is_empty() { lint.at(&path) } else { lint.w.map.locate(&path, &needle, 0) };
        lint.push(rule, at, Some(id), message, fix);
    }
}

fn pwn(job: &str, checkout: &[Segment], what: &str) -> (&'static str, Vec<Segment>, String, String, String) {
    (
        "SG-WF-014",
        child(checkout, key("uses")),
        String::new(),
        format!("job {job} checks out {what} (the contribution) in a privileged workflow and then runs it: the contribution's code runs with this repository's secrets and write token"),
        "build and test the contribution in a pull_request workflow; the privileged workflow should only read its results as data".to_owned(),
    )
}
