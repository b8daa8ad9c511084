//! Steps for the post-deploy invariants (features/verify).

use cucumber::{then, when};
use stagegate::engine::desired::DesiredEnvironment;
use stagegate::foundation::repo::Repo;
use stagegate::release::verify::{VerifyReport, verify};

use super::{Env, World};

impl World {
    pub(super) fn verified(&self) -> &VerifyReport {
        self.release.verification.as_ref().expect("the environment was verified")
    }
}

#[when(expr = "the {env} environment is verified")]
async fn verified(w: &mut World, env: Env) {
    let desired = DesiredEnvironment::load(&w.working_copy(), env.0).expect("desired");
    let clients = w.clients(env.0).await;
    w.release.verification = Some(verify(&clients, &desired).await.expect("verify ran"));
}

#[then("every check passes")]
async fn all_pass(w: &mut World) {
    assert!(w.verified().passed(), "{}", w.verified());
}

#[then(
    "there are checks for the 3 tables, their 6 indexes, their tags, their point-in-time recovery, the bucket's 4 settings and the 4 templates"
)]
async fn check_counts(w: &mut World) {
    let count = |prefix: &str| w.verified().checks.iter().filter(|c| c.subject.starts_with(prefix)).count();
    assert_eq!(
        [
            count("table "),
            count("index "),
            count("tags of "),
            count("point-in-time"),
            count("bucket "),
            count("template ")
        ],
        [3, 6, 3, 3, 4, 4],
        "{}",
        w.verified()
    );
}

#[then(expr = "check {word} {string} fails saying {string}")]
async fn check_fails(w: &mut World, requirement: String, subject: String, why: String) {
    let report = w.verified();
    let c = report
        .checks
        .iter()
        .find(|c| c.subject == subject)
        .unwrap_or_else(|| panic!("no check of {subject}: {report}"));
    assert!(!c.passed && c.requirement == requirement && c.detail.contains(&why), "{c:?}\n{report}");
}

#[then("every other check passes")]
async fn others_pass(w: &mut World) {
    let failures = w.verified().failures();
    assert_eq!(failures.len(), 1, "{}", w.verified());
}

#[when(expr = "the table {string} is deleted behind stagegate's back in {env}")]
async fn delete_table(w: &mut World, table: String, env: Env) {
    w.clients(env.0).await.dynamodb.delete_table().table_name(table).send().await.expect("delete table");
}

#[when(expr = "versioning of {string} is suspended behind stagegate's back in {env}")]
async fn suspend_versioning(w: &mut World, bucket: String, env: Env) {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let c = w.clients(env.0).await;
    let suspended = VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build();
    c.s3.put_bucket_versioning().bucket(bucket).versioning_configuration(suspended).send().await.expect("suspend");
}

#[when(expr = "default encryption of {string} is removed behind stagegate's back in {env}")]
async fn remove_encryption(w: &mut World, bucket: String, env: Env) {
    w.clients(env.0).await.s3.delete_bucket_encryption().bucket(bucket).send().await.expect("remove encryption");
}

#[when(expr = "the template {string} in {string} is overwritten behind stagegate's back in {env}")]
async fn overwrite_template(w: &mut World, key: String, bucket: String, env: Env) {
    let c = w.clients(env.0).await;
    c.s3.put_object().bucket(bucket).key(key).body(b"<p>defaced</p>".to_vec().into()).send().await.expect("overwrite");
}

#[when(expr = "the post-deploy tests of {env} run")]
async fn tiered(w: &mut World, env: Env) {
    let tier = stagegate::foundation::policy::Pipeline::load(&w.checkout_dir())
        .expect("policy")
        .environment(env.0)
        .post_deploy_tests;
    run_tier(w, env, tier).await;
}

#[when(regex = r"^the (basic|integration|smoke)-tier post-deploy tests of (DEV|SIT|PROD) run$")]
async fn chosen_tier(w: &mut World, tier: String, env: Env) {
    let tier = serde_json::from_value(serde_json::Value::String(tier)).expect("a tier");
    run_tier(w, env, tier).await;
}

#[then(
    expr = "the item check of {string} in {word} is made only where the backend replicates items, and otherwise listed as not proven"
)]
async fn item_check_not_proven(w: &mut World, table: String, region: String) {
    let flavor = w.endpoint().await.flavor;
    let report = w.verified();
    let subject = stagegate::resources::dr::table_replica::item_subject(&table, &region);
    let made = report.checks.iter().find(|c| c.subject == subject);
    let unproven = report.not_proven.iter().find(|n| n.subject == subject);
    if flavor.has(stagegate::emulator::Capability::DynamoDbItemReplication) {
        assert!(made.is_some_and(|c| c.passed) && unproven.is_none(), "{report}");
    } else {
        assert!(made.is_none(), "an item check the backend cannot make was counted: {report}");
        let n = unproven.unwrap_or_else(|| panic!("not listed as not proven: {report}"));
        assert!(n.why.contains("DynamoDB replication of items between regions"), "{report}");
        assert!(report.to_string().contains(&format!("NOT PROVEN R58 {subject}")), "{report}");
    }
}

async fn run_tier(w: &mut World, env: Env, tier: stagegate::foundation::policy::TestTier) {
    let dir = w.checkout_dir();
    let repo = Repo::open(&dir).expect("the checkout");
    let desired = DesiredEnvironment::load(&repo, env.0).expect("desired");
    let endpoint = w.endpoint().await;
    let recorder = stagegate::aws::ActionRecorder::default();
    let clients =
        stagegate::aws::AwsClients::recording(&endpoint, env.0, stagegate::aws::DEFAULT_REGION, recorder.clone()).await;
    w.release.verification =
        Some(stagegate::release::verify::post_deploy_tests(&clients, &desired, tier, &dir).await.expect("tests ran"));
    w.release.test_calls = Some(recorder);
}

/// The DynamoDB item operations (reads and writes of items, not of tables).
const ITEM_OPERATIONS: [&str; 9] = [
    "PutItem",
    "GetItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

#[then(expr = "on each table of {env} they performed exactly the item operations {string}")]
async fn item_operations(w: &mut World, env: Env, wanted: String) {
    let recorder = w.release.test_calls.as_ref().expect("the post-deploy tests ran while recording");
    let wanted: std::collections::BTreeSet<&str> = wanted.split(", ").filter(|op| *op != "none").collect();
    for table in ["campaigns", "products", "tenants"] {
        let arn = format!("arn:aws:dynamodb:{}:{}:table/{table}", stagegate::aws::DEFAULT_REGION, env.0.account_id());
        let performed: std::collections::BTreeSet<String> = recorder
            .calls()
            .into_iter()
            .filter(|c| c.resource.as_deref().is_some_and(|r| r == arn || r.starts_with(&format!("{arn}/"))))
            .filter_map(|c| c.action.strip_prefix("dynamodb:").map(str::to_owned))
            .filter(|op| ITEM_OPERATIONS.contains(&op.as_str()))
            .collect();
        let performed: std::collections::BTreeSet<&str> = performed.iter().map(String::as_str).collect();
        assert_eq!(performed, wanted, "{table} in {}", env.0);
    }
}

#[then(expr = "they include {int} {word} checks, all passing, saying {string}")]
async fn tier_checks(w: &mut World, n: usize, tier: String, says: String) {
    let report = w.verified();
    let tiered: Vec<_> = report.checks.iter().filter(|c| c.requirement == "R24").collect();
    assert_eq!(tiered.len(), n, "{report}");
    for c in tiered {
        assert!(c.passed && c.subject.starts_with(&tier) && c.detail.contains(&says), "{c:?}");
    }
    assert!(report.passed(), "{report}");
}

#[then(expr = "every table of {env} is empty afterwards")]
async fn tables_empty(w: &mut World, env: Env) {
    let clients = w.clients(env.0).await;
    for table in ["campaigns", "products", "tenants"] {
        let scan = clients.dynamodb.scan().table_name(table).send().await.expect("scan");
        assert_eq!(scan.count(), 0, "{table}");
    }
}

#[when(
    regex = r#"^the public access block flag (BlockPublicAcls|IgnorePublicAcls|BlockPublicPolicy|RestrictPublicBuckets) of "([a-z0-9-]+)" is switched off behind stagegate's back in (DEV|SIT|PROD)$"#
)]
async fn flag_off(w: &mut World, flag: String, bucket: String, env: Env) {
    use aws_sdk_s3::types::PublicAccessBlockConfiguration;
    let c = w.clients(env.0).await;
    let one_off = PublicAccessBlockConfiguration::builder()
        .block_public_acls(flag != "BlockPublicAcls")
        .ignore_public_acls(flag != "IgnorePublicAcls")
        .block_public_policy(flag != "BlockPublicPolicy")
        .restrict_public_buckets(flag != "RestrictPublicBuckets")
        .build();
    c.s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(one_off)
        .send()
        .await
        .expect("switch the flag off");
}
