//! What a rehearsal or drill cannot rehearse on its backend, and why. On a backend without AWS
//! Backup (LocalStack community) the scratch checkout's environment files stop requiring a
//! backup plan, so that everything else is rehearsed, and each environment's backup-plan steps
//! are listed as not rehearsed: never reported as passed.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::Environment;
use crate::emulator::{Capability, Flavor};
use crate::foundation::config::EnvironmentFile;
use crate::release::error::Error;

/// One step the rehearsal could not rehearse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotRehearsed {
    pub environment: Environment,
    pub step: String,
    /// The service the backend lacks (`AWS Backup`).
    pub needs: String,
    pub backend: String,
}

impl fmt::Display for NotRehearsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} — needs {}, which {} does not emulate",
            self.environment.label(),
            self.step,
            self.needs,
            self.backend
        )
    }
}

/// The backup-plan steps of an environment that requires a backup plan (R40).
const BACKUP_STEPS: [&str; 2] = [
    "apply the backup vault, the daily backup plan and its selection of every table",
    "verify R40: a backup plan covers every table",
];

/// Adjusts the checkout at `root` to what `flavor` emulates and lists what is left out.
pub fn set_aside(root: &Path, flavor: Flavor) -> Result<Vec<NotRehearsed>, Error> {
    if flavor.has(Capability::Backup) {
        return Ok(Vec::new());
    }
    let mut left_out = Vec::new();
    for env in Environment::ALL {
        let path = EnvironmentFile::path(root, env);
        let bad = |reason: String| Error::Usage(format!("{}: {reason}", path.display()));
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let vars = EnvironmentFile::parse(&path, &text).map_err(|e| bad(e.to_string()))?;
        if !vars.backup_plan_required {
            continue;
        }
        let edited: String = text
            .lines()
            .map(|line| match line.split_once('=') {
                Some((name, value)) if name.trim() == "backup_plan_required" && value.trim() == "true" => {
                    format!("{name}= false")
                }
                _ => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let still = EnvironmentFile::parse(&path, &edited).map_err(|e| bad(e.to_string()))?;
        if still.backup_plan_required {
            return Err(bad(format!(
                "backup_plan_required is set in a way the rehearsal cannot set aside on {}",
                flavor.backend_name()
            )));
        }
        std::fs::write(&path, edited + "\n").map_err(|e| bad(e.to_string()))?;
        left_out.extend(BACKUP_STEPS.iter().map(|step| NotRehearsed {
            environment: env,
            step: (*step).to_owned(),
            needs: Capability::Backup.service().to_owned(),
            backend: flavor.backend_name(),
        }));
    }
    Ok(left_out)
}

/// The "Not rehearsed" section of a report.
pub fn write_section(f: &mut fmt::Formatter<'_>, steps: &[NotRehearsed]) -> fmt::Result {
    if steps.is_empty() {
        return Ok(());
    }
    writeln!(f, "Not rehearsed ({})", steps.len())?;
    for s in steps {
        writeln!(f, "  {s}")?;
    }
    writeln!(f)
}
