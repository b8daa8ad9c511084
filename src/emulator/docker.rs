//! The Docker preflight: a bounded `/_ping` before anything waits on the engine, because with a
//! socket that never answers testcontainers waits 120 s.

use std::time::Duration;

use bollard::Docker;

use super::EmulatorError;

const PING_TIMEOUT: Duration = Duration::from_secs(2);

fn docker_host() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".into())
}

/// `Ok` when a Docker engine answers `GET /_ping` within 2 s (`DOCKER_HOST` honoured).
pub async fn docker_answers() -> Result<(), EmulatorError> {
    let host = docker_host();
    let docker =
        Docker::connect_with_defaults().map_err(|_| EmulatorError::NoDocker(host.clone()))?.with_timeout(PING_TIMEOUT);
    match tokio::time::timeout(PING_TIMEOUT, docker.ping()).await {
        Ok(Ok(_)) => Ok(()),
        _ => Err(EmulatorError::NoDocker(host)),
    }
}
