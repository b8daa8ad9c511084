//! The Terraform-compatible core: desired resources from the repo, live resources from AWS,
//! plans between them, the apply transaction, the S3 state with its locks, and the price.

pub mod apply;
pub mod cost;
pub mod cost_change;
pub mod desired;
pub mod live;
pub mod plan;
pub mod state;
