//! R64: Stage 1 on the other files the pipeline reads — `pipeline.yml`, `change-tickets.yml`,
//! the cost files, the deployer roles' IAM policies and the AWS timings — with the strictness of the commands
//! that read them (unknown keys refused), so that a mistake in any of them fails validation
//! instead of a later gate, plan or scan. Each finding names its file, line and column where
//! the reader knows them.

use std::path::Path;

use super::Diagnostic;
use super::diagnostic::RuleId;
use crate::Environment;
use crate::checks::iam::{self, IamError, PolicyKind};
use crate::engine::cost::{self, CostError};
use crate::foundation::policy::{POLICY_FILE, Pipeline, PolicyError};
use crate::foundation::repo::Repo;
use crate::foundation::tickets::{FileTickets, TICKETS_FILE, TicketError};
use crate::foundation::timings::{TIMINGS_FILE, Timings};

pub mod rule {
    use super::RuleId;
    pub const PIPELINE: RuleId = "R64/pipeline";
    pub const TICKETS: RuleId = "R64/change-tickets";
    pub const COST: RuleId = "R64/cost";
    pub const IAM: RuleId = "R64/iam-policy";
    pub const TIMINGS: RuleId = "R64/timings";
}

/// The path of `path` relative to the repo root, with `/` separators.
fn relative(root: &Path, path: &str) -> String {
    let p = Path::new(path);
    let rel = p.strip_prefix(root).unwrap_or(p);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Checks every such file the repo has; returns how many were read and what was found.
pub fn check_all(root: &Path) -> (usize, Vec<Diagnostic>) {
    let mut files = 0;
    let mut findings = Vec::new();
    if root.join(POLICY_FILE).is_file() {
        files += 1;
        findings.extend(pipeline(root));
    }
    if root.join(TICKETS_FILE).is_file() {
        files += 1;
        findings.extend(tickets(root));
    }
    let (n, found) = costs(root);
    files += n;
    findings.extend(found);
    let (n, found) = iam_policies(root);
    files += n;
    findings.extend(found);
    if root.join(TIMINGS_FILE).is_file() {
        files += 1;
        findings.extend(timings(root));
    }
    (files, findings)
}

/// The AWS times that calibrate the drill's projection (R59).
fn timings(root: &Path) -> Option<Diagnostic> {
    let hint = "each sample needs operation, seconds, environment, region and at, as --record-timings writes them";
    let text = match std::fs::read_to_string(root.join(TIMINGS_FILE)) {
        Ok(text) => text,
        Err(e) => return Some(Diagnostic::new(TIMINGS_FILE, rule::TIMINGS, e.to_string(), "make the file readable")),
    };
    let e = Timings::parse(&text, TIMINGS_FILE).err()?;
    Some(Diagnostic::new(TIMINGS_FILE, rule::TIMINGS, e.reason, hint).at(e.line, e.column))
}

fn pipeline(root: &Path) -> Option<Diagnostic> {
    let text = std::fs::read_to_string(root.join(POLICY_FILE)).ok()?;
    // Plain YAML syntax errors are R03's already (the environments are read from this file).
    serde_norway::from_str::<serde_norway::Value>(&text).ok()?;
    match Pipeline::parse(Path::new(POLICY_FILE), &text) {
        Ok(_) => None,
        Err(PolicyError::Invalid { line, column, reason, .. }) => Some(
            Diagnostic::new(POLICY_FILE, rule::PIPELINE, reason, "see the pipeline.yml section of the README")
                .at(line, column),
        ),
        Err(e @ PolicyError::Unreadable { .. }) => {
            Some(Diagnostic::new(POLICY_FILE, rule::PIPELINE, e.to_string(), "make the file readable"))
        }
    }
}

fn tickets(root: &Path) -> Option<Diagnostic> {
    let hint = "each ticket needs id (CHG and 7 digits), status, environment and a window whose end follows its start";
    match FileTickets::load(root) {
        Ok(_) => None,
        Err(TicketError::Invalid { line, column, reason, .. }) => {
            Some(Diagnostic::new(TICKETS_FILE, rule::TICKETS, reason, hint).at(line, column))
        }
        Err(e @ TicketError::Unreadable { .. }) => {
            Some(Diagnostic::new(TICKETS_FILE, rule::TICKETS, e.to_string(), "make the file readable"))
        }
    }
}

/// The price list and each environment's usage file, read as `stagegate cost` reads them.
fn costs(root: &Path) -> (usize, Vec<Diagnostic>) {
    if !root.join(cost::PRICES_FILE).is_file() {
        return (0, Vec::new());
    }
    let Ok(repo) = Repo::open(root) else { return (0, Vec::new()) };
    let usage: Vec<Environment> =
        Environment::ALL.into_iter().filter(|e| root.join(cost::usage_file(*e)).is_file()).collect();
    let mut findings = Vec::new();
    for env in Environment::ALL {
        let diagnostic = match cost::estimate(&repo, env) {
            Ok(_) => continue,
            // The environment's own files are R02's and R03's to report.
            Err(CostError::Desired(_)) => continue,
            Err(CostError::Invalid { path, line, column, reason }) => {
                Diagnostic::new(relative(root, &path), rule::COST, reason, "fix the file's YAML and keys")
                    .at(line, column)
            }
            Err(e @ CostError::NoRegion { .. }) => {
                Diagnostic::new(cost::PRICES_FILE, rule::COST, e.to_string(), "add the region's prices")
            }
            Err(e @ CostError::UnknownResource { .. }) => Diagnostic::new(
                cost::usage_file(env),
                rule::COST,
                e.to_string(),
                "name a resource address of that environment (stagegate plan shows them)",
            ),
            Err(e @ CostError::Unreadable { .. }) => {
                Diagnostic::new(cost::PRICES_FILE, rule::COST, e.to_string(), "make the file readable")
            }
        };
        // The price list is shared: one finding for it, not one per environment.
        if !findings.contains(&diagnostic) {
            findings.push(diagnostic);
        }
    }
    (1 + usage.len(), findings)
}

/// Each environment's trust and permissions policy, as `stagegate iam` reads them.
fn iam_policies(root: &Path) -> (usize, Vec<Diagnostic>) {
    if !iam::has_policies(root) {
        return (0, Vec::new());
    }
    let mut files = 0;
    let mut findings = Vec::new();
    for env in Environment::ALL {
        for (kind, name) in [(PolicyKind::Trust, iam::TRUST_POLICY), (PolicyKind::Permissions, iam::PERMISSIONS_POLICY)]
        {
            if !root.join(iam::policy_file(env, name)).is_file() {
                continue;
            }
            files += 1;
            match iam::load_policy(root, env, kind) {
                Ok(_) => {}
                Err(IamError::Invalid { file, source }) => {
                    let (line, column) = match &source {
                        iam::PolicyError::Syntax { line, column, .. } => (*line, *column),
                        _ => (0, 0),
                    };
                    let d = Diagnostic::new(file, rule::IAM, source.to_string(), "see the IAM section of the README");
                    findings.push(d.at(line, column));
                }
                Err(e) => findings.push(Diagnostic::new(
                    iam::policy_file(env, name),
                    rule::IAM,
                    e.to_string(),
                    "make the file readable",
                )),
            }
        }
    }
    (files, findings)
}
