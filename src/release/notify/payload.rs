//! Block Kit messages, shaped like LLD 7.6.3's and 7.8.2's templates: a fallback `text`
//! headline, a section of `*Label:*\nvalue` fields, and a section for the details.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Event, Notice, human};
use crate::engine::plan::{Action, Plan};

/// Slack's limits: a section's text is at most 3,000 characters, a field's 2,000, and a
/// section holds at most 10 fields.
const SECTION_TEXT_LIMIT: usize = 3000;
const FIELD_TEXT_LIMIT: usize = 2000;
const FIELD_COUNT_LIMIT: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// The headline, shown in notifications and by clients without Block Kit.
    pub text: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Section {
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<Text>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Text>,
    },
    Context {
        elements: Vec<Text>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
}

fn mrkdwn(text: String, limit: usize) -> Text {
    let text = if text.chars().count() > limit {
        let mut cut: String = text.chars().take(limit - 1).collect();
        cut.push('…');
        cut
    } else {
        text
    };
    Text { kind: "mrkdwn", text }
}

/// Slack's mrkdwn control characters, escaped as Slack asks (`&`, `<`, `>`), so a value
/// cannot become a link or a mention.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn field(label: &str, value: &str) -> Text {
    mrkdwn(format!("*{label}:*\n{}", escaped(value)), FIELD_TEXT_LIMIT)
}

fn fields(mut list: Vec<Text>) -> Block {
    list.truncate(FIELD_COUNT_LIMIT);
    Block::Section { text: None, fields: list }
}

fn section(text: String) -> Block {
    Block::Section { text: Some(mrkdwn(text, SECTION_TEXT_LIMIT)), fields: Vec::new() }
}

fn handle(who: &str) -> String {
    if who.starts_with('@') { who.to_owned() } else { format!("@{who}") }
}

/// R45: the Block Kit message for a notice, with the fields LLD 7.6.3 and 7.8.2 show.
pub fn message(notice: &Notice) -> Message {
    let env = notice.env;
    let label = env.label();
    let environment = field("Environment", env.name());
    match &notice.event {
        Event::DeploymentStarted { deployer, commit, change_ticket } => {
            let mut list = vec![environment, field("Deployed by", &handle(deployer)), field("Commit", short(commit))];
            if let Some(t) = change_ticket {
                list.push(field("Change ticket", t));
            }
            Message { text: format!("🚀 {label} Deployment Started"), blocks: vec![fields(list)] }
        }
        Event::DeploymentCompleted { deployer, duration, resources, tag } => {
            let mut blocks = vec![
                fields(vec![
                    environment,
                    field("Deployed by", &handle(deployer)),
                    field("Duration", &human(*duration)),
                ]),
                section(format!("*Resources:*\n{}", bullets(resources))),
            ];
            if let Some(tag) = tag {
                blocks.push(Block::Context { elements: vec![mrkdwn(format!("Tagged `{}`", escaped(tag)), 300)] });
            }
            Message { text: format!("✅ {label} Deployment Complete"), blocks }
        }
        Event::DeploymentFailed { deployer, duration, reason } => Message {
            text: format!("❌ {label} Deployment Failed"),
            blocks: vec![
                fields(vec![
                    environment,
                    field("Deployed by", &handle(deployer)),
                    field("Duration", &human(*duration)),
                ]),
                section(format!("*Error:*\n{}", escaped(reason))),
            ],
        },
        Event::ApprovalRequired { requested_by, approvers_needed, approved_by, run_url } => {
            let mut text = format!(
                "*Approval Required*\n\nEnvironment: `{}`\nRequested by: {}\nApprovers needed: {approvers_needed}",
                env.name(),
                escaped(&handle(requested_by)),
            );
            if !approved_by.is_empty() {
                let names: Vec<String> = approved_by.iter().map(|a| escaped(&handle(a))).collect();
                text.push_str(&format!("\nApproved so far: {}", names.join(", ")));
            }
            if let Some(url) = run_url {
                text.push_str(&format!("\n<{}|Approve>", escaped(url)));
            }
            Message { text: format!("⏳ Approval Required: {label} Deployment"), blocks: vec![section(text)] }
        }
        Event::RollbackExecuted { by, target, duration, passed, tag } => {
            let mut list = vec![
                environment,
                field("Rolled back by", &handle(by)),
                field("Target", target),
                field("Duration", &human(*duration)),
                field("Post-deploy tests", if *passed { "passed" } else { "FAILED" }),
            ];
            if let Some(tag) = tag {
                list.push(field("Tag", tag));
            }
            let icon = if *passed { "⏪" } else { "❌" };
            Message { text: format!("{icon} {label} Rollback Executed"), blocks: vec![fields(list)] }
        }
        Event::LockHeld { path, holder, operation, lock_id, age } => Message {
            text: format!("🔒 {label} state lock held for {}", human(*age)),
            blocks: vec![fields(vec![
                environment,
                field("Path", path),
                field("Held by", holder),
                field("Operation", operation),
                field("Age", &human(*age)),
                field("Lock ID", lock_id),
            ])],
        },
        Event::HealthFailed { signal, detail, action } => Message {
            text: format!("🚨 {label} Health Check Failed: {}", escaped(signal)),
            blocks: vec![
                fields(vec![environment, field("Signal", signal), field("Action", action)]),
                section(escaped(detail)),
            ],
        },
        Event::DriftDetected { resources } => Message {
            text: format!("⚠️ {label} Drift Detected: {} resources changed outside the pipeline", resources.len()),
            blocks: vec![fields(vec![environment]), section(bullets(resources))],
        },
    }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn bullets(lines: &[String]) -> String {
    if lines.is_empty() {
        return "• no changes".into();
    }
    lines.iter().map(|l| format!("• {}", escaped(l))).collect::<Vec<_>>().join("\n")
}

/// What a plan changed, in the template's words: `3 DynamoDB tables created`,
/// `1 S3 bucket configured`, `2 templates uploaded`.
pub fn resource_summary(plan: &Plan) -> Vec<String> {
    use crate::engine::desired::{OBJECT, TABLE};
    let mut counts: BTreeMap<(u8, &str, &str), BTreeSet<&str>> = BTreeMap::new();
    for r in plan.components.iter().flat_map(|c| &c.resources).filter(|r| r.action != Action::NoOp) {
        let key = match (r.kind.as_str(), r.action) {
            (TABLE, Action::Create) => (0, "DynamoDB table", "created"),
            (TABLE, Action::Update) => (1, "DynamoDB table", "updated"),
            (TABLE, Action::Replace) => (2, "DynamoDB table", "replaced"),
            (TABLE, _) => (3, "DynamoDB table", "deleted"),
            (OBJECT, Action::Delete) => (6, "template", "removed"),
            (OBJECT, _) => (5, "template", "uploaded"),
            // The vault, plan and selection share the plan's name: one backup plan configured.
            (kind, _) if crate::resources::backup::is_backup(kind) => (7, "backup plan", "configured"),
            // A bucket and its settings share the bucket's name: one bucket configured.
            _ => (4, "S3 bucket", "configured"),
        };
        counts.entry(key).or_default().insert(&r.name);
    }
    counts
        .into_iter()
        .map(|((_, noun, verb), names)| {
            let n = names.len();
            format!("{n} {noun}{} {verb}", if n == 1 { "" } else { "s" })
        })
        .collect()
}
