//! The conformance suite: every `features/**/*.feature` scenario, run against a real AWS
//! emulator (moto provisioned by stagegate, or LocalStack where Docker runs).
//!
//! It is a `harness = false` test binary that speaks enough of libtest's command line for
//! `cargo test` and `cargo nextest run`:
//! - with no filter (or `conformance`) it runs the whole suite;
//! - `--list` names one test per feature file (`deploy/apply.feature`), and `--exact NAME` runs
//!   that file alone, so `cargo nextest run --partition count:K/N` spreads the files over runners;
//! - any other name filter selects scenarios whose name, feature name or feature file contains it;
//! - a filter starting with `@` is a tag expression (`cargo test @R30`), as is `STAGEGATE_TAGS`
//!   (`@R30 and not @slow`).
//!
//! A filter that selects no scenario fails the run. Reports go to `target/cucumber/`:
//! `junit.xml`, `report.json`, and `slowest.txt` (every scenario's time, slowest first; the ten
//! slowest are printed at the end).
//!
//! `STAGEGATE_FAIL_FAST=1` stops at the first failed scenario (those already started finish).
//!
//! `STAGEGATE_BACKEND=localstack` runs it on LocalStack instead of moto. A scenario tagged
//! `@needs-backup` (or another capability's tag) is not run on a backend that lacks it: the
//! summary lists it under "not run on BACKEND: needs ..." with the count, and it is neither
//! passed nor failed.
//!
//! `STAGEGATE_REPO=DIR` runs the repo-agnostic scenarios (tagged `@any-repo`) on the infra repo
//! at DIR, with its own `pipeline.yml`, instead of the sample repo (R66). The scenarios that
//! pin stagegate's own behaviour on the sample are left out: the summary counts them under
//! "not run on DIR", never as passed.

mod harness;
mod steps;

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::writer::{self, Coloring, Verbosity};
use cucumber::{Event, World as _, Writer, WriterExt as _, cli, event, parser};

use harness::Harness;
use stagegate::emulator::Capability;
use steps::World;

const TEST_NAME: &str = "conformance";
/// The tag of the scenarios that hold for any infra repo.
const ANY_REPO_TAG: &str = "any-repo";
const FEATURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/features");
/// How many of the slowest scenarios the run prints.
const SLOWEST_SHOWN: usize = 10;

/// The libtest arguments `cargo test` and nextest pass to a test binary.
#[derive(Debug, Default)]
struct TestArgs {
    list: bool,
    ignored: bool,
    exact: bool,
    test_threads: Option<usize>,
    filters: Vec<String>,
    /// Filters that start with `@`: tag expressions.
    tags: Vec<String>,
}

impl TestArgs {
    fn parse(args: impl Iterator<Item = String>) -> TestArgs {
        let mut parsed = TestArgs::default();
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
                _ => (arg.clone(), None),
            };
            let mut value = || inline.clone().or_else(|| args.next());
            match flag.as_str() {
                "--list" => parsed.list = true,
                "--ignored" => parsed.ignored = true,
                "--exact" => parsed.exact = true,
                "--test-threads" => parsed.test_threads = value().and_then(|v| v.parse().ok()),
                // Flags that take a value and mean nothing here.
                "--format" | "--color" | "--logfile" | "--skip" | "-Z" | "--shuffle-seed" | "--report-time" => {
                    let _ = value();
                }
                f if f.starts_with('-') => {} // --nocapture, --quiet, --include-ignored, ...
                _ if arg.starts_with('@') => parsed.tags.push(arg),
                _ => parsed.filters.push(arg),
            }
        }
        parsed
    }

    /// Which scenarios the name filters select.
    fn selection(&self, features: &[String]) -> Selection {
        let whole_suite = |f: &String| if self.exact { f == TEST_NAME } else { TEST_NAME.contains(f.as_str()) };
        if self.filters.is_empty() || self.filters.iter().any(whole_suite) {
            Selection::All
        } else if self.exact {
            // Exact names are feature files; an exact name that is not ours selects nothing.
            Selection::Files(self.filters.iter().filter(|f| features.contains(f)).cloned().collect())
        } else {
            Selection::Containing(self.filters.clone())
        }
    }
}

/// The scenarios a run's name filters select.
#[derive(Debug, Clone)]
enum Selection {
    All,
    /// Feature files named exactly (`deploy/apply.feature`).
    Files(Vec<String>),
    /// Scenarios whose name, feature name or feature file contains one of these.
    Containing(Vec<String>),
}

impl Selection {
    fn selects(&self, file: &str, feature: &str, scenario: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::Files(files) => files.iter().any(|f| f == file),
            Selection::Containing(names) => {
                names.iter().any(|n| [file, feature, scenario].iter().any(|s| s.contains(n.as_str())))
            }
        }
    }
}

/// Every feature file, as a test name: its path under `features/`, with `/` separators.
fn feature_files() -> Vec<String> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "feature") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(Path::new(FEATURES), &mut found);
    let mut names: Vec<String> = found.iter().map(|p| feature_name(p)).collect();
    names.sort();
    names
}

fn feature_name(path: &Path) -> String {
    let relative = path.strip_prefix(FEATURES).unwrap_or(path);
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Each scenario's time, from its first step to its after hook.
#[derive(Debug, Default, Clone)]
struct Timings(Arc<Mutex<Vec<(Duration, String)>>>);

impl Timings {
    fn record(&self, took: Duration, file: &str, scenario: &str) {
        self.0.lock().expect("timings are never poisoned").push((took, format!("{file}: {scenario}")));
    }

    /// Writes every time to `slowest.txt`, slowest first, and prints the slowest few.
    fn report(&self, dir: &Path) {
        let mut all = self.0.lock().expect("timings are never poisoned").clone();
        all.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        let lines: String = all.iter().map(|(took, name)| format!("{:8.2} s  {name}\n", took.as_secs_f64())).collect();
        if let Err(e) = fs::write(dir.join("slowest.txt"), &lines) {
            eprintln!("conformance: {}: {e}", dir.join("slowest.txt").display());
        }
        if !all.is_empty() {
            println!("slowest scenarios (all in {}):", dir.join("slowest.txt").display());
            print!("{}", lines.lines().take(SLOWEST_SHOWN).map(|l| format!("{l}\n")).collect::<String>());
        }
    }
}

fn report_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("cucumber")
}

fn main() -> ExitCode {
    let args = TestArgs::parse(std::env::args().skip(1));
    if args.list {
        if !args.ignored {
            for name in feature_files() {
                println!("{name}: test");
            }
        }
        return ExitCode::SUCCESS;
    }
    if args.ignored {
        println!("0 passed, 0 failed");
        return ExitCode::SUCCESS;
    }
    // Tag filters on the command line are alternatives; STAGEGATE_TAGS narrows them further.
    let mut exprs: Vec<(String, String)> = Vec::new();
    if !args.tags.is_empty() {
        let any = args.tags.iter().map(|t| format!("({t})")).collect::<Vec<_>>().join(" or ");
        exprs.push(("the tag filter".into(), any));
    }
    if let Ok(expr) = std::env::var("STAGEGATE_TAGS")
        && !expr.trim().is_empty()
    {
        exprs.push(("STAGEGATE_TAGS".into(), expr));
    }
    for (origin, expr) in &exprs {
        if let Err(e) = expr.parse::<TagOperation>() {
            eprintln!("{origin}: {expr:?} is not a tag expression: {e}");
            return ExitCode::from(2);
        }
    }
    let tags = (!exprs.is_empty()).then(|| {
        let all = exprs.iter().map(|(_, e)| format!("({e})")).collect::<Vec<_>>().join(" and ");
        all.parse::<TagOperation>().expect("tag expressions that each parse combine")
    });
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run(args, tags))
}

async fn run(args: TestArgs, tags: Option<TagOperation>) -> ExitCode {
    let selection = args.selection(&feature_files());
    if matches!(&selection, Selection::Files(files) if files.is_empty()) {
        println!("0 passed, 0 failed");
        return ExitCode::SUCCESS;
    }
    let choice = match harness::backend_choice() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let under_test = match stagegate::foundation::repo::Repo::under_test() {
        Ok(r) => r.map(|r| r.root().display().to_string()),
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &under_test {
        println!(
            "conformance: the @{ANY_REPO_TAG} scenarios run on {dir}; the others pin the sample repo and are left out"
        );
    }
    let left_out = Arc::new(Mutex::new(0usize));
    let leave_out = left_out.clone();
    let only_any_repo = under_test.is_some();
    let harness = Harness::new(choice, args.test_threads);
    let flavor = harness.flavor().await;
    let not_run = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(Capability, String)>::new()));
    let set_aside = not_run.clone();

    let dir = report_dir();
    if let Err(e) = fs::create_dir_all(&dir) {
        eprintln!("conformance: {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let junit = File::create(dir.join("junit.xml")).expect("target/cucumber/junit.xml is writable");
    let json = File::create(dir.join("report.json")).expect("target/cucumber/report.json is writable");

    // Tags are evaluated in `filter_run` with the names: cucumber's own tag filter would replace
    // the name filter instead of narrowing it.
    let opts = cli::Opts::<_, _, _, cli::Empty>::default();
    let selected = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let filtered = !matches!(selection, Selection::All) || tags.is_some() || only_any_repo;
    let timings = Timings::default();
    let recorder = timings.clone();
    let counter = selected.clone();
    let capacity = harness.capacity();
    steps::install(harness.clone());

    let cucumber = World::cucumber().max_concurrent_scenarios(capacity);
    // A mutation run needs only the first failure: the scenarios already started finish, no
    // other starts, and the run fails.
    let fail_fast = std::env::var_os("STAGEGATE_FAIL_FAST").is_some_and(|v| v == "1");
    let cucumber = if fail_fast { cucumber.fail_fast() } else { cucumber };
    let result = cucumber
        .with_writer(
            writer::Basic::raw(io::stdout(), Coloring::Auto, Verbosity::Default)
                .tee::<World, _>(DefaultCli(writer::JUnit::for_tee(junit, Verbosity::Default)))
                .tee::<World, _>(writer::Json::for_tee(json))
                .summarized()
                .normalized(),
        )
        .fail_on_skipped()
        .with_cli(opts)
        .before(|_, _, _, world| {
            Box::pin(async move {
                world.started = Some(Instant::now());
            })
        })
        .after(move |feature, _, scenario, _, world| {
            let recorder = recorder.clone();
            Box::pin(async move {
                if let Some(world) = world {
                    if let Some(started) = world.started {
                        let file = feature.path.as_deref().map(feature_name).unwrap_or_default();
                        recorder.record(started.elapsed(), &file, &scenario.name);
                    }
                    world.finish().await;
                }
            })
        })
        .filter_run(FEATURES, move |feature, rule, scenario| {
            let file = feature.path.as_deref().map(feature_name).unwrap_or_default();
            let named = selection.selects(&file, &feature.name, &scenario.name);
            // Feature, then rule, then scenario tags, as cucumber evaluates them.
            let tagged = tags.as_ref().is_none_or(|t| {
                t.eval(feature.tags.iter().chain(rule.iter().flat_map(|r| &r.tags)).chain(scenario.tags.iter()))
            });
            // What the backend lacks: set aside, listed in the summary, never counted as passed.
            let lacking = feature
                .tags
                .iter()
                .chain(rule.iter().flat_map(|r| &r.tags))
                .chain(scenario.tags.iter())
                .filter_map(|t| Capability::from_tag(t))
                .find(|c| !flavor.has(*c));
            let any_repo = feature
                .tags
                .iter()
                .chain(rule.iter().flat_map(|r| &r.tags))
                .chain(scenario.tags.iter())
                .any(|t| t == ANY_REPO_TAG);
            if named && tagged && only_any_repo && !any_repo {
                *leave_out.lock().expect("left-out count") += 1;
                return false;
            }
            if let (true, Some(capability)) = (named && tagged, lacking) {
                set_aside
                    .lock()
                    .expect("not-run list")
                    .push((capability, format!("{}: {}", feature.name, scenario.name)));
                return false;
            }
            let run = named && tagged;
            if run {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            run
        })
        .await;

    eprintln!("conformance: {}; {} scenarios at a time", harness.describe(), harness.capacity());
    harness.shutdown().await;
    let summary = result.inner_writer().inner_writer();
    let stats = summary.scenarios_stats();
    let errors = writer::Stats::<World>::parsing_errors(summary) + writer::Stats::<World>::hook_errors(summary);
    let failed = stats.failed + errors;
    let passed = stats.passed;
    timings.report(&dir);
    println!("reports: {}", dir.display());
    print_not_run(flavor, &not_run.lock().expect("not-run list"));
    if let Some(dir) = &under_test {
        let n = *left_out.lock().expect("left-out count");
        println!(
            "not run on {dir}: pins stagegate's own behaviour on the sample repo, not tagged @{ANY_REPO_TAG} ({n})"
        );
    }
    // A filter whose scenarios all need what this backend lacks did select them: they are listed
    // above as not run, and the run neither passes nor fails them.
    let set_aside = !not_run.lock().expect("not-run list").is_empty();
    if filtered && selected.load(std::sync::atomic::Ordering::Relaxed) == 0 && !set_aside {
        eprintln!("conformance: no scenario matches the filter; tags are filters that start with @ (cargo test @R30)");
        println!("{passed} passed, {failed} failed");
        return ExitCode::FAILURE;
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 || writer::Stats::<World>::execution_has_failed(summary) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// "not run on localstack: needs AWS Backup (N)" per capability, each scenario named below it.
fn print_not_run(flavor: stagegate::emulator::Flavor, not_run: &[(Capability, String)]) {
    let mut by_capability: std::collections::BTreeMap<Capability, Vec<&str>> = Default::default();
    for (c, name) in not_run {
        by_capability.entry(*c).or_default().push(name);
    }
    for (capability, names) in by_capability {
        println!("not run on {flavor}: needs {capability} ({})", names.len());
        for name in names {
            println!("  - {name}");
        }
    }
}

/// Runs a report writer with its default options, so that it composes under `summarized()`
/// (which needs every composed option set to know about colours; JUnit's has none).
struct DefaultCli<Wr>(Wr);

impl<W, Wr> Writer<W> for DefaultCli<Wr>
where
    Wr: Writer<W>,
    Wr::Cli: Default,
{
    type Cli = cli::Empty;

    async fn handle_event(&mut self, event: parser::Result<Event<event::Cucumber<W>>>, _: &Self::Cli) {
        self.0.handle_event(event, &Wr::Cli::default()).await;
    }
}

impl<W, Wr, Val> writer::Arbitrary<W, Val> for DefaultCli<Wr>
where
    Wr: writer::Arbitrary<W, Val>,
    Wr::Cli: Default,
{
    async fn write(&mut self, val: Val) {
        self.0.write(val).await;
    }
}

impl<W, Wr> writer::Stats<W> for DefaultCli<Wr>
where
    Wr: writer::Stats<W>,
    Wr::Cli: Default,
{
    fn passed_steps(&self) -> usize {
        self.0.passed_steps()
    }
    fn skipped_steps(&self) -> usize {
        self.0.skipped_steps()
    }
    fn failed_steps(&self) -> usize {
        self.0.failed_steps()
    }
    fn retried_steps(&self) -> usize {
        self.0.retried_steps()
    }
    fn parsing_errors(&self) -> usize {
        self.0.parsing_errors()
    }
    fn hook_errors(&self) -> usize {
        self.0.hook_errors()
    }
}

impl<Wr: writer::NonTransforming> writer::NonTransforming for DefaultCli<Wr> {}
