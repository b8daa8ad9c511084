//! Steps for workflow conformance (features/workflows): `lint-workflows` on a copy of the LLD's
//! workflows or of their corrected version. No emulator is needed.

use std::path::Path;

use cucumber::{given, then, when};
use serde_json::Value;
use stagegate::checks::workflows::{Finding, WORKFLOWS_DIR, WorkflowError, WorkflowReport, lint};

use super::World;

/// A scenario's copy of a repo's workflows, and what linting them found.
#[derive(Debug, Default)]
pub struct WorkflowLint {
    repo: Option<tempfile::TempDir>,
    outcome: Option<Result<WorkflowReport, WorkflowError>>,
    /// The finding the last "finds" step matched, for the steps that read it.
    last: Option<Finding>,
}

impl WorkflowLint {
    fn copy_of(&mut self, fixture: &str) {
        self.copy_from(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(fixture));
    }

    /// The workflows and `pipeline.yml` of the repo at `root`.
    pub(super) fn copy_from(&mut self, root: &Path) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let from = root.join(WORKFLOWS_DIR);
        let to = dir.path().join(WORKFLOWS_DIR);
        std::fs::create_dir_all(&to).expect("mkdir");
        for entry in std::fs::read_dir(&from).unwrap_or_else(|e| panic!("{}: {e}", from.display())).flatten() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
        // The policy says which workflow matrix the repo declares.
        let policy = from.join("../../pipeline.yml");
        if policy.is_file() {
            std::fs::copy(&policy, dir.path().join("pipeline.yml")).expect("copy pipeline.yml");
        }
        self.repo = Some(dir);
    }

    fn path(&self, file: &str) -> std::path::PathBuf {
        self.repo.as_ref().expect("a Given step copied the workflows").path().join(WORKFLOWS_DIR).join(file)
    }

    fn edit(&self, file: &str, change: impl FnOnce(String) -> String) {
        let path = self.path(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let changed = change(text.clone());
        assert_ne!(changed, text, "the edit of {file} changed nothing");
        std::fs::write(&path, changed).expect("the copy is writable");
    }

    fn report(&self) -> &WorkflowReport {
        match self.outcome.as_ref().expect("a When step linted the workflows") {
            Ok(report) => report,
            Err(e) => panic!("the lint was refused: {e}"),
        }
    }

    /// The findings of `rule` at `file:line` (the file name alone is enough).
    fn at(&self, rule: &str, location: &str) -> Vec<&Finding> {
        self.report()
            .findings
            .iter()
            .filter(|f| f.rule.id == rule && format!("{}:{}", f.file, f.line).ends_with(&format!("/{location}")))
            .collect()
    }
}

/// The lines of one block: `header` and every following line indented deeper than it.
fn block(text: &str, header: &str) -> std::ops::Range<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim_end() == header).unwrap_or_else(|| panic!("no line {header:?}"));
    let indent = |l: &str| l.len() - l.trim_start().len();
    let end = (start + 1..lines.len())
        .find(|&i| !lines[i].trim().is_empty() && indent(lines[i]) <= indent(header))
        .unwrap_or(lines.len());
    start..end
}

fn edit_block(text: &str, header: &str, change: impl Fn(&str) -> Option<String>) -> String {
    let range = block(text, header);
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let changed = if range.contains(&i) { change(line) } else { Some(line.to_owned()) };
        if let Some(l) = changed {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}

#[given("the LLD's workflows")]
fn lld_workflows(w: &mut World) {
    w.stage1.workflows.copy_of("repo");
}

#[given("the corrected workflows")]
fn corrected_workflows(w: &mut World) {
    w.stage1.workflows.copy_of("workflows-fixed");
}

#[given(regex = r"^(\S+\.yml) also starts on (push|pull_request|schedule)$")]
fn also_starts_on(w: &mut World, file: String, event: String) {
    let trigger = match event.as_str() {
        "schedule" => "  schedule:\n    - cron: '0 3 * * 1'\n".to_owned(),
        other => format!("  {other}:\n    branches: [main]\n"),
    };
    w.stage1.workflows.edit(&file, |t| t.replacen("\non:\n", &format!("\non:\n{trigger}"), 1));
}

#[given(regex = r"^(\S+\.yml) no longer starts on (push|pull_request|workflow_run)$")]
fn no_longer_starts_on(w: &mut World, file: String, event: String) {
    w.stage1.workflows.edit(&file, |t| edit_block(&t, &format!("  {event}:"), |_| None));
}

#[given(regex = r"^the (\w+) input of (\S+\.yml) (is missing|is not required|is free text|offers only dev and prod)$")]
fn input_deviates(w: &mut World, input: String, file: String, deviation: String) {
    let header = format!("      {input}:");
    w.stage1.workflows.edit(&file, |t| {
        edit_block(&t, &header, |line| match deviation.as_str() {
            "is missing" => None,
            "is not required" => (line.trim() != "required: true").then(|| line.to_owned()),
            "is free text" => Some(line.replace("type: choice", "type: string")),
            _ => Some(line.replace("[dev, sit, prod]", "[dev, prod]")),
        })
    });
}

#[given(regex = r"^the (\S+) job of (\S+\.yml) declares no environment$")]
fn job_without_environment(w: &mut World, job: String, file: String) {
    w.stage1.workflows.edit(&file, |t| {
        let job_block = block(&t, &format!("  {job}:"));
        let lines: Vec<&str> = t.lines().collect();
        let env =
            job_block.clone().find(|&i| lines[i].starts_with("    environment:")).expect("the job has an environment");
        let env_block = block(&t, lines[env]);
        lines.iter().enumerate().filter(|(i, _)| !env_block.contains(i)).map(|(_, l)| format!("{l}\n")).collect()
    });
}

#[given(regex = r"^the (\S+) job of (\S+\.yml) is granted (\S+: \w+) and (\S+: \w+)$")]
fn job_granted(w: &mut World, job: String, file: String, first: String, second: String) {
    let header = format!("  {job}:\n");
    w.stage1
        .workflows
        .edit(&file, |t| t.replacen(&header, &format!("{header}    permissions:\n      {first}\n      {second}\n"), 1));
}

#[given(regex = r"^(\S+\.yml) is missing$")]
fn workflow_missing(w: &mut World, file: String) {
    std::fs::remove_file(w.stage1.workflows.path(&file)).expect("the workflow exists");
}

#[given(regex = r"^(\S+\.yml) indents line (\d+) with a tab$")]
fn tab_indent(w: &mut World, file: String, line: usize) {
    w.stage1.workflows.edit(&file, |t| {
        t.lines().enumerate().map(|(i, l)| if i + 1 == line { format!("\t{l}\n") } else { format!("{l}\n") }).collect()
    });
}

#[given("the change ticket check of terraform-apply.yml reads the input through env")]
fn change_ticket_through_env(w: &mut World) {
    w.stage1.workflows.edit("terraform-apply.yml", |t| {
        t.replacen(
            "        if: ${{ github.event.inputs.environment == 'prod' }}\n        run: |\n          if [ -z",
            "        if: ${{ github.event.inputs.environment == 'prod' }}\n        env:\n          CHANGE_TICKET: ${{ inputs.change_ticket }}\n        run: |\n          if [ -z",
            1,
        )
        .replace("\"${{ github.event.inputs.change_ticket }}\"", "\"$CHANGE_TICKET\"")
        .replace("--ticket ${{ github.event.inputs.change_ticket }}", "--ticket \"$CHANGE_TICKET\"")
    });
}

#[given(regex = r"^the stored-plan condition of terraform-apply.yml reads (.+)$")]
fn stored_plan_condition(w: &mut World, expression: String) {
    w.stage1.workflows.edit("terraform-apply.yml", |t| {
        t.replace("if: ${{ github.event.inputs.use_stored_plan }}", &format!("if: ${{{{ {expression} }}}}"))
    });
}

#[given(regex = r#"^(\S+\.yml) reads "(.+)" where it read "(.+)"$"#)]
fn reads_instead(w: &mut World, file: String, now: String, before: String) {
    w.stage1.workflows.edit(&file, |t| t.replace(&before, &now));
}

#[given("the repo declares no workflow matrix")]
fn no_matrix(w: &mut World) {
    let repo = w.stage1.workflows.repo.as_ref().expect("a Given step copied the workflows").path();
    std::fs::remove_file(repo.join("pipeline.yml")).expect("the copy has a pipeline.yml");
}

#[when("the workflows are linted")]
fn linted(w: &mut World) {
    let dir = w.stage1.workflows.repo.as_ref().expect("a Given step copied the workflows").path().to_path_buf();
    w.stage1.workflows.outcome = Some(lint(&dir));
}

#[then("the workflows lint clean")]
fn lint_clean(w: &mut World) {
    let report = w.stage1.workflows.report();
    assert!(report.passed() && report.exit_code() == 0, "{report}");
    // Every workflow of the repo was linted (the sample's: the LLD's six, corrected, and the
    // scheduled drift detection).
    let dir =
        w.stage1.workflows.repo.as_ref().expect("a Given step copied the workflows").path().join(".github/workflows");
    let files = std::fs::read_dir(&dir)
        .expect("the workflows folder")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .count();
    assert!(files >= 6, "{files} workflows in {}", dir.display());
    assert_eq!(report.workflows.len(), files, "{report}");
}

#[then(regex = r#"^the lint finds (SG-WF-\d{3}) at "([^"]+)"$"#)]
fn finds(w: &mut World, rule: String, location: String) {
    let found = w.stage1.workflows.at(&rule, &location).first().map(|f| (*f).clone());
    let report = w.stage1.workflows.report();
    assert!(found.is_some(), "no {rule} at {location} in:\n{report}");
    assert_eq!(report.exit_code(), 1);
    w.stage1.workflows.last = found;
}

#[then(regex = r#"^the lint finds no (SG-WF-\d{3}) at "([^"]+)"$"#)]
fn finds_none_at(w: &mut World, rule: String, location: String) {
    assert!(w.stage1.workflows.at(&rule, &location).is_empty(), "{}", w.stage1.workflows.report());
}

#[then(regex = r"^the lint finds no (SG-WF-\d{3}) in (\S+\.yml)$")]
fn finds_none_in(w: &mut World, rule: String, file: String) {
    let report = w.stage1.workflows.report();
    assert!(!report.findings.iter().any(|f| f.rule.id == rule && f.file.ends_with(&file)), "{report}");
}

#[then("no finding is of a matrix rule")]
fn no_matrix_finding(w: &mut World) {
    let report = w.stage1.workflows.report();
    assert!(!report.matrix && !report.findings.is_empty(), "{report}");
    assert!(report.findings.iter().all(|f| !f.rule.matrix), "{report}");
}

#[then(expr = "the lint reports {string} as unreadable")]
fn unreadable(w: &mut World, location: String) {
    let report = w.stage1.workflows.report();
    assert!(report.unreadable.iter().any(|u| u.error.contains(&location)), "{:?}", report.unreadable);
    let dir = w.stage1.workflows.repo.as_ref().expect("a copy").path().join(".github/workflows");
    let files = std::fs::read_dir(dir).expect("the workflows").count();
    assert_eq!(report.workflows.len(), files - 1, "the other workflows are linted");
    assert_eq!(report.exit_code(), 1);
}

#[then(regex = r#"^the finding (SG-WF-\d{3}) at "([^"]+)" is suppressed with its reason$"#)]
fn suppressed(w: &mut World, rule: String, location: String) {
    let found = w.stage1.workflows.at(&rule, &location);
    let reason = found.first().and_then(|f| f.suppressed.as_ref()).map(|s| s.reason.clone());
    assert!(reason.is_some_and(|r| r.len() > 10), "{}", w.stage1.workflows.report());
}

#[then(regex = r#"^its (message|fix) says "([^"]+)"$"#)]
fn it_says(w: &mut World, part: String, text: String) {
    let f = w.stage1.workflows.last.as_ref().expect("a finding was matched");
    let said = if part == "fix" { &f.fix } else { &f.message };
    assert!(said.contains(&text), "{part} {said:?} does not say {text:?}");
}

#[then(regex = r"^every `uses:` line of the workflows is reported as not pinned to a commit \((SG-WF-\d{3})\)$")]
fn every_uses_unpinned(w: &mut World, rule: String) {
    let report = w.stage1.workflows.report();
    for file in &report.workflows {
        let name = file.rsplit('/').next().expect("a file name");
        let text = std::fs::read_to_string(w.stage1.workflows.path(name)).expect("readable");
        for (i, line) in
            text.lines().enumerate().filter(|(_, l)| l.trim_start().trim_start_matches("- ").starts_with("uses:"))
        {
            assert!(!w.stage1.workflows.at(&rule, &format!("{name}:{}", i + 1)).is_empty(), "{name}:{} {line}", i + 1);
        }
    }
}

#[then(expr = "the workflow SARIF report conforms to SARIF 2.1.0 and places {word} at line {int}, column {int}")]
fn sarif(w: &mut World, rule: String, line: i64, column: i64) {
    let sarif = w.stage1.workflows.report().to_sarif();
    let schema: Value = serde_json::from_str(include_str!("../data/sarif-schema-2.1.0.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let region = |r: &Value| r["locations"][0]["physicalLocation"]["region"].clone();
    assert!(
        results.iter().any(|r| r["ruleId"] == rule.as_str()
            && region(r)["startLine"] == line
            && region(r)["startColumn"] == column),
        "{rule} is not at {line}:{column}"
    );
}
