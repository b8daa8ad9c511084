//! What every stage stands on: environments, the clock, the infra repo and its files, the
//! pipeline policy, change tickets, components, git, and the exit codes of the CLI contract.

pub mod clock;
pub mod component;
pub mod config;
pub mod environment;
pub mod exit;
pub mod git;
pub mod level4;
pub mod policy;
pub mod repo;
pub mod state_backend;
pub mod tickets;
pub mod timings;
pub mod watch_policy;
pub mod yaml;

/// An error and its causes in one line, each cause once.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
