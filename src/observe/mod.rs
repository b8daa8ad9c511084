//! Watching the pipeline: the state lock monitor, deployment metrics and the dashboard.

pub mod dashboard;
pub mod metrics;
pub mod monitor;
