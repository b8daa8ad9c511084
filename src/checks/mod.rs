//! Stage 1, validation: table definitions, environment files and templates (`validate`),
//! canonical formatting (`fmt`), security rules (`scan`, `iam`) and workflow conformance
//! (`workflows`). Nothing here talks to AWS except the deployer-permission check.

pub mod fmt;
pub mod iam;
pub mod sarif;
pub mod scan;
pub mod template;
pub mod validate;
pub mod workflows;
