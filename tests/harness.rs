//! The suite's emulators: a pool of independent emulator processes, one leased per running
//! scenario and reset before it starts, so scenarios may run concurrently without sharing
//! buckets (S3 bucket names are global across an emulator's accounts). The pool starts on the
//! first lease: scenarios that need no AWS (gates, validation) never wait for an emulator.

use std::sync::{Arc, Mutex};

use stagegate::emulator::{BackendChoice, BackgroundEmulator, Emulator, EmulatorError, Endpoint, Flavor};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

/// Overrides how many emulators (and so scenarios at a time) the suite uses.
const POOL_VAR: &str = "STAGEGATE_EMULATORS";
/// Chooses the suite's backend: `localstack` (the container where Docker runs, else host
/// mode), `local` (moto) or `auto` (the default: what `--backend auto` picks).
pub const BACKEND_VAR: &str = "STAGEGATE_BACKEND";

/// The backend [`BACKEND_VAR`] asks for; anything unknown is refused by the suite.
pub fn backend_choice() -> Result<BackendChoice, String> {
    match std::env::var(BACKEND_VAR) {
        Ok(v) if !v.trim().is_empty() => match v.parse::<BackendChoice>() {
            Ok(c @ (BackendChoice::Auto | BackendChoice::Local | BackendChoice::Localstack)) => Ok(c),
            _ => Err(format!("{BACKEND_VAR}={v:?}: expected localstack, local or auto")),
        },
        _ => Ok(BackendChoice::Auto),
    }
}

#[derive(Clone)]
pub struct Harness(Arc<Shared>);

struct Shared {
    choice: BackendChoice,
    wanted: usize,
    pool: OnceCell<Result<Pool, String>>,
}

struct Pool {
    idle: Mutex<Vec<Emulator>>,
    permits: Arc<Semaphore>,
    size: usize,
    description: String,
}

impl Pool {
    /// Starts the backend `choice` selects (under auto: external, background, LocalStack,
    /// moto); only emulators stagegate starts itself are multiplied, a borrowed one is shared.
    async fn start(choice: BackendChoice, wanted: usize) -> Result<Pool, EmulatorError> {
        let first = Emulator::start(choice, None).await?;
        first.reset().await?;
        let size = if first.is_owned() { wanted } else { 1 };
        let description = first.endpoint().to_string();
        let more: Vec<_> = (1..size).map(|_| first.start_another()).collect();
        let mut emulators = vec![first];
        for started in futures::future::join_all(more).await {
            emulators.push(started?);
        }
        Ok(Pool { idle: Mutex::new(emulators), permits: Arc::new(Semaphore::new(size)), size, description })
    }
}

impl Harness {
    pub fn new(choice: BackendChoice, test_threads: Option<usize>) -> Harness {
        let wanted = std::env::var(POOL_VAR)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .or(test_threads)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4))
            .max(1);
        Harness(Arc::new(Shared { choice, wanted, pool: OnceCell::new() }))
    }

    /// The kind of emulator the pool will hold, known before any starts, so that scenarios
    /// needing what it lacks can be set aside (and listed) before the run.
    pub async fn flavor(&self) -> Flavor {
        match self.0.choice {
            BackendChoice::Localstack => Flavor::LocalStack,
            BackendChoice::Local => Flavor::Moto,
            _ => {
                let explicit = [stagegate::emulator::ENDPOINT_VAR, stagegate::emulator::AWS_ENDPOINT_VAR]
                    .iter()
                    .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()));
                if let Some(url) = explicit {
                    return Endpoint::detect(&url).await.map_or(Flavor::Generic, |e| e.flavor);
                }
                if let Some(bg) = BackgroundEmulator::find_running().await {
                    return bg.endpoint.flavor;
                }
                if stagegate::emulator::docker_answers().await.is_ok() { Flavor::LocalStack } else { Flavor::Moto }
            }
        }
    }

    /// How many scenarios run at a time.
    pub fn capacity(&self) -> usize {
        self.0.wanted
    }

    /// What the suite ran against, once known.
    pub fn describe(&self) -> String {
        match self.0.pool.get() {
            Some(Ok(pool)) => format!("{} ({} emulators)", pool.description, pool.size),
            Some(Err(e)) => format!("no emulator: {e}"),
            None => "no scenario needed an emulator".into(),
        }
    }

    async fn pool(&self) -> Result<&Pool, String> {
        let (choice, wanted) = (self.0.choice, self.0.wanted);
        let pool = self
            .0
            .pool
            .get_or_init(|| async move { Pool::start(choice, wanted).await.map_err(|e| e.to_string()) })
            .await;
        pool.as_ref().map_err(Clone::clone)
    }

    /// An emptied emulator for one scenario; returned to the pool when the lease drops.
    pub async fn lease(&self) -> Result<Lease, String> {
        let pool = self.pool().await?;
        let permit = pool.permits.clone().acquire_owned().await.expect("the pool is never closed");
        let emulator = pool.idle.lock().expect("pool lock").pop().expect("a permit means an idle emulator");
        let lease = Lease { harness: self.clone(), emulator: Some(emulator), _permit: permit };
        lease.emulator().reset().await.map_err(|e| e.to_string())?;
        Ok(lease)
    }

    pub async fn shutdown(&self) {
        let Some(Ok(pool)) = self.0.pool.get() else { return };
        let emulators: Vec<Emulator> = std::mem::take(&mut *pool.idle.lock().expect("pool lock"));
        for e in emulators {
            e.shutdown().await;
        }
    }
}

pub struct Lease {
    harness: Harness,
    emulator: Option<Emulator>,
    _permit: OwnedSemaphorePermit,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lease({:?})", self.emulator)
    }
}

impl Lease {
    pub fn emulator(&self) -> &Emulator {
        self.emulator.as_ref().expect("leased")
    }

    pub fn endpoint(&self) -> &Endpoint {
        self.emulator().endpoint()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let (Some(e), Some(Ok(pool))) = (self.emulator.take(), self.harness.0.pool.get()) {
            pool.idle.lock().expect("pool lock").push(e);
        }
    }
}
