//! Watching the pipeline: the state lock monitor, deployment metrics and the dashboard.

pub mod dashboard;
pub mod level4;
pub mod metrics;
pub mod monitor;
