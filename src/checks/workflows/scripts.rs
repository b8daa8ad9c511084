//! What the run scripts of a job do when GitHub runs them: `aws s3api` commands missing an
//! argument (SG-WF-023, F13), Terraform before `terraform init` (024, F16), state keys that
//! belong to no component (022, F12), `**` globs bash reads as `*` (028, F20), and git
//! commands that need an identity the runner does not have (029, F21).

use std::sync::LazyLock;

use regex::Regex;
use serde_norway::Value as Yaml;

use super::Segment;
use super::checks::{Lint, child, key};
use super::security::{step_path, steps};

static BACKEND_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"-backend-config[= ]["']?key=([^"'\s]+)"#).expect("a valid pattern"));

static S3API: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\baws\s+s3api\s+([a-z0-9-]+)").expect("a valid pattern"));

/// The arguments `aws s3api` refuses to run without.
fn s3api_required(command: &str) -> &'static [&'static str] {
    match command {
        "get-object"
        | "head-object"
        | "delete-object"
        | "put-object"
        | "get-object-tagging"
        | "get-object-attributes" => &["--bucket", "--key"],
        "copy-object" => &["--bucket", "--key", "--copy-source"],
        "list-object-versions" | "list-objects-v2" | "head-bucket" | "get-bucket-versioning" => &["--bucket"],
        _ => &[],
    }
}

/// Shell text with its line continuations joined: one string per command line.
pub fn commands(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        let trimmed = line.trim_end();
        if let Some(body) = trimmed.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        out.push(std::mem::take(&mut current));
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Terraform subcommands that need an initialised working directory.
const NEEDS_INIT: [&str; 8] = ["plan", "apply", "destroy", "import", "output", "show", "state", "validate"];

static TERRAFORM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bterraform\s+(?:-chdir=\S+\s+)?([a-z]+)").expect("a valid pattern"));

static GIT_IDENTITY_NEEDED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bgit\s+(?:tag\s+(?:-a|-s|--annotate|-m)|commit\b|merge\b)").expect("a valid pattern")
});

/// Whether a script or step environment gives git an identity.
fn sets_identity(run: &str, step: &Yaml) -> bool {
    run.contains("user.email")
        || run.contains("GIT_COMMITTER_EMAIL")
        || step.get("env").and_then(|e| e.get("GIT_COMMITTER_EMAIL")).is_some()
}

/// The rules on the run scripts of one job.
pub(super) fn job(lint: &mut Lint, id: &str, job: &Yaml) {
    let mut found: Vec<(&str, Vec<Segment>, String, String, String)> = Vec::new();
    let mut initialised = false;
    let mut identity = job.get("env").and_then(|e| e.get("GIT_COMMITTER_EMAIL")).is_some();
    for (i, step) in steps(job).iter().enumerate() {
        let Some(run) = step.get("run").and_then(Yaml::as_str) else { continue };
        let rp = child(&step_path(id, i), key("run"));
        let shell = step.get("shell").and_then(Yaml::as_str).or_else(|| {
            job.get("defaults").and_then(|d| d.get("run")).and_then(|r| r.get("shell")).and_then(Yaml::as_str)
        });
        let bash = shell.is_none_or(|s| s.starts_with("bash"));
        if bash
            && !run.contains("globstar")
            && let Some(glob) = run.split_whitespace().find(|w| w.contains("**/"))
        {
            let glob = glob.trim_matches([';', '"', '\'']);
            found.push((
                "SG-WF-028",
                rp.clone(),
                glob.to_owned(),
                format!("`{glob}` in job {id}: without `shopt -s globstar` bash reads `**` as `*`, so only files exactly one directory down are matched and the others are never checked"),
                "add `shopt -s globstar nullglob` as the script's first line (or use `find … -name` )".to_owned(),
            ));
        }
        identity |= sets_identity(run, step);
        if !identity && let Some(m) = GIT_IDENTITY_NEEDED.find(run) {
            found.push((
                "SG-WF-029",
                rp.clone(),
                m.as_str().to_owned(),
                format!("`{}` in job {id} needs a git identity, and the runner has none: git stops with \"Please tell me who you are\"", m.as_str().trim()),
                "set one first: `git config user.name \"github-actions[bot]\"` and `git config user.email \"41898282+github-actions[bot]@users.noreply.github.com\"`".to_owned(),
            ));
            identity = true;
        }
        for command in commands(run) {
            if let Some(c) = S3API.captures(&command) {
                let sub = c.get(1).map_or("", |m| m.as_str());
                let missing: Vec<&str> = s3api_required(sub)
                    .iter()
                    .copied()
                    .filter(|a| !command.split_whitespace().any(|w| w == *a || w.starts_with(&format!("{a}="))))
                    .collect();
                if !missing.is_empty() {
                    found.push((
                        "SG-WF-023",
                        rp.clone(),
                        c.get(0).map_or("", |m| m.as_str()).to_owned(),
                        format!(
                            "`aws s3api {sub}` in job {id} has no {}: the AWS CLI refuses to run it, so the step fails",
                            missing.join(", ")
                        ),
                        format!(
                            "add {} to the command",
                            missing.iter().map(|a| format!("`{a} …`")).collect::<Vec<_>>().join(" and ")
                        ),
                    ));
                }
            }
            for c in TERRAFORM.captures_iter(&command) {
                let sub = c.get(1).map_or("", |m| m.as_str());
                if sub == "init" {
                    initialised = true;
                } else if NEEDS_INIT.contains(&sub) && !initialised {
                    found.push((
                        "SG-WF-024",
                        rp.clone(),
                        c.get(0).map_or("", |m| m.as_str()).to_owned(),
                        format!("job {id} runs `terraform {sub}` without `terraform init` before it: Terraform stops with \"Backend initialization required\""),
                        format!("run `terraform init` with the state's backend config in job {id} before `terraform {sub}`"),
                    ));
                    initialised = true;
                }
            }
            if lint.declaration.matrix {
                for c in BACKEND_KEY.captures_iter(&command) {
                    let state_key = c.get(1).map_or("", |m| m.as_str());
                    let built = state_key.contains('$');
                    let known =
                        lint.declaration.components.iter().any(|(_, p)| state_key == format!("{p}/terraform.tfstate"));
                    if !built && !known {
                        found.push((
                            "SG-WF-022",
                            rp.clone(),
                            state_key.to_owned(),
                            format!("job {id} keeps its state at `{state_key}`, which is no component's state file: LLD 7.2.2 keeps one per component, so every component would share one state"),
                            format!("build the key from the component: `key=<path of the component in pipeline.yml>/terraform.tfstate` (one of {})", lint.declaration.components.iter().map(|(_, p)| format!("{p}/terraform.tfstate")).collect::<Vec<_>>().join(", ")),
                        ));
                    }
                }
            }
        }
    }
    for (rule, path, needle, message, fix) in found {
        lint.push(rule, lint.w.map.locate(&path, &needle, 0), Some(id), message, fix);
    }
}
