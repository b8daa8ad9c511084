//! Stage 1 rules (R01-R05, R07-R09) on named bad inputs, the sample repo, the CLI contract,
//! and properties of the Mustache scanner, the renderer and the parsers on any input.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use rstest::rstest;
use serde_json::{Value, json};
use stagegate::checks::template::mustache::{self, TagKind};
use stagegate::checks::template::{html::HtmlDocument, render};
use stagegate::checks::validate::json::JsonDocument;
use stagegate::checks::validate::source::{self, Source};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

#[derive(Debug, Clone, Copy)]
enum Cmd {
    Validate,
    Fmt,
    Scan,
}

/// Exit code and `(rule, location)` of every finding of `cmd` on `dir`.
fn run(cmd: Cmd, dir: &Path) -> (u8, Vec<(String, String)>) {
    match cmd {
        Cmd::Validate => match stagegate::checks::validate::validate(dir) {
            Ok(r) => (r.exit_code(), r.diagnostics.iter().map(|d| (d.rule.to_owned(), d.location())).collect()),
            Err(_) => (2, Vec::new()),
        },
        Cmd::Fmt => match stagegate::checks::fmt::fmt(dir, false) {
            Ok(r) => {
                let d = r.diagnostics();
                (u8::from(!d.is_empty()), d.iter().map(|d| (d.rule.to_owned(), d.location())).collect())
            }
            Err(_) => (2, Vec::new()),
        },
        Cmd::Scan => match stagegate::checks::scan::scan(dir) {
            Ok(r) => {
                (r.exit_code(), r.active().map(|f| (f.rule.id.to_owned(), format!("{}:{}", f.file, f.line))).collect())
            }
            Err(_) => (2, Vec::new()),
        },
    }
}

/// Every case of fixtures/broken, with the command that catches it, its exit code, and the
/// rule and location expected among the findings.
const CASES: &[(&str, Cmd, u8, &str, &str)] = &[
    ("json-syntax", Cmd::Validate, 1, "R01/syntax", "schemas/orders/table.json:3:3"),
    ("json-trailing-comma", Cmd::Validate, 1, "R01/syntax", "schemas/orders/table.json:3:1"),
    ("json-bom", Cmd::Validate, 1, "R01/bom", "schemas/orders/table.json:1:1"),
    ("json-duplicate-key", Cmd::Validate, 1, "R01/duplicate-key", "schemas/orders/table.json:16:3"),
    ("json-deeply-nested", Cmd::Validate, 1, "R01/too-deep", "schemas/orders/nested.json:1:128"),
    ("json-5mb", Cmd::Validate, 1, "R01/too-large", "schemas/orders/huge.json"),
    ("json-invalid-utf8", Cmd::Validate, 1, "R01/not-utf8", "schemas/orders/table.json:2:20"),
    ("table-attribute-unused", Cmd::Validate, 1, "R02/attribute-unused", "schemas/orders/table.json:8:5"),
    ("table-key-undeclared", Cmd::Validate, 1, "R02/key-undeclared", "schemas/orders/table.json:15:7"),
    ("table-attribute-type", Cmd::Validate, 1, "R02/attribute-type", "schemas/orders/table.json:6:7"),
    ("table-key-schema-order", Cmd::Validate, 1, "R02/key-schema", "schemas/orders/table.json:13:3"),
    ("table-provisioned-without-throughput", Cmd::Validate, 1, "R02/billing", "schemas/orders/table.json:1:1"),
    ("table-on-demand-with-throughput", Cmd::Validate, 1, "R02/billing", "schemas/orders/table.json:16:3"),
    ("table-name-too-short", Cmd::Validate, 1, "R02/name", "schemas/orders/table.json:2:3"),
    ("table-too-many-gsis", Cmd::Validate, 1, "R02/index-limit", "schemas/orders/table.json:100:3"),
    ("table-projection-type", Cmd::Validate, 1, "R02/projection", "schemas/orders/table.json:30:9"),
    ("table-lsi-other-hash", Cmd::Validate, 1, "R02/lsi-key", "schemas/orders/table.json:31:7"),
    ("table-unknown-parameter", Cmd::Validate, 1, "R02/unknown-field", "schemas/orders/table.json:15:3"),
    ("table-unknown-nested-member", Cmd::Validate, 1, "R02/unknown-field", "schemas/orders/table.json:31:9"),
    ("table-lsi-without-range-key", Cmd::Validate, 1, "R02/lsi-key", "schemas/orders/table.json:20:3"),
    ("table-stream-without-view", Cmd::Validate, 1, "R02/stream", "schemas/orders/table.json:16:3"),
    ("item-schema-invalid", Cmd::Validate, 1, "R02/item-schema", "schemas/orders/item.schema.json:6:7"),
    ("sample-item-invalid", Cmd::Validate, 1, "R02/sample-item", "schemas/orders/sample-items.json:8:5"),
    ("env-missing-variable", Cmd::Validate, 1, "R03/missing-variable", "environments/sit.tfvars"),
    ("env-account-of-another-environment", Cmd::Validate, 1, "R03/account-mismatch", "environments/prod.tfvars:2:18"),
    ("env-account-not-12-digits", Cmd::Validate, 1, "R03/account-format", "environments/dev.tfvars:2:18"),
    ("env-region-unknown", Cmd::Validate, 1, "R03/region", "environments/sit.tfvars:3:18"),
    ("env-syntax", Cmd::Validate, 1, "R03/syntax", "environments/dev.tfvars:5:26"),
    ("env-unknown-environment", Cmd::Validate, 1, "R03/unknown-environment", "environments/staging.tfvars"),
    ("env-name-mismatch", Cmd::Validate, 1, "R03/environment-mismatch", "environments/sit.tfvars:1:18"),
    ("env-files-missing", Cmd::Validate, 1, "R03/missing-file", "environments/prod.tfvars"),
    ("fmt-tfvars-unaligned", Cmd::Fmt, 1, "R04/not-canonical", "environments/dev.tfvars:1"),
    ("fmt-json-crlf", Cmd::Fmt, 1, "R04/not-canonical", "schemas/orders/table.json:1"),
    ("fmt-json-compact", Cmd::Fmt, 1, "R04/not-canonical", "schemas/orders/table.json:1"),
    ("scan-public-acls-allowed", Cmd::Scan, 1, "SG-S3-001", "environments/dev.tfvars:20"),
    ("scan-bucket-unencrypted", Cmd::Scan, 1, "SG-S3-005", "environments/sit.tfvars:19"),
    ("scan-state-versioning-off", Cmd::Scan, 1, "SG-STATE-002", "pipeline.yml:5"),
    ("scan-suppression-without-reason", Cmd::Scan, 1, "SG-SUP-001", "environments/prod.tfvars:19"),
    ("scan-pitr-off", Cmd::Scan, 1, "SG-SUP-001", "scan-suppressions.yml:2"),
    ("html-stray-end-tag", Cmd::Validate, 1, "R07/parse-error", "templates/shipped.html:8"),
    ("html-entity-without-semicolon", Cmd::Validate, 1, "R07/parse-error", "templates/shipped.html:8"),
    ("html-no-doctype", Cmd::Validate, 1, "R07/doctype", "templates/shipped.html:1:1"),
    ("html-no-title", Cmd::Validate, 1, "R07/missing-element", "templates/shipped.html:1"),
    ("html-script", Cmd::Validate, 1, "R07/script", "templates/shipped.html:9"),
    ("html-event-handler", Cmd::Validate, 1, "R07/event-handler", "templates/shipped.html:8"),
    ("html-placeholder-as-attribute", Cmd::Validate, 1, "R07/placeholder-in-tag", "templates/shipped.html:8"),
    ("html-javascript-url", Cmd::Validate, 1, "R07/javascript-url", "templates/shipped.html:8"),
    ("html-single-quoted-placeholder", Cmd::Validate, 1, "R07/unquoted-placeholder", "templates/shipped.html:8:11"),
    ("mustache-unterminated", Cmd::Validate, 1, "R08/unterminated-tag", "templates/shipped.html:8:28"),
    ("mustache-mismatched-section", Cmd::Validate, 1, "R08/section-mismatch", "templates/shipped.html:8:66"),
    ("mustache-unclosed-section-crlf", Cmd::Validate, 1, "R08/section-unclosed", "templates/shipped.html:8:1"),
    ("mustache-undeclared", Cmd::Validate, 1, "R08/undeclared", "templates/shipped.html:8:28"),
    ("mustache-unused", Cmd::Validate, 1, "R08/unused", "templates/shipped.sample.json:4:3"),
    ("mustache-triple-stache", Cmd::Validate, 1, "R08/unescaped", "templates/shipped.html:8:28"),
    ("mustache-ampersand", Cmd::Validate, 1, "R08/unescaped", "templates/shipped.html:8:28"),
    ("mustache-allow-without-reason", Cmd::Validate, 1, "R08/allow-without-reason", "templates/shipped.html:8:28"),
    ("mustache-partial", Cmd::Validate, 1, "R08/partial", "templates/shipped.html:9:1"),
    ("mustache-bad-name", Cmd::Validate, 1, "R08/bad-name", "templates/shipped.html:8:28"),
    ("mustache-no-sample-data", Cmd::Validate, 1, "R08/no-declaration", "templates/shipped.html"),
    ("render-breaks-markup", Cmd::Validate, 1, "R09/output-invalid", "templates/shipped.html"),
    ("render-braces-in-data", Cmd::Validate, 1, "R09/unrendered", "templates/shipped.html"),
    ("not-a-repo", Cmd::Validate, 2, "", ""),
];

#[test]
fn every_broken_case_is_caught_with_its_rule_at_its_location() {
    let mut failures = Vec::new();
    for (name, cmd, exit, rule, location) in CASES {
        let (code, findings) = run(*cmd, &fixture("broken").join(name));
        let found = rule.is_empty() || findings.iter().any(|(r, l)| r == rule && l == location);
        if code != *exit || !found {
            failures.push(format!("{name}: exit {code} (want {exit}), want {rule} at {location}, got {findings:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_directory_of_fixtures_broken_has_a_case() {
    let named: HashSet<&str> = CASES.iter().map(|c| c.0).collect();
    let dirs: Vec<String> = std::fs::read_dir(fixture("broken"))
        .expect("fixtures/broken")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(dirs.len() >= 30, "only {} broken cases", dirs.len());
    let missing: Vec<_> = dirs.iter().filter(|d| !named.contains(d.as_str())).collect();
    assert!(missing.is_empty(), "no case checks {missing:?}");
    assert_eq!(named.len(), CASES.len(), "a case is listed twice");
}

#[rstest]
#[case::validate(Cmd::Validate)]
#[case::fmt(Cmd::Fmt)]
#[case::scan(Cmd::Scan)]
fn the_sample_repo_passes(#[case] cmd: Cmd) {
    let (code, findings) = run(cmd, &fixture("repo"));
    assert_eq!(code, 0, "{findings:?}");
    if !matches!(cmd, Cmd::Scan) {
        assert!(findings.is_empty(), "{findings:?}");
    }
}

#[test]
fn fmt_rewrites_the_unaligned_environment_file_into_the_sample_one() {
    let broken = std::fs::read_to_string(fixture("broken/fmt-tfvars-unaligned/environments/dev.tfvars")).unwrap();
    let sample = std::fs::read_to_string(fixture("repo/environments/dev.tfvars")).unwrap();
    assert_ne!(broken, sample);
    assert_eq!(stagegate::checks::fmt::canonical_tfvars(&broken).unwrap(), sample);
    assert_eq!(stagegate::checks::fmt::canonical_tfvars(&sample).unwrap(), sample);
}

#[test]
fn fmt_write_makes_check_pass() {
    let dir = tempfile::tempdir().unwrap();
    let schemas = dir.path().join("schemas/orders");
    std::fs::create_dir_all(&schemas).unwrap();
    std::fs::copy(fixture("broken/fmt-json-crlf/schemas/orders/table.json"), schemas.join("table.json")).unwrap();
    assert_eq!(run(Cmd::Fmt, dir.path()).0, 1);
    let written = stagegate::checks::fmt::fmt(dir.path(), true).unwrap();
    assert_eq!(written.changed.len(), 1);
    assert_eq!(run(Cmd::Fmt, dir.path()), (0, Vec::new()));
    let text = std::fs::read_to_string(schemas.join("table.json")).unwrap();
    assert!(!text.contains('\r') && text.ends_with("}\n"));
}

#[rstest]
#[case::clean("repo", &[], 0)]
#[case::findings("broken/json-syntax", &[], 1)]
#[case::json_output("broken/table-attribute-unused", &["--format", "json"], 1)]
#[case::unusable("broken/not-a-repo", &[], 2)]
#[case::missing_dir("broken/no-such-directory", &[], 2)]
fn the_validate_command_exits_by_the_contract(#[case] dir: &str, #[case] extra: &[&str], #[case] code: i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(extra)
        .args(["validate", "--repo"])
        .arg(fixture(dir))
        .output()
        .expect("the stagegate binary runs");
    assert_eq!(out.status.code(), Some(code), "{}", String::from_utf8_lossy(&out.stderr));
    if extra.contains(&"json") {
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
        assert_eq!(v["diagnostics"][0]["rule"], "R02/attribute-unused");
        assert_eq!(v["diagnostics"][0]["path"], "$.AttributeDefinitions[1]");
    }
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let report = stagegate::checks::scan::scan(&fixture("broken/scan-suppression-without-reason")).unwrap();
    let sarif = report.to_sarif();
    // The OASIS schema, with the `language` pattern's stray `]` removed (a known erratum that
    // strict regex engines refuse).
    let schema: Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).expect("the SARIF schema parses");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_i64() >= Some(1)));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let s3 = rules.iter().find(|r| r["id"] == "SG-S3-001").unwrap();
    assert_eq!(s3["properties"]["security-severity"], "8.0");
    assert!(s3["properties"]["tags"].as_array().unwrap().contains(&json!("AVD-AWS-0086")));
}

#[test]
fn a_suppression_with_a_reason_silences_its_finding() {
    let dir = tempfile::tempdir().unwrap();
    let base = fixture("broken/scan-bucket-unencrypted");
    std::fs::create_dir_all(dir.path().join("environments")).unwrap();
    for env in ["dev", "sit", "prod"] {
        let rel = format!("environments/{env}.tfvars");
        std::fs::copy(base.join(&rel), dir.path().join(&rel)).unwrap();
    }
    assert_eq!(run(Cmd::Scan, dir.path()).0, 1);
    std::fs::write(
        dir.path().join("scan-suppressions.yml"),
        "suppressions:\n  - rule: SG-S3-005\n    resource: s3/bbws-templates-sit\n    reason: SIT holds only synthetic templates; tracked in SEC-42\n",
    )
    .unwrap();
    let report = stagegate::checks::scan::scan(dir.path()).unwrap();
    assert_eq!(report.exit_code(), 0);
    let suppressed = report.findings.iter().find(|f| f.rule.id == "SG-S3-005").unwrap();
    assert_eq!(suppressed.suppressed.as_ref().unwrap().reason, "SIT holds only synthetic templates; tracked in SEC-42");
}

/// A template built from balanced pieces, and the tags a scanner must find in it.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Var(String),
    Section(String, bool, Vec<Piece>),
}

fn piece() -> impl Strategy<Value = Piece> {
    let name = "[a-z][a-zA-Z0-9_]{0,8}";
    let leaf = prop_oneof!["[^{}]{0,12}".prop_map(Piece::Text), name.prop_map(Piece::Var),];
    leaf.prop_recursive(4, 24, 4, move |inner| {
        (name, any::<bool>(), prop::collection::vec(inner, 0..4))
            .prop_map(|(n, inv, body)| Piece::Section(n, inv, body))
    })
}

fn write(pieces: &[Piece], out: &mut String, tags: &mut Vec<(TagKind, String)>) {
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(n) => {
                out.push_str(&format!("{{{{{n}}}}}"));
                tags.push((TagKind::Escaped, n.clone()));
            }
            Piece::Section(n, inverted, body) => {
                let (sigil, kind) = if *inverted { ('^', TagKind::Inverted) } else { ('#', TagKind::Section) };
                out.push_str(&format!("{{{{{sigil}{n}}}}}"));
                tags.push((kind, n.clone()));
                write(body, out, tags);
                out.push_str(&format!("{{{{/{n}}}}}"));
                tags.push((TagKind::Close, n.clone()));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_scanner_never_panics_and_its_tags_point_at_themselves(text in "(\\PC|\\{\\{|\\}\\}|[#^/&>!=.{}\\n\\r])*") {
        let scan = mustache::scan(&text);
        for t in &scan.tags {
            prop_assert!(text[t.start..t.end].starts_with("{{") && text[t.start..t.end].ends_with("}}"));
            prop_assert!(t.line >= 1 && t.column >= 1);
        }
        let _ = mustache::sections(&scan.tags);
        let _ = render::render(&text, &json!({"a": "x", "b": [ {"c": 1} ]}));
    }

    #[test]
    fn balanced_generated_templates_round_trip(pieces in prop::collection::vec(piece(), 0..6)) {
        let mut text = String::new();
        let mut expected = Vec::new();
        write(&pieces, &mut text, &mut expected);
        let scan = mustache::scan(&text);
        prop_assert!(scan.problems.is_empty(), "{:?}", scan.problems);
        let found: Vec<(TagKind, String)> = scan.tags.iter().map(|t| (t.kind, t.name.clone())).collect();
        prop_assert_eq!(found, expected);
        prop_assert!(mustache::sections(&scan.tags).is_empty());
        let rendered = render::render(&text, &json!({}));
        prop_assert!(rendered.is_ok(), "{:?}", rendered);
    }

    #[test]
    fn escaping_holds_for_any_string(value in "\\PC*") {
        let escaped = render::render("{{v}}", &json!({"v": value})).unwrap();
        prop_assert!(!escaped.contains(['<', '>', '"']), "{}", escaped);
        let unescaped = escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
        prop_assert_eq!(&unescaped, &value);
        let out = render::render("<p title=\"{{v}}\">{{v}}</p>", &json!({"v": value})).unwrap();
        let page = format!("<!DOCTYPE html><html><head><title>t</title></head><body>{out}</body></html>");
        let errors = HtmlDocument::parse(&page).errors;
        prop_assert!(errors.is_empty(), "{:?}", errors);
    }

    #[test]
    fn the_parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = HtmlDocument::parse(&text);
        let _ = stagegate::checks::fmt::canonical_json(&text);
        let _ = stagegate::checks::fmt::canonical_tfvars(&text);
        let _ = stagegate::checks::validate::environment::check_text("environments/dev.tfvars", &text, stagegate::Environment::Dev, &Default::default());
        if let Ok(source) = Source::from_bytes("schemas/x/table.json", bytes, source::JSON_FILE) {
            let mut findings = Vec::new();
            if let Some(doc) = JsonDocument::parse(&source, &mut findings) {
                let _ = stagegate::checks::validate::table::check(Path::new("/nonexistent"), "schemas/x/table.json", &doc);
            }
        }
    }

    #[test]
    fn any_table_shaped_json_gets_findings_not_panics(
        names in prop::collection::vec("[a-z]{0,4}", 0..4),
        kinds in prop::collection::vec("[SNBX]", 0..4),
        billing in prop::option::of("PAY_PER_REQUEST|PROVISIONED|OTHER"),
        gsis in 0usize..25,
    ) {
        let defs: Vec<Value> = names.iter().zip(kinds.iter()).map(|(n, k)| json!({"AttributeName": n, "AttributeType": k})).collect();
        let keys: Vec<Value> = names.iter().take(2).enumerate().map(|(i, n)| json!({"AttributeName": n, "KeyType": if i == 0 { "HASH" } else { "RANGE" }})).collect();
        let indexes: Vec<Value> = (0..gsis).map(|i| json!({"IndexName": format!("i{i}"), "KeySchema": keys, "Projection": {"ProjectionType": "ALL"}})).collect();
        let table = json!({"TableName": names.concat(), "AttributeDefinitions": defs, "KeySchema": keys, "BillingMode": billing, "GlobalSecondaryIndexes": indexes});
        let text = serde_json::to_string_pretty(&table).unwrap();
        let source = Source::from_bytes("schemas/x/table.json", text.into_bytes(), source::JSON_FILE).unwrap();
        let doc = JsonDocument::parse(&source, &mut Vec::new()).unwrap();
        let findings = stagegate::checks::validate::table::check(Path::new("/nonexistent"), "schemas/x/table.json", &doc);
        if gsis > 20 {
            prop_assert!(findings.iter().any(|d| d.rule == "R02/index-limit"));
        }
        prop_assert!(findings.iter().all(|d| d.line >= 1));
    }
}

#[rstest]
#[case::text("scan-bucket-unencrypted", "text", 1)]
#[case::sarif("scan-bucket-unencrypted", "sarif", 1)]
#[case::json_on_a_passing_repo("../repo", "json", 0)]
fn the_scan_command_fails_on_high_findings_in_every_format(#[case] dir: &str, #[case] format: &str, #[case] code: i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(["--format", format, "scan", "--repo"])
        .arg(fixture("broken").join(dir))
        .output()
        .expect("the stagegate binary runs");
    assert_eq!(out.status.code(), Some(code), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    match format {
        "sarif" => {
            let v: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
            assert_eq!(v["version"], "2.1.0");
            assert_eq!(v["runs"][0]["results"][0]["ruleId"], "SG-S3-005");
        }
        "json" => {
            let v: Value = serde_json::from_str(&stdout).expect("JSON output");
            assert_eq!(v["failed"], false);
        }
        _ => assert!(stdout.contains("HIGH SG-S3-005"), "{stdout}"),
    }
}

/// Which JSON files Stage 1 reads as table definitions: every `table.json`, whatever it holds,
/// and any other file with a table's keys, but never an item schema or the sample items.
#[rstest]
#[case::an_empty_table_json("schemas/tenants/table.json", json!({}), true)]
#[case::a_table_json_that_is_not_an_object("schemas/tenants/table.json", json!([1]), true)]
#[case::another_name_with_a_table_name("schemas/tenants/legacy.json", json!({"TableName": "tenants"}), true)]
#[case::another_name_with_key_schema("schemas/tenants/legacy.json", json!({"KeySchema": []}), true)]
#[case::another_name_with_attribute_definitions("schemas/x/t.json", json!({"AttributeDefinitions": []}), true)]
#[case::another_name_without_them("schemas/tenants/notes.json", json!({"owner": "x"}), false)]
#[case::an_item_schema_naming_a_table("schemas/tenants/item.schema.json", json!({"TableName": "tenants"}), false)]
#[case::sample_items_naming_a_table("schemas/tenants/sample-items.json", json!({"TableName": "tenants"}), false)]
fn what_stage_1_reads_as_a_table_definition(#[case] rel: &str, #[case] value: Value, #[case] is_table: bool) {
    assert_eq!(stagegate::checks::validate::table::is_table_definition(rel, &value), is_table);
}

/// The `(rule, JSON path, message)` of every finding of a table definition, checked on its own.
fn table_findings(table: &Value) -> Vec<(String, String, String)> {
    let text = serde_json::to_string_pretty(table).unwrap();
    let source = Source::from_bytes("schemas/x/table.json", text.into_bytes(), source::JSON_FILE).unwrap();
    let doc = JsonDocument::parse(&source, &mut Vec::new()).unwrap();
    stagegate::checks::validate::table::check(Path::new("/nonexistent"), "schemas/x/table.json", &doc)
        .into_iter()
        .map(|d| (d.rule.to_owned(), d.path.unwrap_or_default(), d.message))
        .collect()
}

fn table_with_keys(keys: Value) -> Value {
    let mut t = json!({
        "TableName": "orders",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "S"}
        ]
    });
    if !keys.is_null() {
        t["KeySchema"] = keys;
    }
    t
}

/// R02: CreateTable takes one HASH key, optionally followed by one RANGE key; a missing key
/// schema is reported as missing, one of the wrong type as such, never both.
#[rstest]
#[case::missing(Value::Null, "R02/missing-field", "$", "KeySchema is missing")]
#[case::not_an_array(json!("id"), "R02/wrong-type", "$.KeySchema", "KeySchema must be an array")]
#[case::two_hash_keys(
    json!([{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "HASH"}]),
    "R02/key-schema", "$.KeySchema", "the key schema is [HASH, HASH]"
)]
#[case::two_range_keys(
    json!([{"AttributeName": "id", "KeyType": "RANGE"}, {"AttributeName": "at", "KeyType": "RANGE"}]),
    "R02/key-schema", "$.KeySchema", "the key schema is [RANGE, RANGE]"
)]
#[case::range_first(
    json!([{"AttributeName": "at", "KeyType": "RANGE"}, {"AttributeName": "id", "KeyType": "HASH"}]),
    "R02/key-schema", "$.KeySchema", "the key schema is [RANGE, HASH]"
)]
fn a_bad_key_schema_is_one_finding_at_its_place(
    #[case] keys: Value,
    #[case] rule: &str,
    #[case] path: &str,
    #[case] says: &str,
) {
    let key_findings: Vec<_> = table_findings(&table_with_keys(keys))
        .into_iter()
        .filter(|(_, p, _)| !p.starts_with("$.AttributeDefinitions"))
        .collect();
    assert_eq!(key_findings.len(), 1, "{key_findings:?}");
    let (r, p, m) = &key_findings[0];
    assert_eq!((r.as_str(), p.as_str()), (rule, path), "{m}");
    assert!(m.starts_with(says), "{m}");
}

#[test]
fn a_hash_then_range_key_schema_is_clean() {
    let keys = json!([{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}]);
    assert_eq!(table_findings(&table_with_keys(keys)), Vec::new());
}

fn table_with_index_projection(projection: Value) -> Value {
    let mut t = table_with_keys(json!([{"AttributeName": "id", "KeyType": "HASH"}]));
    t["GlobalSecondaryIndexes"] = json!([{
        "IndexName": "by-at",
        "KeySchema": [{"AttributeName": "at", "KeyType": "HASH"}],
        "Projection": projection
    }]);
    t
}

/// R02, as CreateTable's Projection: NonKeyAttributes only with INCLUDE, and INCLUDE only with them.
#[rstest]
#[case::all(json!({"ProjectionType": "ALL"}), None)]
#[case::keys_only(json!({"ProjectionType": "KEYS_ONLY"}), None)]
#[case::include(json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total"]}), None)]
#[case::all_with_attributes(
    json!({"ProjectionType": "ALL", "NonKeyAttributes": ["total"]}),
    Some(("Projection.NonKeyAttributes", "NonKeyAttributes is only allowed with INCLUDE, not ALL"))
)]
#[case::keys_only_with_attributes(
    json!({"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["total"]}),
    Some(("Projection.NonKeyAttributes", "NonKeyAttributes is only allowed with INCLUDE, not KEYS_ONLY"))
)]
#[case::include_without_attributes(
    json!({"ProjectionType": "INCLUDE"}),
    Some(("Projection", "INCLUDE needs at least one NonKeyAttributes entry"))
)]
#[case::include_with_none_listed(
    json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": []}),
    Some(("Projection", "INCLUDE needs at least one NonKeyAttributes entry"))
)]
#[case::unknown_type(
    json!({"ProjectionType": "EVERYTHING"}),
    Some(("Projection.ProjectionType", "ProjectionType \"EVERYTHING\" is not ALL, KEYS_ONLY or INCLUDE"))
)]
#[case::no_type(json!({}), Some(("Projection", "ProjectionType is missing")))]
fn an_index_projection_is_checked_as_createtable_does(
    #[case] projection: Value,
    #[case] finding: Option<(&str, &str)>,
) {
    let found = table_findings(&table_with_index_projection(projection));
    let expected: Vec<(String, String, String)> = finding
        .into_iter()
        .map(|(at, says)| ("R02/projection".into(), format!("$.GlobalSecondaryIndexes[0].{at}"), says.into()))
        .collect();
    assert_eq!(found, expected);
}

/// R02, as CreateTable's BillingMode: PROVISIONED needs whole capacities of at least 1, and
/// PAY_PER_REQUEST takes none.
#[rstest]
#[case::one_each("PROVISIONED", json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}), &[])]
#[case::more("PROVISIONED", json!({"ReadCapacityUnits": 5, "WriteCapacityUnits": 40000}), &[])]
#[case::zero_reads(
    "PROVISIONED", json!({"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}),
    &["$.ProvisionedThroughput.ReadCapacityUnits"]
)]
#[case::negative_writes(
    "PROVISIONED", json!({"ReadCapacityUnits": 2, "WriteCapacityUnits": -3}),
    &["$.ProvisionedThroughput.WriteCapacityUnits"]
)]
#[case::not_whole("PROVISIONED", json!({"ReadCapacityUnits": 1.5, "WriteCapacityUnits": 1}), &["$.ProvisionedThroughput.ReadCapacityUnits"])]
#[case::none_given("PROVISIONED", Value::Null, &["$"])]
#[case::on_demand_with_capacity("PAY_PER_REQUEST", json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}), &["$.ProvisionedThroughput"])]
fn table_capacity_follows_its_billing_mode(#[case] billing: &str, #[case] throughput: Value, #[case] at: &[&str]) {
    let mut t = table_with_keys(
        json!([{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}]),
    );
    t["BillingMode"] = json!(billing);
    if !throughput.is_null() {
        t["ProvisionedThroughput"] = throughput;
    }
    let found: Vec<(String, String)> = table_findings(&t).into_iter().map(|(r, p, _)| (r, p)).collect();
    let expected: Vec<(String, String)> = at.iter().map(|p| ("R02/billing".to_owned(), (*p).to_owned())).collect();
    assert_eq!(found, expected);
}

/// Missing AttributeDefinitions is reported as missing; of the wrong type, as such; never both.
#[rstest]
#[case::missing(Value::Null, "R02/missing-field", "$", "AttributeDefinitions is missing")]
#[case::not_an_array(json!({"id": "S"}), "R02/wrong-type", "$.AttributeDefinitions", "AttributeDefinitions must be an array")]
fn attribute_definitions_missing_or_mistyped_is_one_finding(
    #[case] defs: Value,
    #[case] rule: &str,
    #[case] path: &str,
    #[case] says: &str,
) {
    let mut t = table_with_keys(json!([{"AttributeName": "id", "KeyType": "HASH"}]));
    match defs {
        Value::Null => drop(t.as_object_mut().unwrap().remove("AttributeDefinitions")),
        other => t["AttributeDefinitions"] = other,
    }
    let about: Vec<_> =
        table_findings(&t).into_iter().filter(|(_, _, m)| m.starts_with("AttributeDefinitions")).collect();
    assert_eq!(about, [(rule.to_owned(), path.to_owned(), says.to_owned())]);
}

/// CreateTable's index limits: 20 global and 5 local secondary indexes, each allowed exactly.
#[rstest]
#[case::twenty_global("GlobalSecondaryIndexes", 20, false)]
#[case::twenty_one_global("GlobalSecondaryIndexes", 21, true)]
#[case::five_local("LocalSecondaryIndexes", 5, false)]
#[case::six_local("LocalSecondaryIndexes", 6, true)]
fn index_counts_are_held_to_createtables_limits(#[case] key: &str, #[case] n: usize, #[case] refused: bool) {
    let mut t = table_with_keys(
        json!([{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}]),
    );
    let local = key == "LocalSecondaryIndexes";
    t[key] = (0..n)
        .map(|i| {
            let keys = if local {
                json!([{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}])
            } else {
                json!([{"AttributeName": "at", "KeyType": "HASH"}])
            };
            json!({"IndexName": format!("index-{i}"), "KeySchema": keys, "Projection": {"ProjectionType": "KEYS_ONLY"}})
        })
        .collect();
    let limits: Vec<_> = table_findings(&t).into_iter().filter(|(r, _, _)| r == "R02/index-limit").collect();
    assert_eq!(limits.len(), usize::from(refused), "{limits:?}");
}

fn hash_and_range() -> Value {
    table_with_keys(json!([{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}]))
}

/// The rest of CreateTable's rules (R02), each on a table otherwise clean: the `(rule, path)`
/// of every finding.
#[rstest]
#[case::unknown_member_of_an_attribute_definition(
    "/AttributeDefinitions/0/Kind", json!("x"), &[("R02/unknown-field", "$.AttributeDefinitions[0].Kind")]
)]
#[case::unknown_member_of_a_key(
    "/KeySchema/1/Order", json!(1), &[("R02/unknown-field", "$.KeySchema[1].Order")]
)]
#[case::the_same_attribute_as_both_keys(
    "/KeySchema/1/AttributeName", json!("id"),
    &[("R02/key-schema", "$.KeySchema"), ("R02/attribute-unused", "$.AttributeDefinitions[1]")]
)]
#[case::a_stream_with_its_view("/StreamSpecification", json!({"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"}), &[])]
#[case::a_stream_off("/StreamSpecification", json!({"StreamEnabled": false}), &[])]
#[case::a_stream_without_a_view(
    "/StreamSpecification", json!({"StreamEnabled": true}), &[("R02/stream", "$.StreamSpecification")]
)]
#[case::a_stream_with_an_unknown_view(
    "/StreamSpecification", json!({"StreamEnabled": true, "StreamViewType": "ALL"}),
    &[("R02/stream", "$.StreamSpecification.StreamViewType")]
)]
#[case::a_stream_off_with_a_view(
    "/StreamSpecification", json!({"StreamEnabled": false, "StreamViewType": "KEYS_ONLY"}),
    &[("R02/stream", "$.StreamSpecification.StreamViewType")]
)]
#[case::a_stream_without_enabled(
    "/StreamSpecification", json!({"StreamViewType": "KEYS_ONLY"}), &[("R02/stream", "$.StreamSpecification")]
)]
#[case::an_attribute_projected_twice(
    "/GlobalSecondaryIndexes",
    json!([{"IndexName": "by-at", "KeySchema": [{"AttributeName": "at", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total", "total"]}}]),
    &[("R02/projection", "$.GlobalSecondaryIndexes[0].Projection.NonKeyAttributes")]
)]
#[case::a_hundred_projected(
    "/GlobalSecondaryIndexes",
    json!([{"IndexName": "by-at", "KeySchema": [{"AttributeName": "at", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": (0..100).map(|i| format!("a{i}")).collect::<Vec<_>>()}}]),
    &[]
)]
#[case::a_hundred_and_one_projected(
    "/GlobalSecondaryIndexes",
    json!([{"IndexName": "by-at", "KeySchema": [{"AttributeName": "at", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": (0..101).map(|i| format!("a{i}")).collect::<Vec<_>>()}}]),
    &[("R02/index-limit", "$")]
)]
fn the_rest_of_createtables_rules(#[case] pointer: &str, #[case] value: Value, #[case] expected: &[(&str, &str)]) {
    let mut t = hash_and_range();
    let (parent, member) = pointer.rsplit_once('/').expect("a JSON pointer");
    let owner = if parent.is_empty() { &mut t } else { t.pointer_mut(parent).expect("the member's owner") };
    owner[member] = value;
    let found: Vec<(String, String)> = table_findings(&t).into_iter().map(|(r, p, _)| (r, p)).collect();
    let expected: Vec<(String, String)> = expected.iter().map(|(r, p)| ((*r).to_owned(), (*p).to_owned())).collect();
    assert_eq!(found, expected);
}

/// A global index's own ProvisionedThroughput takes only CreateTable's two members.
#[test]
fn an_unknown_member_of_an_index_throughput_is_refused() {
    let mut t = hash_and_range();
    t["BillingMode"] = json!("PROVISIONED");
    t["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1});
    t["GlobalSecondaryIndexes"] = json!([{
        "IndexName": "by-at",
        "KeySchema": [{"AttributeName": "at", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1, "BurstUnits": 5}
    }]);
    let found: Vec<(String, String)> = table_findings(&t).into_iter().map(|(r, p, _)| (r, p)).collect();
    assert_eq!(
        found,
        [("R02/unknown-field".to_owned(), "$.GlobalSecondaryIndexes[0].ProvisionedThroughput.BurstUnits".to_owned())]
    );
}

/// R02: a local secondary index takes the table's HASH key and a RANGE key of its own; one
/// with both is clean, one without its RANGE key is one finding at its key schema.
#[rstest]
#[case::with_a_range_key(json!([{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "total", "KeyType": "RANGE"}]), &[])]
#[case::without_a_range_key(
    json!([{"AttributeName": "id", "KeyType": "HASH"}]),
    &[("R02/lsi-key", "$.LocalSecondaryIndexes[0].KeySchema"), ("R02/attribute-unused", "$.AttributeDefinitions[2]")]
)]
fn a_local_index_needs_its_own_range_key(#[case] keys: Value, #[case] expected: &[(&str, &str)]) {
    let mut t = hash_and_range();
    t["AttributeDefinitions"].as_array_mut().unwrap().push(json!({"AttributeName": "total", "AttributeType": "N"}));
    t["LocalSecondaryIndexes"] =
        json!([{"IndexName": "by-total", "KeySchema": keys, "Projection": {"ProjectionType": "KEYS_ONLY"}}]);
    let found: Vec<(String, String)> = table_findings(&t).into_iter().map(|(r, p, _)| (r, p)).collect();
    let expected: Vec<(String, String)> = expected.iter().map(|(r, p)| ((*r).to_owned(), (*p).to_owned())).collect();
    assert_eq!(found, expected);
}

mod stage_1_report {
    //! How `validate` reads a repo and reports what it found: the file count, the report's
    //! text, JSON and timings, positions, JSON paths and the file size limit.

    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use serde_json::json;
    use stagegate::checks::validate::diagnostic::{Diagnostic, LineIndex};
    use stagegate::checks::validate::json::{self, JsonDocument, JsonPath};
    use stagegate::checks::validate::source::{self, MAX_FILE_BYTES, Source};
    use stagegate::checks::validate::{self as validate, Report, Timings, ValidateError};

    use super::fixture;

    /// A copy of the sample repo to change.
    fn sample_repo_copy() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        stagegate::foundation::repo::copy_tree(&fixture("repo"), dir.path()).unwrap();
        dir
    }

    /// Every file under `dir`, relative to it.
    fn all_files(dir: &Path, rel: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir.join(rel)).unwrap().flatten() {
            let name = format!("{rel}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                all_files(dir, &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }

    #[test]
    fn validate_counts_every_file_it_reads_once() {
        let repo = fixture("repo");
        let mut files = Vec::new();
        all_files(&repo, "", &mut files);
        // Workflows are `lint-workflows`' input; a template's sample is read with its template.
        let read = files.iter().filter(|f| !f.starts_with(".github/") && !f.ends_with(".sample.json")).count();
        let report = validate::validate(&repo).unwrap();
        assert_eq!(report.files, read, "{files:#?}");
        assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    }

    #[test]
    fn a_repo_with_nothing_to_parallelise_is_still_validated() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        let report = validate::validate(dir.path()).unwrap();
        assert_eq!((report.files, report.diagnostics.len(), report.exit_code()), (0, 0, 0));
    }

    #[test]
    fn only_a_directory_that_looks_like_an_infra_repo_is_opened() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(validate::open(dir.path()), Err(ValidateError::NotARepo { .. })));
        let file = dir.path().join("pipeline.yml");
        std::fs::write(&file, "").unwrap();
        match validate::open(&file) {
            Err(ValidateError::Unreadable { reason, .. }) => assert_eq!(reason, "not a directory"),
            other => panic!("{other:?}"),
        }
        assert_eq!(validate::open(dir.path()).unwrap(), dir.path());
    }

    #[test]
    fn the_files_under_a_folder_are_found_at_any_depth_by_their_suffix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("schemas/b/c")).unwrap();
        for f in ["schemas/z.json", "schemas/b/c/a.json", "schemas/b/notes.txt", "schemas/b/json"] {
            std::fs::write(dir.path().join(f), "{}").unwrap();
        }
        assert_eq!(validate::files_under(dir.path(), "schemas", ".json"), ["schemas/b/c/a.json", "schemas/z.json"]);
        assert!(validate::files_under(dir.path(), "templates", ".html").is_empty());
    }

    fn report_with(diagnostics: Vec<Diagnostic>) -> Report {
        Report { repo: PathBuf::from("infra"), files: 3, diagnostics, timings: Timings::default() }
    }

    #[test]
    fn the_validate_report_reads_as_documented() {
        let clean = report_with(Vec::new());
        assert_eq!((clean.exit_code(), clean.to_string()), (0, "infra: 3 files, no findings\n".to_owned()));
        let one = Diagnostic::new("schemas/t/table.json", "R01/syntax", "expected value", "fix it").at(2, 5);
        let two =
            Diagnostic::new("environments/qa.tfvars", "R03/unknown-environment", "\"qa\" is not", "").with_path("$.x");
        let single = report_with(vec![one.clone()]);
        assert_eq!(
            single.to_string(),
            "schemas/t/table.json:2:5: R01/syntax: expected value\n    hint: fix it\ninfra: 3 files, 1 finding\n"
        );
        let report = report_with(vec![one, two]);
        assert_eq!(report.exit_code(), 1);
        assert_eq!(
            report.to_string(),
            "schemas/t/table.json:2:5: R01/syntax: expected value\n    hint: fix it\n\
             environments/qa.tfvars: R03/unknown-environment: \"qa\" is not (at $.x)\n\
             infra: 3 files, 2 findings\n"
        );
        assert_eq!(
            report.to_json(),
            json!({
                "repo": "infra",
                "files": 3,
                "findings": 2,
                "diagnostics": [
                    {"file": "schemas/t/table.json", "line": 2, "column": 5, "rule": "R01/syntax",
                     "message": "expected value", "hint": "fix it"},
                    {"file": "environments/qa.tfvars", "line": 0, "column": 0, "rule": "R03/unknown-environment",
                     "message": "\"qa\" is not", "path": "$.x", "hint": ""},
                ],
            })
        );
    }

    #[test]
    fn the_timings_table_gives_each_stage_in_milliseconds() {
        let mut report = report_with(Vec::new());
        report.timings = Timings {
            schemas: Duration::from_micros(1500),
            environments: Duration::from_micros(250),
            templates: Duration::from_millis(12),
            pipeline_files: Duration::ZERO,
            total: Duration::from_micros(14_750),
        };
        assert_eq!(
            report.timings_table(),
            "schemas             1.5 ms\nenvironments        0.2 ms\ntemplates          12.0 ms\n\
             pipeline files      0.0 ms\ntotal              14.8 ms (3 files)\n"
        );
    }

    #[test]
    fn a_location_leaves_out_what_is_unknown() {
        let d = Diagnostic::new("pipeline.yml", "R64/pipeline", "m", "");
        assert_eq!(d.location(), "pipeline.yml");
        assert_eq!(d.clone().at(4, 0).location(), "pipeline.yml:4");
        assert_eq!(d.clone().at(4, 7).location(), "pipeline.yml:4:7");
        assert_eq!(d.at(4, 7).to_string(), "pipeline.yml:4:7: R64/pipeline: m");
    }

    #[test]
    fn a_byte_offset_maps_to_line_and_character_column() {
        // "é" is two bytes: offsets 4 and 5.
        let text = "ab\ncé\nd";
        let lines = LineIndex::new(text);
        let cases = [(0, (1, 1)), (2, (1, 3)), (3, (2, 1)), (4, (2, 2)), (5, (2, 2)), (6, (2, 3)), (7, (3, 1))];
        for (offset, expected) in cases {
            assert_eq!(lines.position(offset), expected, "offset {offset}");
        }
        assert_eq!(lines.position(100), (3, 2), "past the end is the end");
    }

    fn json_findings(text: &str) -> (Option<serde_json::Value>, Vec<Diagnostic>) {
        let source = Source::from_bytes("schemas/x/data.json", text.as_bytes().to_vec(), source::JSON_FILE).unwrap();
        let mut findings = Vec::new();
        let value = JsonDocument::parse(&source, &mut findings).map(|d| d.value);
        (value, findings)
    }

    #[test]
    fn a_duplicate_key_inside_an_array_is_found_at_its_place() {
        let (value, findings) =
            json_findings("{\n  \"a\": [\n    {\"k\": 1,\n     \"k\": 2}\n  ],\n  \"b\": {\"c\": 1}\n}\n");
        assert!(value.is_some());
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let d = &findings[0];
        assert_eq!(
            (d.rule, d.location(), d.path.as_deref()),
            (json::DUPLICATE_KEY, "schemas/x/data.json:4:6".to_owned(), Some("$.a[0].k"))
        );
        assert!(d.message.starts_with("key \"k\" appears more than once"), "{}", d.message);
    }

    #[test]
    fn a_syntax_error_says_what_is_wrong_without_repeating_the_position() {
        let (value, findings) = json_findings("{\n  \"a\": x\n}\n");
        assert!(value.is_none());
        let d = &findings[0];
        assert_eq!((d.rule, d.line, d.column), (json::SYNTAX, 2, 8));
        assert_eq!(d.message, "expected value");
        assert!(d.hint.contains("jq"), "{}", d.hint);
    }

    #[test]
    fn a_json_path_quotes_keys_that_are_not_identifiers() {
        let path = JsonPath::root().key("Indexes").index(0).key("Index-Name").key("").key("a_b1");
        assert_eq!(path.to_string(), "$.Indexes[0][\"Index-Name\"][\"\"].a_b1");
        assert_eq!(JsonPath::root().to_string(), "$");
        assert_eq!(JsonPath::root().key("a").join(&JsonPath::root().index(2).key("b")).to_string(), "$.a[2].b");
    }

    #[test]
    fn a_path_is_placed_at_its_value_or_its_nearest_ancestor() {
        let text = "{\n  \"a\": [\n    1,\n    {\"b\": true}\n  ],\n  \"a\": [7]\n}\n";
        let source = Source::from_bytes("schemas/x/data.json", text.as_bytes().to_vec(), source::JSON_FILE).unwrap();
        let doc = JsonDocument::parse(&source, &mut Vec::new()).unwrap();
        // Where a key repeats, the last one is the value serde_json keeps.
        assert_eq!(doc.position(&JsonPath::root().key("a")), (6, 3));
        assert_eq!(doc.position(&JsonPath::root().key("a").index(0)), (6, 9));
        assert_eq!(doc.position(&JsonPath::root().key("a").index(3)), (6, 3));
        assert_eq!(doc.position(&JsonPath::root().key("z")), (1, 1));
        let f = doc.finding("schemas/x/data.json", "R02/x", &JsonPath::root().key("a"), "m", "h");
        assert_eq!((f.location(), f.path.as_deref()), ("schemas/x/data.json:6:3".to_owned(), Some("$.a")));
    }

    const MINIMAL_TABLE: &str = "{\n  \"TableName\": \"orders\",\n  \"BillingMode\": \"PAY_PER_REQUEST\",\n  \"AttributeDefinitions\": [{\"AttributeName\": \"id\", \"AttributeType\": \"S\"}],\n  \"KeySchema\": [{\"AttributeName\": \"id\", \"KeyType\": \"HASH\"}]\n}\n";

    fn schema_file_rules(text: &str) -> Vec<(&'static str, String)> {
        schema_file_rules_at("schemas/orders/table.json", text)
    }

    fn schema_file_rules_at(rel: &str, text: &str) -> Vec<(&'static str, String)> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("schemas/orders")).unwrap();
        std::fs::write(dir.path().join(rel), text).unwrap();
        validate::check_schema_file(dir.path(), rel).into_iter().map(|d| (d.rule, d.location())).collect()
    }

    #[test]
    fn a_duplicate_key_is_reported_once_beside_the_table_findings() {
        assert_eq!(schema_file_rules(MINIMAL_TABLE), []);
        let duplicated = MINIMAL_TABLE
            .replace("\"TableName\": \"orders\",", "\"TableName\": \"orders\",\n  \"TableName\": \"orders\",");
        assert_eq!(schema_file_rules(&duplicated), [("R01/duplicate-key", "schemas/orders/table.json:3:3".to_owned())]);
        let both = duplicated.replace("\"BillingMode\"", "\"Billing\": 1,\n  \"BillingMode\"");
        let rules: Vec<_> = schema_file_rules(&both).into_iter().map(|(rule, _)| rule).collect();
        assert_eq!(rules, ["R01/duplicate-key", "R02/unknown-field"], "the table's own findings stay");
        let unknown = MINIMAL_TABLE.replace("\"TableName\"", "\"Tablename\": 1,\n  \"TableName\"");
        let found = schema_file_rules(&unknown);
        assert!(!found.is_empty() && found.iter().all(|(rule, _)| rule.starts_with("R02/")), "{found:?}");
        assert_eq!(
            schema_file_rules_at("schemas/orders/notes.json", "{\"owner\": \"x\", \"owner\": \"y\"}"),
            [("R01/duplicate-key", "schemas/orders/notes.json:1:16".to_owned())],
            "not a table definition"
        );
        assert_eq!(schema_file_rules("{"), [("R01/syntax", "schemas/orders/table.json:1:1".to_owned())]);
    }

    #[test]
    fn an_environment_file_in_another_case_is_not_that_environment() {
        let repo = sample_repo_copy();
        let env = repo.path().join("environments");
        std::fs::rename(env.join("dev.tfvars"), env.join("DEV.tfvars")).unwrap();
        let report = validate::validate(repo.path()).unwrap();
        let rules: Vec<_> = report.diagnostics.iter().map(|d| (d.rule, d.file.as_str())).collect();
        assert!(rules.contains(&("R03/unknown-environment", "environments/DEV.tfvars")), "{rules:?}");
        assert!(rules.contains(&("R03/missing-file", "environments/dev.tfvars")), "{rules:?}");
    }

    #[rstest::rstest]
    #[case::beside_the_table("item.schema.json", false)]
    #[case::through_the_parent_folder("../tenants/item.schema.json", true)]
    #[case::absolute("/etc/item.schema.json", true)]
    #[case::missing("items.json", true)]
    fn an_item_schema_outside_the_tables_folder_or_missing_is_refused(#[case] file: &str, #[case] refused: bool) {
        let repo = sample_repo_copy();
        let table = repo.path().join("schemas/tenants/table.json");
        let text = std::fs::read_to_string(&table).unwrap();
        std::fs::write(
            &table,
            text.replace("\"ItemSchema\": \"item.schema.json\"", &format!("\"ItemSchema\": {file:?}")),
        )
        .unwrap();
        let found: Vec<_> = validate::check_schema_file(repo.path(), "schemas/tenants/table.json")
            .into_iter()
            .map(|d| (d.rule, d.path.unwrap_or_default()))
            .collect();
        let expected = if refused { vec![("R02/item-schema", "$.Stagegate.ItemSchema".to_owned())] } else { vec![] };
        assert_eq!(found, expected);
    }

    #[test]
    fn a_cost_file_finding_names_the_file_from_the_repo_root() {
        let repo = sample_repo_copy();
        let usage = repo.path().join("cost/usage-dev.yml");
        let text = std::fs::read_to_string(&usage).unwrap();
        std::fs::write(&usage, format!("{text}surprise: 1\n")).unwrap();
        let report = validate::validate(repo.path()).unwrap();
        let found: Vec<_> = report.diagnostics.iter().map(|d| (d.rule, d.file.as_str(), d.column)).collect();
        assert_eq!(found, [("R64/cost", "cost/usage-dev.yml", 1)]);
    }

    /// The pipeline files of the sample repo, each with one mistake, and every finding Stage 1
    /// gives for it (`features/validation/pipeline_files.feature` holds the same cases on the binary).
    #[rstest::rstest]
    #[case::pipeline("pipeline.yml", "approval_timeout: 24h\n", "aproval_timeout: 24h\n", &[("R64/pipeline", "pipeline.yml:41:5")])]
    #[case::tickets("change-tickets.yml", "    state: approved", "    stat: approved", &[("R64/change-tickets", "change-tickets.yml:8:5")])]
    #[case::iam_syntax("iam/dev/permissions-policy.json", "[", "[,", &[("R64/iam-policy", "iam/dev/permissions-policy.json:3:17")])]
    #[case::prices_once("cost/prices.yml", "af-south-1:", "eu-west-1:", &[("R64/cost", "cost/prices.yml")])]
    #[case::usage_of_no_resource("cost/usage-sit.yml", "aws_dynamodb_table.tenants:", "aws_dynamodb_table.orders:", &[("R64/cost", "cost/usage-sit.yml")])]
    fn a_mistake_in_a_pipeline_file_is_one_finding_at_its_place(
        #[case] file: &str,
        #[case] from: &str,
        #[case] to: &str,
        #[case] expected: &[(&str, &str)],
    ) {
        let repo = sample_repo_copy();
        let path = repo.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        let report = validate::validate(repo.path()).unwrap();
        let found: Vec<_> = report.diagnostics.iter().map(|d| (d.rule, d.location())).collect();
        let expected: Vec<_> = expected.iter().map(|(r, l)| (*r, (*l).to_owned())).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn a_timings_file_is_read_and_counted() {
        let repo = sample_repo_copy();
        let clean = validate::validate(repo.path()).unwrap().files;
        std::fs::create_dir_all(repo.path().join("timings")).unwrap();
        let sample = "version: 1\nsamples:\n- operation: CreateTable tenants\n  seconds: 41.5\n  enviroment: prod\n  region: af-south-1\n  at: 2026-11-30T09:00:00Z\n";
        std::fs::write(repo.path().join("timings/aws.yml"), sample).unwrap();
        let report = validate::validate(repo.path()).unwrap();
        assert_eq!(report.files, clean + 1);
        let found: Vec<_> = report.diagnostics.iter().map(|d| (d.rule, d.location())).collect();
        assert_eq!(found, [("R64/timings", "timings/aws.yml:5:3".to_owned())]);
    }

    #[test]
    fn the_file_size_limit_is_inclusive() {
        assert_eq!(MAX_FILE_BYTES, 1 << 20);
        let dir = tempfile::tempdir().unwrap();
        let at_limit = format!("\"{}\"", "a".repeat(MAX_FILE_BYTES as usize - 2));
        std::fs::write(dir.path().join("at.json"), &at_limit).unwrap();
        std::fs::write(dir.path().join("over.json"), format!("{at_limit} ")).unwrap();
        let read = Source::read(dir.path(), "at.json", source::JSON_FILE).unwrap();
        assert_eq!((read.rel.as_str(), read.text.len()), ("at.json", at_limit.len()));
        let over = Source::read(dir.path(), "over.json", source::JSON_FILE).unwrap_err();
        assert_eq!(over.rule, "R01/too-large");
        assert_eq!(over.message, format!("the file is {} bytes, over the limit of 1048576", MAX_FILE_BYTES + 1));
        let folder = Source::read(dir.path(), ".", source::JSON_FILE).unwrap_err();
        assert_eq!((folder.rule, folder.message.as_str()), ("R01/unreadable", "not a regular file"));
    }

    #[test]
    fn a_byte_order_mark_is_seen_and_left_out_of_the_body() {
        let with = Source::from_bytes("a.json", "\u{feff}{}".as_bytes().to_vec(), source::JSON_FILE).unwrap();
        assert!(with.has_bom());
        assert_eq!(with.body(), "{}");
        let without = Source::from_bytes("a.json", b"{}".to_vec(), source::JSON_FILE).unwrap();
        assert!(!without.has_bom());
        assert_eq!(without.body(), "{}");
    }
}

mod scan {
    //! `stagegate scan` (R05) on the sample repo with one change: each rule's finding, its
    //! resource and line, and the suppressions that silence it. The sample's own findings are
    //! its three tables' SG-DDB-002 (AWS-owned keys, LOW).

    use std::path::Path;

    use rstest::rstest;
    use stagegate::checks::scan::{self, ScanReport};

    use super::fixture;

    /// `(rule, resource, file:line, message)` of a finding.
    type Row = (String, String, String, String);

    fn sample() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        stagegate::foundation::repo::copy_tree(&fixture("repo"), dir.path()).unwrap();
        dir
    }

    /// Replaces `from` (which must be there) with `to` in one file of the repo.
    fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
        let path = dir.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} has no {from:?}");
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    fn report(dir: &Path) -> ScanReport {
        scan::scan(dir).expect("the repo opens")
    }

    fn rows<'a>(findings: impl Iterator<Item = &'a scan::Finding>) -> Vec<Row> {
        findings
            .filter(|f| f.rule.id != "SG-DDB-002")
            .map(|f| (f.rule.id.to_owned(), f.resource.clone(), format!("{}:{}", f.file, f.line), f.message.clone()))
            .collect()
    }

    fn expected(rows: &[(&str, &str, &str, &str)]) -> Vec<Row> {
        rows.iter().map(|(a, b, c, d)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned(), (*d).to_owned())).collect()
    }

    const DEV: &str = "environments/dev.tfvars";

    /// Each override of an environment file that weakens a secure default is one finding on the
    /// line of the value; the sample's own settings give none. dev.tfvars has 17 lines, so what
    /// is appended starts on line 18.
    #[rstest]
    #[case::block_public_acls(
        "templates_bucket_public_access_block = {\n  block_public_acls = false\n  block_public_policy = true\n}\n",
        &[("SG-S3-001", "s3/bbws-templates-dev", "environments/dev.tfvars:19", "bbws-templates-dev: block_public_acls = false")]
    )]
    #[case::block_public_policy(
        "templates_bucket_public_access_block = {\n  block_public_policy = false\n}\n",
        &[("SG-S3-002", "s3/bbws-templates-dev", "environments/dev.tfvars:19", "bbws-templates-dev: block_public_policy = false")]
    )]
    #[case::ignore_public_acls(
        "templates_bucket_public_access_block = {\n  block_public_acls = true\n  ignore_public_acls = false\n}\n",
        &[("SG-S3-003", "s3/bbws-templates-dev", "environments/dev.tfvars:20", "bbws-templates-dev: ignore_public_acls = false")]
    )]
    #[case::restrict_public_buckets_as_a_quoted_key(
        "templates_bucket_public_access_block = {\n  \"restrict_public_buckets\" = false\n}\n",
        &[("SG-S3-004", "s3/bbws-templates-dev", "environments/dev.tfvars:19", "bbws-templates-dev: restrict_public_buckets = false")]
    )]
    #[case::every_flag_on("templates_bucket_public_access_block = {\n  block_public_acls = true\n  block_public_policy = true\n  ignore_public_acls = true\n  restrict_public_buckets = true\n}\n", &[])]
    #[case::not_an_object("templates_bucket_public_access_block = false\n", &[])]
    #[case::no_encryption(
        "templates_bucket_encryption = \"none\"\n",
        &[("SG-S3-005", "s3/bbws-templates-dev", "environments/dev.tfvars:18", "bbws-templates-dev: default encryption \"none\"")]
    )]
    #[case::encryption_not_a_string(
        "templates_bucket_encryption = false\n",
        &[("SG-S3-005", "s3/bbws-templates-dev", "environments/dev.tfvars:18", "bbws-templates-dev: default encryption \"\"")]
    )]
    #[case::aes256("templates_bucket_encryption = \"AES256\"\n", &[])]
    #[case::kms("templates_bucket_encryption = \"aws:kms\"\n", &[])]
    #[case::kms_dsse("templates_bucket_encryption = \"aws:kms:dsse\"\n", &[])]
    #[case::versioning_off(
        "\ntemplates_bucket_versioning = false\n",
        &[("SG-S3-006", "s3/bbws-templates-dev", "environments/dev.tfvars:19", "bbws-templates-dev: versioning disabled")]
    )]
    #[case::versioning_on("templates_bucket_versioning = true\n", &[])]
    fn an_environment_override_that_weakens_a_default_is_one_finding(
        #[case] appended: &str,
        #[case] found: &[(&str, &str, &str, &str)],
    ) {
        let dir = sample();
        let path = dir.path().join(DEV);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 17);
        std::fs::write(&path, format!("{text}{appended}")).unwrap();
        assert_eq!(rows(report(dir.path()).findings.iter()), expected(found));
    }

    #[test]
    fn point_in_time_recovery_off_for_an_environment_is_one_finding_for_its_tables() {
        let dir = sample();
        edit(
            dir.path(),
            "environments/sit.tfvars",
            "enable_point_in_time_recovery = true",
            "enable_point_in_time_recovery = false",
        );
        let found = rows(report(dir.path()).findings.iter());
        assert_eq!(
            found,
            expected(&[(
                "SG-DDB-001",
                "dynamodb/* (sit)",
                "environments/sit.tfvars:7",
                "SIT turns point-in-time recovery off for every table"
            )])
        );
    }

    /// The bucket a finding names is the environment file's, or the default name without one.
    #[rstest]
    #[case::renamed(
        "templates_bucket_name = \"bbws-templates-dev\"",
        "templates_bucket_name = \"tpl-dev\"",
        "s3/tpl-dev"
    )]
    #[case::unnamed("templates_bucket_name = \"bbws-templates-dev\"", "", "s3/bbws-templates-dev")]
    fn a_bucket_finding_names_the_environments_bucket(#[case] from: &str, #[case] to: &str, #[case] resource: &str) {
        let dir = sample();
        edit(dir.path(), DEV, from, &format!("{to}\ntemplates_bucket_versioning = false"));
        let found = rows(report(dir.path()).findings.iter());
        let buckets: Vec<&str> = found.iter().filter(|r| r.0.starts_with("SG-S3")).map(|r| r.1.as_str()).collect();
        assert_eq!(buckets, [resource]);
    }

    /// A table's point-in-time recovery is the table definition's `Stagegate` setting; its key
    /// is a customer-managed one only when SSE names a KMS key that is not AWS's own.
    #[rstest]
    #[case::pitr_off("\"PointInTimeRecovery\": true", "\"PointInTimeRecovery\": false", &["SG-DDB-001", "SG-DDB-002"])]
    #[case::pitr_not_a_bool("\"PointInTimeRecovery\": true", "\"PointInTimeRecovery\": \"true\"", &["SG-DDB-001", "SG-DDB-002"])]
    #[case::a_customer_key("\"SSEType\": \"KMS\"", "\"SSEType\": \"KMS\", \"KMSMasterKeyId\": \"arn:aws:kms:af-south-1:536580886816:key/1\"", &[])]
    #[case::the_aws_managed_alias("\"SSEType\": \"KMS\"", "\"SSEType\": \"KMS\", \"KMSMasterKeyId\": \"alias/aws/dynamodb\"", &["SG-DDB-002"])]
    #[case::an_empty_key("\"SSEType\": \"KMS\"", "\"SSEType\": \"KMS\", \"KMSMasterKeyId\": \"\"", &["SG-DDB-002"])]
    #[case::a_key_but_not_kms("\"SSEType\": \"KMS\"", "\"SSEType\": \"AES256\", \"KMSMasterKeyId\": \"arn:aws:kms:af-south-1:536580886816:key/1\"", &["SG-DDB-002"])]
    #[case::a_key_but_disabled("\"Enabled\": true,\n    \"SSEType\": \"KMS\"", "\"Enabled\": false, \"SSEType\": \"KMS\", \"KMSMasterKeyId\": \"arn:aws:kms:af-south-1:536580886816:key/1\"", &["SG-DDB-002"])]
    fn a_tables_findings_follow_its_definition(#[case] from: &str, #[case] to: &str, #[case] rules: &[&str]) {
        let dir = sample();
        edit(dir.path(), "schemas/tenants/table.json", from, to);
        let rules_found: Vec<&str> = report(dir.path())
            .findings
            .iter()
            .filter(|f| f.resource == "dynamodb/tenants")
            .map(|f| f.rule.id)
            .collect();
        assert_eq!(rules_found, rules);
    }

    #[test]
    fn a_tables_pitr_finding_is_on_its_setting_and_names_the_table() {
        let dir = sample();
        edit(
            dir.path(),
            "schemas/tenants/table.json",
            "\"PointInTimeRecovery\": true",
            "\"PointInTimeRecovery\": false",
        );
        assert_eq!(
            rows(report(dir.path()).findings.iter()),
            expected(&[(
                "SG-DDB-001",
                "dynamodb/tenants",
                "schemas/tenants/table.json:86",
                "table tenants does not enable point-in-time recovery"
            )])
        );
        let tenants = report(dir.path())
            .findings
            .into_iter()
            .find(|f| f.rule.id == "SG-DDB-002" && f.resource == "dynamodb/tenants");
        assert_eq!(tenants.map(|f| f.line), Some(63), "SSESpecification's line");
    }

    /// pipeline.yml's state overrides: SG-STATE-001 and -002 on their own line.
    #[rstest]
    #[case::unencrypted(
        "  encryption: none\n",
        &[("SG-STATE-001", "s3/bbws-terraform-state-{env}", "pipeline.yml:13", "state bucket encryption \"none\"")]
    )]
    #[case::kms("  encryption: aws:kms\n", &[])]
    #[case::versioning_off(
        "  versioning: false\n",
        &[("SG-STATE-002", "s3/bbws-terraform-state-{env}", "pipeline.yml:13", "state bucket versioning disabled")]
    )]
    #[case::versioning_on("  versioning: true\n", &[])]
    fn a_state_override_that_weakens_a_default_is_one_finding(
        #[case] added: &str,
        #[case] found: &[(&str, &str, &str, &str)],
    ) {
        let dir = sample();
        edit(
            dir.path(),
            "pipeline.yml",
            "  lock_table: terraform-state-lock-{env}\n",
            &format!("  lock_table: terraform-state-lock-{{env}}\n{added}"),
        );
        assert_eq!(rows(report(dir.path()).findings.iter()), expected(found));
    }

    /// An inline suppression with a reason silences its rule in its own file only; one without
    /// a reason is a finding of its own and silences nothing.
    #[rstest]
    #[case::hash("# stagegate:ignore SG-S3-005 the bucket is encrypted by a bucket policy", true)]
    #[case::slashes("// stagegate:ignore SG-S3-005 the bucket is encrypted by a bucket policy", true)]
    #[case::another_rule("# stagegate:ignore SG-S3-006 versioning is managed elsewhere", false)]
    #[case::no_reason("# stagegate:ignore SG-S3-005", false)]
    fn an_inline_suppression_needs_a_reason(#[case] comment: &str, #[case] silences: bool) {
        let dir = sample();
        let path = dir.path().join(DEV);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}  {comment}\ntemplates_bucket_encryption = \"none\"\n")).unwrap();
        let r = report(dir.path());
        let s3 = r.findings.iter().find(|f| f.rule.id == "SG-S3-005").expect("the finding");
        assert_eq!(s3.suppressed.is_some(), silences, "{r}");
        assert_eq!(r.exit_code(), if silences { 0 } else { 1 }, "{r}");
        if let Some(s) = &s3.suppressed {
            assert_eq!(
                (s.reason.as_str(), s.at.as_str(), s.inline),
                ("the bucket is encrypted by a bucket policy", "environments/dev.tfvars:18", true)
            );
        }
        let unreasoned = rows(r.findings.iter().filter(|f| f.rule.id == "SG-SUP-001"));
        if comment.ends_with("SG-S3-005") {
            assert_eq!(
                unreasoned,
                expected(&[(
                    "SG-SUP-001",
                    "suppression of SG-S3-005",
                    "environments/dev.tfvars:18",
                    "SG-S3-005 is suppressed without a reason"
                )])
            );
        } else {
            assert_eq!(unreasoned, Vec::<Row>::new());
        }
    }

    #[test]
    fn an_inline_suppression_does_not_reach_another_environment_file() {
        let dir = sample();
        for env in ["dev", "sit"] {
            let path = dir.path().join(format!("environments/{env}.tfvars"));
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, format!("{text}templates_bucket_encryption = \"none\"\n")).unwrap();
        }
        edit(
            dir.path(),
            DEV,
            "environment    = \"dev\"",
            "# stagegate:ignore SG-S3-005 dev only\nenvironment    = \"dev\"",
        );
        let r = report(dir.path());
        let by_file: Vec<(&str, bool)> = r
            .findings
            .iter()
            .filter(|f| f.rule.id == "SG-S3-005")
            .map(|f| (f.file.as_str(), f.suppressed.is_some()))
            .collect();
        assert_eq!(by_file, [("environments/dev.tfvars", true), ("environments/sit.tfvars", false)]);
    }

    /// scan-suppressions.yml: an entry silences its rule on its resource, or everywhere without
    /// one; an entry without a reason, or a file that is not YAML, is SG-SUP-001.
    #[rstest]
    #[case::one_resource(
        "suppressions:\n  - rule: SG-DDB-002\n    resource: dynamodb/tenants\n    reason: tenants holds no personal data\n",
        &["dynamodb/tenants"], &[]
    )]
    #[case::every_resource(
        "suppressions:\n  - rule: SG-DDB-002\n    reason: AWS-owned keys are accepted\n",
        &["dynamodb/campaigns", "dynamodb/products", "dynamodb/tenants"], &[]
    )]
    #[case::another_rule("suppressions:\n  - rule: SG-DDB-001\n    reason: not these\n", &[], &[])]
    #[case::no_reason(
        "# accepted risks\nsuppressions:\n  - rule: SG-DDB-001\n    reason: ok\n  - rule: SG-DDB-002\n    reason: \"  \"\n",
        &[], &[("SG-SUP-001", "suppression of SG-DDB-002", "scan-suppressions.yml:5", "SG-DDB-002 is suppressed without a reason")]
    )]
    #[case::not_yaml(
        "suppressions: [\n", &[],
        &[("SG-SUP-001", "suppressions", "scan-suppressions.yml:1", "scan-suppressions.yml is not YAML, so none of its suppressions has a reason")]
    )]
    fn a_file_suppression_needs_a_reason(
        #[case] file: &str,
        #[case] silenced: &[&str],
        #[case] found: &[(&str, &str, &str, &str)],
    ) {
        let dir = sample();
        std::fs::write(dir.path().join("scan-suppressions.yml"), file).unwrap();
        let r = report(dir.path());
        let suppressed: Vec<&str> =
            r.findings.iter().filter(|f| f.suppressed.is_some()).map(|f| f.resource.as_str()).collect();
        assert_eq!(suppressed, silenced);
        assert_eq!(rows(r.findings.iter()), expected(found));
        if let Some(f) = r.findings.iter().find(|f| f.suppressed.is_some()) {
            let s = f.suppressed.as_ref().unwrap();
            assert_eq!((s.at.as_str(), s.inline), ("scan-suppressions.yml:2", false));
        }
    }

    /// Only an unsuppressed HIGH or CRITICAL finding fails the scan; the report says so in
    /// every format.
    #[test]
    fn the_report_counts_what_fails() {
        let dir = sample();
        let r = report(dir.path());
        assert_eq!(r.exit_code(), 0);
        assert_eq!(r.to_json()["failed"], false);
        let text = r.to_string();
        assert!(text.ends_with(": 3 findings (0 HIGH or CRITICAL), 0 suppressed\n"), "{text}");
        assert!(text.starts_with("schemas/campaigns/table.json:71: LOW SG-DDB-002: table campaigns is encrypted with an AWS-owned or AWS-managed key [dynamodb/campaigns] (AVD-AWS-0025 / CKV_AWS_119)\n    fix: set SSESpecification"), "{text}");

        std::fs::write(
            dir.path().join("scan-suppressions.yml"),
            "suppressions:\n  - rule: SG-DDB-002\n    resource: dynamodb/tenants\n    reason: no personal data\n",
        )
        .unwrap();
        edit(
            dir.path(),
            DEV,
            "enable_point_in_time_recovery = true",
            "enable_point_in_time_recovery = true\ntemplates_bucket_versioning = false\ntemplates_bucket_encryption = \"none\"",
        );
        let r = report(dir.path());
        assert_eq!(r.exit_code(), 1);
        assert_eq!(r.to_json()["failed"], true);
        let text = r.to_string();
        assert!(text.ends_with(": 4 findings (1 HIGH or CRITICAL), 1 suppressed\n"), "{text}");
        assert!(text.contains("schemas/tenants/table.json:63: suppressed LOW SG-DDB-002: table tenants is encrypted with an AWS-owned or AWS-managed key [dynamodb/tenants] — no personal data (scan-suppressions.yml:2)\n"), "{text}");
        assert!(!text.contains("(scan-suppressions.yml:2)\n    fix:"), "a suppressed finding has no fix line: {text}");
        let sarif = r.to_sarif();
        let results = sarif["runs"][0]["results"].as_array().expect("results");
        let s3 = results.iter().find(|x| x["ruleId"] == "SG-S3-005").expect("the HIGH finding");
        assert_eq!(s3["message"]["text"], "bbws-templates-dev: default encryption \"none\" [s3/bbws-templates-dev]");

        std::fs::write(dir.path().join("scan-suppressions.yml"), "suppressions: []\n").unwrap();
        edit(dir.path(), DEV, "templates_bucket_encryption = \"none\"", "");
        edit(dir.path(), DEV, "templates_bucket_versioning = false", "");
        edit(
            dir.path(),
            "schemas/tenants/table.json",
            "\"SSEType\": \"KMS\"",
            "\"SSEType\": \"KMS\", \"KMSMasterKeyId\": \"arn:aws:kms:af-south-1:536580886816:key/1\"",
        );
        edit(
            dir.path(),
            "schemas/products/table.json",
            "\"SSEType\": \"KMS\"",
            "\"SSEType\": \"KMS\", \"KMSMasterKeyId\": \"arn:aws:kms:af-south-1:536580886816:key/1\"",
        );
        let text = report(dir.path()).to_string();
        assert!(text.ends_with(": 1 finding (0 HIGH or CRITICAL), 0 suppressed\n"), "{text}");
    }

    /// SG-IAM-001 and SG-IAM-002: each problem of a deployer role's policy is a finding on the
    /// role, at the line of the value it is about; a policy that cannot be read or parsed is one
    /// finding at its file; a repo without `iam/` has no deployer findings at all.
    #[rstest]
    #[case::a_subject_of_another_branch(
        "iam/dev/trust-policy.json", "refs/heads/main", "refs/heads/develop",
        &[("SG-IAM-001", "role/bbws-terraform-deployer-dev $.Statement[0].Condition.StringEquals[\"token.actions.githubusercontent.com:sub\"]",
           "iam/dev/trust-policy.json:13",
           "subject \"repo:org/2_1_bbws_dynamodb_schemas:ref:refs/heads/develop\" is not a deployment branch (main) of one repository")]
    )]
    #[case::every_dynamodb_action(
        "iam/prod/permissions-policy.json", "\"dynamodb:CreateTable\"", "\"dynamodb:*\"",
        &[("SG-IAM-002", "role/bbws-terraform-deployer-prod $.Statement[0].Action[0]", "iam/prod/permissions-policy.json:8",
           "dynamodb:* allows every action of the service")]
    )]
    #[case::a_trust_policy_that_is_not_json(
        "iam/sit/trust-policy.json", "\"Version\"", "Version",
        &[("SG-IAM-001", "role/bbws-terraform-deployer-sit", "iam/sit/trust-policy.json:1", "")]
    )]
    fn a_deployer_policy_problem_is_a_finding_on_its_role(
        #[case] file: &str,
        #[case] from: &str,
        #[case] to: &str,
        #[case] found: &[(&str, &str, &str, &str)],
    ) {
        let dir = sample();
        edit(dir.path(), file, from, to);
        let mut iam: Vec<Row> = rows(report(dir.path()).findings.iter());
        if found[0].3.is_empty() {
            // A policy that does not parse: the parser's own words, whatever they are.
            iam.iter_mut().for_each(|r| r.3.clear());
        }
        assert_eq!(iam, expected(found));
    }

    #[test]
    fn a_missing_policy_is_a_finding_and_a_repo_without_iam_has_none() {
        let dir = sample();
        std::fs::remove_file(dir.path().join("iam/sit/permissions-policy.json")).unwrap();
        let found = rows(report(dir.path()).findings.iter());
        assert_eq!(found.len(), 1, "{found:?}");
        let (rule, resource, at, message) = &found[0];
        assert_eq!(
            (rule.as_str(), resource.as_str(), at.as_str()),
            ("SG-IAM-002", "role/bbws-terraform-deployer-sit", "iam/sit/permissions-policy.json:1")
        );
        assert!(message.starts_with("cannot read the policy: "), "{message}");

        std::fs::remove_dir_all(dir.path().join("iam")).unwrap();
        assert_eq!(rows(report(dir.path()).findings.iter()), Vec::<Row>::new());
    }

    /// A finding whose line is unknown names its file alone.
    #[test]
    fn a_finding_without_a_line_names_its_file_alone() {
        let finding = |line| scan::Finding {
            rule: scan::rule("SG-STATE-001"),
            resource: "s3/bbws-terraform-state-{env}".into(),
            file: "pipeline.yml".into(),
            line,
            message: "state bucket encryption \"none\"".into(),
            suppressed: None,
        };
        let text = |line| ScanReport { repo: "repo".into(), findings: vec![finding(line)] }.to_string();
        assert!(text(0).starts_with("pipeline.yml: CRITICAL SG-STATE-001: "), "{}", text(0));
        assert!(text(1).starts_with("pipeline.yml:1: CRITICAL SG-STATE-001: "), "{}", text(1));
    }

    /// An unknown rule ID is reported as the catalogue's last rule, never a panic.
    #[test]
    fn every_rule_id_names_its_own_rule() {
        for r in scan::RULES.iter() {
            assert_eq!(scan::rule(r.id).id, r.id);
        }
        assert_eq!(scan::rule("SG-NOPE-001").id, "SG-SUP-001");
    }
}

/// R07-R09 on one template at a time: where the document-level checks draw their lines, the
/// messages a finding prints, and the markup context of a placeholder.
mod template {
    use rstest::rstest;
    use serde_json::{Value, json};
    use stagegate::checks::template::{self, MarkupContext, markup_contexts, rule};

    /// A complete, clean document around `body`, which starts on line 8.
    fn page(body: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>T</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
        )
    }

    /// `(rule, location, message)` of every finding on `templates/t.html` holding `html`, with
    /// `sample` as its sample data.
    fn findings(html: &str, sample: &Value) -> Vec<(String, String, String)> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let templates = dir.path().join("templates");
        std::fs::create_dir(&templates).unwrap();
        std::fs::write(templates.join("t.html"), html).unwrap();
        std::fs::write(templates.join("t.sample.json"), serde_json::to_string_pretty(sample).unwrap()).unwrap();
        template::check(dir.path(), "templates/t.html")
            .into_iter()
            .map(|d| (d.rule.to_owned(), d.location(), d.message))
            .collect()
    }

    fn of_rule(all: &[(String, String, String)], id: &str) -> Vec<(String, String)> {
        all.iter().filter(|(r, _, _)| r == id).map(|(_, l, m)| (l.clone(), m.clone())).collect()
    }

    #[test]
    fn the_page_itself_is_clean() {
        assert_eq!(findings(&page("<p>{{name}}</p>"), &json!({"name": "Ann"})), Vec::new());
    }

    /// R09 renders with a `<script>` in place of every value the template does not allow-list:
    /// an unescaped placeholder then comes out as markup, whatever the sample data held, nested
    /// in lists and objects too. An allow-listed one keeps its sample value.
    #[rstest]
    #[case::top_level("<p>{{{name}}}</p>", json!({"name": "Ann"}), true)]
    #[case::a_number("<p>{{{count}}}</p>", json!({"count": 3}), true)]
    #[case::in_a_list("<ul>{{#items}}<li>{{{title}}}</li>{{/items}}</ul>", json!({"items": [{"title": "a"}]}), true)]
    #[case::allow_listed(
        "<p>{{! allow-unescaped name: a vetted snippet }}{{{name}}}</p>",
        json!({"name": "<b>Ann</b>"}),
        false
    )]
    #[case::escaped("<p>{{name}}</p>", json!({"name": "Ann"}), false)]
    fn an_unescaped_value_is_rendered_with_a_script_in_it(
        #[case] body: &str,
        #[case] sample: Value,
        #[case] comes_out_as_markup: bool,
    ) {
        let found = of_rule(&findings(&page(body), &sample), rule::NOT_ESCAPED);
        let expected: Vec<(String, String)> = if comes_out_as_markup {
            vec![("templates/t.html".into(), "a <script> value in the data comes out as markup".into())]
        } else {
            Vec::new()
        };
        assert_eq!(found, expected);
    }

    /// At most 20 parse errors are listed; from the 21st on they are counted.
    #[rstest]
    #[case(20, None)]
    #[case(21, Some("1 more parse errors"))]
    #[case(23, Some("3 more parse errors"))]
    fn parse_errors_past_twenty_are_counted(#[case] n: usize, #[case] more: Option<&str>) {
        let body = vec!["</nope>"; n].join("\n");
        let errors = of_rule(&findings(&page(&body), &json!({})), rule::PARSE_ERROR);
        let listed: Vec<_> = errors.iter().filter(|(l, _)| l != "templates/t.html").collect();
        let counted: Vec<_> = errors.iter().filter(|(l, _)| l == "templates/t.html").map(|(_, m)| m.as_str()).collect();
        assert_eq!(listed.len(), n.min(20), "{errors:?}");
        assert_eq!(listed[0].0, "templates/t.html:8");
        assert_eq!(counted, more.into_iter().collect::<Vec<_>>());
    }

    /// The parser reports each error exactly: a control character in the text, and a tag where
    /// the insertion mode allows none, named with that mode. Scripts do not run in mail, so
    /// `<noscript>` content is markup like any other.
    #[rstest]
    #[case::control_character(page("x\u{7}y"), "templates/t.html:8", "Bad character \u{7}")]
    #[case::markup_in_a_noscript_of_the_head(
        page("<p>x</p>").replace("<title>T</title>", "<title>T</title><noscript><p class=\"a\">x</p></noscript>"),
        "templates/t.html:5",
        "Unexpected token <p> in insertion mode InHeadNoscript"
    )]
    fn parse_errors_are_exact(#[case] html: String, #[case] at: &str, #[case] message: &str) {
        let errors = of_rule(&findings(&html, &json!({})), rule::PARSE_ERROR);
        assert_eq!(errors.first(), Some(&(at.to_owned(), message.to_owned())), "{errors:?}");
    }

    /// `<![CDATA[` opens a CDATA section only in foreign content (SVG, MathML); in HTML it is a
    /// bogus comment, and an error.
    #[rstest]
    #[case::in_html("<p><![CDATA[x]]></p>", true)]
    #[case::in_svg("<svg><![CDATA[x]]></svg>", false)]
    fn cdata_is_markup_only_in_foreign_content(#[case] body: &str, #[case] error: bool) {
        let errors = of_rule(&findings(&page(body), &json!({})), rule::PARSE_ERROR);
        assert_eq!(!errors.is_empty(), error, "{errors:?}");
    }

    /// Misnested formatting elements go through the adoption agency, which tells elements
    /// apart: one error where the nesting breaks, none after it.
    #[rstest]
    #[case::inline_in_inline("<p><b><i>x</b>y</i></p>", &["Formatting element not current node"])]
    #[case::inline_around_a_block("<b><p>x</b>y</p>", &["Formatting element not current node"])]
    #[case::a_link_in_a_link(
        "<a href=\"#\"><p><a>x</a></p>",
        &["Unexpected token <a> in insertion mode InBody", "Formatting element not current node"]
    )]
    fn misnested_formatting_is_one_error(#[case] body: &str, #[case] expected: &[&str]) {
        let errors = of_rule(&findings(&page(body), &json!({})), rule::PARSE_ERROR);
        let expected: Vec<_> = expected.iter().map(|m| ("templates/t.html:8".to_owned(), (*m).to_owned())).collect();
        assert_eq!(errors, expected);
    }

    /// A placeholder's finding quotes the tag as written, at its line and column.
    #[rstest]
    #[case::triple_braces("<p>{{{name}}}</p>", rule::UNESCAPED, "8:4", "{{{name}}} writes name without HTML escaping")]
    #[case::ampersand("<p>{{&name}}</p>", rule::UNESCAPED, "8:4", "{{&name}} writes name without HTML escaping")]
    #[case::single_quoted_value(
        "<a title='{{name}}'>x</a>",
        rule::UNQUOTED_PLACEHOLDER,
        "8:11",
        "{{name}} sits in a tag outside a double-quoted attribute value, where data could add attributes"
    )]
    #[case::bad_name(
        "<p>{{na me}}</p>",
        rule::BAD_NAME,
        "8:4",
        "{{na me}} is not a variable: names are letters, digits, `_`, `-` and dots"
    )]
    #[case::trailing_equals_sign_outside_a_delimiter_tag(
        "<p>{{name=}}</p>",
        rule::BAD_NAME,
        "8:4",
        "{{name=}} is not a variable: names are letters, digits, `_`, `-` and dots"
    )]
    fn a_placeholder_finding_quotes_the_tag(
        #[case] body: &str,
        #[case] id: &str,
        #[case] at: &str,
        #[case] message: &str,
    ) {
        let found = of_rule(&findings(&page(body), &json!({"name": "Ann"})), id);
        assert_eq!(found, [(format!("templates/t.html:{at}"), message.to_owned())]);
    }

    /// A section shows for what Mustache calls truthy: true, a non-empty string or list, any
    /// object, any number; an inverted section shows for the rest.
    #[rstest]
    #[case::true_(json!(true), "yes")]
    #[case::false_(json!(false), "no")]
    #[case::null(json!(null), "no")]
    #[case::text(json!("a"), "yes")]
    #[case::empty_text(json!(""), "no")]
    #[case::list(json!([1]), "yes")]
    #[case::empty_list(json!([]), "no")]
    #[case::object(json!({}), "yes")]
    #[case::number(json!(0), "yes")]
    fn sections_show_for_truthy_values(#[case] flag: Value, #[case] shown: &str) {
        let out = template::render::render("{{#flag}}yes{{/flag}}{{^flag}}no{{/flag}}", &json!({ "flag": flag }));
        assert_eq!(out, Ok(shown.to_owned()));
    }

    #[rstest]
    #[case::escaped("{{flag}}")]
    #[case::unescaped("{{{flag}}}")]
    fn a_boolean_renders_as_its_word(#[case] tag: &str) {
        assert_eq!(template::render::render(tag, &json!({"flag": true})), Ok("true".to_owned()));
        assert_eq!(template::render::render(tag, &json!({"flag": false})), Ok("false".to_owned()));
    }

    /// A list section repeats for each item, a map section opens the map, an inverted one shows
    /// only for what is not truthy.
    #[rstest]
    #[case::list("{{#items}}[{{a}}]{{/items}}", json!({"items": [{"a": 1}, {"a": 2}]}), "[1][2]")]
    #[case::map("{{#m}}{{a}}{{/m}}", json!({"m": {"a": "x"}}), "x")]
    #[case::text("{{#t}}<{{t}}>{{/t}}", json!({"t": "x"}), "<x>")]
    #[case::nested_list("{{#m}}{{#items}}{{a}}{{/items}}{{/m}}", json!({"m": {"items": [{"a": "a"}, {"a": "b"}]}}), "ab")]
    #[case::inverted_empty_list("{{^items}}none{{/items}}", json!({"items": []}), "none")]
    #[case::inverted_list("{{^items}}none{{/items}}", json!({"items": [1]}), "")]
    #[case::inverted_map("{{^m}}none{{/m}}", json!({"m": {}}), "")]
    fn sections_render_as_mustache_says(#[case] source: &str, #[case] data: Value, #[case] out: &str) {
        assert_eq!(template::render::render(source, &data), Ok(out.to_owned()));
    }

    /// A close naming a section further out closes the ones inside it too: one mismatch, and
    /// nothing is left unclosed.
    #[test]
    fn a_close_of_an_outer_section_closes_the_inner_ones() {
        let all = findings(&page("{{#a}}{{#b}}x{{/a}}"), &json!({"a": [{"b": true}]}));
        assert_eq!(of_rule(&all, rule::SECTION_MISMATCH).len(), 1, "{all:?}");
        assert_eq!(of_rule(&all, rule::SECTION_UNCLOSED), Vec::new(), "{all:?}");
    }

    #[test]
    fn a_section_closed_by_its_own_name_is_no_finding() {
        let html = page("{{#items}}<p>{{a}}</p>{{/items}}");
        assert_eq!(findings(&html, &json!({"items": [{"a": "1"}]})), Vec::new());
    }

    #[test]
    fn an_end_tag_is_no_start_tag() {
        let found = of_rule(&findings(&page("<script>x</script>"), &json!({})), rule::SCRIPT);
        assert_eq!(found, [("templates/t.html:8".to_owned(), "<script> in an email template".to_owned())]);
    }

    /// A DOCTYPE other than `html`, or one that leaves the parser in quirks mode, is refused;
    /// its name is compared without regard to case.
    #[rstest]
    #[case::html("<!DOCTYPE html>", None)]
    #[case::upper_case("<!DOCTYPE HTML>", None)]
    #[case::other_name("<!DOCTYPE xhtml>", Some("templates/t.html:1"))]
    #[case::html_4_transitional(
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">",
        Some("templates/t.html:1")
    )]
    #[case::none("", Some("templates/t.html:1:1"))]
    fn a_doctype_that_means_quirks_mode_is_refused(#[case] doctype: &str, #[case] at: Option<&str>) {
        let html = page("<p>x</p>").replacen("<!DOCTYPE html>", doctype, 1);
        let found = of_rule(&findings(&html, &json!({})), rule::DOCTYPE);
        assert_eq!(found.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(), at.into_iter().collect::<Vec<_>>());
    }

    /// `on` followed by at least one letter is an event handler; `on` alone is not.
    #[rstest]
    #[case("<p on=\"x\">x</p>", 0)]
    #[case("<p onclick=\"x\">x</p>", 1)]
    #[case("<p one=\"x\" lang=\"en\">x</p>", 1)]
    fn event_handler_attributes_start_with_on(#[case] body: &str, #[case] n: usize) {
        let found = of_rule(&findings(&page(body), &json!({})), rule::EVENT_HANDLER);
        assert_eq!(found.len(), n, "{found:?}");
    }

    /// Half a placeholder in an attribute name is still a placeholder where markup belongs.
    #[test]
    fn either_half_of_a_placeholder_in_an_attribute_name_is_refused() {
        let found = of_rule(&findings(&page("<p x{{ y}}>x</p>"), &json!({"y": "1"})), rule::PLACEHOLDER_IN_TAG);
        let names: Vec<_> = found.iter().map(|(_, m)| m.rsplit(": ").next().unwrap_or_default()).collect();
        assert_eq!(names, ["x{{", "y}}"]);
    }

    #[test]
    fn changing_the_delimiters_is_refused_and_stops_the_unused_check() {
        let all = findings(&page("{{=<% %>=}}\n<p><%name%></p>"), &json!({"name": "Ann"}));
        assert_eq!(
            of_rule(&all, rule::DELIMITERS),
            [("templates/t.html:8:1".to_owned(), "changing the Mustache delimiters is not supported".to_owned())]
        );
        assert_eq!(of_rule(&all, rule::UNUSED), Vec::new());
    }

    /// The message of an unclosed or mismatched section writes the section's opening tag.
    #[rstest]
    #[case("{{#items}}", "the section {{#items}} is never closed")]
    #[case("{{^items}}", "the section {{^items}} is never closed")]
    fn a_section_is_named_by_its_opening_tag(#[case] open: &str, #[case] message: &str) {
        let all = findings(&page(&format!("<p>{open}x</p>")), &json!({"items": [{"a": "1"}]}));
        assert_eq!(of_rule(&all, rule::SECTION_UNCLOSED), [("templates/t.html:8:4".to_owned(), message.to_owned())]);
    }

    #[test]
    fn a_mismatched_close_names_the_open_section() {
        let all = findings(&page("<p>{{^a}}{{#b}}x{{/a}}{{/b}}</p>"), &json!({"a": [{"x": "1"}], "b": [{"y": "1"}]}));
        let mismatch = of_rule(&all, rule::SECTION_MISMATCH);
        assert_eq!(mismatch[0].1, "{{/a}} does not match the innermost open section, {{#b}} of line 8");
    }

    /// `{{` left in the output is reported with the output line it is on.
    #[test]
    fn braces_left_by_rendering_are_reported_on_their_output_line() {
        let all = findings(&page("<p>{{name}}</p>"), &json!({"name": "{{x}}"}));
        assert_eq!(of_rule(&all, rule::UNRENDERED)[0].1, "`{{` survives rendering on line 8 of the output");
    }

    /// A close at the top level closes nothing: the sample's own keys stay in scope.
    #[test]
    fn a_stray_close_keeps_the_top_level_scope() {
        let all = findings(&page("<p>{{/stray}}{{name}}</p>"), &json!({"name": "Ann"}));
        assert_eq!(of_rule(&all, rule::SECTION_UNOPENED).len(), 1, "{all:?}");
        assert_eq!(of_rule(&all, rule::UNDECLARED), Vec::new());
    }

    /// A section's keys are in scope inside it only.
    #[test]
    fn a_closed_section_takes_its_keys_with_it() {
        let all = findings(&page("<p>{{#order}}{{id}}{{/order}}{{id}}</p>"), &json!({"order": {"id": "1"}}));
        assert_eq!(
            of_rule(&all, rule::UNDECLARED),
            [("templates/t.html:8:30".to_owned(), "{{id}} is not declared in templates/t.sample.json".to_owned())]
        );
    }

    use MarkupContext::{DoubleQuoted, SingleQuoted, Text, Unquoted};

    /// The context at each offset is the one before the character there is read.
    #[rstest]
    #[case::before_a_tag("x<a b>", &[0, 1, 3], &[Text, Text, Unquoted])]
    #[case::after_a_tag("<a b>x", &[4, 5], &[Unquoted, Text])]
    #[case::quoted("<a b=\"c\" d='e'>", &[5, 6, 7, 8, 12], &[Unquoted, DoubleQuoted, DoubleQuoted, Unquoted, SingleQuoted])]
    #[case::a_less_than_sign_in_text("a < b x", &[6], &[Text])]
    #[case::a_closing_tag("</a b=\"c\">", &[7], &[Text])]
    #[case::past_the_end("ab", &[1, 10], &[Text, Text])]
    #[case::past_the_end_of_an_open_tag("<a b", &[3, 10], &[Unquoted, Unquoted])]
    fn the_markup_context_of_an_offset(
        #[case] text: &str,
        #[case] offsets: &[usize],
        #[case] expected: &[MarkupContext],
    ) {
        assert_eq!(markup_contexts(text, offsets), expected);
    }
}
