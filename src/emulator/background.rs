//! `stagegate emulator up|down|status`: one emulator (moto, or LocalStack in host mode) kept in
//! the background, its endpoint recorded in `.stagegate/emulator.json` so that later commands
//! in this directory use it.

use std::fs;
use std::path::PathBuf;

use jiff::Timestamp;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::{BackendChoice, EmulatorError, Endpoint, Flavor, LocalStackInstall, MotoInstall, probe_client};

/// Directory (relative to the working directory) where stagegate keeps local run state.
pub const STATE_DIR: &str = ".stagegate";

/// What `.stagegate/emulator.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackgroundRecord {
    pub pid: u32,
    pub url: String,
    pub started: Timestamp,
    pub log: PathBuf,
    /// `moto` or `localstack`; records written before LocalStack could run here are moto's.
    #[serde(default = "moto")]
    pub backend: String,
}

fn moto() -> String {
    "moto".into()
}

impl BackgroundRecord {
    pub fn flavor(&self) -> Flavor {
        if self.backend == "localstack" { Flavor::LocalStack } else { Flavor::Moto }
    }
}

#[derive(Debug, Clone)]
pub struct BackgroundEmulator {
    pub endpoint: Endpoint,
    pub record: BackgroundRecord,
}

fn record_path() -> PathBuf {
    PathBuf::from(STATE_DIR).join("emulator.json")
}

fn read_record() -> Option<BackgroundRecord> {
    let text = fs::read_to_string(record_path()).ok()?;
    serde_json::from_str(&text).ok()
}

fn alive(pid: u32) -> bool {
    i32::try_from(pid).is_ok_and(|p| kill(Pid::from_raw(p), None).is_ok())
}

impl BackgroundEmulator {
    /// The recorded emulator, if its process lives and answers.
    pub async fn find_running() -> Option<BackgroundEmulator> {
        let record = read_record()?;
        if !alive(record.pid) {
            return None;
        }
        let flavor = record.flavor();
        let probe = match flavor {
            Flavor::LocalStack => "/_localstack/health",
            _ => "/moto-api/",
        };
        let answers =
            probe_client().get(format!("{}{probe}", record.url)).send().await.is_ok_and(|r| r.status().is_success());
        answers.then(|| BackgroundEmulator { endpoint: Endpoint { url: Some(record.url.clone()), flavor }, record })
    }

    /// Starts one unless one is already running; returns it and whether it was started now.
    /// `--backend localstack` keeps LocalStack in host mode running; anything else moto.
    pub async fn up(choice: BackendChoice) -> Result<(BackgroundEmulator, bool), EmulatorError> {
        if let Some(running) = Self::find_running().await {
            return Ok((running, false));
        }
        let (flavor, (pid, url, log)) = match choice {
            BackendChoice::Localstack => {
                (Flavor::LocalStack, LocalStackInstall::ensure().await?.spawn_detached().await?)
            }
            _ => (Flavor::Moto, MotoInstall::ensure().await?.spawn_detached().await?),
        };
        let backend = flavor.to_string();
        let record = BackgroundRecord { pid, url: url.clone(), started: Timestamp::now(), log, backend };
        let path = record_path();
        let write = || -> std::io::Result<()> {
            fs::create_dir_all(STATE_DIR)?;
            let tmp = path.with_extension("json.tmp");
            fs::write(&tmp, serde_json::to_vec_pretty(&record).expect("a record serialises"))?;
            fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
            return Err(EmulatorError::Io(format!("{}: {e}", path.display())));
        }
        let endpoint = Endpoint { url: Some(url), flavor };
        Ok((BackgroundEmulator { endpoint, record }, true))
    }

    /// Stops the recorded emulator; `Ok(None)` when none was recorded or it was already gone.
    pub fn down() -> Result<Option<BackgroundRecord>, EmulatorError> {
        let Some(record) = read_record() else {
            return Ok(None);
        };
        let was_alive = alive(record.pid);
        if was_alive {
            let stopped = match record.flavor() {
                // LocalStack stops its DynamoDB Local JVM on SIGTERM; whatever is left is killed.
                Flavor::LocalStack => super::localstack_host::stop_detached(record.pid, &record.url),
                _ => kill(Pid::from_raw(record.pid as i32), Signal::SIGTERM),
            };
            stopped.map_err(|e| EmulatorError::Io(format!("stopping pid {}: {e}", record.pid)))?;
        }
        let path = record_path();
        fs::remove_file(&path).map_err(|e| EmulatorError::Io(format!("{}: {e}", path.display())))?;
        Ok(was_alive.then_some(record))
    }
}
