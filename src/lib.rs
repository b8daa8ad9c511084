//! stagegate: the executable specification of the S3/DynamoDB delivery pipeline.
//!
//! The library holds every rule; the CLI (`main.rs`, `cli`) and the conformance suite
//! (`tests/conformance.rs`) are thin clients of it.

pub mod apply;
pub mod aws;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod cost;
pub mod dashboard;
pub mod deploy;
pub mod desired;
pub mod drill;
pub mod emulator;
pub mod environment;
pub mod error;
pub mod fmt;
pub mod gate;
pub mod iam;
pub mod ledger;
pub mod live;
pub mod metrics;
pub mod monitor;
pub mod notify;
pub mod plan;
pub mod policy;
pub mod rehearse;
pub mod repo;
pub mod rollback;
pub mod scan;
pub mod schema;
pub mod state;
pub mod tags;
pub mod template;
pub mod tickets;
pub mod validate;
pub mod verify;
pub mod workflows;

pub use environment::Environment;
pub use error::Error;
