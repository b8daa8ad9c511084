//! Deployment tags (R23): an annotated tag `deploy-{env}-{YYYYMMDD-HHMMSS}` (UTC) on the
//! deployed commit. A tag is never overwritten: a second deployment in the same second gets
//! `-01`, then `-02` ... `-99` appended (F10), which still sorts after the first and before
//! the next second, so `git tag -l "deploy-prod-*" | tail` keeps giving the newest.

use std::collections::BTreeSet;
use std::path::Path;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::Environment;

#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error(transparent)]
    Git(#[from] crate::foundation::git::GitError),
    #[error("deploy-{env}-{second}: 100 deployments in one second; refusing to tag")]
    Exhausted { env: String, second: String },
}

/// `deploy-{env}-YYYYMMDD-HHMMSS` in UTC.
pub fn base_name(env: Environment, at: Timestamp) -> String {
    format!("deploy-{}-{}", env.name(), at.to_zoned_datetime(TimeZone::UTC).strftime("%Y%m%d-%H%M%S"))
}

/// The tag for a deployment at `at`, distinct from every `existing` tag (F10).
pub fn next_name(env: Environment, at: Timestamp, existing: &BTreeSet<String>) -> Result<String, TagError> {
    let base = base_name(env, at);
    if !existing.contains(&base) {
        return Ok(base);
    }
    (1..100)
        .map(|n| format!("{base}-{n:02}"))
        .find(|name| !existing.contains(name))
        .ok_or_else(|| TagError::Exhausted { env: env.name().into(), second: base.clone() })
}

fn git(repo: &Path, args: &[&str]) -> Result<String, TagError> {
    Ok(crate::foundation::git::run(repo, args)?)
}

/// The environment's deployment tags, oldest first.
pub fn deployment_tags(repo: &Path, env: Environment) -> Result<Vec<String>, TagError> {
    let pattern = format!("deploy-{}-*", env.name());
    let listed = git(repo, &["tag", "--list", &pattern])?;
    let mut tags: Vec<String> = listed.lines().map(str::to_owned).collect();
    tags.sort();
    Ok(tags)
}

/// Creates the annotated tag for a deployment of `commit` by `tagger` and returns its name.
pub fn tag_deployment(
    repo: &Path,
    env: Environment,
    commit: &str,
    at: Timestamp,
    tagger: &str,
    message: &str,
) -> Result<String, TagError> {
    let existing: BTreeSet<String> = deployment_tags(repo, env)?.into_iter().collect();
    let name = next_name(env, at, &existing)?;
    // No -f: git refuses to overwrite, so a race with another tagger fails instead of clobbering.
    crate::foundation::git::run_as(repo, &["tag", "--annotate", &name, "--message", message, commit], tagger)?;
    Ok(name)
}
