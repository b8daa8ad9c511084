//! The live resources of one component, read through the AWS SDK by each resource type and
//! normalised exactly as the desired ones are, so that equal attributes mean no change.

use crate::aws::AwsClients;
use crate::engine::desired::{DesiredComponent, Resource};

pub use crate::resources::LiveError;
pub use crate::resources::object::read as read_object;
pub use crate::resources::table::live::read_table;

/// The live counterparts of a component's desired resources (absent ones are left out).
pub async fn read_component(clients: &AwsClients, desired: &DesiredComponent) -> Result<Vec<Resource>, LiveError> {
    read_resources(clients, &desired.resources).await
}

/// The live counterparts of these resources (absent ones are left out).
pub async fn read_resources(clients: &AwsClients, resources: &[Resource]) -> Result<Vec<Resource>, LiveError> {
    let mut live = Vec::new();
    for r in resources {
        live.extend(crate::resources::read(clients, r).await?);
    }
    Ok(live)
}
