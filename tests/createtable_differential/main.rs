//! R02's oracle: DynamoDB's own validation. Several hundred generated table definitions, valid
//! and broken along every rule of CreateTable, are each checked by `stagegate validate` (the
//! library function, on a repo holding them all) and sent as CreateTable to AWS's DynamoDB
//! Local inside LocalStack 4.5.0 (host mode, or the container where Docker runs), each in an
//! account of its own. The verdicts must agree, except where DynamoDB Local is documented to be
//! more lenient than AWS: there stagegate follows AWS, and [`EXCEPTIONS`] lists each rule with
//! its source. An exception that no longer holds (DynamoDB Local refuses too) fails the test.

mod cases;

use std::collections::BTreeMap;
use std::fs;

use cases::Case;
use futures::StreamExt;
use serde_json::Value;
use stagegate::emulator::Emulator;

/// Rule families where stagegate refuses what DynamoDB Local accepts, because AWS refuses it:
/// (family, AWS's rule and where AWS documents it).
const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "billing/on-demand-gsi-with-throughput",
        "no ProvisionedThroughput under PAY_PER_REQUEST, for an index as for the table: DynamoDB API Reference, CreateTable, BillingMode and ProvisionedThroughput",
    ),
    (
        "keys/unknown-type",
        "KeyType is HASH or RANGE: DynamoDB API Reference, KeySchemaElement, KeyType (Valid Values: HASH | RANGE)",
    ),
    ("tags/no-value", "a tag has a Value: DynamoDB API Reference, Tag, Value (Required: Yes)"),
    (
        "deletion-protection/not-a-bool",
        "DynamoDB API Reference, CreateTable, DeletionProtectionEnabled (Type: Boolean)",
    ),
    ("projection/non-key-not-strings", "DynamoDB API Reference, Projection, NonKeyAttributes (Type: Array of strings)"),
    (
        "stream/unknown-view",
        "DynamoDB API Reference, StreamSpecification, StreamViewType (Valid Values: NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES | KEYS_ONLY)",
    ),
    (
        "lsi/with-throughput",
        "a local index has the table's throughput: DynamoDB API Reference, LocalSecondaryIndex (IndexName, KeySchema, Projection only)",
    ),
    ("throughput/string", "DynamoDB API Reference, ProvisionedThroughput, ReadCapacityUnits (Type: Long)"),
    ("throughput/fraction", "DynamoDB API Reference, ProvisionedThroughput, ReadCapacityUnits (Type: Long)"),
    // DynamoDB Local ignores members a shape does not have. A definition file is the input of
    // `aws dynamodb create-table --cli-input-json`, which refuses them ("Unknown parameter in
    // input"): AWS CLI User Guide, "AWS CLI skeletons and input files"; the members of each
    // shape are the API Reference's request syntax.
    ("unknown/top-level", UNKNOWN),
    ("unknown/attribute-definition", UNKNOWN),
    ("unknown/key-schema-element", UNKNOWN),
    ("unknown/gsi", UNKNOWN),
    ("unknown/lsi", UNKNOWN),
    ("unknown/projection", UNKNOWN),
    ("unknown/throughput", UNKNOWN),
    ("unknown/stream", UNKNOWN),
    ("unknown/sse", UNKNOWN),
    ("unknown/tag", UNKNOWN),
];
const UNKNOWN: &str =
    "only the members of the shape: AWS CLI User Guide, AWS CLI skeletons and input files (Unknown parameter in input)";

/// How many definitions at least: the test means nothing with a handful.
const AT_LEAST: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Refused(String),
}

impl Verdict {
    fn accepted(&self) -> bool {
        *self == Verdict::Accepted
    }
}

/// stagegate's verdict on every case: the findings `validate` reports for its file.
fn stagegate_verdicts(cases: &[Case]) -> BTreeMap<usize, Verdict> {
    let repo = tempfile::tempdir().expect("a scratch repo");
    for case in cases {
        let dir = repo.path().join("schemas").join(format!("case-{:03}", case.id));
        fs::create_dir_all(&dir).expect("a case folder");
        let text = serde_json::to_string_pretty(&case.definition).expect("a definition serialises");
        fs::write(dir.join("table.json"), text).expect("a case file");
    }
    let report = stagegate::checks::validate::validate(repo.path()).expect("validate runs on the scratch repo");
    let mut findings: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for d in &report.diagnostics {
        let id = d.file.strip_prefix("schemas/case-").and_then(|r| r.get(..3)).and_then(|n| n.parse().ok());
        let id = id.unwrap_or_else(|| panic!("a finding outside the cases: {} {}", d.file, d.message));
        findings.entry(id).or_default().push(format!("{} {}", d.rule, d.message));
    }
    cases
        .iter()
        .map(|c| {
            let v = findings.remove(&c.id).map_or(Verdict::Accepted, |f| Verdict::Refused(f.join("; ")));
            (c.id, v)
        })
        .collect()
}

/// DynamoDB Local's verdict: CreateTable with the definition as its JSON body, unchanged (so
/// unknown members and wrong types reach it as written), in account `100000000000 + id`.
async fn dynamodb_verdict(http: &reqwest::Client, url: &str, case: &Case) -> Verdict {
    let account = 100_000_000_000u64 + case.id as u64;
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={account}/20260101/af-south-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"
    );
    let resp = http
        .post(url)
        .header("X-Amz-Target", "DynamoDB_20120810.CreateTable")
        .header("Content-Type", "application/x-amz-json-1.0")
        .header("X-Amz-Date", "20260101T000000Z")
        .header("Authorization", auth)
        .body(case.definition.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("case {}: CreateTable was not answered: {e}", case.id));
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Verdict::Accepted;
    }
    // A member of the wrong JSON type never reaches DynamoDB Local: LocalStack's request parser
    // refuses it (with a 500 where AWS answers SerializationException, a 400).
    let message = body["message"].as_str().unwrap_or_default();
    if status.as_u16() == 500 && message.contains("when parsing") {
        return Verdict::Refused(format!("SerializationException (LocalStack's parser): {message}"));
    }
    // DynamoDB Local answers a value outside an enum (BillingMode "ON_DEMAND") with a 500
    // InternalFailure where AWS answers ValidationException: a refusal all the same.
    if status.as_u16() == 500 && body["__type"].as_str().is_some_and(|t| t.ends_with("InternalFailure")) {
        return Verdict::Refused(format!("InternalFailure (DynamoDB Local, for AWS's ValidationException): {message}"));
    }
    assert!(status.is_client_error(), "case {} ({}): CreateTable answered {status}: {body}", case.id, case.family);
    let kind = body["__type"].as_str().unwrap_or_default().rsplit('#').next().unwrap_or_default().to_owned();
    let message = body["message"].as_str().or(body["Message"].as_str()).unwrap_or_default();
    Verdict::Refused(format!("{kind}: {message}"))
}

#[test]
fn createtable_verdicts_agree_with_dynamodb_local() {
    let cases = cases::generate();
    assert!(cases.len() >= AT_LEAST, "only {} definitions generated", cases.len());
    let ours = stagegate_verdicts(&cases);

    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let theirs: BTreeMap<usize, Verdict> = runtime.block_on(async {
        let emulator = Emulator::start_localstack().await.expect("LocalStack 4.5.0 starts");
        let url = emulator.endpoint().url.clone().expect("an emulator has a URL");
        let http = reqwest::Client::builder().no_proxy().build().expect("an HTTP client");
        let verdicts = futures::stream::iter(&cases)
            .map(|c| {
                let (http, url) = (&http, url.as_str());
                async move { (c.id, dynamodb_verdict(http, url, c).await) }
            })
            .buffer_unordered(8)
            .collect::<Vec<_>>()
            .await;
        emulator.shutdown().await;
        verdicts.into_iter().collect()
    });
    let listing: String = cases
        .iter()
        .map(|c| {
            format!(
                "{:03} {:<12} {:<45} stagegate {:?} | DynamoDB Local {:?}\n",
                c.id, c.base, c.family, ours[&c.id], theirs[&c.id]
            )
        })
        .collect();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("createtable-differential.txt");
    fs::write(&out, listing).expect("the verdict listing is writable");
    println!("verdicts of every case: {}", out.display());

    let mut disagreements = Vec::new();
    let mut exceptions_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &cases {
        let (ours, theirs) = (&ours[&case.id], &theirs[&case.id]);
        let excepted = EXCEPTIONS.iter().find(|(family, _)| *family == case.family);
        match excepted {
            Some((family, _)) if !ours.accepted() && theirs.accepted() => {
                *exceptions_seen.entry(family).or_default() += 1;
            }
            Some(_) => disagreements.push(format!(
                "case {} {} {}: listed as an exception, yet stagegate {ours:?} and DynamoDB Local {theirs:?}",
                case.id, case.base, case.family
            )),
            None if ours.accepted() != theirs.accepted() => disagreements.push(format!(
                "case {} {} {}:\n    stagegate: {ours:?}\n    DynamoDB Local: {theirs:?}\n    {}",
                case.id, case.base, case.family, case.definition
            )),
            None => {}
        }
    }
    let refused = theirs.values().filter(|v| !v.accepted()).count();
    println!(
        "{} definitions: DynamoDB Local accepted {}, refused {refused}; exceptions {exceptions_seen:?}",
        cases.len(),
        cases.len() - refused
    );
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
    assert!(refused > cases.len() / 3 && refused < cases.len(), "the cases must be both valid and broken");
}
