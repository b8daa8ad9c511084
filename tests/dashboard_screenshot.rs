//! The HTML dashboard (R50) as a browser draws it: headless Chromium renders the page to a
//! PNG, which must show the page with its bar charts in each environment's colour.
//!
//! Without Chromium the check does not run: it is reported as `ignored` with the reason, never
//! as passed. With `STAGEGATE_REQUIRE_CHROMIUM=1` (as `.ci/run` sets) a missing browser fails it.
//! `STAGEGATE_CHROMIUM=PATH` names the browser (default: `chromium` on `PATH`);
//! `STAGEGATE_KEEP_SCREENSHOT=FILE` keeps the PNG.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use stagegate::Environment;
use stagegate::observe::dashboard::{Dashboard, ENVIRONMENT_COLOURS};
use stagegate::observe::metrics::Window;
use stagegate::release::ledger::{CheckKind, CheckRecord, DeploymentRecord, Outcome, RecordKind, TestResults};

const TEST_NAME: &str = "the_html_dashboard_renders_with_its_bar_charts";
const WIDTH: u32 = 1200;
const HEIGHT: u32 = 1400;

fn record(env: Environment, kind: RecordKind, started: Timestamp, seconds: u64) -> DeploymentRecord {
    DeploymentRecord {
        id: format!("{env}-{started}-{seconds}"),
        kind,
        environment: env,
        commit: "7d196451a1c0ffee".into(),
        deployer: "release-bot".into(),
        approvers: vec!["tech-lead".into()],
        trigger: "manual".into(),
        started,
        recorded: started,
        duration_ms: seconds * 1000,
        result: Outcome::Succeeded,
        tests: Some(TestResults { passed: true, summary: "smoke tests pass".into() }),
        tag: Some(format!("deploy-{}-20261201-100000", env.name())),
        error: None,
        committed: Some(started - SignedDuration::from_hours(5)),
        detected: Some(started - SignedDuration::from_mins(3)),
        states: Vec::new(),
    }
}

fn page() -> String {
    let now: Timestamp = "2026-12-03T12:00:00Z".parse().expect("an instant");
    let day = |n: i64| now - SignedDuration::from_hours(24 * n);
    let mut records = Vec::new();
    for (env, count, seconds) in [(Environment::Dev, 9, 383), (Environment::Sit, 5, 525), (Environment::Prod, 3, 730)] {
        records.extend((0..count).map(|i| record(env, RecordKind::Deploy, day(i + 1), seconds)));
    }
    records.push(record(Environment::Dev, RecordKind::Rollback, day(2), 240));
    records.push(record(Environment::Sit, RecordKind::Rollback, day(4), 300));
    records.push(record(Environment::Prod, RecordKind::Rollback, day(6), 300));
    let checks = [CheckRecord::new(CheckKind::Validation, None, day(1), true, 0)];
    Dashboard::new(&records, &checks, Window::last_days(now, 30)).html()
}

/// The browser to draw with: `STAGEGATE_CHROMIUM`, else `chromium` (or `chromium-browser`) on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STAGEGATE_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

fn screenshot(chromium: &Path, html: &Path, png: &Path, profile: &Path) {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={WIDTH},{HEIGHT}"))
        .arg(format!("file://{}", html.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", chromium.display()));
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("chromium runs") {
            assert!(status.success(), "chromium exited with {status}");
            return;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium took more than 2 minutes to take a screenshot");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn rgb(hex: &str) -> [u8; 3] {
    let n = u32::from_str_radix(hex.trim_start_matches('#'), 16).expect("a hex colour");
    [(n >> 16) as u8, (n >> 8) as u8, n as u8]
}

fn main() -> ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    let browser = chromium();
    let required = std::env::var("STAGEGATE_REQUIRE_CHROMIUM").is_ok_and(|v| !v.is_empty() && v != "0");
    let trial = match (browser, required) {
        (Some(browser), _) => libtest_mimic::Trial::test(TEST_NAME, move || {
            the_html_dashboard_renders_with_its_bar_charts(&browser);
            Ok(())
        }),
        (None, true) => libtest_mimic::Trial::test(TEST_NAME, || {
            Err("no Chromium on PATH and STAGEGATE_REQUIRE_CHROMIUM is set: apt-get install chromium".into())
        }),
        (None, false) => {
            eprintln!(
                "dashboard screenshot: did not run: no Chromium on PATH (apt-get install chromium, or set \
                 STAGEGATE_CHROMIUM); reported as ignored, not passed"
            );
            libtest_mimic::Trial::test(TEST_NAME, || Ok(())).with_ignored_flag(true)
        }
    };
    libtest_mimic::run(&args, vec![trial]).exit_code()
}

fn the_html_dashboard_renders_with_its_bar_charts(chromium: &Path) {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let html = dir.path().join("dashboard.html");
    let png = dir.path().join("dashboard.png");
    std::fs::write(&html, page()).expect("the page is written");
    screenshot(chromium, &html, &png, &dir.path().join("profile"));
    if let Some(keep) = std::env::var_os("STAGEGATE_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).expect("STAGEGATE_KEEP_SCREENSHOT is writable");
    }

    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).expect("a screenshot")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let rgb_pixels: Vec<[u8; 3]> = pixels[..info.buffer_size()].chunks(channels).map(|p| [p[0], p[1], p[2]]).collect();

    let distinct: std::collections::HashSet<[u8; 3]> = rgb_pixels.iter().copied().collect();
    assert!(distinct.len() > 100, "the screenshot is blank: {} colours", distinct.len());
    let count =
        |colour: [u8; 3]| rgb_pixels.iter().filter(|p| p.iter().zip(colour).all(|(a, b)| a.abs_diff(b) <= 6)).count();
    for (env, colour) in Environment::ALL.iter().zip(ENVIRONMENT_COLOURS) {
        let n = count(rgb(colour));
        // Three bars per environment (deployments, time, rollbacks), each tens of pixels high.
        assert!(n > 3_000, "{} bars ({colour}): only {n} pixels drawn", env.label());
    }
    let header = count(rgb("#0f172a"));
    assert!(header > 20_000, "the dark header band: only {header} pixels");
}
