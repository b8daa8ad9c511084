//! stagegate: the executable specification of the S3/DynamoDB delivery pipeline.
//!
//! The library holds every rule; the CLI (`main.rs`, `cli`) and the conformance suite
//! (`tests/conformance.rs`) are thin clients of it. Folders follow the pipeline's stages and
//! import one way: cli → practice → observe → release → engine → resources → aws, emulator,
//! foundation; `checks` (Stage 1) stands on resources, aws and foundation.

pub mod aws;
pub mod checks;
pub mod cli;
pub mod emulator;
pub mod engine;
pub mod foundation;
pub mod observe;
pub mod practice;
pub mod release;
pub mod resources;

pub use foundation::environment::Environment;
pub use release::error::Error;
