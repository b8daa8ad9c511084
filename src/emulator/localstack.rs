//! The localstack backend where a Docker engine runs: testcontainers-modules' LocalStack with a
//! pinned tag. `docker/compose.yml` pins the same tag for users who run it themselves; without
//! Docker, `localstack_host` runs the same release on the host.

use testcontainers::{ContainerAsync, ImageExt, runners::AsyncRunner};
use testcontainers_modules::localstack::LocalStack;

use super::EmulatorError;

pub const LOCALSTACK_IMAGE: &str = "localstack/localstack";
/// Pinned: `latest` needs an auth token since 2026-03.
pub const LOCALSTACK_TAG: &str = "4.5.0";

/// A LocalStack container this process started; removed on drop.
pub struct LocalStackContainer {
    container: ContainerAsync<LocalStack>,
    url: String,
}

impl LocalStackContainer {
    pub async fn start() -> Result<LocalStackContainer, EmulatorError> {
        let err = |e: testcontainers::TestcontainersError| EmulatorError::LocalStack(e.to_string());
        let container = LocalStack::default()
            .with_tag(LOCALSTACK_TAG)
            .with_env_var("SERVICES", super::localstack_host::SERVICES)
            .with_env_var("PROVIDER_OVERRIDE_CLOUDWATCH", "v1")
            .start()
            .await
            .map_err(err)?;
        let host = container.get_host().await.map_err(err)?;
        let port = container.get_host_port_ipv4(4566).await.map_err(err)?;
        Ok(LocalStackContainer { container, url: format!("http://{host}:{port}") })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn stop(self) {
        let _ = self.container.stop().await;
        let _ = self.container.rm().await;
    }
}
