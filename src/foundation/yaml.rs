//! The repo's YAML files (`pipeline.yml`, `change-tickets.yml`, the cost files) read strictly,
//! with the line and column of what is wrong.

use serde::de::DeserializeOwned;

/// Why a YAML document is not what its reader expects, and where (1-based; 0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {reason}")]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub reason: String,
}

/// Parses `text` as `T`; unknown keys are refused where `T` says `deny_unknown_fields`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_norway::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        // The location is part of the message already; keep the reason alone.
        let reason = e.to_string();
        let reason = reason.split(" at line ").next().unwrap_or(&reason).to_owned();
        YamlError { line, column, reason }
    })
}

/// The 1-based line of the first line of `text` that starts with `prefix` (0 when none does).
pub fn line_starting(text: &str, prefix: &str) -> usize {
    text.lines().position(|l| l.starts_with(prefix)).map_or(0, |i| i + 1)
}

/// The 1-based line and column of the first place `needle` is written in `text` ((0, 0) when
/// it is not).
pub fn position_of(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|at| (i + 1, l[..at].chars().count() + 1)))
        .unwrap_or((0, 0))
}
