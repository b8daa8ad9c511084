//! The repo's `timings/aws.yml` (R59): AWS times recorded by `--record-timings`, one sample per
//! operation an apply performed on AWS. Read by Stage 1 and by the drill's projection
//! (`practice::calibration`), written by the recorder there. foundation imports nothing above it,
//! not even in a doc link.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Environment;
use crate::Error;

/// Where a repo keeps its AWS measurements; the drill and `rollback --dry-run` read it.
pub const TIMINGS_FILE: &str = "timings/aws.yml";

const HEADER: &str = "# AWS times measured by stagegate --record-timings (R59); the drill's projection reads them.\n";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timings {
    pub version: u32,
    #[serde(default)]
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// As apply names it: `CreateTable tenants`, `UpdateTable tenants (create index by-email)`.
    pub operation: String,
    pub seconds: f64,
    pub environment: Environment,
    pub region: String,
    /// The table's size in GB when an index was created on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_gb: Option<f64>,
    pub at: jiff::Timestamp,
}

/// `UpdateTable T (create index I)`: the one operation whose time grows with the table.
pub fn creates_index(operation: &str) -> bool {
    operation.starts_with("UpdateTable ") && operation.contains("(create index")
}

pub fn action(operation: &str) -> &str {
    operation.split_whitespace().next().unwrap_or_default()
}

/// Why a timings file cannot be read, and where (line 0 when the reader does not know).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {reason}", if *.line > 0 { format!(":{}:{}", .line, .column) } else { String::new() })]
pub struct TimingsError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub reason: String,
}

impl Timings {
    /// Parses a timings file; `file` names it in every error.
    pub fn parse(text: &str, file: &str) -> Result<Timings, TimingsError> {
        let error = |line, column, reason| TimingsError { file: file.to_owned(), line, column, reason };
        let t: Timings = crate::foundation::yaml::from_str(text).map_err(|e| error(e.line, e.column, e.reason))?;
        if t.version != 1 {
            return Err(error(0, 0, format!("version {} is not one this stagegate reads (1)", t.version)));
        }
        for (i, s) in t.samples.iter().enumerate() {
            let bad = |why: &str| error(0, 0, format!("samples[{i}].{why}"));
            if action(&s.operation).is_empty() {
                return Err(bad("operation is empty"));
            }
            if !s.seconds.is_finite() || s.seconds < 0.0 {
                return Err(bad("seconds must be a number of seconds, 0 or more"));
            }
            if s.table_gb.is_some_and(|gb| !gb.is_finite() || gb < 0.0) {
                return Err(bad("table_gb must be a size in GB, 0 or more"));
            }
        }
        Ok(t)
    }

    /// The repo's timings file, when it has one.
    pub fn load(root: &Path) -> Result<Option<Timings>, Error> {
        Timings::read(&root.join(TIMINGS_FILE), TIMINGS_FILE, TIMINGS_FILE)
    }

    /// The file at `path` (named `--record-timings` in errors), or an empty one if it is not there yet.
    pub fn open(path: &Path) -> Result<Timings, Error> {
        let named = format!("--record-timings {}", path.display());
        let read = Timings::read(path, &named, "--record-timings")?;
        Ok(read.unwrap_or(Timings { version: 1, samples: Vec::new() }))
    }

    /// The timings file at `path`, named `name` in its errors and `flag` when it cannot be read;
    /// `None` when there is none.
    fn read(path: &Path, name: &str, flag: &'static str) -> Result<Option<Timings>, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Timings::parse(&text, name).map(Some).map_err(|e| Error::Usage(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::File { flag, path: path.to_owned(), source }),
        }
    }

    /// Writes the file whole or not at all: a temporary file beside it, renamed over it.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let file_error = |source| Error::File { flag: "--record-timings", path: path.to_owned(), source };
        let dir =
            path.parent().filter(|d| !d.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_owned);
        std::fs::create_dir_all(&dir).map_err(file_error)?;
        let body = serde_norway::to_string(self).map_err(|e| Error::Usage(format!("--record-timings: {e}")))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(file_error)?;
        std::io::Write::write_all(&mut tmp, format!("{HEADER}{body}").as_bytes()).map_err(file_error)?;
        tmp.persist(path).map_err(|e| file_error(e.error))?;
        Ok(())
    }
}
