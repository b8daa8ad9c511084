//! Injectable time. Every rule that reads the time takes it from a [`Clock`], and wall-clock
//! rules are evaluated in Africa/Johannesburg, never in the machine's zone.

use jiff::{Timestamp, ZonedDateTime, tz::TimeZone};

/// The zone every deployment window is evaluated in (SAST, UTC+2, no DST).
pub const PIPELINE_ZONE: &str = "Africa/Johannesburg";

/// Environment variable that fixes the clock for every command (RFC 3339).
pub const NOW_VAR: &str = "STAGEGATE_NOW";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {given:?} is not an RFC 3339 instant (e.g. 2026-11-26T14:00:00+02:00): {reason}")]
pub struct BadInstant {
    pub source_name: String,
    pub given: String,
    pub reason: String,
}

/// Where "now" comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(Timestamp),
}

impl Clock {
    /// `STAGEGATE_NOW` when set, else the system clock.
    pub fn from_env() -> Result<Clock, BadInstant> {
        match std::env::var(NOW_VAR) {
            Ok(v) if !v.trim().is_empty() => parse_instant(NOW_VAR, &v).map(Clock::Fixed),
            _ => Ok(Clock::System),
        }
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => *t,
        }
    }

    /// Now, in the pipeline's zone.
    pub fn now_in_pipeline_zone(&self) -> ZonedDateTime {
        in_pipeline_zone(self.now())
    }
}

/// The instant as wall-clock time in Africa/Johannesburg (bundled tz database).
pub fn in_pipeline_zone(t: Timestamp) -> ZonedDateTime {
    let tz = TimeZone::get(PIPELINE_ZONE).expect("the bundled tz database has Africa/Johannesburg");
    t.to_zoned_datetime(tz)
}

/// Parses an RFC 3339 instant; `source_name` names the flag or variable it came from.
pub fn parse_instant(source_name: &str, s: &str) -> Result<Timestamp, BadInstant> {
    s.trim().parse::<Timestamp>().map_err(|e| BadInstant {
        source_name: source_name.to_owned(),
        given: s.to_owned(),
        reason: e.to_string(),
    })
}
