//! Stages 3 to 6: the approval gate, deploys, post-deploy verification, deployment tags and the
//! ledger, rollback, and Slack notifications.

pub mod cost_gate;
pub mod deploy;
pub mod drift;
pub mod error;
pub mod gate;
pub mod history;
pub mod ledger;
pub mod notify;
pub mod rollback;
pub mod tags;
pub mod verify;
pub mod watch;
