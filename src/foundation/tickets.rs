//! Change tickets (LLD 7.4.3, 7.9.2): a PROD deployment names one; it must exist, be approved,
//! and its change window must contain the deployment time. Tickets come from a
//! [`TicketSource`]: the repo's `change-tickets.yml` by default; a ServiceNow or Jira source
//! implements the same trait.

use std::path::Path;
use std::sync::LazyLock;

use jiff::Timestamp;
use regex::Regex;
use serde::Deserialize;

/// The file ticket source, at the root of an infra repo.
pub const TICKETS_FILE: &str = "change-tickets.yml";

static TICKET_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^CHG[0-9]{7}$").expect("a valid pattern"));

/// A ticket ID that matched the strict pattern; nothing else is ever looked up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TicketId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--change-ticket: {0:?} is not a change ticket ID (CHG followed by 7 digits, e.g. CHG0001234)")]
pub struct BadTicketId(pub String);

impl std::str::FromStr for TicketId {
    type Err = BadTicketId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if TICKET_ID.is_match(s) { Ok(TicketId(s.to_owned())) } else { Err(BadTicketId(s.to_owned())) }
    }
}

impl std::fmt::Display for TicketId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Approved,
    Pending,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeTicket {
    pub id: String,
    pub title: String,
    pub state: TicketState,
    pub window: ChangeWindow,
    #[serde(default)]
    pub approvers: Vec<String>,
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub rollback_plan: String,
}

/// `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeWindow {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl ChangeTicket {
    /// An approved ticket whose window is the hour either side of `at` (rehearse and drill).
    pub fn generated(id: &str, title: &str, at: Timestamp) -> ChangeTicket {
        let hour = jiff::SignedDuration::from_hours(1);
        ChangeTicket {
            id: id.into(),
            title: title.into(),
            state: TicketState::Approved,
            window: ChangeWindow { start: at - hour, end: at + hour },
            approvers: Vec::new(),
            impact: "none: emulator only".into(),
            rollback_plan: "stagegate rollback".into(),
        }
    }
}

impl ChangeWindow {
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("{path}: cannot read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}:{line}:{column}: {reason}")]
    Invalid { path: String, line: usize, column: usize, reason: String },
}

/// Where change tickets come from.
pub trait TicketSource {
    fn ticket(&self, id: &TicketId) -> Result<Option<ChangeTicket>, TicketError>;
}

/// Tickets listed in the repo's `change-tickets.yml`.
#[derive(Debug, Clone, Default)]
pub struct FileTickets {
    tickets: Vec<ChangeTicket>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TicketsFile {
    tickets: Vec<ChangeTicket>,
}

impl FileTickets {
    /// The repo's ticket file; a repo without one has no tickets.
    pub fn load(repo_root: &Path) -> Result<FileTickets, TicketError> {
        let path = repo_root.join(TICKETS_FILE);
        if !path.exists() {
            return Ok(FileTickets::default());
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| TicketError::Unreadable { path: path.display().to_string(), reason: e.to_string() })?;
        let invalid = |line: usize, column: usize, reason: String| TicketError::Invalid {
            path: path.display().to_string(),
            line,
            column,
            reason,
        };
        let file: TicketsFile =
            crate::foundation::yaml::from_str(&text).map_err(|e| invalid(e.line, e.column, e.reason))?;
        for t in &file.tickets {
            // The ticket's own place: where its id is written.
            let (line, column) = crate::foundation::yaml::position_of(&text, &t.id);
            if !TICKET_ID.is_match(&t.id) {
                return Err(invalid(line, column, format!("ticket id {:?} is not CHG followed by 7 digits", t.id)));
            }
            if t.window.end <= t.window.start {
                return Err(invalid(line, column, format!("{}: window ends before or as it starts", t.id)));
            }
        }
        Ok(FileTickets { tickets: file.tickets })
    }

    pub fn with(tickets: Vec<ChangeTicket>) -> FileTickets {
        FileTickets { tickets }
    }
}

impl TicketSource for FileTickets {
    fn ticket(&self, id: &TicketId) -> Result<Option<ChangeTicket>, TicketError> {
        Ok(self.tickets.iter().find(|t| t.id == id.0).cloned())
    }
}
