//! Steps for the DR region (features/deploy/dr_region.feature).

use cucumber::{given, then, when};
use stagegate::Environment;
use stagegate::aws::AwsClients;
use stagegate::engine::desired::DesiredEnvironment;
use stagegate::resources::dr::{replication, table_replica};
use stagegate::resources::schema::TableDefinition;

use super::{Env, World, git};

/// What the DR and cost alert steps keep: the last PR comment with its cost change.
#[derive(Debug, Default)]
pub struct DrScene {
    pub(super) cost_comment: Option<String>,
}

const TABLES: [&str; 3] = ["campaigns", "products", "tenants"];

impl World {
    async fn desired(&self, env: Environment) -> DesiredEnvironment {
        DesiredEnvironment::load(&self.working_copy(), env).expect("the desired state")
    }

    fn table_definition(&self, table: &str) -> TableDefinition {
        TableDefinition::load(&self.workdir().join(format!("schemas/{table}/table.json"))).expect("a table definition")
    }
}

/// Appends a `dr:` section naming `region` for `env` to the repo's pipeline.yml.
fn name_dr_region(dir: &std::path::Path, region: &str, env: Environment) {
    let path = dir.join("pipeline.yml");
    let mut text = std::fs::read_to_string(&path).expect("pipeline.yml");
    text.push_str(&format!(
        "\ndr:\n  region: {region}\n  environments: [{}]\n  replication_role: bbws-templates-replication\n",
        env.name()
    ));
    std::fs::write(&path, text).expect("written");
}

#[given(regex = r"^a new commit on main names ([a-z0-9-]+) as the DR region of (DEV|SIT|PROD)$")]
async fn dr_commit(w: &mut World, region: String, env: Env) {
    let dir = w.checkout_dir();
    name_dr_region(&dir, &region, env.0);
    git(&dir, &["commit", "--quiet", "--all", "--message", "DR region"]);
}

#[then(regex = r"^every table of (DEV|SIT|PROD) has a replica ACTIVE in ([a-z0-9-]+)$")]
async fn replicas_active(w: &mut World, env: Env, region: String) {
    let desired = w.desired(env.0).await;
    let clients = w.clients(env.0).await;
    let report = stagegate::release::verify::verify(&clients, &desired).await.expect("verified");
    for table in TABLES {
        let subject = format!("replica of {table} in {region}");
        let c =
            report.checks.iter().find(|c| c.subject == subject).unwrap_or_else(|| panic!("no {subject}:\n{report}"));
        assert!(c.passed && c.detail == format!("replica ACTIVE in {region}"), "{report}");
    }
}

#[then(regex = r"^no table of (DEV|SIT|PROD) has a replica in ([a-z0-9-]+)$")]
async fn no_replicas(w: &mut World, env: Env, region: String) {
    let clients = w.clients(env.0).await;
    for table in TABLES {
        let replica = table_replica::read(&clients, table, &region).await.expect("read");
        let plan = w.release.rollback_plan.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(replica.is_none(), "{table} still has {replica:?}; the rollback planned:\n{plan}");
    }
}

#[then(
    regex = r#"^the templates bucket of (DEV|SIT|PROD) has a replication rule to "([a-z0-9-]+)", which is versioned in ([a-z0-9-]+)$"#
)]
async fn replication_rule(w: &mut World, env: Env, destination: String, region: String) {
    let clients = w.clients(env.0).await;
    let bucket = format!("bbws-templates-{}", env.0.name());
    let rule = replication::read(&clients, &bucket).await.expect("read").expect("a replication rule");
    assert_eq!(rule.attributes["destination_bucket"], format!("arn:aws:s3:::{destination}"));
    assert_eq!(rule.attributes["status"], "Enabled");
    assert_eq!(rule.attributes["role"], format!("arn:aws:iam::{}:role/bbws-templates-replication", env.0.account_id()));
    let dr = clients.in_region(&region);
    let versioned = stagegate::aws::bucket_versioning_enabled(&dr.s3, &destination).await.expect("versioning");
    assert!(versioned, "{destination} is not versioned");
    let location = dr.s3.get_bucket_location().bucket(&destination).send().await.expect("GetBucketLocation");
    assert_eq!(location.location_constraint().map(|l| l.as_str()), Some(region.as_str()));
}

#[then(
    regex = r"^the templates bucket of (DEV|SIT|PROD) has no replication rule and ([a-z0-9-]+) has no bucket ([a-z0-9-]+)$"
)]
async fn no_replication(w: &mut World, env: Env, region: String, destination: String) {
    let clients = w.clients(env.0).await;
    let bucket = format!("bbws-templates-{}", env.0.name());
    assert!(replication::read(&clients, &bucket).await.expect("read").is_none(), "{bucket} still replicates");
    let dr = clients.in_region(&region);
    assert!(dr.s3.head_bucket().bucket(&destination).send().await.is_err(), "{destination} is still there");
}

#[then(regex = r#"^an item written to "([a-z]+)" in (DEV|SIT|PROD)'s region is readable in ([a-z0-9-]+)$"#)]
async fn item_replicates(w: &mut World, table: String, env: Env, region: String) {
    let clients: AwsClients = w.clients(env.0).await;
    let def = w.table_definition(&table);
    let c = table_replica::item_replicates(&clients, &def, &region).await;
    assert!(c.passed, "{c:?}");
}

#[then(regex = r#"^the template "([a-z-]+\.html)" is readable from "([a-z0-9-]+)" in ([a-z0-9-]+)$"#)]
async fn template_replicated(w: &mut World, key: String, bucket: String, region: String) {
    let clients = w.clients(Environment::Dev).await.in_region(&region);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(900);
    while clients.s3.head_object().bucket(&bucket).key(&key).send().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "{key} never reached {bucket}");
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

#[when(regex = r#"^DEV is rolled back to its deployment before the DR region, approved by (.+)$"#)]
async fn rolled_back_before_dr(w: &mut World, approvers: String) {
    let dir = w.checkout_dir();
    let first = git(&dir, &["rev-list", "--max-parents=0", "HEAD"]);
    let tags = stagegate::release::tags::deployment_tags(&dir, Environment::Dev).expect("tags");
    let tag = tags
        .iter()
        .find(|t| stagegate::foundation::git::tag_commit(&dir, t).expect("a tag") == first)
        .unwrap_or_else(|| panic!("no DEV tag of the first commit in {tags:?}"))
        .clone();
    let rollback = w.preview_rollback(Environment::Dev, &tag).await;
    w.run_rollback(rollback, &approvers, "rollback-dev", true).await;
}

#[given(regex = r"^the working copy names ([a-z0-9-]+) as the DR region of (DEV|SIT|PROD), with usage for it$")]
async fn dr_with_usage(w: &mut World, region: String, env: Env) {
    let dir = w.workdir();
    name_dr_region(&dir, &region, env.0);
    // The replicas take every write of their table and hold a full copy of it.
    let usage = dir.join(stagegate::engine::cost::usage_file(env.0));
    let mut text = std::fs::read_to_string(&usage).expect("the usage file");
    let name = env.0.name();
    text.push_str(&format!(
        "  aws_dynamodb_table_replica.tenants:\n    monthly_write_request_units: 200000\n    storage_gb: 1\n\
         \x20 aws_dynamodb_table_replica.products:\n    monthly_write_request_units: 200000\n    storage_gb: 1\n\
         \x20 aws_dynamodb_table_replica.campaigns:\n    monthly_write_request_units: 100000\n    storage_gb: 1\n\
         \x20 aws_s3_bucket.bbws-templates-{name}-{region}:\n    standard:\n      storage_gb: 1\n      monthly_tier_2_requests: 0\n"
    ));
    std::fs::write(&usage, text).expect("written");
}

#[given(regex = r"^the price list of the working copy has no ([a-z0-9-]+) prices$")]
async fn no_prices(w: &mut World, region: String) {
    let path = w.workdir().join(stagegate::engine::cost::PRICES_FILE);
    let text = std::fs::read_to_string(&path).expect("the price list");
    let cut = text.find(&format!("  {region}:")).expect("the region's prices");
    let start = text[..cut].rfind("\n  #").map_or(cut, |i| i + 1);
    std::fs::write(&path, &text[..start]).expect("written");
}
