//! The Terraform resource types stagegate manages: their definitions and per-type behaviour.

pub mod backup;
pub mod schema;
