//! The suite's emulators: a pool of independent emulator processes, one leased per running
//! scenario and reset before it starts, so scenarios may run concurrently without sharing
//! buckets (S3 bucket names are global across an emulator's accounts).

use std::sync::{Arc, Mutex};

use stagegate::emulator::{BackendChoice, Emulator, EmulatorError, Endpoint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Overrides how many emulators (and so scenarios at a time) the suite uses.
const POOL_VAR: &str = "STAGEGATE_EMULATORS";

#[derive(Clone)]
pub struct Harness(Arc<Inner>);

struct Inner {
    idle: Mutex<Vec<Emulator>>,
    permits: Arc<Semaphore>,
    capacity: usize,
    description: String,
}

impl Harness {
    /// Starts the pool with the backend `auto` selects (external, background, LocalStack, moto).
    pub async fn start(test_threads: Option<usize>) -> Result<Harness, EmulatorError> {
        let first = Emulator::start(BackendChoice::Auto, None).await?;
        first.reset().await?;
        let wanted = std::env::var(POOL_VAR)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .or(test_threads)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4))
            .max(1);
        // Only emulators stagegate starts itself can be multiplied; a borrowed one is shared.
        let capacity = if first.moto_pid().is_some() { wanted } else { 1 };
        let description = first.endpoint().to_string();
        let mut emulators = vec![first];
        let more = (1..capacity).map(|_| Emulator::start_moto());
        for started in futures::future::join_all(more).await {
            emulators.push(started?);
        }
        Ok(Harness(Arc::new(Inner {
            idle: Mutex::new(emulators),
            permits: Arc::new(Semaphore::new(capacity)),
            capacity,
            description,
        })))
    }

    pub fn capacity(&self) -> usize {
        self.0.capacity
    }

    pub fn describe(&self) -> String {
        self.0.description.clone()
    }

    /// An emptied emulator for one scenario; returned to the pool when the lease drops.
    pub async fn lease(&self) -> Result<Lease, EmulatorError> {
        let permit = self.0.permits.clone().acquire_owned().await.expect("the pool is never closed");
        let emulator = self.0.idle.lock().expect("pool lock").pop().expect("a permit means an idle emulator");
        let lease = Lease { harness: self.clone(), emulator: Some(emulator), _permit: permit };
        lease.emulator().reset().await?;
        Ok(lease)
    }

    pub async fn shutdown(&self) {
        let emulators: Vec<Emulator> = std::mem::take(&mut *self.0.idle.lock().expect("pool lock"));
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
        if let Some(e) = self.emulator.take() {
            self.harness.0.idle.lock().expect("pool lock").push(e);
        }
    }
}
