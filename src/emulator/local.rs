//! The local backend: moto's server, provisioned by stagegate into a cache venv on first use.

use std::fs::{self, File};
use std::io::{IsTerminal, Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::process::{Child, Command};

use super::{EmulatorError, probe_client};

pub const MOTO_VERSION: &str = "5.2.5";
pub const MOTO_SPEC: &str = "moto[server]==5.2.5";
/// Overrides the cache directory.
pub const CACHE_VAR: &str = "STAGEGATE_CACHE";
/// Overrides the Python interpreter used to create the venv.
pub const PYTHON_VAR: &str = "STAGEGATE_PYTHON";

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// moto's server, run as `moto_server` runs it but serving one request at a time: the threaded
/// server lets two concurrent conditional writes to one DynamoDB item both succeed, which AWS
/// never does, and the lock protocol depends on that atomicity. Argument: the port.
const SERIAL_SERVER: &str = r#"
import os, signal, sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
port = int(sys.argv[1])
os.environ.setdefault("MOTO_PORT", str(port))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
app = DomainDispatcherApplication(create_backend_app)
app.debug = True
run_simple("127.0.0.1", port, app, threaded=False, request_handler=MotoRequestHandler)
"#;
const READY_MARKER: &str = ".stagegate-ready";

/// `$STAGEGATE_CACHE`, else `$XDG_CACHE_HOME/stagegate`, else `~/.cache/stagegate`.
pub fn cache_dir() -> PathBuf {
    let var = |n: &str| std::env::var_os(n).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = var(CACHE_VAR) {
        return dir;
    }
    if let Some(xdg) = var("XDG_CACHE_HOME") {
        return xdg.join("stagegate");
    }
    var("HOME").unwrap_or_else(std::env::temp_dir).join(".cache").join("stagegate")
}

/// A venv holding the pinned moto server.
#[derive(Debug, Clone)]
pub struct MotoInstall {
    venv: PathBuf,
}

impl MotoInstall {
    /// The venv under the cache directory, created on first use. Two processes provisioning at
    /// once serialise on a file lock, so neither sees a half-built venv.
    pub async fn ensure() -> Result<MotoInstall, EmulatorError> {
        let root = cache_dir();
        tokio::task::spawn_blocking(move || provision(&root))
            .await
            .map_err(|e| EmulatorError::Io(format!("provisioning task failed: {e}")))?
    }

    pub fn venv(&self) -> &Path {
        &self.venv
    }

    fn python(&self) -> PathBuf {
        self.venv.join("bin").join("python")
    }

    /// Starts `moto_server` on a free 127.0.0.1 port and waits for `GET /moto-api/`.
    pub async fn start(&self) -> Result<MotoServer, EmulatorError> {
        let mut last = None;
        // A port picked free can be taken before moto binds it; try a few.
        for _ in 0..3 {
            match self.start_once().await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one attempt"))
    }

    async fn start_once(&self) -> Result<MotoServer, EmulatorError> {
        let (port, log_path, log, log_err) = self.prepare_log()?;
        let child = Command::new(self.python())
            .args(["-c", SERIAL_SERVER, &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| EmulatorError::Io(format!("{}: {e}", self.python().display())))?;
        let mut server = MotoServer { child: Some(child), url: format!("http://127.0.0.1:{port}"), log_path };
        let (url, log_path) = (server.url.clone(), server.log_path.clone());
        let child = server.child.as_mut().expect("just spawned");
        poll_ready(&url, &log_path, || child.try_wait().ok().flatten().map(|s| s.to_string())).await?;
        Ok(server)
    }

    /// Starts a moto server that outlives this process (for `stagegate emulator up`);
    /// returns its pid, URL and log file once it answers.
    pub async fn spawn_detached(&self) -> Result<(u32, String, PathBuf), EmulatorError> {
        use std::os::unix::process::CommandExt;
        let (port, log_path, log, log_err) = self.prepare_log()?;
        let mut child = std::process::Command::new(self.python())
            .args(["-c", SERIAL_SERVER, &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own process group: Ctrl-C in the shell that started it does not stop it.
            .process_group(0)
            .spawn()
            .map_err(|e| EmulatorError::Io(format!("{}: {e}", self.python().display())))?;
        let url = format!("http://127.0.0.1:{port}");
        poll_ready(&url, &log_path, || child.try_wait().ok().flatten().map(|s| s.to_string())).await?;
        Ok((child.id(), url, log_path))
    }

    fn prepare_log(&self) -> Result<(u16, PathBuf, File, File), EmulatorError> {
        let port = free_port()?;
        let logs = cache_dir().join("logs");
        fs::create_dir_all(&logs).map_err(|e| io_err(&logs, e))?;
        let log_path = logs.join(format!("moto-{port}.log"));
        let log = File::create(&log_path).map_err(|e| io_err(&log_path, e))?;
        let log_err = log.try_clone().map_err(|e| io_err(&log_path, e))?;
        Ok((port, log_path, log, log_err))
    }
}

/// Polls `GET {url}/moto-api/` until it answers, the process exits, or the timeout passes.
async fn poll_ready(url: &str, log_path: &Path, exited: impl FnMut() -> Option<String>) -> Result<(), EmulatorError> {
    let http = probe_client();
    let probe = format!("{url}/moto-api/");
    let started = Starting {
        what: "moto's server",
        process: "moto_server",
        url,
        log_path,
        timeout: READY_TIMEOUT,
        interval: Duration::from_millis(50),
    };
    let (http, probe) = (&http, &probe);
    started
        .wait(move || async move { http.get(probe).send().await.is_ok_and(|r| r.status().is_success()) }, exited)
        .await
}

/// An emulator process just started: what it is, where it answers and logs, how long to wait.
pub(super) struct Starting<'a> {
    pub what: &'static str,
    /// The program's name, for "... exited (status)".
    pub process: &'static str,
    pub url: &'a str,
    pub log_path: &'a Path,
    pub timeout: Duration,
    pub interval: Duration,
}

impl Starting<'_> {
    /// Waits until `ready` says so; fails with the log's tail when the process exits (`exited`
    /// gives its status) or the timeout passes first.
    pub(super) async fn wait<F: Future<Output = bool>>(
        &self,
        mut ready: impl FnMut() -> F,
        mut exited: impl FnMut() -> Option<String>,
    ) -> Result<(), EmulatorError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if ready().await {
                return Ok(());
            }
            let status = exited();
            if status.is_some() || Instant::now() >= deadline {
                let log = log_tail(self.log_path);
                let detail = match status {
                    Some(status) => format!("{} exited ({status}); {log}", self.process),
                    None => log,
                };
                return Err(EmulatorError::NotReady {
                    what: self.what,
                    url: self.url.to_owned(),
                    secs: self.timeout.as_secs(),
                    detail,
                });
            }
            tokio::time::sleep(self.interval).await;
        }
    }
}

pub(super) fn log_tail(log_path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(log_path) {
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(SeekFrom::Start(len.saturating_sub(2000)));
        let _ = f.read_to_string(&mut text);
    }
    format!("log {}: {}", log_path.display(), tail(&text, 5))
}

pub(super) fn io_err(path: &Path, e: std::io::Error) -> EmulatorError {
    EmulatorError::Io(format!("{}: {e}", path.display()))
}

pub(super) fn free_port() -> Result<u16, EmulatorError> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| EmulatorError::Io(format!("no free port: {e}")))?;
    l.local_addr().map(|a| a.port()).map_err(|e| EmulatorError::Io(format!("no free port: {e}")))
}

fn provision(root: &Path) -> Result<MotoInstall, EmulatorError> {
    let venv = root.join(format!("moto-{MOTO_VERSION}"));
    let install = MotoInstall { venv: venv.clone() };
    if is_ready(&venv) {
        return Ok(install);
    }
    fs::create_dir_all(root).map_err(|e| io_err(root, e))?;
    let lock_path = root.join(format!("moto-{MOTO_VERSION}.lock"));
    let lock = File::create(&lock_path).map_err(|e| io_err(&lock_path, e))?;
    lock.lock().map_err(|e| io_err(&lock_path, e))?;
    // Another process may have finished while this one waited for the lock.
    if is_ready(&venv) {
        return Ok(install);
    }
    let spinner =
        Spinner::start(format!("provisioning {MOTO_SPEC} into {} (first run only, about a minute)", venv.display()));
    let started = Instant::now();
    let result = build_venv(&venv);
    match &result {
        Ok(()) => spinner.finish(format!("provisioned {MOTO_SPEC} in {:.1} s", started.elapsed().as_secs_f64())),
        Err(_) => spinner.finish(format!("provisioning {MOTO_SPEC} failed")),
    }
    result?;
    fs::write(venv.join(READY_MARKER), MOTO_SPEC).map_err(|e| io_err(&venv, e))?;
    Ok(install)
}

fn is_ready(venv: &Path) -> bool {
    fs::read_to_string(venv.join(READY_MARKER)).is_ok_and(|s| s == MOTO_SPEC)
        && venv.join("bin").join("moto_server").exists()
}

fn build_venv(venv: &Path) -> Result<(), EmulatorError> {
    create_venv(venv)?;
    let pip = venv.join("bin").join("pip");
    let out = std::process::Command::new(&pip)
        .args(["install", "--disable-pip-version-check", "--no-input", "-q", MOTO_SPEC])
        .output()
        .map_err(|e| provision_err(venv, e.to_string()))?;
    if !out.status.success() {
        return Err(provision_err(venv, tail(&String::from_utf8_lossy(&out.stderr), 8)));
    }
    Ok(())
}

/// A fresh venv at `venv` made by `$STAGEGATE_PYTHON` or `python3`; a half-built one from an
/// interrupted run is removed first.
pub(super) fn create_venv(venv: &Path) -> Result<(), EmulatorError> {
    let python = std::env::var(PYTHON_VAR).unwrap_or_else(|_| "python3".into());
    match std::process::Command::new(&python).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => return Err(EmulatorError::NoPython(String::from_utf8_lossy(&o.stderr).trim().into())),
        Err(e) => return Err(EmulatorError::NoPython(format!("{python}: {e}"))),
    }
    if venv.exists() {
        fs::remove_dir_all(venv).map_err(|e| io_err(venv, e))?;
    }
    let out = std::process::Command::new(&python)
        .args(["-m", "venv"])
        .arg(venv)
        .output()
        .map_err(|e| EmulatorError::NoVenv(e.to_string()))?;
    if !out.status.success() {
        let _ = fs::remove_dir_all(venv);
        return Err(EmulatorError::NoVenv(tail(&String::from_utf8_lossy(&out.stderr), 3)));
    }
    Ok(())
}

fn provision_err(venv: &Path, detail: String) -> EmulatorError {
    EmulatorError::Provision { what: MOTO_SPEC, dir: venv.display().to_string(), detail }
}

pub(super) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A spinner on a terminal, plain lines elsewhere (CI logs).
pub(super) struct Spinner(Option<ProgressBar>);

impl Spinner {
    pub(super) fn start(message: String) -> Spinner {
        if std::io::stderr().is_terminal() {
            let pb = ProgressBar::new_spinner();
            pb.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"));
            pb.set_message(message);
            pb.enable_steady_tick(Duration::from_millis(120));
            Spinner(Some(pb))
        } else {
            eprintln!("stagegate: {message}");
            Spinner(None)
        }
    }

    pub(super) fn finish(self, message: String) {
        match self.0 {
            Some(pb) => pb.finish_with_message(message),
            None => eprintln!("stagegate: {message}"),
        }
    }
}

/// A moto server process this process owns; killed on drop.
#[derive(Debug)]
pub struct MotoServer {
    child: Option<Child>,
    url: String,
    log_path: PathBuf,
}

impl MotoServer {
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// Kills the process and waits for it.
    pub async fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
        let _ = fs::remove_file(&self.log_path);
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}
