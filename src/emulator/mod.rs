//! AWS emulator backends: one [`Emulator`] handle, chosen as DESIGN.md says.
//!
//! Order under `auto`: an explicit endpoint (`--endpoint`, `STAGEGATE_ENDPOINT`,
//! `AWS_ENDPOINT_URL`), then a background emulator started by `stagegate emulator up`, then
//! LocalStack when a Docker engine answers `/_ping` within 2 s, then moto provisioned locally.

mod background;
mod capability;
mod docker;
mod local;
mod localstack;
mod localstack_host;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub use background::{BackgroundEmulator, BackgroundRecord, STATE_DIR};
pub use capability::{Capability, Unsupported};
pub use docker::docker_answers;
pub use local::{MOTO_SPEC, MOTO_VERSION, MotoInstall, MotoServer, cache_dir};
pub use localstack::{LOCALSTACK_IMAGE, LOCALSTACK_TAG, LocalStackContainer};
pub use localstack_host::{
    DYNAMODB_LOCAL_NPM, LOCALSTACK_SPEC, LocalStackInstall, LocalStackProcess, SERVICES as LOCALSTACK_SERVICES,
    java_major_version,
};

/// Environment variable naming an endpoint stagegate should use as is.
pub const ENDPOINT_VAR: &str = "STAGEGATE_ENDPOINT";
/// The AWS SDKs' own endpoint override, honoured after [`ENDPOINT_VAR`].
pub const AWS_ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL";

/// What `--backend` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    #[default]
    Auto,
    Local,
    Localstack,
    External,
    Aws,
}

impl BackendChoice {
    pub const NAMES: [&'static str; 5] = ["auto", "local", "localstack", "external", "aws"];
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--backend: unknown backend {0:?}: expected one of auto, local, localstack, external, aws")]
pub struct UnknownBackend(pub String);

impl FromStr for BackendChoice {
    type Err = UnknownBackend;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "local" | "moto" => Ok(Self::Local),
            "localstack" => Ok(Self::Localstack),
            "external" => Ok(Self::External),
            "aws" => Ok(Self::Aws),
            _ => Err(UnknownBackend(s.to_owned())),
        }
    }
}

/// Which implementation answers at an endpoint; it decides how accounts are selected and how
/// the emulator is reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// moto's server: accounts by the `x-moto-account-id` header, reset by `POST /moto-api/reset`.
    Moto,
    /// LocalStack: accounts by a 12-digit access key id, reset by `POST /_localstack/state/reset`.
    LocalStack,
    /// Some other AWS-compatible endpoint: one account, no reset.
    Generic,
    /// Real AWS with the default credential chain.
    Aws,
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flavor::Moto => "moto",
            Flavor::LocalStack => "localstack",
            Flavor::Generic => "external",
            Flavor::Aws => "aws",
        })
    }
}

/// Where AWS calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `None` for real AWS.
    pub url: Option<String>,
    pub flavor: Flavor,
}

impl Endpoint {
    pub fn aws() -> Endpoint {
        Endpoint { url: None, flavor: Flavor::Aws }
    }

    /// Tells moto from LocalStack from anything else by their own health routes.
    pub async fn detect(url: &str) -> Result<Endpoint, EmulatorError> {
        let url = normalise_url(url)?;
        let http = probe_client();
        let answers = |path: &'static str| {
            let http = http.clone();
            let u = format!("{url}{path}");
            async move { matches!(http.get(&u).send().await, Ok(r) if r.status().is_success()) }
        };
        let flavor = if answers("/moto-api/").await {
            Flavor::Moto
        } else if answers("/_localstack/health").await {
            Flavor::LocalStack
        } else {
            Flavor::Generic
        };
        Ok(Endpoint { url: Some(url), flavor })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.url {
            Some(u) => write!(f, "{} at {u}", self.flavor),
            None => f.write_str("real AWS (default credential chain)"),
        }
    }
}

fn normalise_url(url: &str) -> Result<String, EmulatorError> {
    let trimmed = url.trim().trim_end_matches('/');
    let ok = (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
        && trimmed.len() > "http://".len()
        && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(trimmed.to_owned()) } else { Err(EmulatorError::BadEndpoint(url.to_owned())) }
}

pub(crate) fn probe_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(2)).no_proxy().build().expect("a plain HTTP client builds")
}

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("--endpoint: {0:?} is not an http(s) URL")]
    BadEndpoint(String),
    #[error("--backend external needs an endpoint: pass --endpoint URL or set {ENDPOINT_VAR} or {AWS_ENDPOINT_VAR}")]
    NoEndpoint,
    #[error("python3 was not found ({0}); install it: apt-get install python3 python3-venv")]
    NoPython(String),
    #[error("python3 cannot create virtual environments ({0}); install venv support: apt-get install python3-venv")]
    NoVenv(String),
    #[error("installing {what} into {dir} failed: {detail}")]
    Provision { what: &'static str, dir: String, detail: String },
    #[error("{what} did not become ready on {url} within {secs} s: {detail}")]
    NotReady { what: &'static str, url: String, secs: u64, detail: String },
    #[error("LocalStack {LOCALSTACK_TAG} in host mode needs {missing}; {install}")]
    Missing { missing: String, install: &'static str },
    #[error("no Docker engine answered /_ping at {0} within 2 s; use --backend local")]
    NoDocker(String),
    #[error("LocalStack {LOCALSTACK_IMAGE}:{LOCALSTACK_TAG} did not start: {0}")]
    LocalStack(String),
    #[error("resetting the emulator at {url} failed: {detail}")]
    Reset { url: String, detail: String },
    #[error("{0} cannot be reset; the conformance suite needs moto or LocalStack")]
    NotResettable(String),
    #[error("{0}")]
    Io(String),
}

/// A running (or borrowed) emulator. Dropping it stops what stagegate started itself.
pub struct Emulator {
    endpoint: Endpoint,
    owned: Owned,
}

enum Owned {
    Nothing,
    Moto(Box<MotoServer>),
    LocalStack(Box<LocalStackContainer>),
    LocalStackHost(Box<LocalStackProcess>),
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Emulator({})", self.endpoint)
    }
}

impl Emulator {
    /// Starts or finds the backend `choice` asks for. `endpoint` is the `--endpoint` flag.
    pub async fn start(choice: BackendChoice, endpoint: Option<&str>) -> Result<Emulator, EmulatorError> {
        let explicit = endpoint
            .map(str::to_owned)
            .or_else(|| env_nonempty(ENDPOINT_VAR))
            .or_else(|| env_nonempty(AWS_ENDPOINT_VAR));
        match choice {
            BackendChoice::Aws => Ok(Emulator::borrowed(Endpoint::aws())),
            BackendChoice::External => match explicit {
                Some(url) => Ok(Emulator::borrowed(Endpoint::detect(&url).await?)),
                None => Err(EmulatorError::NoEndpoint),
            },
            BackendChoice::Local => Emulator::start_moto().await,
            BackendChoice::Localstack => Emulator::start_localstack().await,
            BackendChoice::Auto => {
                if let Some(url) = explicit {
                    return Ok(Emulator::borrowed(Endpoint::detect(&url).await?));
                }
                if let Some(bg) = BackgroundEmulator::find_running().await {
                    return Ok(Emulator::borrowed(bg.endpoint));
                }
                if docker_answers().await.is_ok() {
                    return Emulator::start_localstack().await;
                }
                Emulator::start_moto().await
            }
        }
    }

    /// A fresh moto server of stagegate's own (provisioned on first use).
    pub async fn start_moto() -> Result<Emulator, EmulatorError> {
        let install = MotoInstall::ensure().await?;
        let server = install.start().await?;
        Ok(Emulator {
            endpoint: Endpoint { url: Some(server.url().to_owned()), flavor: Flavor::Moto },
            owned: Owned::Moto(Box::new(server)),
        })
    }

    /// A fresh LocalStack of the pinned version: the container where a Docker engine answers,
    /// else LocalStack's own runtime in host mode (provisioned on first use).
    pub async fn start_localstack() -> Result<Emulator, EmulatorError> {
        if docker_answers().await.is_err() {
            return Emulator::start_localstack_host().await;
        }
        let container = LocalStackContainer::start().await?;
        Ok(Emulator {
            endpoint: Endpoint { url: Some(container.url().to_owned()), flavor: Flavor::LocalStack },
            owned: Owned::LocalStack(Box::new(container)),
        })
    }

    /// A fresh LocalStack host-mode process of stagegate's own, whether or not Docker runs.
    pub async fn start_localstack_host() -> Result<Emulator, EmulatorError> {
        let install = LocalStackInstall::ensure().await?;
        let process = install.start().await?;
        Ok(Emulator {
            endpoint: Endpoint { url: Some(process.url().to_owned()), flavor: Flavor::LocalStack },
            owned: Owned::LocalStackHost(Box::new(process)),
        })
    }

    /// Whether this handle started the emulator itself (so that more of the same can be started).
    pub fn is_owned(&self) -> bool {
        !matches!(self.owned, Owned::Nothing)
    }

    /// Starts another emulator of the same kind as this one, for a pool.
    pub fn start_another(&self) -> impl Future<Output = Result<Emulator, EmulatorError>> + Send + 'static {
        let kind = match self.owned {
            Owned::Moto(_) | Owned::Nothing => 0,
            Owned::LocalStack(_) => 1,
            Owned::LocalStackHost(_) => 2,
        };
        async move {
            match kind {
                0 => Emulator::start_moto().await,
                1 => Emulator::start_localstack().await,
                _ => Emulator::start_localstack_host().await,
            }
        }
    }

    fn borrowed(endpoint: Endpoint) -> Emulator {
        Emulator { endpoint, owned: Owned::Nothing }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Empties the emulator: every account's buckets, tables and items are gone.
    pub async fn reset(&self) -> Result<(), EmulatorError> {
        let Some(url) = &self.endpoint.url else {
            return Err(EmulatorError::NotResettable("real AWS".into()));
        };
        let path = match self.endpoint.flavor {
            Flavor::Moto => "/moto-api/reset",
            Flavor::LocalStack => "/_localstack/state/reset",
            Flavor::Generic | Flavor::Aws => {
                return Err(EmulatorError::NotResettable(self.endpoint.to_string()));
            }
        };
        let reset_err = |detail: String| EmulatorError::Reset { url: url.clone(), detail };
        // Dropping every account's resources after a big scenario can take seconds on a busy
        // machine: a longer timeout than the readiness probe's, and one more try.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .expect("a plain HTTP client builds");
        let mut last = String::new();
        for _ in 0..2 {
            match client.post(format!("{url}{path}")).send().await {
                Ok(resp) if resp.status().is_success() => return Ok(()),
                Ok(resp) => last = format!("HTTP {}", resp.status()),
                Err(e) => last = crate::foundation::error_chain(&e),
            }
        }
        Err(reset_err(last))
    }

    /// The OS process id of a moto server stagegate started, for fault tests that kill it.
    pub fn moto_pid(&self) -> Option<u32> {
        match &self.owned {
            Owned::Moto(s) => s.pid(),
            _ => None,
        }
    }

    /// Stops what this handle started (moto process or container); borrowed endpoints stay.
    pub async fn shutdown(self) {
        match self.owned {
            Owned::Nothing => {}
            Owned::Moto(server) => server.stop().await,
            Owned::LocalStack(c) => c.stop().await,
            Owned::LocalStackHost(p) => p.stop().await,
        }
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
