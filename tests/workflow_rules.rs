//! Fast tests of the workflow rules (R52, F02, F04, F05, F10): expressions, action references,
//! positions in the source, each rule on a small workflow, and the lint-workflows command.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use rstest::rstest;
use serde_json::Value;
use stagegate::checks::workflows::expressions::{
    ActionRef, ContextRef, action_ref, context_refs, interpolations, is_commit_sha, is_untrusted, retired,
    truthy_string_booleans,
};
use stagegate::checks::workflows::{
    Declaration, Finding, Position, Segment, SourceMap, lint, lint_text, lint_text_with,
};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(rel)
}

fn ids(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.rule.id).collect()
}

/// The findings of one rule, not suppressed, on a workflow named `name` of a repo that
/// declares `declaration`.
fn rule_findings(name: &str, text: &str, declaration: &Declaration, rule: &str) -> Vec<Finding> {
    lint_text_with(name, text, declaration)
        .unwrap()
        .into_iter()
        .filter(|f| f.rule.id == rule && f.suppressed.is_none())
        .collect()
}

#[rstest]
#[case("11bd71901bbe5b1630ceea73d27597364c9af683", true)]
#[case("11BD71901BBE5B1630CEEA73D27597364C9AF683", true)]
#[case("v4", false)]
#[case("v4.2.2", false)]
#[case("11bd719", false)]
#[case("11bd71901bbe5b1630ceea73d27597364c9af68", false)]
#[case("11bd71901bbe5b1630ceea73d27597364c9af683a", false)]
#[case("main", false)]
#[case("g1bd71901bbe5b1630ceea73d27597364c9af683", false)]
fn only_a_full_commit_sha_pins_an_action(#[case] reference: &str, #[case] pinned: bool) {
    assert_eq!(is_commit_sha(reference), pinned);
}

#[rstest]
#[case("actions/checkout@v3", ActionRef::Remote { action: "actions/checkout", reference: "v3" })]
#[case("infracost/actions/setup@v2", ActionRef::Remote { action: "infracost/actions/setup", reference: "v2" })]
#[case("./.github/actions/plan", ActionRef::Local)]
#[case("docker://alpine:3.20", ActionRef::Docker { image: "alpine:3.20" })]
#[case("actions/checkout", ActionRef::Unversioned { action: "actions/checkout" })]
fn action_references_are_read_as_the_runner_reads_them(#[case] uses: &str, #[case] expected: ActionRef<'static>) {
    assert_eq!(action_ref(uses), expected);
}

#[rstest]
#[case("actions/upload-artifact", "v3", true)]
#[case("actions/download-artifact", "v3", true)]
#[case("actions/download-artifact", "v3.0.2", true)]
#[case("actions/upload-artifact", "v2", true)]
#[case("actions/cache", "v2", true)]
#[case("actions/upload-artifact", "v4", false)]
#[case("actions/download-artifact", "v4.3.0", false)]
#[case("actions/checkout", "v3", false)]
#[case("actions/cache", "v4", false)]
fn retired_artifact_actions_are_known(#[case] action: &str, #[case] reference: &str, #[case] is_retired: bool) {
    assert_eq!(retired(action, reference).is_some(), is_retired);
}

#[rstest]
#[case("github.event.inputs.change_ticket", true)]
#[case("inputs.change_ticket", true)]
#[case("github.event.inputs.environment", false)]
#[case("inputs.environment", false)]
#[case("github.head_ref", true)]
#[case("github.event.pull_request.title", true)]
#[case("github.event.issue.body", true)]
#[case("github.event.pull_request.head.ref", true)]
#[case("github.event.head_commit.message", true)]
#[case("github.event.pull_request.number", false)]
#[case("github.event.pull_request.head.sha", false)]
#[case("github.event.workflow_run.id", false)]
fn untrusted_contexts_are_told_apart(#[case] expression: &str, #[case] untrusted: bool) {
    let refs = context_refs(expression);
    assert_eq!(refs.len(), 1, "{refs:?}");
    // `environment` is a choice input, checked by GitHub before the run starts.
    assert_eq!(is_untrusted(&refs[0].1, |name| name == "environment"), untrusted);
}

#[rstest]
#[case("matrix.environment")]
#[case("github.repository")]
#[case("github.token")]
#[case("github.event_name == 'pull_request'")]
#[case("secrets.SLACK_WEBHOOK_PROD")]
#[case("steps.plan.outputs.inputs")]
fn trusted_contexts_are_not_references_at_all(#[case] expression: &str) {
    assert!(context_refs(expression).is_empty(), "{:?}", context_refs(expression));
}

#[rstest]
#[case(ContextRef::EventInput("change_ticket".into()), "CHANGE_TICKET")]
#[case(ContextRef::Input("state-version".into()), "STATE_VERSION")]
#[case(ContextRef::HeadRef, "HEAD_REF")]
#[case(ContextRef::Event("pull_request.title".into()), "TITLE")]
fn the_fix_names_a_shell_variable(#[case] r: ContextRef, #[case] variable: &str) {
    assert_eq!(r.variable(), variable);
}

#[rstest]
#[case("${{ github.event.inputs.use_stored_plan }}", true)]
#[case("github.event.inputs.use_stored_plan", true)]
#[case("${{ !github.event.inputs.use_stored_plan }}", true)]
#[case("${{ github.event.inputs.use_stored_plan == true }}", true)]
#[case("${{ success() && github.event.inputs.use_stored_plan }}", true)]
#[case("${{ github.event.inputs.use_stored_plan == 'true' }}", false)]
#[case("${{ 'true' == github.event.inputs.use_stored_plan }}", false)]
#[case("${{ github.event.inputs.use_stored_plan != 'false' }}", false)]
#[case("${{ inputs.use_stored_plan }}", false)]
#[case("${{ github.event.inputs.environment == 'prod' }}", false)]
fn a_boolean_input_is_truthy_only_as_a_boolean(#[case] condition: &str, #[case] flagged: bool) {
    let found = truthy_string_booleans(condition, |name| name == "use_stored_plan");
    assert_eq!(!found.is_empty(), flagged, "{found:?}");
}

const SAMPLE: &str = "\
# a comment
name: Sample
on:
  workflow_dispatch:
    inputs:
      environment:
        type: choice
        options: [dev, sit, prod]
jobs:
  deploy:
    steps:
      - uses: actions/checkout@v3
      - name: Script
        run: |
          echo \"name: not a key\"
          - not an item
        if: always()
      -   name: odd indent
          run: echo two
  other:
    steps:
    - run: echo compact
";

fn path(segments: &[&str]) -> Vec<Segment> {
    segments.iter().map(|s| s.parse::<usize>().map_or_else(|_| Segment::key(s), Segment::Item)).collect()
}

#[rstest]
#[case(&["on"], 3, 1)]
#[case(&["on", "workflow_dispatch", "inputs", "environment"], 6, 7)]
#[case(&["jobs", "deploy", "steps", "0", "uses"], 12, 9)]
#[case(&["jobs", "deploy", "steps", "1"], 13, 7)]
#[case(&["jobs", "deploy", "steps", "1", "run"], 14, 9)]
#[case(&["jobs", "deploy", "steps", "1", "if"], 17, 9)]
#[case(&["jobs", "deploy", "steps", "2", "run"], 19, 11)]
#[case(&["jobs", "other", "steps", "0", "run"], 22, 7)]
#[case(&["jobs", "deploy", "steps", "7"], 11, 5)]
fn keys_and_items_are_placed_at_their_line_and_column(
    #[case] segments: &[&str],
    #[case] line: usize,
    #[case] column: usize,
) {
    let map = SourceMap::new(SAMPLE);
    assert_eq!(map.position(&path(segments)), Position { line, column });
}

#[test]
fn text_inside_a_block_scalar_is_found_on_its_own_line() {
    let map = SourceMap::new(SAMPLE);
    let run = path(&["jobs", "deploy", "steps", "1", "run"]);
    assert_eq!(map.find(&run, "not an item", 0), Some(Position { line: 16, column: 13 }));
    assert_eq!(map.find(&run, "always()", 0), None, "the if: after the script is not part of it");
}

#[rstest]
#[case::plain("runs-on: ubuntu-latest", Some(("runs-on", "ubuntu-latest")))]
#[case::double_quoted("\"on\": push", Some(("on", "push")))]
#[case::single_quoted("'a: b': x", Some(("a: b", "x")))]
#[case::quoted_without_value("'k':", Some(("k", "")))]
#[case::quoted_value_without_space("\"k\":v", None)]
#[case::quoted_without_colon("\"k\" v", None)]
#[case::unclosed_quote("\"k: v", None)]
#[case::url_value("uses: https://x.y/z", Some(("uses", "https://x.y/z")))]
#[case::no_key("echo a:b", None)]
#[case::flow("{a: b}", None)]
#[case::commented_colon("x #a: b", None)]
fn a_key_is_split_from_its_value(#[case] text: &str, #[case] expected: Option<(&str, &str)>) {
    assert_eq!(stagegate::checks::workflows::lines::split_key(text), expected.map(|(k, v)| (k.to_owned(), v)));
}

/// After `key:` with nothing, a comment, an anchor or a tag, the following deeper lines are
/// children; after any other value they continue that value's scalar.
#[rstest]
#[case::nothing("")]
#[case::a_comment(" # the defaults")]
#[case::an_anchor(" &defaults")]
#[case::an_anchor_and_a_comment(" &defaults # shared")]
#[case::a_tag(" !!map")]
fn children_follow_a_key_that_holds_no_scalar(#[case] value: &str) {
    let text = format!("on: push\ndefaults:{value}\n  run:\n    shell: bash\njobs: {{}}\n");
    let map = SourceMap::new(&text);
    assert_eq!(map.position(&path(&["defaults", "run", "shell"])), Position { line: 4, column: 5 });
    assert_eq!(map.position(&path(&["jobs"])), Position { line: 5, column: 1 });
}

#[rstest]
#[case::words("echo a")]
#[case::one_word("echo")]
#[case::an_anchored_scalar("&x echo")]
fn a_scalar_continued_on_deeper_lines_holds_no_keys(#[case] value: &str) {
    let text = format!("jobs:\n  a:\n    run: {value}\n      then: not a key\n    if: true\n");
    let map = SourceMap::new(&text);
    let run = path(&["jobs", "a", "run"]);
    assert_eq!(map.position(&path(&["jobs", "a", "run", "then"])), Position { line: 3, column: 5 });
    assert_eq!(map.find(&run, "not a key", 0), Some(Position { line: 4, column: 13 }));
    assert_eq!(map.position(&path(&["jobs", "a", "if"])), Position { line: 5, column: 5 });
}

/// Literals as GitHub writes them: `''` is a quote inside a string; a number may be negative or
/// carry a signed exponent.
#[rstest]
#[case::escaped_quote("format('it''s {0}', github.ref) == 'it''s'", None)]
#[case::escaped_quote_at_the_end("'a''' == github.ref", None)]
#[case::negative_number("-9.2 < 0", None)]
#[case::signed_exponent("1e-3 == 0.001 && 2E+2 == 200", None)]
#[case::unclosed("'it''s", Some("a string literal is not closed"))]
#[case::one_quote_escaped_and_unclosed("'it''", Some("a string literal is not closed"))]
fn literals_are_read_as_github_writes_them(#[case] expression: &str, #[case] problem: Option<&str>) {
    use stagegate::checks::workflows::syntax::{Problem, check_expression};
    let expected: Vec<Problem> = problem
        .map(|m| Problem::Context { needle: expression.to_owned(), message: m.to_owned() })
        .into_iter()
        .collect();
    assert_eq!(check_expression(expression), expected);
}

/// `.*` filters an object's values: `github.event.commits.*.message` is one expression.
#[test]
fn an_object_filter_is_a_property_step() {
    use stagegate::checks::workflows::syntax::check_expression;
    assert_eq!(check_expression("contains(github.event.commits.*.message, 'x') && github.ref"), vec![]);
}

/// The contexts whose properties GitHub documents refuse any other property; a step and a
/// needed job offer only theirs.
#[rstest]
#[case::github("github.refname", "`github` has no property `refname`")]
#[case::runner("runner.cpu", "`runner` has no property `cpu`")]
#[case::strategy("strategy.retries", "`strategy` has no property `retries`")]
#[case::job("job.name", "`job` has no property `name`")]
#[case::a_step("steps.plan.exitcode", "`steps.plan` has no property `exitcode` (only outputs, conclusion, outcome)")]
#[case::a_needed_job("needs.build.status", "`needs.build` has no property `status` (only outputs, result)")]
fn an_undocumented_property_is_named(#[case] expression: &str, #[case] message: &str) {
    use stagegate::checks::workflows::syntax::{Problem, check_expression};
    assert_eq!(
        check_expression(expression),
        [Problem::Context { needle: expression.to_owned(), message: message.to_owned() }]
    );
}

/// An unknown step and an unneeded job are each named as what they are; a case function gets
/// the fix that says why none is needed, any other unknown function the list of real ones.
#[test]
fn unknown_steps_needs_and_functions_are_explained_as_what_they_are() {
    let text = "name: W\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n  b:\n    runs-on: x\n    steps:\n      - if: steps.dif.outcome == 'failure'\n        run: echo\n      - run: echo\n        env:\n          V: ${{ needs.a.outputs.v }}\n          U: ${{ upper(github.ref) }}\n          L: ${{ lower(github.ref) }}\n          T: ${{ trim(github.ref) }}\n";
    let findings = lint_text("ci.yml", text).unwrap();
    let of = |id: &str| -> Vec<(String, String)> {
        findings.iter().filter(|f| f.rule.id == id).map(|f| (f.message.clone(), f.fix.clone())).collect()
    };
    let messages: Vec<String> = of("SG-WF-021").into_iter().map(|(m, _)| m).collect();
    assert_eq!(
        messages,
        [
            "`steps.dif.outcome == 'failure'`: no step of this job has `id: dif`, so `steps.dif` is always empty",
            "`${{ needs.a.outputs.v }}`: the job does not list a in `needs:`, so `needs.a` is always empty",
        ]
    );
    let fixes: Vec<String> = of("SG-WF-020").into_iter().map(|(_, f)| f).collect();
    assert_eq!(fixes.len(), 3, "{fixes:#?}");
    for case_function in &fixes[..2] {
        assert!(case_function.starts_with("GitHub has no case functions"), "{case_function}");
    }
    assert!(fixes[2].starts_with("use one of contains"), "{}", fixes[2]);
}

/// Two complete values side by side are one expression missing its operator.
#[rstest]
#[case::two_contexts("github.ref github.sha")]
#[case::a_call_then_a_literal("success() 'x'")]
fn a_value_after_a_complete_expression_is_refused(#[case] expression: &str) {
    use stagegate::checks::workflows::syntax::{Problem, check_expression};
    assert_eq!(
        check_expression(expression),
        [Problem::Context {
            needle: expression.to_owned(),
            message: "the expression goes on after a complete value (an operator is missing)".to_owned(),
        }]
    );
}

/// A one-job workflow; with no permissions given it reads only contents.
fn workflow(on: &str, permissions: &str, steps: &str) -> String {
    let permissions = if permissions.is_empty() { "permissions:\n  contents: read\n" } else { permissions };
    format!(
        "name: W\non:\n{on}\n{permissions}jobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: prod\n    steps:\n{steps}"
    )
}

const DISPATCH: &str = "  workflow_dispatch:\n    inputs:\n      environment:\n        type: choice\n        options: [dev, sit, prod]\n        required: true\n      confirmation:\n        required: true\n      use_stored_plan:\n        type: boolean\n";

#[rstest]
#[case::push_trigger("terraform-apply.yml", "  push:\n    branches: [main]\n", "SG-WF-001")]
#[case::schedule_trigger("rollback.yml", "  schedule:\n    - cron: '0 3 * * *'\n", "SG-WF-001")]
#[case::pull_request_trigger("terraform-apply.yml", "  pull_request:\n", "SG-WF-001")]
fn apply_and_rollback_start_only_by_manual_dispatch(#[case] file: &str, #[case] extra: &str, #[case] id: &str) {
    let text = workflow(&format!("{DISPATCH}{extra}"), "", "      - run: echo ok\n");
    let findings = lint_text(file, &text).unwrap();
    assert!(ids(&findings).contains(&id), "{findings:#?}");
    assert!(lint_text("validate-schemas.yml", &text).unwrap().iter().all(|f| f.rule.id != id));
}

#[test]
fn each_rule_fails_on_its_defect_and_passes_once_fixed() {
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "SG-WF-010",
            "      - run: echo ${{ github.event.inputs.confirmation }}\n",
            "      - env:\n          CONFIRMATION: ${{ inputs.confirmation }}\n        run: echo \"$CONFIRMATION\"\n",
            "",
        ),
        (
            "SG-WF-011",
            "      - if: ${{ github.event.inputs.use_stored_plan }}\n        run: echo plan\n",
            "      - if: ${{ inputs.use_stored_plan }}\n        run: echo plan\n",
            "",
        ),
        (
            "SG-WF-009",
            "      - uses: actions/download-artifact@v3\n",
            "      - uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0\n        with:\n          run-id: 1234567890\n          github-token: ${{ github.token }}\n",
            "",
        ),
        (
            "SG-WF-008",
            "      - uses: actions/checkout@v4\n",
            "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n",
            "",
        ),
        (
            "SG-WF-006",
            "      - uses: aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df\n        with:\n          role-to-assume: arn\n",
            "      - uses: aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df\n        with:\n          role-to-assume: arn\n",
            "permissions:\n  id-token: write\n",
        ),
        (
            "SG-WF-007",
            "      - run: |\n          git tag -a deploy-prod-x -m x\n          git push origin deploy-prod-x\n",
            "      - run: |\n          git config user.email bot@example.org\n          git tag -a deploy-prod-x -m x\n          git push origin deploy-prod-x\n",
            "permissions:\n  contents: write\n",
        ),
    ];
    for (id, broken, fixed, permissions) in cases {
        let before = lint_text("terraform-apply.yml", &workflow(DISPATCH, "", broken)).unwrap();
        assert!(ids(&before).contains(&id), "{id}: {before:#?}");
        let after = lint_text("terraform-apply.yml", &workflow(DISPATCH, permissions, fixed)).unwrap();
        assert!(after.is_empty(), "{id}: {after:#?}");
    }
}

#[test]
fn a_job_that_applies_without_an_environment_is_found() {
    let text = workflow(DISPATCH, "", "      - run: terraform init && terraform apply tfplan\n")
        .replace("    environment: prod\n", "");
    let findings = lint_text("terraform-apply.yml", &text).unwrap();
    assert_eq!(ids(&findings), ["SG-WF-005"]);
    assert_eq!((findings[0].line, findings[0].job.as_deref()), (17, Some("deploy")));
}

#[rstest]
#[case::not_a_choice("        type: choice\n        options: [dev, sit, prod]\n", "        type: string\n")]
#[case::an_option_missing("        options: [dev, sit, prod]\n", "        options: [dev, prod]\n")]
#[case::an_option_replaced("        options: [dev, sit, prod]\n", "        options: [dev, sit, uat]\n")]
#[case::an_option_twice("        options: [dev, sit, prod]\n", "        options: [dev, dev, sit]\n")]
#[case::not_required(
    "        options: [dev, sit, prod]\n        required: true\n",
    "        options: [dev, sit, prod]\n"
)]
fn dispatch_inputs_follow_the_matrix(#[case] from: &str, #[case] to: &str) {
    let text = workflow(&DISPATCH.replacen(from, to, 1), "", "      - run: echo ok\n");
    let findings = lint_text("terraform-apply.yml", &text).unwrap();
    assert_eq!(ids(&findings), ["SG-WF-003"], "{findings:#?}");
    assert_eq!(findings[0].line, 5);
}

#[test]
fn an_undeclared_input_is_found_once() {
    let steps = "      - run: test -n \"$T\"\n        env:\n          T: ${{ github.event.inputs.change_ticket }}\n      - if: ${{ inputs.change_ticket != '' }}\n        run: echo\n";
    let findings = lint_text("terraform-apply.yml", &workflow(DISPATCH, "", steps)).unwrap();
    assert_eq!(ids(&findings), ["SG-WF-004"]);
    assert_eq!(findings[0].line, 23);
}

#[rstest]
#[case("jobs: [unclosed\n", 2)]
#[case("on: push\njobs:\n  a:\n\tsteps: []\n", 4)]
fn malformed_yaml_is_an_error_naming_file_and_line(#[case] text: &str, #[case] line: usize) {
    let err = lint_text("terraform-apply.yml", text).unwrap_err().to_string();
    assert!(err.starts_with(&format!(".github/workflows/terraform-apply.yml:{line}:")), "{err}");
}

#[rstest]
#[case("- a\n- b\n", "not a mapping")]
#[case("name: x\njobs: {}\n", "no `on:`")]
#[case("on: push\n", "no `jobs:`")]
fn a_document_that_is_no_workflow_is_refused(#[case] text: &str, #[case] what: &str) {
    let err = lint_text("ci.yml", text).unwrap_err().to_string();
    assert!(err.contains(what), "{err}");
}

#[test]
fn the_lld_workflows_hold_exactly_the_designs_defects() {
    let report = lint(&fixture("repo")).unwrap();
    let at = |id: &str| -> Vec<String> {
        report.findings.iter().filter(|f| f.rule.id == id).map(|f| format!("{}:{}", f.file, f.line)).collect()
    };
    let w = ".github/workflows";
    assert_eq!(
        at("SG-WF-010"),
        [
            format!("{w}/rollback.yml:23"),
            format!("{w}/rollback.yml:48"),
            format!("{w}/rollback.yml:54"),
            format!("{w}/terraform-apply.yml:25"),
            format!("{w}/terraform-apply.yml:41"),
            format!("{w}/terraform-apply.yml:45"),
        ]
    );
    assert_eq!(at("SG-WF-011"), [format!("{w}/terraform-apply.yml:61")]);
    assert_eq!(at("SG-WF-009"), [format!("{w}/terraform-apply.yml:62"), format!("{w}/terraform-plan.yml:32")]);
    assert_eq!(at("SG-WF-007"), [format!("{w}/terraform-apply.yml:69")]);
    assert_eq!(at("SG-WF-004"), [format!("{w}/terraform-apply.yml:41")]);
    assert_eq!(at("SG-WF-008").len(), 35, "every uses: of the LLD is unpinned");
    assert_eq!(at("SG-WF-006").len(), 8, "every OIDC job lacks id-token: write");
    assert!(at("SG-WF-001").is_empty() && at("SG-WF-005").is_empty() && at("SG-WF-012").is_empty());
}

#[test]
fn the_corrected_workflows_lint_clean() {
    let report = lint(&fixture("workflows-fixed")).unwrap();
    // The LLD's six workflows, corrected, and the scheduled drift detection (R56).
    assert_eq!(report.workflows.len(), 7);
    assert!(report.matrix, "the corrected repo declares the matrix, so every rule ran");
    assert!(report.passed(), "{report}");
    let suppressed: Vec<&str> = report.findings.iter().filter(|f| f.suppressed.is_some()).map(|f| f.rule.id).collect();
    assert_eq!(suppressed, ["SG-WF-013", "SG-WF-013"], "the two workflow_run triggers, each with its reason");
}

fn stagegate(args: &[&str], repo: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(args)
        .arg("lint-workflows")
        .arg("--repo")
        .arg(repo)
        .output()
        .expect("the stagegate binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[rstest]
#[case::findings("repo", "text", 1)]
#[case::findings_as_json("repo", "json", 1)]
#[case::findings_as_sarif("repo", "sarif", 1)]
#[case::clean("workflows-fixed", "text", 0)]
#[case::clean_as_sarif("workflows-fixed", "sarif", 0)]
#[case::malformed("workflows-malformed", "text", 2)]
#[case::no_workflows("broken/not-a-repo", "text", 2)]
#[case::no_directory("broken/no-such-directory", "json", 2)]
fn the_command_exits_by_the_contract(#[case] dir: &str, #[case] format: &str, #[case] code: i32) {
    let (status, stdout, stderr) = stagegate(&["--format", format], &fixture(dir));
    assert_eq!(status, code, "{stdout}{stderr}");
    match (code, format) {
        (2, _) => {
            assert!(stderr.contains(dir.rsplit('/').next().unwrap()), "{stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
        (_, "json") => {
            let v: Value = serde_json::from_str(&stdout).expect("JSON output");
            assert_eq!(v["failed"], code == 1);
            assert_eq!(v["findings"][0]["rule"]["id"], "SG-WF-013");
        }
        (_, "sarif") => {
            let v: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
            assert_eq!(v["version"], "2.1.0");
        }
        (1, _) => assert!(stdout.contains("terraform-apply.yml:61:17: HIGH SG-WF-011 (F04)"), "{stdout}"),
        _ => assert!(stdout.contains("0 findings"), "{stdout}"),
    }
    if dir == "workflows-malformed" {
        assert!(stderr.contains("terraform-apply.yml:9:"), "{stderr}");
    }
}

#[test]
fn the_sarif_report_is_valid_sarif_2_1_0() {
    let sarif = lint(&fixture("repo")).unwrap().to_sarif();
    let schema: Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).expect("the SARIF schema parses");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let f04 = results.iter().find(|r| r["ruleId"] == "SG-WF-011").unwrap();
    let region = &f04["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_i64(), region["startColumn"].as_i64()), (Some(61), Some(17)));
    assert_eq!(
        f04["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ".github/workflows/terraform-apply.yml"
    );
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let f02 = rules.iter().find(|r| r["id"] == "SG-WF-010").unwrap();
    assert_eq!(f02["properties"]["security-severity"], "9.5");
}

#[test]
fn no_secret_reaches_the_report() {
    let report = lint(&fixture("repo")).unwrap();
    let out = format!("{report}{}{}", report.to_json(), report.to_sarif());
    assert!(!out.contains("secrets."), "secret names and values stay out of findings");
}

proptest! {
    #[test]
    fn any_forty_hex_digits_pin_and_nothing_shorter_or_longer(sha in "[0-9a-f]{40}", cut in 1usize..40, extra in "[0-9a-f]{1,5}") {
        prop_assert!(is_commit_sha(&sha));
        prop_assert!(!is_commit_sha(&sha[..cut]));
        let longer = format!("{sha}{extra}");
        prop_assert!(!is_commit_sha(&longer));
    }

    #[test]
    fn every_interpolation_is_found_where_it_is(
        parts in prop::collection::vec(("[a-z $\"'{}#:-]{0,12}", "[a-z_]{1,10}"), 1..6),
    ) {
        let mut text = String::new();
        let mut expected = Vec::new();
        for (prose, input) in &parts {
            text.push_str(&prose.replace("${{", "").replace('$', ""));
            expected.push((text.len(), format!("github.event.inputs.{input}")));
            text.push_str(&format!("${{{{ github.event.inputs.{input} }}}}"));
        }
        let found: Vec<(usize, String)> =
            interpolations(&text).into_iter().map(|i| (i.offset, i.expression.to_owned())).collect();
        prop_assert_eq!(found, expected);
    }

    #[test]
    fn a_boolean_input_compared_with_a_string_is_never_flagged(name in "[a-z][a-z_]{0,12}", value in "true|false", op in "==|!=") {
        let compared = format!("${{{{ github.event.inputs.{name} {op} '{value}' }}}}");
        prop_assert!(truthy_string_booleans(&compared, |_| true).is_empty());
        let bare = format!("${{{{ github.event.inputs.{name} }}}}");
        prop_assert_eq!(truthy_string_booleans(&bare, |_| true), vec![name]);
    }

    /// Steps whose scripts hold lines that look like keys and items: every step's `run:` is still
    /// placed on the line it was written on, and a marker inside a script on its own line.
    #[test]
    fn keys_are_placed_on_their_lines_whatever_the_scripts_hold(
        scripts in prop::collection::vec(prop::collection::vec("(- )?[a-z]{1,6}(: [a-z]{0,4})?( #c)?", 0..4), 1..6),
        compact in any::<bool>(),
    ) {
        let item = if compact { "    - " } else { "      - " };
        let field = if compact { "      " } else { "        " };
        let mut text = String::from("on: push\njobs:\n  build:\n    steps:\n");
        let mut expected = Vec::new();
        for (i, lines) in scripts.iter().enumerate() {
            text.push_str(&format!("{item}name: step{i}\n"));
            text.push_str(&format!("{field}run: |\n"));
            expected.push(text.lines().count());
            for l in lines {
                text.push_str(&format!("{field}  {l}\n"));
            }
            text.push_str(&format!("{field}  marker{i}\n"));
        }
        prop_assert!(serde_norway::from_str::<serde_norway::Value>(&text).is_ok());
        let map = SourceMap::new(&text);
        for (i, line) in expected.iter().enumerate() {
            let run = path(&["jobs", "build", "steps", &i.to_string(), "run"]);
            prop_assert_eq!(map.position(&run).line, *line);
            let marker = map.find(&run, &format!("marker{i}"), 0).map(|p| p.line);
            prop_assert_eq!(marker, Some(line + scripts[i].len() + 1));
        }
    }
}

#[rstest]
#[case::validation_without_pull_requests("validate-schemas.yml", "on:\n  push:\n", &["SG-WF-002"])]
#[case::plan_without_a_workflow_run("terraform-plan.yml", "on:\n  pull_request:\n", &["SG-WF-002"])]
#[case::apply_on_push_only("terraform-apply.yml", "on: push\n", &["SG-WF-001", "SG-WF-002"])]
#[case::rollback_on_a_list("rollback.yml", "on: [push, workflow_dispatch]\n", &["SG-WF-001"])]
#[case::post_deploy_after_apply("post-deploy-tests.yml", "on:\n  workflow_run:\n    workflows: [Terraform Apply]\n", &[])]
fn workflows_start_as_the_matrix_says(#[case] file: &str, #[case] on: &str, #[case] expected: &[&str]) {
    let text = format!("{on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n");
    let found: Vec<&str> =
        lint_text(file, &text).unwrap().iter().map(|f| f.rule.id).filter(|id| *id < "SG-WF-003").collect();
    assert_eq!(found, expected);
}

#[test]
fn every_rule_has_a_unique_id_a_requirement_and_a_remedy() {
    let rules = stagegate::checks::workflows::RULES;
    for (i, r) in rules.iter().enumerate() {
        assert_eq!(r.id, format!("SG-WF-{:03}", i + 1));
        assert!(
            [
                "R52", "R60", "R61", "R62", "F02", "F04", "F05", "F10", "F11", "F12", "F13", "F16", "F17", "F18",
                "F19", "F20", "F21"
            ]
            .contains(&r.requirement),
            "{}",
            r.id
        );
        assert!(!r.remedy.is_empty() && !r.title.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any text inside `${{ }}` is parsed or reported, never a panic.
    #[test]
    fn any_expression_text_is_parsed_or_reported(text in "[a-zA-Z_.()\\[\\]'!=<>&|, 0-9*-]{0,40}") {
        let _ = stagegate::checks::workflows::syntax::check_expression(&text);
    }

    /// Well-formed expressions over documented contexts and functions have no problem.
    #[test]
    fn documented_expressions_have_no_problem(
        context in "github\\.(ref|sha|event_name|actor)|runner\\.(os|arch)|matrix\\.[a-z]{1,8}|env\\.[A-Z]{1,8}|inputs\\.[a-z]{1,8}",
        function in "contains|startsWith|endsWith",
        literal in "'[a-z ]{0,8}'|[0-9]{1,4}|true|null",
        op in "==|!=|<|>=",
    ) {
        let expression = format!("!({function}({context}, {literal}) && {context} {op} {literal}) || toJSON(fromJSON('[]'))[0]");
        prop_assert_eq!(stagegate::checks::workflows::syntax::check_expression(&expression), vec![]);
    }

    /// Any damage to a real workflow gives findings or an error naming the file, never a panic.
    #[test]
    fn a_damaged_workflow_never_panics_the_lint(line in 0usize..126, cut in 0usize..40, insert in "[-:\\[\\]{}|>&*!#'\" \t${}]{0,4}") {
        let text = include_str!("../fixtures/repo/.github/workflows/terraform-apply.yml");
        let damaged: String = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == line {
                    let at = l.char_indices().nth(cut.min(l.chars().count())).map_or(l.len(), |(b, _)| b);
                    format!("{}{insert}{}\n", &l[..at], &l[at..])
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        match lint_text("terraform-apply.yml", &damaged) {
            Ok(findings) => prop_assert!(findings.iter().all(|f| f.line >= 1 && f.column >= 1)),
            Err(e) => prop_assert!(e.to_string().starts_with(".github/workflows/terraform-apply.yml")),
        }
    }
}

mod generic_rules {
    //! The rules that run on any repo: each case is a workflow with the defect and the same
    //! workflow fixed; the rule must fire on the first and be silent on the second.

    use rstest::rstest;
    use stagegate::checks::workflows::{Declaration, Finding, lint_text_with};

    const PR_TARGET: &str = "on:\n  pull_request_target:\npermissions:\n  contents: read\n";
    const PULL_REQUEST: &str = "on:\n  pull_request:\npermissions:\n  contents: read\n";
    const RELEASE: &str = "on:\n  push:\n    tags: ['v*']\npermissions:\n  contents: read\n";
    const PUSH: &str = "on:\n  push:\npermissions:\n  contents: read\n";
    const CHECKOUT: &str = "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n        with:\n          persist-credentials: false\n";

    fn one_job(on: &str, steps: &str) -> String {
        format!("name: W\n{on}jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}")
    }

    fn found(text: &str, rule: &str) -> Vec<Finding> {
        super::rule_findings("ci.yml", text, &Declaration::generic(), rule)
    }

    #[rstest]
    #[case::pull_request_target(
        "SG-WF-013",
        one_job(PR_TARGET, "      - run: echo hi\n"),
        one_job(PULL_REQUEST, "      - run: echo hi\n")
    )]
    #[case::pwn_request(
        "SG-WF-014",
        one_job(PR_TARGET, &format!("{}          ref: ${{{{ github.event.pull_request.head.sha }}}}\n      - run: make test\n", CHECKOUT)),
        one_job(PR_TARGET, &format!("{CHECKOUT}      - run: make test\n"))
    )]
    #[case::workflow_level_write(
        "SG-WF-015",
        "name: W\non: push\npermissions:\n  contents: write\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n  b:\n    runs-on: x\n    steps:\n      - run: echo\n".to_owned(),
        "name: W\non: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: x\n    permissions:\n      contents: write\n    steps:\n      - run: echo\n  b:\n    runs-on: x\n    steps:\n      - run: echo\n".to_owned()
    )]
    #[case::default_permissions(
        "SG-WF-016",
        one_job("on: push\n", "      - run: echo\n"),
        one_job(PUSH, "      - run: echo\n")
    )]
    #[case::persisted_credentials(
        "SG-WF-017",
        one_job(PUSH, "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n      - run: make\n"),
        one_job(PUSH, &format!("{CHECKOUT}      - run: make\n"))
    )]
    #[case::cache_in_a_release(
        "SG-WF-018",
        one_job(
            RELEASE,
            "      - uses: actions/setup-go@0aaccfd150d50ccaeb58ebd88d36e91967a5f35b\n      - run: make\n"
        ),
        one_job(
            RELEASE,
            "      - uses: actions/setup-go@0aaccfd150d50ccaeb58ebd88d36e91967a5f35b\n        with:\n          cache: false\n      - run: make\n"
        )
    )]
    #[case::cache_outside_a_release_is_no_poisoning(
        "SG-WF-018",
        one_job(RELEASE, "      - uses: actions/cache@v4\n        with:\n          path: x\n          key: k\n"),
        one_job(PUSH, "      - uses: actions/cache@v4\n        with:\n          path: x\n          key: k\n")
    )]
    #[case::step_output_carrying_a_title(
        "SG-WF-010",
        one_job(
            PR_TARGET,
            "      - id: t\n        run: echo \"title=${{ github.event.pull_request.title }}\" >> \"$GITHUB_OUTPUT\"\n      - run: echo ${{ steps.t.outputs.title }}\n"
        ),
        one_job(
            PR_TARGET,
            "      - id: t\n        run: echo \"ok=yes\" >> \"$GITHUB_OUTPUT\"\n      - run: echo ${{ steps.t.outputs.ok }}\n"
        )
    )]
    #[case::env_carrying_a_branch_name(
        "SG-WF-010",
        one_job(
            "on: pull_request\npermissions:\n  contents: read\nenv:\n  BRANCH: ${{ github.head_ref }}\n",
            "      - run: echo ${{ env.BRANCH }}\n"
        ),
        one_job(
            "on: pull_request\npermissions:\n  contents: read\nenv:\n  BRANCH: ${{ github.head_ref }}\n",
            "      - run: echo \"$BRANCH\"\n"
        )
    )]
    #[case::job_output_carrying_a_comment(
        "SG-WF-010",
        "name: W\non: issue_comment\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    outputs:\n      body: ${{ github.event.comment.body }}\n    steps:\n      - run: echo\n  b:\n    needs: a\n    runs-on: x\n    steps:\n      - run: echo ${{ needs.a.outputs.body }}\n".to_owned(),
        "name: W\non: issue_comment\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    outputs:\n      body: ${{ github.event.comment.body }}\n    steps:\n      - run: echo\n  b:\n    needs: a\n    runs-on: x\n    steps:\n      - env:\n          BODY: ${{ needs.a.outputs.body }}\n        run: echo \"$BODY\"\n".to_owned()
    )]
    #[case::an_untainted_output(
        "SG-WF-019",
        one_job(
            PUSH,
            "      - id: v\n        uses: ./.github/actions/version\n      - run: echo ${{ steps.v.outputs.version }}\n"
        ),
        one_job(
            PUSH,
            "      - id: v\n        uses: ./.github/actions/version\n      - env:\n          VERSION: ${{ steps.v.outputs.version }}\n        run: echo \"$VERSION\"\n"
        )
    )]
    #[case::upper_is_no_function(
        "SG-WF-020",
        one_job(
            PUSH,
            "      - run: echo \"$R\"\n        env:\n          R: ${{ secrets[format('AWS_ROLE_{0}', upper(github.ref_name))] }}\n"
        ),
        one_job(
            PUSH,
            "      - run: echo \"$R\"\n        env:\n          R: ${{ secrets[format('AWS_ROLE_{0}', github.ref_name)] }}\n"
        )
    )]
    #[case::wrong_arity(
        "SG-WF-020",
        one_job(PUSH, "      - if: contains(github.ref)\n        run: echo\n"),
        one_job(PUSH, "      - if: contains(github.ref, 'main')\n        run: echo\n")
    )]
    #[case::unknown_context(
        "SG-WF-021",
        one_job(PUSH, "      - if: ${{ gihtub.ref == 'refs/heads/main' }}\n        run: echo\n"),
        one_job(PUSH, "      - if: ${{ github.ref == 'refs/heads/main' }}\n        run: echo\n")
    )]
    #[case::unknown_property(
        "SG-WF-021",
        one_job(PUSH, "      - if: runner.oss == 'Linux'\n        run: echo\n"),
        one_job(PUSH, "      - if: runner.os == 'Linux'\n        run: echo\n")
    )]
    #[case::step_property(
        "SG-WF-021",
        one_job(
            PUSH,
            "      - id: a\n        run: echo\n      - if: steps.a.result == 'success'\n        run: echo\n"
        ),
        one_job(
            PUSH,
            "      - id: a\n        run: echo\n      - if: steps.a.outcome == 'success'\n        run: echo\n"
        )
    )]
    #[case::broken_syntax(
        "SG-WF-021",
        one_job(PUSH, "      - if: ${{ github.ref == }}\n        run: echo\n"),
        one_job(PUSH, "      - if: ${{ github.ref == 'x' }}\n        run: echo\n")
    )]
    #[case::get_object_without_key(
        "SG-WF-023",
        one_job(
            PUSH,
            "      - run: |\n          aws s3api get-object \\\n            --bucket b \\\n            out.json\n"
        ),
        one_job(
            PUSH,
            "      - run: |\n          aws s3api get-object \\\n            --bucket b --key k \\\n            out.json\n"
        )
    )]
    #[case::apply_without_init(
        "SG-WF-024",
        one_job(PUSH, "      - run: terraform apply tfplan\n"),
        one_job(PUSH, "      - run: terraform init\n      - run: terraform apply tfplan\n")
    )]
    #[case::artifact_of_another_run(
        "SG-WF-025",
        one_job(PUSH, "      - uses: actions/download-artifact@v4\n        with:\n          name: plan\n"),
        one_job(
            PUSH,
            "      - uses: actions/download-artifact@v4\n        with:\n          name: plan\n          run-id: 42\n"
        )
    )]
    #[case::inputs_on_a_push(
        "SG-WF-026",
        one_job(
            "on:\n  push:\n  workflow_dispatch:\n    inputs:\n      target:\npermissions: {}\n",
            "      - run: echo\n        env:\n          T: ${{ inputs.target }}\n"
        ),
        one_job(
            "on:\n  push:\n  workflow_dispatch:\n    inputs:\n      target:\npermissions: {}\n",
            "      - run: echo\n        env:\n          T: ${{ inputs.target || 'dev' }}\n"
        )
    )]
    #[case::conclusion_unchecked(
        "SG-WF-027",
        "name: W\non:\n  workflow_run:\n    workflows: [CI]\n    types: [completed]\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n".to_owned(),
        "name: W\non:\n  workflow_run:\n    workflows: [CI]\n    types: [completed]\npermissions: {}\njobs:\n  a:\n    if: github.event.workflow_run.conclusion == 'success'\n    runs-on: x\n    steps:\n      - run: echo\n".to_owned()
    )]
    #[case::no_such_step(
        "SG-WF-021",
        one_job(
            PUSH,
            "      - id: diff\n        run: echo\n      - if: steps.dif.outcome == 'failure'\n        run: echo\n"
        ),
        one_job(
            PUSH,
            "      - id: diff\n        run: echo\n      - if: steps.diff.outcome == 'failure'\n        run: echo\n"
        )
    )]
    #[case::not_needed(
        "SG-WF-021",
        "name: W\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n  b:\n    runs-on: x\n    steps:\n      - run: echo\n        env:\n          V: ${{ needs.a.outputs.v }}\n".to_owned(),
        "name: W\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n  b:\n    needs: [a]\n    runs-on: x\n    steps:\n      - run: echo\n        env:\n          V: ${{ needs.a.outputs.v }}\n".to_owned()
    )]
    #[case::globstar(
        "SG-WF-028",
        one_job(PUSH, "      - run: for f in schemas/**/*.json; do jq empty \"$f\"; done\n"),
        one_job(
            PUSH,
            "      - run: |\n          shopt -s globstar nullglob\n          for f in schemas/**/*.json; do jq empty \"$f\"; done\n"
        )
    )]
    #[case::git_identity(
        "SG-WF-029",
        one_job(PUSH, "      - run: git tag -a v1 -m v1\n"),
        one_job(PUSH, "      - run: git config user.email bot@example.org\n      - run: git tag -a v1 -m v1\n")
    )]
    fn each_generic_rule_fires_on_its_defect_only(#[case] rule: &str, #[case] broken: String, #[case] fixed: String) {
        let before = found(&broken, rule);
        assert!(!before.is_empty(), "{rule} missed:\n{broken}");
        assert!(before.iter().all(|f| f.line > 0 && f.column > 0 && !f.fix.is_empty()));
        let after = found(&fixed, rule);
        assert!(after.is_empty(), "{rule} still fires:\n{fixed}\n{after:#?}");
    }

    #[rstest]
    #[case::conclusion("github.event.workflow_run.conclusion")]
    #[case::event("github.event.workflow_run.event")]
    #[case::action("github.event.action")]
    #[case::association("github.event.comment.author_association")]
    #[case::pull_request_number("github.event.pull_request.number")]
    fn typed_and_enum_contexts_are_not_injection(#[case] context: &str) {
        let text = one_job("on: workflow_run\npermissions: {}\n", &format!("      - run: echo ${{{{ {context} }}}}\n"));
        assert!(found(&text, "SG-WF-010").is_empty(), "{context}");
        let text = text.replace(context, "github.event.workflow_run.head_branch");
        assert_eq!(found(&text, "SG-WF-010").len(), 1, "the branch name is attacker text");
    }

    #[test]
    fn the_matrix_rules_run_only_where_the_matrix_is_declared() {
        let text = "name: W\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: terraform init && terraform apply -auto-approve\n";
        let generic = lint_text_with("terraform-apply.yml", text, &Declaration::generic()).unwrap();
        assert!(generic.iter().all(|f| !f.rule.matrix), "{generic:#?}");
        let lld = lint_text_with("terraform-apply.yml", text, &Declaration::lld()).unwrap();
        for id in ["SG-WF-001", "SG-WF-002", "SG-WF-003", "SG-WF-005"] {
            assert!(lld.iter().any(|f| f.rule.id == id), "{id}: {lld:#?}");
        }
    }

    #[test]
    fn merge_keys_are_expanded_and_a_bom_is_no_content() {
        let text = "\u{feff}name: W\non: push\npermissions: {}\nx-step: &run\n  run: echo ${{ github.head_ref }}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - <<: *run\n        name: merged\n";
        let findings = lint_text_with("ci.yml", text, &Declaration::generic()).unwrap();
        assert!(findings.iter().any(|f| f.rule.id == "SG-WF-010" && f.message.contains("merged")), "{findings:#?}");
    }

    #[rstest]
    #[case::with_reason("# stagegate:ignore SG-WF-016 reviewed: the default token is read-only here\n", true)]
    #[case::without_reason("# stagegate:ignore SG-WF-016\n", false)]
    #[case::another_rule("# stagegate:ignore SG-WF-017 reviewed\n", false)]
    fn a_suppression_needs_its_rule_and_a_reason(#[case] comment: &str, #[case] suppressed: bool) {
        let text =
            format!("name: W\non: push\njobs:\n  {comment}  a:\n    runs-on: x\n    steps:\n      - run: echo\n");
        let findings = lint_text_with("ci.yml", &text, &Declaration::generic()).unwrap();
        let f = findings.iter().find(|f| f.rule.id == "SG-WF-016").expect("a finding");
        assert_eq!(f.suppressed.is_some(), suppressed, "{f:#?}");
    }
}

#[test]
fn one_unparsable_file_is_reported_and_the_others_are_still_linted() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(wf.join("bad.yml"), "on: push\njobs:\n  a:\n\tsteps: []\n").unwrap();
    std::fs::write(
        wf.join("good.yml"),
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n",
    )
    .unwrap();
    let report = lint(dir.path()).unwrap();
    assert_eq!(report.workflows, [".github/workflows/good.yml"]);
    assert_eq!(report.unreadable.len(), 1);
    assert!(report.unreadable[0].error.contains("bad.yml:4:"), "{:?}", report.unreadable);
    assert!(report.findings.iter().any(|f| f.rule.id == "SG-WF-008"));
    assert!(!report.matrix && report.findings.iter().all(|f| !f.rule.matrix));
    assert_eq!(report.exit_code(), 1);
    let n = report.active().count();
    assert_eq!(
        report.to_string().lines().last().unwrap(),
        format!(
            "{}: 1 workflow, {n} finding{}, 1 unreadable (no workflow matrix declared in pipeline.yml: generic rules only)",
            dir.path().display(),
            if n == 1 { "" } else { "s" }
        ),
        "no suppressed count when nothing is suppressed"
    );
}

#[test]
fn the_summary_counts_workflows_findings_and_suppressions() {
    let repo = fixture("workflows-fixed");
    let report = lint(&repo).unwrap();
    assert_eq!(
        report.to_string().lines().last().unwrap(),
        format!("{}: 7 workflows, 0 findings, 2 suppressed", repo.display()),
        "the matrix is declared there: no note that only generic rules ran"
    );

    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    let suppressed = "# stagegate:ignore SG-WF-016 reviewed: the default token is read-only here\n";
    std::fs::write(wf.join("ci.yml"), format!("name: W\non: push\njobs:\n  {suppressed}  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n")).unwrap();
    let report = lint(dir.path()).unwrap();
    let n = report.active().count();
    assert!(n > 0 && report.findings.len() == n + 1, "{report}");
    assert_eq!(
        report.to_string().lines().last().unwrap(),
        format!(
            "{}: 1 workflow, {n} finding{}, 1 suppressed (no workflow matrix declared in pipeline.yml: generic rules only)",
            dir.path().display(),
            if n == 1 { "" } else { "s" }
        ),
    );
}

mod derived_values {
    //! SG-WF-010 and SG-WF-019 through `env.X`, `steps.S.outputs.O` and `needs.J.outputs.O`: a
    //! value is followed back to where it was set.

    use stagegate::checks::workflows::{Declaration, Finding, lint_text_with};

    const TITLE: &str = "${{ github.event.pull_request.title }}";

    fn lint(jobs: &str) -> Vec<Finding> {
        let text = format!("name: W\non:\n  pull_request:\npermissions:\n  contents: read\njobs:\n{jobs}");
        lint_text_with("ci.yml", &text, &Declaration::generic())
            .unwrap()
            .into_iter()
            .filter(|f| matches!(f.rule.id, "SG-WF-010" | "SG-WF-019"))
            .collect()
    }

    fn one_job(steps: &str) -> String {
        format!("  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}")
    }

    #[test]
    fn an_env_value_that_holds_an_event_field_is_injection() {
        let found = lint(&one_job(&format!(
            "      - env:\n          pr_title: {TITLE}\n        run: echo ${{{{ env.pr_title }}}}\n"
        )));
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = &found[0];
        assert_eq!((f.rule.id, f.line, f.job.as_deref()), ("SG-WF-010", 12, Some("build")));
        assert_eq!(
            f.message,
            "`${{ env.pr_title }}` is pasted into the shell script of step 1 before it runs, and it carries `github.event.pull_request.title`: a crafted value runs as code"
        );
        assert_eq!(
            f.fix,
            "pass it through env: (`PR_TITLE: ${{ env.pr_title }}`) and use \"$PR_TITLE\" (quoted) instead"
        );
    }

    #[test]
    fn a_github_script_is_told_to_read_process_env() {
        let found = lint(&one_job(&format!(
            "      - env:\n          pr_title: {TITLE}\n        uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea\n        with:\n          script: console.log(\"${{{{ env.pr_title }}}}\")\n"
        )));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains("is pasted into the script of step \"actions/github-script@"),
            "{}",
            found[0].message
        );
        assert_eq!(
            found[0].fix,
            "pass it through env: (`PR_TITLE: ${{ env.pr_title }}`) and read process.env.PR_TITLE instead"
        );
    }

    /// A message names a step by its name, else by its action, else by its place.
    #[rstest::rstest]
    #[case::named("      - name: Say hello\n        run: echo ${{ github.head_ref }}\n", "step \"Say hello\"")]
    #[case::by_its_action(
        "      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea\n        with:\n          script: console.log(\"${{ github.head_ref }}\")\n",
        "step \"actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea\""
    )]
    #[case::second("      - run: echo hi\n      - run: echo ${{ github.head_ref }}\n", "step 2")]
    fn a_message_names_the_step(#[case] steps: &str, #[case] named: &str) {
        let found = lint(&one_job(steps));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains(&format!(" of {named} before it runs")), "{}", found[0].message);
    }

    #[rstest::rstest]
    #[case::an_input("inputs.note", "input note")]
    #[case::an_event_input("github.event.inputs.note", "input note")]
    #[case::the_branch_name("github.head_ref", "branch name")]
    #[case::an_event_field("github.event.pull_request.title", "event field pull_request.title")]
    fn a_value_pasted_directly_is_named_for_what_an_attacker_chooses(#[case] context: &str, #[case] what: &str) {
        let found = lint(&one_job(&format!("      - run: echo ${{{{ {context} }}}}\n")));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].message,
            format!(
                "`${{{{ {context} }}}}` is pasted into the shell script of step 1 before it runs: a crafted {what} runs as code"
            )
        );
    }

    #[test]
    fn a_step_output_written_from_an_event_field_is_injection_where_it_is_read() {
        let found = lint(&one_job(&format!(
            "      - id: get-title\n        env:\n          T: {TITLE}\n        run: echo \"pr-title=$T\" >> \"$GITHUB_OUTPUT\"\n      - run: echo ${{{{ steps.get-title.outputs.pr-title }}}}\n"
        )));
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = &found[0];
        assert_eq!((f.rule.id, f.line), ("SG-WF-010", 14));
        assert!(f.message.contains("carries `github.event.pull_request.title`"), "{}", f.message);
        assert_eq!(
            f.fix,
            "pass it through env: (`PR_TITLE: ${{ steps.get-title.outputs.pr-title }}`) and use \"$PR_TITLE\" (quoted) instead"
        );
    }

    #[test]
    fn a_job_output_is_injection_when_it_carries_an_event_field_and_unknown_otherwise() {
        let jobs = format!(
            "  a:\n    runs-on: x\n    outputs:\n      title: {TITLE}\n      sha: ${{{{ github.sha }}}}\n    steps:\n      - run: echo\n  b:\n    needs: a\n    runs-on: x\n    steps:\n      - run: echo ${{{{ needs.a.outputs.title }}}} ${{{{ needs.a.outputs.sha }}}}\n"
        );
        let found = lint(&jobs);
        let ids: Vec<_> = found.iter().map(|f| (f.rule.id, f.job.as_deref())).collect();
        assert_eq!(ids, [("SG-WF-010", Some("b")), ("SG-WF-019", Some("b"))], "{found:#?}");
        assert!(found[0].message.contains("`${{ needs.a.outputs.title }}`"), "{}", found[0].message);
        assert!(found[0].message.contains("carries `github.event.pull_request.title`"), "{}", found[0].message);
        assert!(found[1].message.contains("`${{ needs.a.outputs.sha }}`"), "{}", found[1].message);
        assert_eq!(
            found[1].fix,
            "pass it through env: (`SHA: ${{ needs.a.outputs.sha }}`) and use \"$SHA\" (quoted) instead"
        );
    }

    #[test]
    fn an_env_value_from_a_trusted_context_is_not_injection() {
        let found = lint(&one_job(
            "      - env:\n          commit: ${{ github.sha }}\n        run: echo ${{ env.commit }} ${{ env.UNSET }}\n",
        ));
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_chain_of_env_values_is_followed_to_the_event_field() {
        let jobs = format!(
            "  build:\n    runs-on: ubuntu-latest\n    env:\n      RAW: {TITLE}\n    steps:\n      - env:\n          TITLE: ${{{{ env.RAW }}}}\n        run: echo ${{{{ env.TITLE }}}}\n"
        );
        let found = lint(&jobs);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains("carries `env.RAW (github.event.pull_request.title)`"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn env_values_that_read_each_other_end_the_chase() {
        let jobs = "  build:\n    runs-on: ubuntu-latest\n    env:\n      B: ${{ env.A }}\n    steps:\n      - env:\n          A: ${{ env.B }}\n        run: echo ${{ env.A }}\n";
        assert!(lint(jobs).is_empty());
    }
}

mod security_lines {
    //! Where each generic security rule (SG-WF-013 to 018, 025 to 027) draws its line: the
    //! spellings a workflow may use for the same setting, and the cases just inside and outside.

    use rstest::rstest;
    use stagegate::checks::workflows::{Declaration, Finding};

    use super::rule_findings;

    const SHA: &str = "11bd71901bbe5b1630ceea73d27597364c9af683";
    const PR_TARGET: &str = "on:\n  pull_request_target:\npermissions:\n  contents: read\n";
    const RELEASE: &str = "on:\n  push:\n    tags: ['v*']\npermissions:\n  contents: read\n";
    const PUSH: &str = "on:\n  push:\npermissions:\n  contents: read\n";

    fn one_job(on: &str, steps: &str) -> String {
        format!("name: W\n{on}jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}")
    }

    fn jobs(on: &str, permissions: &str, n: usize) -> String {
        let jobs: String =
            (0..n).map(|i| format!("  j{i}:\n    runs-on: x\n    steps:\n      - run: echo\n")).collect();
        format!("name: W\n{on}{permissions}jobs:\n{jobs}")
    }

    fn found(text: &str, rule: &str) -> Vec<Finding> {
        rule_findings("ci.yml", text, &Declaration::generic(), rule)
    }

    fn checkout(with: &str) -> String {
        format!("      - uses: actions/checkout@{SHA}\n{with}")
    }

    fn cache_step(uses: &str, with: &str) -> String {
        format!("      - uses: {uses}\n{with}      - run: make\n")
    }

    #[rstest]
    // SG-WF-017: `false` may be written as a string; a checkout with no later step leaks nothing.
    #[case::credentials_kept("SG-WF-017", one_job(PUSH, &format!("{}      - run: make\n", checkout(""))), 1)]
    #[case::credentials_off_as_a_string(
        "SG-WF-017",
        one_job(PUSH, &format!("{}      - run: make\n", checkout("        with:\n          persist-credentials: 'false'\n"))),
        0
    )]
    #[case::credentials_on_as_a_string(
        "SG-WF-017",
        one_job(PUSH, &format!("{}      - run: make\n", checkout("        with:\n          persist-credentials: 'true'\n"))),
        1
    )]
    #[case::checkout_as_the_last_step("SG-WF-017", one_job(PUSH, &checkout("")), 0)]
    // SG-WF-018: which setting of which action restores a cache.
    #[case::cache("SG-WF-018", one_job(RELEASE, &cache_step("actions/cache@v4", "        with:\n          path: x\n          key: k\n")), 1)]
    #[case::cache_restore("SG-WF-018", one_job(RELEASE, &cache_step("actions/cache/restore@v4", "        with:\n          path: x\n          key: k\n")), 1)]
    #[case::cache_lookup_only(
        "SG-WF-018",
        one_job(RELEASE, &cache_step("actions/cache@v4", "        with:\n          path: x\n          key: k\n          lookup-only: true\n")),
        0
    )]
    #[case::cache_lookup_only_as_a_string(
        "SG-WF-018",
        one_job(RELEASE, &cache_step("actions/cache@v4", "        with:\n          path: x\n          key: k\n          lookup-only: 'true'\n")),
        0
    )]
    #[case::setup_go_v3_caches_nothing_by_default("SG-WF-018", one_job(RELEASE, &cache_step("actions/setup-go@v3", "")), 0)]
    #[case::setup_go_v4_caches_by_default("SG-WF-018", one_job(RELEASE, &cache_step("actions/setup-go@v4", "")), 1)]
    #[case::setup_go_v5_1_caches_by_default("SG-WF-018", one_job(RELEASE, &cache_step("actions/setup-go@v5.1.0", "")), 1)]
    #[case::setup_go_on_a_short_ref("SG-WF-018", one_job(RELEASE, &cache_step("actions/setup-go@main", "")), 0)]
    #[case::setup_go_v3_told_to_cache(
        "SG-WF-018",
        one_job(RELEASE, &cache_step("actions/setup-go@v3", "        with:\n          cache: true\n")),
        1
    )]
    #[case::setup_node_with_a_cache(
        "SG-WF-018",
        one_job(RELEASE, &cache_step("actions/setup-node@v4", "        with:\n          cache: npm\n")),
        1
    )]
    #[case::setup_python_with_an_empty_cache(
        "SG-WF-018",
        one_job(RELEASE, &cache_step("actions/setup-python@v5", "        with:\n          cache: ''\n")),
        0
    )]
    #[case::setup_java_with_cache_false(
        "SG-WF-018",
        one_job(RELEASE, &cache_step("actions/setup-java@v4", "        with:\n          cache: 'false'\n")),
        0
    )]
    #[case::setup_dotnet_without_a_cache("SG-WF-018", one_job(RELEASE, &cache_step("actions/setup-dotnet@v4", "")), 0)]
    #[case::bundler_cache(
        "SG-WF-018",
        one_job(RELEASE, &cache_step("ruby/setup-ruby@v1", "        with:\n          bundler-cache: true\n")),
        1
    )]
    #[case::ruby_without_bundler_cache("SG-WF-018", one_job(RELEASE, &cache_step("ruby/setup-ruby@v1", "")), 0)]
    #[case::rust_cache_in_any_case("SG-WF-018", one_job(RELEASE, &cache_step("Swatinem/rust-cache@v2", "")), 1)]
    #[case::mise_caches_by_default("SG-WF-018", one_job(RELEASE, &cache_step("jdx/mise-action@v2", "")), 1)]
    #[case::mise_told_not_to(
        "SG-WF-018",
        one_job(RELEASE, &cache_step("jdx/mise-action@v2", "        with:\n          cache: false\n")),
        0
    )]
    #[case::a_release_without_a_cache("SG-WF-018", one_job(RELEASE, &format!("{}      - run: make\n", checkout("        with:\n          persist-credentials: false\n"))), 0)]
    // What makes a workflow a release: the release event, pushed tags, or a publishing step.
    #[case::on_release(
        "SG-WF-018",
        one_job("on:\n  release:\n    types: [published]\npermissions:\n  contents: read\n", &cache_step("Swatinem/rust-cache@v2", "")),
        1
    )]
    #[case::a_publishing_step(
        "SG-WF-018",
        one_job(PUSH, "      - uses: Swatinem/rust-cache@v2\n      - uses: softprops/action-gh-release@v2\n"),
        1
    )]
    #[case::a_push_of_branches_publishes_nothing(
        "SG-WF-018",
        one_job("on:\n  push:\n    branches: [main]\npermissions:\n  contents: read\n", &cache_step("Swatinem/rust-cache@v2", "")),
        0
    )]
    // SG-WF-016: a reusable workflow runs with its caller's token; a job's own block counts.
    #[case::called_only("SG-WF-016", jobs("on: workflow_call\n", "", 2), 0)]
    #[case::called_and_pushed("SG-WF-016", jobs("on: [push, workflow_call]\n", "", 2), 2)]
    #[case::one_job_has_its_own(
        "SG-WF-016",
        "name: W\non: push\njobs:\n  a:\n    runs-on: x\n    permissions:\n      contents: read\n    steps:\n      - run: echo\n  b:\n    runs-on: x\n    steps:\n      - run: echo\n".to_owned(),
        1
    )]
    // SG-WF-015: only a grant that more than one job receives.
    #[case::write_all_to_two_jobs("SG-WF-015", jobs("on: push\n", "permissions: write-all\n", 2), 1)]
    #[case::write_all_to_one_job("SG-WF-015", jobs("on: push\n", "permissions: write-all\n", 1), 0)]
    #[case::read_all_to_two_jobs("SG-WF-015", jobs("on: push\n", "permissions: read-all\n", 2), 0)]
    #[case::a_write_scope_to_one_job("SG-WF-015", jobs("on: push\n", "permissions:\n  contents: write\n", 1), 0)]
    #[case::each_write_scope_to_three_jobs(
        "SG-WF-015",
        jobs("on: push\n", "permissions:\n  contents: write\n  issues: read\n  packages: write\n", 3),
        2
    )]
    // SG-WF-013: each dangerous trigger.
    #[case::workflow_run("SG-WF-013", jobs("on:\n  workflow_run:\n    workflows: [CI]\n", "permissions: {}\n", 1), 1)]
    #[case::issue_comment("SG-WF-013", jobs("on: issue_comment\n", "permissions: {}\n", 1), 1)]
    #[case::push_is_no_dangerous_trigger("SG-WF-013", jobs("on: push\n", "permissions: {}\n", 1), 0)]
    // SG-WF-027: only workflow_run; a job after another that checked is covered.
    #[case::push_has_no_conclusion("SG-WF-027", jobs("on: push\n", "permissions: {}\n", 1), 0)]
    #[case::a_needed_job_checked(
        "SG-WF-027",
        "name: W\non:\n  workflow_run:\n    workflows: [CI]\npermissions: {}\njobs:\n  a:\n    if: github.event.workflow_run.conclusion == 'success'\n    runs-on: x\n    steps:\n      - run: echo\n  b:\n    needs: a\n    runs-on: x\n    steps:\n      - run: echo\n".to_owned(),
        0
    )]
    #[case::two_unchecked_jobs(
        "SG-WF-027",
        jobs("on:\n  workflow_run:\n    workflows: [CI]\n", "permissions: {}\n", 2),
        2
    )]
    // SG-WF-026: once per input, never under dispatch alone, not where the expression decides.
    #[case::dispatch_only(
        "SG-WF-026",
        one_job(
            "on:\n  workflow_dispatch:\n    inputs:\n      target:\npermissions: {}\n",
            "      - run: echo\n        env:\n          T: ${{ inputs.target }}\n"
        ),
        0
    )]
    #[case::read_twice_reported_once(
        "SG-WF-026",
        one_job(
            "on:\n  push:\n  workflow_dispatch:\n    inputs:\n      target:\npermissions: {}\n",
            "      - run: echo\n        env:\n          T: ${{ inputs.target }}\n      - run: echo\n        env:\n          U: ${{ inputs.target }}\n"
        ),
        1
    )]
    #[case::two_inputs(
        "SG-WF-026",
        one_job(
            "on:\n  push:\n  workflow_dispatch:\n    inputs:\n      target:\n      region:\npermissions: {}\n",
            "      - run: echo\n        env:\n          T: ${{ inputs.target }}\n          R: ${{ inputs.region }}\n"
        ),
        2
    )]
    #[case::an_undeclared_input_is_another_rule(
        "SG-WF-026",
        one_job(
            "on:\n  push:\n  workflow_dispatch:\n    inputs:\n      target:\npermissions: {}\n",
            "      - run: echo\n        env:\n          T: ${{ inputs.other }}\n"
        ),
        0
    )]
    #[case::a_comparison_decides(
        "SG-WF-026",
        one_job(
            "on:\n  push:\n  workflow_dispatch:\n    inputs:\n      target:\npermissions: {}\n",
            "      - if: ${{ inputs.target == 'dev' }}\n        run: echo\n"
        ),
        0
    )]
    // SG-WF-025: where another run's or another workflow's upload may be, and name matching.
    #[case::called_as_a_string(
        "SG-WF-025",
        one_job(
            "on: workflow_call\npermissions: {}\n",
            "      - uses: actions/download-artifact@v4\n        with:\n          name: plan\n"
        ),
        0
    )]
    #[case::called_as_a_mapping(
        "SG-WF-025",
        one_job(
            "on:\n  workflow_call:\npermissions: {}\n",
            "      - uses: actions/download-artifact@v4\n        with:\n          name: plan\n"
        ),
        0
    )]
    #[case::a_local_action_may_upload(
        "SG-WF-025",
        one_job(
            PUSH,
            "      - uses: ./.github/actions/build\n      - uses: actions/download-artifact@v4\n        with:\n          name: plan\n"
        ),
        0
    )]
    #[case::a_reusable_job_may_upload(
        "SG-WF-025",
        "name: W\non: push\npermissions: {}\njobs:\n  a:\n    uses: ./.github/workflows/build.yml\n  b:\n    needs: a\n    runs-on: x\n    steps:\n      - uses: actions/download-artifact@v4\n        with:\n          name: plan\n".to_owned(),
        0
    )]
    #[case::uploaded_under_that_name(
        "SG-WF-025",
        one_job(
            PUSH,
            "      - uses: actions/upload-artifact@v4\n        with:\n          name: plan\n      - uses: actions/download-artifact@v4\n        with:\n          name: plan\n"
        ),
        0
    )]
    #[case::uploaded_under_another_name(
        "SG-WF-025",
        one_job(
            PUSH,
            "      - uses: actions/upload-artifact@v4\n        with:\n          name: other\n      - uses: actions/download-artifact@v4\n        with:\n          name: plan\n"
        ),
        1
    )]
    #[case::uploaded_without_a_name(
        "SG-WF-025",
        one_job(
            PUSH,
            "      - uses: actions/upload-artifact@v4\n      - uses: actions/download-artifact@v4\n        with:\n          name: plan\n"
        ),
        0
    )]
    #[case::uploaded_under_a_computed_name(
        "SG-WF-025",
        one_job(
            PUSH,
            "      - uses: actions/upload-artifact@v4\n        with:\n          name: plan-${{ matrix.env }}\n      - uses: actions/download-artifact@v4\n        with:\n          name: plan-dev\n"
        ),
        0
    )]
    #[case::downloaded_under_a_computed_name(
        "SG-WF-025",
        one_job(
            PUSH,
            "      - uses: actions/upload-artifact@v4\n        with:\n          name: plan-dev\n      - uses: actions/download-artifact@v4\n        with:\n          name: plan-${{ matrix.env }}\n"
        ),
        0
    )]
    #[case::all_downloaded_none_uploaded(
        "SG-WF-025",
        one_job(PUSH, "      - run: make\n      - uses: actions/download-artifact@v4\n"),
        1
    )]
    #[case::all_downloaded_one_uploaded(
        "SG-WF-025",
        one_job(
            PUSH,
            "      - uses: actions/upload-artifact@v4\n        with:\n          name: x\n      - uses: actions/download-artifact@v4\n"
        ),
        0
    )]
    #[case::other_steps_are_no_download(
        "SG-WF-025",
        one_job(
            PUSH,
            "      - run: make\n      - uses: actions/download-artifact@v4\n        with:\n          run-id: 42\n"
        ),
        0
    )]
    // SG-WF-014: what checks out a contribution and what runs it.
    #[case::a_local_action_runs_it(
        "SG-WF-014",
        one_job(PR_TARGET, &format!("{}      - uses: ./.github/actions/build\n", checkout("        with:\n          persist-credentials: false\n          ref: ${{ github.head_ref }}\n"))),
        1
    )]
    #[case::gh_pr_checkout_then_a_run(
        "SG-WF-014",
        one_job(PR_TARGET, "      - run: gh pr checkout ${{ github.event.number }}\n      - run: make test\n"),
        1
    )]
    #[case::a_fetch_of_the_pull_ref_then_a_run(
        "SG-WF-014",
        one_job(
            PR_TARGET,
            "      - run: git fetch origin pull/${{ github.event.number }}/head\n      - run: make test\n"
        ),
        1
    )]
    #[case::gh_pr_checkout_and_nothing_after(
        "SG-WF-014",
        one_job(PR_TARGET, "      - run: gh pr checkout ${{ github.event.number }}\n"),
        0
    )]
    #[case::the_base_checked_out_and_run(
        "SG-WF-014",
        one_job(PR_TARGET, &format!("{}      - run: make\n      - run: make test\n", checkout("        with:\n          persist-credentials: false\n"))),
        0
    )]
    #[case::a_contribution_outside_a_privileged_workflow(
        "SG-WF-014",
        one_job("on: pull_request\npermissions: {}\n", "      - run: gh pr checkout 1\n      - run: make test\n"),
        0
    )]
    fn each_rule_draws_its_line(#[case] rule: &str, #[case] text: String, #[case] expected: usize) {
        let found = found(&text, rule);
        assert_eq!(found.len(), expected, "{rule} on:\n{text}\n{found:#?}");
    }

    /// The line a finding must be on: the first line holding `needle`.
    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn a_pwn_request_is_placed_on_its_checkout_and_says_what_runs() {
        let text = one_job(
            PR_TARGET,
            &format!(
                "      - run: echo first\n{}      - run: make test\n",
                checkout(
                    "        with:\n          persist-credentials: false\n          ref: ${{ github.event.pull_request.head.sha }}\n"
                )
            ),
        );
        let [f] = found(&text, "SG-WF-014").try_into().unwrap();
        assert_eq!(f.line, line_of(&text, "actions/checkout"));
        assert_eq!(f.job.as_deref(), Some("build"));
        assert!(
            f.message.contains("job build checks out github.event.pull_request.head (the contribution)"),
            "{}",
            f.message
        );
        assert!(f.fix.contains("pull_request workflow"), "{}", f.fix);
    }

    #[test]
    fn kept_credentials_and_a_release_cache_are_placed_on_their_step() {
        let text = one_job(
            RELEASE,
            &format!("      - run: echo\n{}      - uses: jdx/mise-action@v2\n      - run: make\n", checkout("")),
        );
        let [f] = found(&text, "SG-WF-017").try_into().unwrap();
        assert_eq!((f.line, f.job.as_deref()), (line_of(&text, "actions/checkout"), Some("build")));
        let [c] = found(&text, "SG-WF-018").try_into().unwrap();
        assert_eq!(c.line, line_of(&text, "mise-action"));
        assert!(c.message.contains("job build restores mise's tool cache"), "{}", c.message);
        assert_eq!(c.fix, "set `cache: false` in this release workflow");
    }

    #[test]
    fn a_workflow_wide_grant_names_its_scope_and_the_jobs_it_reaches() {
        let text = jobs("on: push\n", "permissions:\n  contents: read\n  packages: write\n", 3);
        let [f] = found(&text, "SG-WF-015").try_into().unwrap();
        assert_eq!(f.line, line_of(&text, "packages: write"));
        assert!(
            f.message.contains("`packages: write` is granted at workflow level, so each of the 3 jobs gets it"),
            "{}",
            f.message
        );
    }

    #[test]
    fn inputs_on_other_events_name_those_events() {
        let text = one_job(
            "on:\n  push:\n  schedule:\n    - cron: '0 0 * * *'\n  workflow_dispatch:\n    inputs:\n      target:\npermissions: {}\n",
            "      - run: echo\n        env:\n          T: ${{ inputs.target }}\n",
        );
        let [f] = found(&text, "SG-WF-026").try_into().unwrap();
        assert_eq!(f.line, line_of(&text, "T: ${{"));
        assert!(f.message.contains("also starts on push, schedule, where `inputs.target` is empty"), "{}", f.message);
    }

    #[test]
    fn an_artifact_download_says_which_artifact() {
        let named = one_job(PUSH, "      - uses: actions/download-artifact@v4\n        with:\n          name: plan\n");
        let [f] = found(&named, "SG-WF-025").try_into().unwrap();
        assert!(f.message.contains("downloads artifact plan, but no job of ci.yml uploads it"), "{}", f.message);
        let all = one_job(PUSH, "      - uses: actions/download-artifact@v4\n");
        let [f] = found(&all, "SG-WF-025").try_into().unwrap();
        assert!(f.message.contains("downloads artifacts, but"), "{}", f.message);
    }

    #[test]
    fn the_rollback_rule_needs_the_declared_matrix() {
        let text = one_job(
            "on:\n  workflow_dispatch:\n    inputs:\n      environment:\npermissions: {}\n",
            "      - run: echo\n",
        );
        assert!(rule_findings("rollback.yml", &text, &Declaration::generic(), "SG-WF-022").is_empty());
    }

    #[test]
    fn a_matrix_rollback_must_name_its_component() {
        let lld = |text: &str| rule_findings("rollback.yml", text, &Declaration::lld(), "SG-WF-022");
        let text = one_job(
            "on:\n  workflow_dispatch:\n    inputs:\n      environment:\npermissions: {}\n",
            "      - run: echo\n",
        );
        let [f] = lld(&text).try_into().unwrap();
        assert_eq!(f.line, 4, "on.workflow_dispatch.inputs");
        assert!(f.fix.contains("a required choice of tenants, products, campaigns, templates"), "{}", f.fix);
        let named = text.replace("      environment:\n", "      environment:\n      component:\n");
        assert!(lld(&named).is_empty(), "{:#?}", lld(&named));
    }
}

mod script_lines {
    //! What the run scripts of a job are checked for (SG-WF-022 to 024, 028, 029): each command
    //! the AWS CLI, Terraform, bash and git treat differently, with the cases on either side.

    use rstest::rstest;
    use stagegate::checks::workflows::{Declaration, Finding};

    fn job(env: &str, steps: &str) -> String {
        format!("name: W\non: push\npermissions: {{}}\njobs:\n  build:\n    runs-on: x\n{env}    steps:\n{steps}")
    }

    fn script(lines: &str) -> String {
        let body: String = lines.lines().map(|l| format!("          {l}\n")).collect();
        job("", &format!("      - run: |\n{body}"))
    }

    fn found(text: &str, rule: &str) -> Vec<Finding> {
        super::rule_findings("ci.yml", text, &Declaration::generic(), rule)
    }

    #[rstest]
    #[case::head_object_without_a_key("SG-WF-023", script("aws s3api head-object --bucket b"), 1)]
    #[case::keys_written_with_equals("SG-WF-023", script("aws s3api delete-object --bucket=b --key=k"), 0)]
    #[case::put_object_without_a_bucket("SG-WF-023", script("aws s3api put-object --key k --body f"), 1)]
    #[case::tagging_and_attributes(
        "SG-WF-023",
        script("aws s3api get-object-tagging --bucket b\naws s3api get-object-attributes --key k"),
        2
    )]
    #[case::copy_without_a_source("SG-WF-023", script("aws s3api copy-object --bucket b --key k"), 1)]
    #[case::bucket_commands_without_a_bucket(
        "SG-WF-023",
        script(
            "aws s3api list-object-versions --prefix p\naws s3api list-objects-v2\naws s3api head-bucket\naws s3api get-bucket-versioning"
        ),
        4
    )]
    #[case::bucket_commands_with_their_bucket(
        "SG-WF-023",
        script("aws s3api head-bucket --bucket b\naws s3api list-objects-v2 --bucket b"),
        0
    )]
    #[case::a_command_with_nothing_required("SG-WF-023", script("aws s3api list-buckets"), 0)]
    #[case::a_key_on_the_continued_line(
        "SG-WF-023",
        script("aws s3api get-object \\\n  --bucket b \\\n  --key k out"),
        0
    )]
    #[case::a_script_ending_in_a_continuation("SG-WF-023", script("aws s3api get-object --bucket b \\"), 1)]
    #[case::the_next_line_is_another_command(
        "SG-WF-023",
        script("aws s3api get-object --bucket b out\necho --key k"),
        1
    )]
    #[case::plan_through_chdir("SG-WF-024", script("terraform -chdir=infra plan"), 1)]
    #[case::init_first_in_one_script("SG-WF-024", script("terraform init\nterraform plan\nterraform apply tfplan"), 0)]
    #[case::reported_once_per_job("SG-WF-024", script("terraform validate\nterraform plan"), 1)]
    #[case::fmt_needs_no_init("SG-WF-024", script("terraform fmt -check\nterraform version"), 0)]
    #[case::each_step_after_one_init(
        "SG-WF-024",
        job("", "      - run: terraform init\n      - run: terraform plan\n      - run: terraform show\n"),
        0
    )]
    #[case::globstar_under_bash_by_name(
        "SG-WF-028",
        job("", "      - shell: bash -e {0}\n        run: ls schemas/**/*.json\n"),
        1
    )]
    #[case::globstar_under_pwsh("SG-WF-028", job("", "      - shell: pwsh\n        run: ls schemas/**/*.json\n"), 0)]
    #[case::globstar_under_the_jobs_default_shell(
        "SG-WF-028",
        job("    defaults:\n      run:\n        shell: python\n", "      - run: ls schemas/**/*.json\n"),
        0
    )]
    #[case::a_lone_star_is_no_globstar("SG-WF-028", script("ls schemas/*.json"), 0)]
    #[case::commit_without_identity("SG-WF-029", script("git commit -am x"), 1)]
    #[case::merge_without_identity("SG-WF-029", script("git merge origin/main"), 1)]
    #[case::a_lightweight_tag_needs_none("SG-WF-029", script("git tag v1\ngit push --tags"), 0)]
    #[case::signed_tag("SG-WF-029", script("git tag -s v1"), 1)]
    #[case::identity_once_per_job("SG-WF-029", script("git commit -am x\ngit tag -a v1 -m v1"), 1)]
    #[case::identity_in_the_jobs_env(
        "SG-WF-029",
        job("    env:\n      GIT_COMMITTER_EMAIL: bot@example.org\n", "      - run: git commit -am x\n"),
        0
    )]
    #[case::identity_in_the_steps_env(
        "SG-WF-029",
        job("", "      - env:\n          GIT_COMMITTER_EMAIL: bot@example.org\n        run: git commit -am x\n"),
        0
    )]
    #[case::identity_exported_in_the_script(
        "SG-WF-029",
        script("export GIT_COMMITTER_EMAIL=bot@example.org\ngit commit -am x"),
        0
    )]
    #[case::identity_set_too_late(
        "SG-WF-029",
        job("", "      - run: git commit -am x\n      - run: git config user.email bot@example.org\n"),
        1
    )]
    fn each_script_rule_draws_its_line(#[case] rule: &str, #[case] text: String, #[case] expected: usize) {
        let found = found(&text, rule);
        assert_eq!(found.len(), expected, "{rule} on:\n{text}\n{found:#?}");
    }

    #[rstest]
    #[case::a_components_state("key=2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate", 0)]
    #[case::one_state_for_all("key=2_1_bbws_dynamodb_schemas/terraform.tfstate", 1)]
    #[case::another_components_file("key=2_1_bbws_dynamodb_schemas/tenants/other.tfstate", 1)]
    #[case::built_from_the_component("key=${COMPONENT_PATH}/terraform.tfstate", 0)]
    fn a_matrix_repos_state_key_is_one_components(#[case] config: &str, #[case] expected: usize) {
        let text = script(&format!("terraform init -backend-config=\"{config}\""));
        let found = super::rule_findings("terraform-plan.yml", &text, &Declaration::lld(), "SG-WF-022");
        assert_eq!(found.len(), expected, "{found:#?}");
        assert!(found.iter().all(|f| f.message.contains("is no component's state file")));
        assert!(found.iter().all(|f| f.fix.contains("2_1_bbws_s3_schemas/templates/terraform.tfstate")));
    }

    #[test]
    fn each_finding_says_what_is_missing_and_where() {
        let text = script("echo start\naws s3api copy-object --bucket b");
        let [f] = found(&text, "SG-WF-023").try_into().unwrap();
        assert_eq!(f.line, text.lines().position(|l| l.contains("copy-object")).unwrap() + 1);
        assert_eq!(f.job.as_deref(), Some("build"));
        assert!(
            f.message.contains("`aws s3api copy-object` in job build has no --key, --copy-source"),
            "{}",
            f.message
        );
        assert_eq!(f.fix, "add `--key …` and `--copy-source …` to the command");

        let text = script("echo start\nterraform -chdir=infra apply tfplan");
        let [f] = found(&text, "SG-WF-024").try_into().unwrap();
        assert_eq!(f.line, text.lines().position(|l| l.contains("apply")).unwrap() + 1);
        assert!(f.message.contains("runs `terraform apply` without `terraform init`"), "{}", f.message);

        let text = script("for f in \"schemas/**/*.json\"; do jq . \"$f\"; done");
        let [f] = found(&text, "SG-WF-028").try_into().unwrap();
        assert!(f.message.starts_with("`schemas/**/*.json` in job build"), "{}", f.message);

        let text = script("echo start\ngit   commit -m x");
        let [f] = found(&text, "SG-WF-029").try_into().unwrap();
        assert_eq!(f.line, text.lines().position(|l| l.contains("commit")).unwrap() + 1);
        assert!(f.message.starts_with("`git   commit` in job build needs a git identity"), "{}", f.message);
    }
}

mod job_lines {
    //! The rules of `checks.rs` on one job and on `on:` (SG-WF-004 to 009, 011, 012): the forms
    //! a workflow may take and where each rule stops.

    use rstest::rstest;
    use stagegate::checks::workflows::{Declaration, Finding, WORKFLOW_MATRIX, lint, lint_text_with};

    const SHA: &str = "11bd71901bbe5b1630ceea73d27597364c9af683";

    fn job(permissions: &str, job_extra: &str, steps: &str) -> String {
        format!("name: W\non: push\n{permissions}jobs:\n  deploy:\n    runs-on: x\n{job_extra}    steps:\n{steps}")
    }

    fn found(text: &str, rule: &str) -> Vec<Finding> {
        super::rule_findings("ci.yml", text, &Declaration::generic(), rule)
    }

    fn oidc(with: &str) -> String {
        format!("      - uses: aws-actions/configure-aws-credentials@{SHA}\n        with:\n{with}")
    }

    const ROLE: &str = "          role-to-assume: arn:aws:iam::1:role/r\n";

    #[rstest]
    #[case::no_id_token(job("permissions:\n  contents: read\n", "", &oidc(ROLE)), 1)]
    #[case::id_token_read(job("permissions:\n  id-token: read\n", "", &oidc(ROLE)), 1)]
    #[case::id_token_write(job("permissions:\n  id-token: write\n", "", &oidc(ROLE)), 0)]
    #[case::write_all(job("permissions: write-all\n", "", &oidc(ROLE)), 0)]
    #[case::read_all(job("permissions: read-all\n", "", &oidc(ROLE)), 1)]
    #[case::the_job_grants_it(job("permissions: {}\n", "    permissions:\n      id-token: write\n", &oidc(ROLE)), 0)]
    #[case::keys_instead_of_oidc(
        job("permissions: {}\n", "", &oidc(&format!("{ROLE}          aws-access-key-id: x\n"))),
        0
    )]
    #[case::no_role_assumed(job("permissions: {}\n", "", &oidc("          aws-region: af-south-1\n")), 0)]
    fn an_oidc_role_needs_an_id_token(#[case] text: String, #[case] expected: usize) {
        assert_eq!(found(&text, "SG-WF-006").len(), expected, "{text}");
    }

    #[rstest]
    #[case::the_job(
        "permissions: {}\n",
        "    permissions:\n      contents: read\n",
        "the permissions of job deploy do not grant id-token: write"
    )]
    #[case::the_workflow(
        "permissions:\n  contents: read\n",
        "",
        "the workflow's permissions do not grant id-token: write"
    )]
    #[case::none("", "", "no permissions block grants id-token: write")]
    fn the_oidc_finding_names_the_permissions_that_lack(#[case] workflow: &str, #[case] own: &str, #[case] says: &str) {
        let text = job(workflow, own, &oidc(ROLE));
        let [f] = found(&text, "SG-WF-006").try_into().unwrap();
        assert!(f.message.contains(says), "{}", f.message);
        assert_eq!(f.line, text.lines().position(|l| l.contains("configure-aws-credentials")).unwrap() + 1);
    }

    #[rstest]
    #[case::push_of_tags(job("permissions:\n  contents: read\n", "", "      - run: git push --tags\n"), 1)]
    #[case::push_of_a_tag_ref(
        job("permissions:\n  contents: read\n", "", "      - run: git push origin refs/tags/v1\n"),
        1
    )]
    #[case::tag_and_push_in_one_step(
        job("permissions:\n  contents: read\n", "", "      - run: git tag v1 && git push origin v1\n"),
        1
    )]
    #[case::tag_in_another_step(
        job("permissions:\n  contents: read\n", "", "      - run: git tag v1\n      - run: git push origin v1\n"),
        1
    )]
    #[case::a_plain_push(job("permissions:\n  contents: read\n", "", "      - run: git push origin main\n"), 0)]
    #[case::contents_write(job("permissions:\n  contents: write\n", "", "      - run: git push --tags\n"), 0)]
    fn a_tag_push_needs_contents_write(#[case] text: String, #[case] expected: usize) {
        assert_eq!(found(&text, "SG-WF-007").len(), expected, "{text}");
    }

    #[test]
    fn a_tag_push_is_placed_on_the_push() {
        let text = job("permissions: {}\n", "", "      - run: |\n          git tag v1\n          git push origin v1\n");
        let [f] = found(&text, "SG-WF-007").try_into().unwrap();
        assert_eq!(f.line, text.lines().position(|l| l.contains("git push")).unwrap() + 1);
    }

    #[rstest]
    #[case::apply("      - run: terraform apply -auto-approve\n", "", Some("terraform apply"))]
    #[case::state_rm("      - run: terraform state rm aws_s3_bucket.b\n", "", Some("terraform state rm"))]
    #[case::the_first_change_is_named(
        "      - run: terraform import a b\n      - run: terraform destroy\n",
        "",
        Some("terraform import")
    )]
    #[case::with_an_environment("      - run: terraform apply\n", "    environment: dev\n", None)]
    #[case::plan_changes_nothing("      - run: terraform plan\n", "", None)]
    fn a_change_of_infrastructure_needs_an_environment(
        #[case] steps: &str,
        #[case] own: &str,
        #[case] command: Option<&str>,
    ) {
        // SG-WF-005 belongs to the matrix: a repo that declares it.
        let text = job("permissions: {}\n", own, steps);
        let found = super::rule_findings("ci.yml", &text, &Declaration::lld(), "SG-WF-005");
        match command {
            Some(command) => {
                let [f] = found.try_into().unwrap();
                assert!(f.message.contains(&format!("runs `{command}`")), "{}", f.message);
                assert_eq!(f.line, text.lines().position(|l| l.contains("deploy:")).unwrap() + 1);
            }
            None => assert!(found.is_empty(), "{found:#?}"),
        }
    }

    #[rstest]
    #[case::image_by_tag("docker://alpine:3.20", vec!["SG-WF-008"])]
    #[case::image_by_digest("docker://alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", vec![])]
    #[case::local_action("./.github/actions/build", vec![])]
    #[case::no_version("actions/checkout", vec!["SG-WF-008"])]
    #[case::retired_and_a_tag("actions/upload-artifact@v3", vec!["SG-WF-009", "SG-WF-008"])]
    #[case::a_sha("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", vec![])]
    fn an_action_is_pinned_by_its_digest_or_commit(#[case] uses: &str, #[case] expected: Vec<&str>) {
        let text = job(
            "permissions: {}\n",
            "",
            &format!("      - uses: {uses}\n        with:\n          persist-credentials: false\n"),
        );
        let all = lint_text_with("ci.yml", &text, &Declaration::generic()).unwrap();
        let ids: Vec<&str> =
            all.iter().map(|f| f.rule.id).filter(|id| ["SG-WF-008", "SG-WF-009"].contains(id)).collect();
        assert_eq!(ids, expected, "{all:#?}");
    }

    #[test]
    fn a_reusable_workflow_call_is_pinned_too() {
        let text =
            "name: W\non: push\npermissions: {}\njobs:\n  call:\n    uses: org/infra/.github/workflows/plan.yml@main\n";
        let [f] = found(text, "SG-WF-008").try_into().unwrap();
        assert_eq!((f.line, f.job.as_deref()), (6, Some("call")));
    }

    #[rstest]
    #[case::a_job_condition(
        "name: W\non:\n  workflow_dispatch:\n    inputs:\n      dry:\n        type: boolean\npermissions: {}\njobs:\n  a:\n    if: github.event.inputs.dry\n    runs-on: x\n    steps:\n      - run: echo\n",
        10
    )]
    #[case::a_step_condition(
        "name: W\non:\n  workflow_dispatch:\n    inputs:\n      dry:\n        type: boolean\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - if: github.event.inputs.dry\n        run: echo\n",
        12
    )]
    fn a_truthy_boolean_string_is_found_where_it_is_tested(#[case] text: &str, #[case] line: usize) {
        let [f] = found(text, "SG-WF-011").try_into().unwrap();
        assert_eq!(f.line, line);
        assert!(f.message.contains("tests `github.event.inputs.dry`"), "{}", f.message);
    }

    #[rstest]
    #[case::a_string("on: pull_request_target\n", 2)]
    #[case::a_list("on: [push, pull_request_target]\n", 2)]
    #[case::a_map("on:\n  push:\n  issue_comment:\n", 4)]
    fn each_form_of_on_names_its_events(#[case] on: &str, #[case] line: usize) {
        let text =
            format!("name: W\n{on}permissions: {{}}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n");
        let [f] = found(&text, "SG-WF-013").try_into().unwrap();
        assert_eq!(f.line, line, "{text}");
    }

    #[rstest]
    #[case::a_call_input(
        "on:\n  workflow_call:\n    inputs:\n      target:\n        type: string\n",
        "${{ inputs.target }}",
        None
    )]
    #[case::undeclared_in_the_workflow_env("on: push\n", "${{ inputs.nope }}", Some(None))]
    #[case::undeclared_in_a_job("on: push\n", "", Some(Some("a")))]
    fn inputs_are_declared_by_dispatch_or_call(
        #[case] on: &str,
        #[case] workflow_env: &str,
        #[case] expected: Option<Option<&str>>,
    ) {
        let env = if workflow_env.is_empty() { String::new() } else { format!("env:\n  T: {workflow_env}\n") };
        let step = if workflow_env.is_empty() {
            "      - run: echo \"$T\"\n        env:\n          T: ${{ inputs.nope }}\n"
        } else {
            "      - run: echo\n"
        };
        let text = format!("name: W\n{on}permissions: {{}}\n{env}jobs:\n  a:\n    runs-on: x\n    steps:\n{step}");
        let found = found(&text, "SG-WF-004");
        match expected {
            None => assert!(found.is_empty(), "{found:#?}"),
            Some(job) => {
                let [f] = found.try_into().unwrap();
                assert_eq!(f.job.as_deref(), job, "{text}");
            }
        }
    }

    #[test]
    fn a_key_named_on_inside_a_job_is_still_read() {
        let text = "name: W\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    env:\n      on: ${{ inputs.nope }}\n    steps:\n      - run: echo\n";
        assert_eq!(found(text, "SG-WF-004").len(), 1);
    }

    #[test]
    fn a_tagged_value_is_read_through_its_tag() {
        let text = "name: W\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: !custom echo ${{ inputs.nope }}\n";
        assert_eq!(found(text, "SG-WF-004").len(), 1);
    }

    #[test]
    fn numeric_artifact_names_are_compared_as_written() {
        let text = job(
            "permissions: {}\n",
            "",
            "      - uses: actions/upload-artifact@v4\n        with:\n          name: 7\n      - uses: actions/download-artifact@v4\n        with:\n          name: 42\n",
        );
        assert_eq!(found(&text, "SG-WF-025").len(), 1);
        assert!(found(&text.replace("name: 42", "name: 7"), "SG-WF-025").is_empty());
        let booleans = text.replace("name: 7", "name: true").replace("name: 42", "name: false");
        assert_eq!(found(&booleans, "SG-WF-025").len(), 1);
    }

    #[test]
    fn a_matrix_repo_is_told_each_workflow_it_lacks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pipeline.yml"), "workflows:\n  matrix: lld-7.3.1\n").unwrap();
        let wf = dir.path().join(".github/workflows");
        std::fs::create_dir_all(&wf).unwrap();
        let present = WORKFLOW_MATRIX[0].file;
        std::fs::write(wf.join(present), "name: W\non: push\njobs: {}\n").unwrap();
        let report = lint(dir.path()).unwrap();
        let missing: Vec<&str> =
            report.findings.iter().filter(|f| f.rule.id == "SG-WF-012").map(|f| f.file.as_str()).collect();
        let mut expected: Vec<String> =
            WORKFLOW_MATRIX[1..].iter().map(|r| format!(".github/workflows/{}", r.file)).collect();
        expected.sort();
        assert_eq!(missing, expected);
        assert!(report.matrix);

        std::fs::write(dir.path().join("pipeline.yml"), "components: {}\n").unwrap();
        let generic = lint(dir.path()).unwrap();
        assert!(!generic.matrix && generic.findings.iter().all(|f| f.rule.id != "SG-WF-012"));
    }
}

mod declarations {
    //! What `pipeline.yml` declares about a repo's workflows (R63).

    use rstest::rstest;
    use stagegate::checks::workflows::{Declaration, WorkflowError};

    fn read(text: &str) -> Result<Declaration, WorkflowError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pipeline.yml"), text).unwrap();
        Declaration::read(dir.path())
    }

    #[rstest]
    #[case::another_matrix(
        "workflows:\n  matrix: lld-7.3.2\n",
        "workflows.matrix is lld-7.3.2; the only workflow matrix is lld-7.3.1"
    )]
    #[case::no_matrix_named("workflows:\n  other: 1\n", "workflows.matrix is nothing;")]
    #[case::not_a_name("workflows:\n  matrix: [lld-7.3.1]\n", "workflows.matrix is nothing;")]
    fn only_the_lld_matrix_is_known(#[case] text: &str, #[case] says: &str) {
        let error = read(text).unwrap_err().to_string();
        assert!(error.contains("pipeline.yml: ") && error.contains(says), "{error}");
    }

    #[test]
    fn the_matrix_and_components_are_read() {
        let d = read("workflows:\n  matrix: lld-7.3.1\ncomponents:\n  tenants: a/tenants\n  bad: [x]\n").unwrap();
        assert_eq!(d, Declaration { matrix: true, components: vec![("tenants".into(), "a/tenants".into())] });
        assert!(!read("components:\n  t: a/t\n").unwrap().matrix);
        assert_eq!(read("{ not yaml").unwrap(), Declaration::generic());
        let none = tempfile::tempdir().unwrap();
        assert_eq!(Declaration::read(none.path()).unwrap(), Declaration::default());
    }
}

#[rstest]
#[case("number", true)]
#[case("pusher_id", true)]
#[case("before_sha", true)]
#[case("created_at", true)]
#[case("issue_number", true)]
#[case("star_count", true)]
#[case("html_url", true)]
#[case("title", false)]
#[case("head_branch", false)]
#[case("ref", false)]
#[case("identity", false)]
fn numbers_ids_hashes_and_times_are_safe_event_fields(#[case] field: &str, #[case] safe: bool) {
    use stagegate::checks::workflows::expressions::is_safe_event_field;
    assert_eq!(is_safe_event_field(field), safe, "{field}");
    let r = ContextRef::Event(format!("pull_request.{field}"));
    assert_eq!(is_untrusted(&r, |_| false), !safe, "{field}");
}

#[rstest]
#[case("${{ github.event.inputs.environment }}")]
#[case("github.event.inputs.environment && github.event.inputs.use_stored_plan == 'true'")]
fn only_boolean_inputs_are_tested_for_truthiness(#[case] condition: &str) {
    assert!(truthy_string_booleans(condition, |name| name == "use_stored_plan").is_empty());
}

#[test]
fn a_truthy_boolean_is_named_once_per_reference() {
    let found = truthy_string_booleans("${{ github.event.inputs.dry && github.event.inputs.fast }}", |name| {
        name == "dry" || name == "fast"
    });
    assert_eq!(found, ["dry", "fast"]);
    let typed = |name: &str| name == "environment";
    assert!(!is_untrusted(&ContextRef::Input("environment".into()), typed));
    assert!(is_untrusted(&ContextRef::EventInput("ticket".into()), typed));
    assert!(is_untrusted(&ContextRef::HeadRef, typed));
}

#[rstest]
#[case("${{ github.ref == 'refs/heads/main' }}", "github.ref == 'refs/heads/main'")]
#[case("  github.ref == 'x'  ", "github.ref == 'x'")]
#[case("${{ a }} && ${{ b }}", "${{ a }} && ${{ b }}")]
#[case("${{ a }}-suffix", "${{ a }}-suffix")]
fn a_condition_is_read_inside_its_one_interpolation(#[case] condition: &str, #[case] expression: &str) {
    use stagegate::checks::workflows::expressions::strip_interpolation;
    assert_eq!(strip_interpolation(condition), expression);
}
