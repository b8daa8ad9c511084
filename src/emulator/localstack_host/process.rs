//! Running LocalStack host-mode instances: started on a free port with their own filesystem root,
//! ready when every service stagegate needs is running, and stopped with the DynamoDB Local JVM
//! they started (LocalStack starts it in a session of its own, so it is found by parentage).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{LocalStackInstall, SERVICES};
use crate::emulator::local::{Starting, free_port, io_err};
use crate::emulator::{EmulatorError, probe_client};

/// The first start after provisioning compiles LocalStack's Python: ~10 s here, more on a busy machine.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// A LocalStack host-mode process this process owns; it and its children are killed on drop.
#[derive(Debug)]
pub struct LocalStackProcess {
    child: Option<tokio::process::Child>,
    url: String,
    run_dir: PathBuf,
    log_path: PathBuf,
}

impl LocalStackInstall {
    /// Starts an instance on a free 127.0.0.1 port and waits until it serves [`SERVICES`].
    pub async fn start(&self) -> Result<LocalStackProcess, EmulatorError> {
        let mut last = None;
        for _ in 0..3 {
            match self.start_once().await {
                Ok(p) => return Ok(p),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one attempt"))
    }

    async fn start_once(&self) -> Result<LocalStackProcess, EmulatorError> {
        use std::os::unix::process::CommandExt;
        let (port, mut cmd, run_dir, log_path) = self.command()?;
        // Its own process group: Ctrl-C reaches stagegate, which stops it with its JVM.
        cmd.process_group(0).stdin(Stdio::null());
        let mut cmd = tokio::process::Command::from(cmd);
        let child = cmd.spawn().map_err(|e| EmulatorError::Io(format!("{}: {e}", self.python().display())))?;
        let mut process =
            LocalStackProcess { child: Some(child), url: format!("http://127.0.0.1:{port}"), run_dir, log_path };
        let (url, log) = (process.url.clone(), process.log_path.clone());
        let child = process.child.as_mut().expect("just spawned");
        poll_ready(&url, &log, || child.try_wait().ok().flatten().map(|s| s.to_string())).await?;
        Ok(process)
    }

    /// Starts an instance that outlives this process (for `stagegate emulator up`); returns its
    /// pid, URL and log file once it is ready.
    pub async fn spawn_detached(&self) -> Result<(u32, String, PathBuf), EmulatorError> {
        use std::os::unix::process::CommandExt;
        let (port, mut cmd, _run_dir, log_path) = self.command()?;
        let mut child = cmd
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| EmulatorError::Io(format!("{}: {e}", self.python().display())))?;
        let url = format!("http://127.0.0.1:{port}");
        poll_ready(&url, &log_path, || child.try_wait().ok().flatten().map(|s| s.to_string())).await?;
        Ok((child.id(), url, log_path))
    }

    /// `python -m localstack.runtime.main` with host mode's settings, on a free port, with a
    /// filesystem root of its own that links to the shared packages.
    fn command(&self) -> Result<(u16, std::process::Command, PathBuf, PathBuf), EmulatorError> {
        let port = free_port()?;
        let run_dir = self.home().join("run").join(port.to_string());
        if run_dir.exists() {
            fs::remove_dir_all(&run_dir).map_err(|e| io_err(&run_dir, e))?;
        }
        fs::create_dir_all(&run_dir).map_err(|e| io_err(&run_dir, e))?;
        std::os::unix::fs::symlink(self.packages(), run_dir.join("usr")).map_err(|e| io_err(&run_dir, e))?;
        let logs = crate::emulator::cache_dir().join("logs");
        fs::create_dir_all(&logs).map_err(|e| io_err(&logs, e))?;
        let log_path = logs.join(format!("localstack-{port}.log"));
        let log = File::create(&log_path).map_err(|e| io_err(&log_path, e))?;
        let log_err = log.try_clone().map_err(|e| io_err(&log_path, e))?;
        let mut cmd = std::process::Command::new(self.python());
        cmd.args(["-m", "localstack.runtime.main"])
            .current_dir(&run_dir)
            .env("FILESYSTEM_ROOT", &run_dir)
            // This machine may look like a container to LocalStack; it runs on the host here.
            .env("OVERRIDE_IN_DOCKER", "0")
            .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
            .env("LOCALSTACK_HOST", format!("127.0.0.1:{port}"))
            .env("SERVICES", SERVICES)
            // CloudWatch's moto-backed provider: the default one keeps metrics in an SQLite file
            // in its asset directory, which a state reset deletes and the provider cannot recreate.
            .env("PROVIDER_OVERRIDE_CLOUDWATCH", "v1")
            .env("EAGER_SERVICE_LOADING", "1")
            .env("DISABLE_EVENTS", "1")
            .env("SKIP_SSL_CERT_DOWNLOAD", "1")
            .env("DNS_ADDRESS", "0")
            .env("DYNAMODB_IN_MEMORY", "1")
            .env("PERSISTENCE", "0")
            .env_remove("AWS_ENDPOINT_URL")
            .stdout(log)
            .stderr(log_err);
        Ok((port, cmd, run_dir, log_path))
    }
}

/// Polls `/_localstack/health` until each of [`SERVICES`] is running, the process exits, or the
/// timeout passes.
async fn poll_ready(url: &str, log_path: &Path, exited: impl FnMut() -> Option<String>) -> Result<(), EmulatorError> {
    let http = probe_client();
    let probe = format!("{url}/_localstack/health");
    let started = Starting {
        what: "LocalStack (host mode)",
        process: "LocalStack",
        url,
        log_path,
        timeout: READY_TIMEOUT,
        interval: Duration::from_millis(100),
    };
    let (http, probe) = (&http, &probe);
    let ready = move || async move {
        let Ok(response) = http.get(probe).send().await else { return false };
        let health = response.json::<serde_json::Value>().await;
        health.is_ok_and(|h| SERVICES.split(',').all(|s| h["services"][s] == "running"))
    };
    started.wait(ready, exited).await
}

impl LocalStackProcess {
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(tokio::process::Child::id)
    }

    /// Asks LocalStack to shut down (it stops DynamoDB Local itself), then kills what is left.
    pub async fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let family = child.id().map(descendants_and_self).unwrap_or_default();
            if let Some(pid) = child.id() {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
            }
            if tokio::time::timeout(Duration::from_secs(10), child.wait()).await.is_err() {
                let _ = child.kill().await;
            }
            kill_all(&family);
        }
        let _ = fs::remove_dir_all(&self.run_dir);
        let _ = fs::remove_file(&self.log_path);
    }
}

impl Drop for LocalStackProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            if let Some(pid) = child.id() {
                kill_all(&descendants_and_self(pid));
            }
            let _ = child.start_kill();
            let _ = fs::remove_dir_all(&self.run_dir);
        }
    }
}

/// Stops a detached instance (`stagegate emulator down`) and the JVM it started, and removes
/// its filesystem root.
pub fn stop_detached(pid: u32, url: &str) -> Result<(), nix::Error> {
    let family = descendants_and_self(pid);
    kill(Pid::from_raw(pid as i32), Signal::SIGTERM)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && kill(Pid::from_raw(pid as i32), None).is_ok() {
        std::thread::sleep(Duration::from_millis(100));
    }
    kill_all(&family);
    if let Some(port) = url.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()) {
        let run_dir = crate::emulator::cache_dir()
            .join(format!("localstack-{}", crate::emulator::LOCALSTACK_TAG))
            .join("run")
            .join(port.to_string());
        let _ = fs::remove_dir_all(run_dir);
    }
    Ok(())
}

fn kill_all(pids: &[u32]) {
    for &pid in pids {
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
    }
}

/// `pid` and every process below it, read from /proc (children first).
fn descendants_and_self(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.filter_map(Result::ok) {
            let Some(p) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            if let Some(ppid) = fs::read_to_string(entry.path().join("stat")).ok().as_deref().and_then(parent_of) {
                parents.push((p, ppid));
            }
        }
    }
    let mut family = vec![pid];
    let mut i = 0;
    while i < family.len() {
        let current = family[i];
        family.extend(parents.iter().filter(|(_, pp)| *pp == current).map(|(p, _)| *p));
        i += 1;
    }
    family.reverse();
    family
}

/// The parent pid from a `/proc/PID/stat` line; the command name may hold spaces and brackets.
fn parent_of(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}
