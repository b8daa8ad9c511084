//! A component's state versions with the deployment that wrote each one (F14): what an on-call
//! engineer chooses from before `rollback --to-version`. Each version's serial and lineage come
//! from the version itself; the writer comes from the environment's ledger, whose records keep
//! the state versions they wrote.

use serde::Serialize;

use crate::Error;
use crate::engine::state::{StateStore, StateVersion};
use crate::foundation::component::Component;
use crate::release::ledger::{self, RecordKind};

/// One state version, newest first in [`state_versions`].
#[derive(Debug, Clone, Serialize)]
pub struct VersionEntry {
    #[serde(flatten)]
    pub version: StateVersion,
    /// The state's serial and lineage, when the version is a state stagegate can read.
    pub serial: Option<u64>,
    pub lineage: Option<String>,
    /// Why the version could not be read as a state, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// The recorded deployment or rollback that wrote it; `None` for a version written by
    /// anything else (a restore by hand, Terraform, another tool).
    pub written_by: Option<Writer>,
}

/// The deployment that wrote a state version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Writer {
    pub record: String,
    pub kind: RecordKind,
    pub commit: String,
    pub tag: Option<String>,
    /// Whether it succeeded with its post-deploy tests passed: only then is it a rollback target.
    pub green: bool,
}

impl std::fmt::Display for VersionEntry {
    /// `VERSION  MODIFIED  serial N  deploy-dev-… (commit 1234567)  (current)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = &self.version;
        let when = v.last_modified.map(|t| t.to_string()).unwrap_or_default();
        let serial = self.serial.map_or_else(|| "serial ?".to_owned(), |s| format!("serial {s}"));
        write!(f, "{}  {when}  {serial}  ", v.version_id)?;
        match &self.written_by {
            Some(w) => {
                let short = w.commit.get(..12).unwrap_or(&w.commit);
                let what = match (&w.tag, w.green) {
                    (Some(tag), true) => tag.clone(),
                    _ => format!(
                        "a {} that failed",
                        if w.kind == RecordKind::Rollback { "rollback" } else { "deployment" }
                    ),
                };
                write!(f, "{what} (commit {short})")?;
            }
            None => f.write_str("not written by a recorded deployment")?,
        }
        if let Some(why) = &self.unreadable {
            write!(f, "  unreadable: {why}")?;
        }
        if v.is_latest {
            f.write_str("  (current)")?;
        }
        Ok(())
    }
}

/// Every S3 version of `component`'s state, newest first, with its serial and its writer.
pub async fn state_versions(store: &StateStore, component: &Component) -> Result<Vec<VersionEntry>, Error> {
    let records = ledger::records(store).await?;
    let name = component.to_string();
    let mut entries = Vec::new();
    for version in store.versions(component).await? {
        let (serial, lineage, unreadable) = match store.read_version(component, &version.version_id).await {
            Ok(state) => (Some(state.serial), Some(state.lineage), None),
            Err(e) => (None, None, Some(e.to_string())),
        };
        let written_by = records.iter().rev().find(|r| r.wrote(&name, &version.version_id)).map(|r| Writer {
            record: r.id.clone(),
            kind: r.kind,
            commit: r.commit.clone(),
            tag: r.tag.clone(),
            green: r.is_green(),
        });
        entries.push(VersionEntry { version, serial, lineage, unreadable, written_by });
    }
    Ok(entries)
}
