//! The approval gates of LLD 7.4 and 7.6 as rules: each evaluates one request and says pass or
//! fail, with why. `stagegate gate` prints them; `stagegate deploy` and `rollback` refuse to
//! touch anything unless all pass. Every input is data: identifiers are checked against strict
//! patterns before use, and nothing is ever handed to a shell.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::LazyLock;

use jiff::Timestamp;
use regex::Regex;
use serde::Serialize;

use crate::Environment;
use crate::foundation::clock::in_pipeline_zone;
use crate::foundation::policy::{BusinessHours, Pipeline, Window};
use crate::foundation::tickets::{TicketId, TicketSource, TicketState};
use crate::release::ledger::DeploymentRecord;

static HANDLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$").expect("a valid pattern"));
static BRANCH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:refs/heads/)?[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$").expect("a valid pattern"));
static COMMIT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[0-9a-f]{7,40}$").expect("a valid pattern"));
static TRIGGER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z_]{1,40}$").expect("a valid pattern"));
/// What a person may type as a confirmation: a typo (`Deploy-dev`, `deploy dev`) is the R15 rule
/// failing, with its verdict; only text that cannot be a confirmation at all is bad input.
static CONFIRMATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$").expect("a valid pattern"));

/// R65: a request input that does not match its pattern; exit 2, naming the flag, before any
/// rule runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: {value:?} is not {expected}")]
pub struct BadInput {
    pub flag: &'static str,
    pub value: String,
    pub expected: &'static str,
}

fn checked(flag: &'static str, value: &str, pattern: &Regex, expected: &'static str) -> Result<String, BadInput> {
    if pattern.is_match(value) {
        Ok(value.to_owned())
    } else {
        Err(BadInput { flag, value: value.to_owned(), expected })
    }
}

pub fn github_handle(flag: &'static str, value: &str) -> Result<String, BadInput> {
    checked(flag, value, &HANDLE, "a GitHub handle (letters, digits, hyphens)")
}

pub fn branch(value: &str) -> Result<String, BadInput> {
    checked("--branch", value, &BRANCH, "a branch name")
}

pub fn commit(value: &str) -> Result<String, BadInput> {
    checked("--commit", value, &COMMIT, "a commit SHA (7-40 lowercase hex digits)")
}

pub fn trigger(value: &str) -> Result<String, BadInput> {
    checked("--trigger", value, &TRIGGER, "a workflow trigger such as manual, workflow_dispatch, push or schedule")
}

pub fn confirmation(value: &str) -> Result<String, BadInput> {
    checked(
        "--confirm",
        value,
        &CONFIRMATION,
        "a confirmation like deploy-dev or rollback-prod (letters, digits, spaces, - _ .)",
    )
}

/// `WHO` or `WHO@RFC3339` (when the approval was given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub who: String,
    pub at: Option<Timestamp>,
}

impl std::str::FromStr for Approval {
    type Err = BadInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (who, at) = match s.split_once('@') {
            Some((who, at)) => (who, Some(at)),
            None => (s, None),
        };
        let who = github_handle("--approve", who)?;
        let at = at.map(|t| t.parse::<Timestamp>()).transpose().map_err(|_| BadInput {
            flag: "--approve",
            value: s.to_owned(),
            expected: "WHO or WHO@RFC3339",
        })?;
        Ok(Approval { who, at })
    }
}

/// Everything a gate decides on. Build it from already checked inputs.
#[derive(Debug, Clone)]
pub struct GateRequest {
    pub env: Environment,
    pub deployer: String,
    pub approvals: Vec<Approval>,
    pub confirmation: Option<String>,
    pub change_ticket: Option<TicketId>,
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub trigger: String,
    pub at: Timestamp,
    pub rollback: bool,
    /// Whether the environment's Slack webhook secret is configured (its value is never read
    /// here, only its presence).
    pub slack_configured: bool,
}

impl GateRequest {
    /// A manual run of `commit` from main by `deployer` at `at`, with no approvals, confirmation
    /// or ticket yet, and the environment's webhook taken as configured.
    pub fn from_main(env: Environment, deployer: &str, commit: &str, at: Timestamp, rollback: bool) -> GateRequest {
        GateRequest {
            env,
            deployer: deployer.into(),
            approvals: Vec::new(),
            confirmation: None,
            change_ticket: None,
            branch: Some("main".into()),
            commit: Some(commit.into()),
            trigger: "manual".into(),
            at,
            rollback,
            slack_configured: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    /// Not evaluated (say why); does not block.
    NotChecked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleVerdict {
    pub rule: &'static str,
    pub name: &'static str,
    pub verdict: Verdict,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateVerdict {
    pub environment: Environment,
    pub rules: Vec<RuleVerdict>,
}

impl GateVerdict {
    pub fn passed(&self) -> bool {
        self.rules.iter().all(|r| r.verdict != Verdict::Fail)
    }

    pub fn rule(&self, id: &str) -> Option<&RuleVerdict> {
        self.rules.iter().find(|r| r.rule == id)
    }

    pub fn failures(&self) -> Vec<&RuleVerdict> {
        self.rules.iter().filter(|r| r.verdict == Verdict::Fail).collect()
    }
}

impl fmt::Display for GateVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.rules {
            let mark = match r.verdict {
                Verdict::Pass => "PASS",
                Verdict::Fail => "FAIL",
                Verdict::NotChecked => "----",
            };
            writeln!(f, "{mark} {} {}: {}", r.rule, r.name, r.detail)?;
        }
        let word = if self.passed() { "open" } else { "CLOSED" };
        writeln!(f, "gate {word} for {}", self.environment.label())
    }
}

fn verdict(rule: &'static str, name: &'static str, pass: bool, detail: String) -> RuleVerdict {
    RuleVerdict { rule, name, verdict: if pass { Verdict::Pass } else { Verdict::Fail }, detail }
}

/// Whether `t` is inside business hours, read as wall-clock time in the window's zone
/// (Africa/Johannesburg), end exclusive (R20, F01).
pub fn in_business_hours(hours: &BusinessHours, t: Timestamp) -> bool {
    let tz = jiff::tz::TimeZone::get(&hours.timezone).unwrap_or_else(|_| in_pipeline_zone(t).time_zone().clone());
    let local = t.to_zoned_datetime(tz);
    let time = local.time();
    hours.days.contains(&local.weekday()) && hours.start <= time && time < hours.end
}

/// Evaluates every rule. `evidence` holds the previous environment's deployment records for
/// R25; `None` means they were not consulted.
pub fn evaluate(
    policy: &Pipeline,
    tickets: &dyn TicketSource,
    evidence: Option<&[DeploymentRecord]>,
    req: &GateRequest,
) -> GateVerdict {
    let p = policy.environment(req.env);
    let mut rules = Vec::new();

    // R14: no auto-deploy.
    let manual = matches!(req.trigger.as_str(), "manual" | "workflow_dispatch");
    rules.push(verdict(
        "R14",
        "manual trigger only",
        manual,
        if manual {
            format!("triggered by {}", req.trigger)
        } else {
            format!("trigger {:?} is not a manual dispatch", req.trigger)
        },
    ));

    // R15: exact confirmation.
    let expected = format!("{}-{}", if req.rollback { "rollback" } else { "deploy" }, req.env.name());
    let confirmed = req.confirmation.as_deref() == Some(expected.as_str());
    rules.push(verdict(
        "R15",
        "confirmation",
        confirmed,
        match &req.confirmation {
            Some(c) if confirmed => format!("{c:?} confirmed"),
            Some(c) => format!("{c:?} is not {expected:?}"),
            None => format!("no confirmation; type {expected:?}"),
        },
    ));

    // R16-R18: distinct reviewers, not the deployer where self-review is prevented, not expired.
    let reviewers: BTreeSet<String> = p.reviewers.iter().map(|r| r.to_ascii_lowercase()).collect();
    let deployer = req.deployer.to_ascii_lowercase();
    let timeout = p.approval_timeout.0;
    let mut counted = BTreeSet::new();
    let mut expired = Vec::new();
    let mut outsiders = Vec::new();
    let mut self_approved = false;
    for a in &req.approvals {
        let who = a.who.to_ascii_lowercase();
        if !reviewers.contains(&who) {
            outsiders.push(a.who.clone());
            continue;
        }
        if p.prevent_self_review && who == deployer {
            self_approved = true;
            continue;
        }
        if let Some(at) = a.at
            && (at > req.at || req.at.duration_since(at) > timeout)
        {
            expired.push(format!("{} ({})", a.who, at));
            continue;
        }
        counted.insert(who);
    }
    let required = p.required_approvals.0 as usize;
    let enough = counted.len() >= required;
    let mut detail = format!("{} of {required} required approvals from {}", counted.len(), p.reviewers.join(", "));
    if !outsiders.is_empty() {
        detail.push_str(&format!("; not reviewers of {}: {}", req.env.name(), outsiders.join(", ")));
    }
    rules.push(verdict("R16", "approvals", enough, detail));
    rules.push(if p.prevent_self_review {
        verdict(
            "R17",
            "no self-approval",
            !self_approved,
            if self_approved {
                format!("{} approved their own deployment; that approval is refused", req.deployer)
            } else {
                format!("{} did not approve their own deployment", req.deployer)
            },
        )
    } else {
        verdict("R17", "no self-approval", true, format!("not required in {}", req.env.label()))
    });
    rules.push(verdict(
        "R18",
        "approvals expire",
        expired.is_empty() || enough,
        if expired.is_empty() {
            format!("no approval older than {}", p.approval_timeout)
        } else {
            format!("older than {} at {}, not counted: {}", p.approval_timeout, req.at, expired.join(", "))
        },
    ));

    // R19: main only.
    let branch = req.branch.as_deref().map(|b| b.trim_start_matches("refs/heads/"));
    let allowed = branch.is_some_and(|b| p.deployment_branches.iter().any(|d| d == b));
    rules.push(verdict(
        "R19",
        "deployment branch",
        allowed,
        match branch {
            Some(b) if allowed => format!("{b} may deploy to {}", req.env.name()),
            Some(b) => format!("{b} may not deploy to {} (only {})", req.env.name(), p.deployment_branches.join(", ")),
            None => "no branch given".into(),
        },
    ));

    // R20: the deployment window.
    rules.push(match &p.window {
        Window::Anytime => verdict("R20", "deployment window", true, "anytime".into()),
        Window::ChangeWindow => verdict("R20", "deployment window", true, "the change ticket's window (R21)".into()),
        Window::BusinessHours(hours) => {
            let local = in_pipeline_zone(req.at);
            let inside = in_business_hours(hours, req.at);
            verdict(
                "R20",
                "deployment window",
                inside,
                format!(
                    "{} {} {} is {} business hours ({}-{}, end exclusive)",
                    local.strftime("%A"),
                    local.strftime("%H:%M"),
                    hours.timezone,
                    if inside { "inside" } else { "outside" },
                    hours.start.strftime("%H:%M"),
                    hours.end.strftime("%H:%M"),
                ),
            )
        }
    });

    // R21: change ticket.
    rules.push(if !p.change_ticket_required {
        verdict("R21", "change ticket", true, format!("not required in {}", req.env.label()))
    } else {
        match &req.change_ticket {
            None => {
                verdict("R21", "change ticket", false, format!("{} needs an approved change ticket", req.env.label()))
            }
            Some(id) => match tickets.ticket(id) {
                Err(e) => verdict("R21", "change ticket", false, e.to_string()),
                Ok(None) => verdict("R21", "change ticket", false, format!("{id} does not exist")),
                Ok(Some(t)) if t.state != TicketState::Approved => verdict(
                    "R21",
                    "change ticket",
                    false,
                    format!("{id} is {:?}, not approved", t.state).to_lowercase(),
                ),
                Ok(Some(t)) => {
                    let inside = t.window.contains(req.at);
                    verdict(
                        "R21",
                        "change ticket",
                        inside,
                        format!(
                            "{id} approved; its window {} - {} {} {}",
                            t.window.start,
                            t.window.end,
                            if inside { "contains" } else { "does not contain" },
                            req.at
                        ),
                    )
                }
            },
        }
    });

    // F07: the LLD says both "no Slack for DEV" (7.4.1) and "failures and approval requests
    // for all environments" (7.8.2). The rule: a webhook is needed only where the policy
    // requires one (PROD); elsewhere notifications go out when a webhook is configured and
    // its absence never blocks a deployment.
    rules.push(verdict(
        "F07",
        "Slack webhook",
        !p.slack.required || req.slack_configured,
        match (p.slack.required, req.slack_configured) {
            (true, true) => format!("{} configured for {}", p.slack.webhook_secret, p.slack.channel),
            (true, false) => {
                format!("{} needs {} configured before anything changes", req.env.label(), p.slack.webhook_secret)
            }
            (false, true) => format!("optional; {} configured for {}", p.slack.webhook_secret, p.slack.channel),
            (false, false) => format!("optional in {}; not configured, nothing is sent", req.env.label()),
        },
    ));

    // R25: promotion evidence.
    rules.push(match policy.previous(req.env) {
        // A rollback returns to something this environment already ran: not a promotion.
        _ if req.rollback => RuleVerdict {
            rule: "R25",
            name: "promotion",
            verdict: Verdict::NotChecked,
            detail: "a rollback is not a promotion".into(),
        },
        None => verdict("R25", "promotion", true, format!("{} is the first environment", req.env.label())),
        Some(prev) => match (evidence, &req.commit) {
            (None, _) => RuleVerdict {
                rule: "R25",
                name: "promotion",
                verdict: Verdict::NotChecked,
                detail: format!("{}'s deployment records were not consulted", prev.label()),
            },
            (Some(_), None) => verdict("R25", "promotion", false, "no commit given".into()),
            (Some(records), Some(commit)) => {
                let green = records.iter().rev().find(|r| r.environment == prev && &r.commit == commit && r.is_green());
                verdict(
                    "R25",
                    "promotion",
                    green.is_some(),
                    match green {
                        Some(r) => format!("{} deployed {commit} at {} and its tests passed", prev.label(), r.started),
                        None => format!("no successful {} deployment of {commit} with passing tests", prev.label()),
                    },
                )
            }
        },
    });

    GateVerdict { environment: req.env, rules }
}
