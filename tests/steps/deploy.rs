//! Steps for plan, apply and drift (features/plan, features/deploy).

use std::path::PathBuf;
use std::time::Duration;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::{Value, json};
use stagegate::Environment;
use stagegate::aws::{ActionRecorder, AwsClients, DEFAULT_REGION};
use stagegate::engine::apply::{ApplyOptions, apply};
use stagegate::engine::desired::DesiredEnvironment;
use stagegate::engine::live::read_table;
use stagegate::engine::plan::{Action, Cause, Plan, markdown, plan_environment, plan_environments};
use stagegate::engine::state::{Component, OPERATION_APPLY, StateStore};
use stagegate::foundation::repo::Repo;

use super::validation::copy_dir;
use super::{Env, World, component};

const COMMIT: &str = "5e1f0c2a9d3b4e6f8a7c1b2d3e4f5a6b7c8d9e0f";

impl World {
    pub(super) fn workdir(&self) -> PathBuf {
        self.infra.checkout.as_ref().expect("a working copy of the sample repo").path().to_path_buf()
    }

    pub(super) fn working_copy(&self) -> Repo {
        Repo::open(&self.workdir()).expect("the working copy opens")
    }

    pub(super) fn edit_table(&self, table: &str, edit: impl FnOnce(&mut Value)) {
        let path = self.workdir().join("schemas").join(table).join("table.json");
        let mut def: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        edit(&mut def);
        std::fs::write(&path, serde_json::to_string_pretty(&def).expect("JSON")).expect("write");
    }

    pub(super) async fn plan(&mut self, env: Environment, at: jiff::Timestamp) -> Result<Plan, String> {
        let clients = self.clients(env).await;
        let desired = DesiredEnvironment::load(&self.working_copy(), env).map_err(|e| e.to_string())?;
        plan_environment(&clients, &desired, Some(COMMIT.into()), at).await.map_err(|e| e.to_string())
    }

    /// Bootstraps the environment's state backend and applies `plan` (or a fresh plan).
    async fn apply_plan(
        &mut self,
        env: Environment,
        plan: Option<Plan>,
        at: jiff::Timestamp,
        recorder: Option<ActionRecorder>,
    ) {
        let endpoint = self.endpoint().await;
        let store = match recorder {
            Some(r) => StateStore::new(AwsClients::recording(&endpoint, env, DEFAULT_REGION, r).await, env),
            None => StateStore::for_environment(&endpoint, env, DEFAULT_REGION).await,
        };
        store.bootstrap().await.expect("bootstrap");
        let plan = match plan {
            Some(p) => p,
            None => match self.plan(env, at).await {
                Ok(p) => p,
                Err(e) => {
                    self.release.outcome = Some(Err(e));
                    return;
                }
            },
        };
        let result = apply(&store, &plan, &self.working_copy(), at, &ApplyOptions::default()).await;
        self.release.outcome = Some(result.map_err(|e| e.to_string()));
    }

    pub(super) fn report(&self) -> &stagegate::engine::apply::ApplyReport {
        match self.release.outcome.as_ref().expect("an apply ran") {
            Ok(r) => r,
            Err(e) => panic!("the apply was refused: {e}"),
        }
    }

    fn last_plan(&self) -> &Plan {
        self.release.plans.last().expect("a plan was made")
    }

    fn stored_plan_path(&self) -> PathBuf {
        self.workdir().join("dev.plan.json")
    }
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

fn at(s: &str) -> jiff::Timestamp {
    s.parse().expect("an RFC 3339 instant in the feature")
}

#[given("a working copy of the sample repo")]
pub async fn working_copy(w: &mut World) {
    let dir = tempfile::tempdir().expect("a temp dir");
    copy_dir(&Repo::sample_path(), dir.path());
    w.infra.checkout = Some(dir);
}

#[given(expr = "the working copy has been applied to {env}")]
async fn has_been_applied(w: &mut World, env: Env) {
    w.apply_plan(env.0, None, now(), None).await;
    let report = w.report();
    assert!(report.succeeded(), "the apply of the Given failed: {report:?}");
}

#[when(expr = "the working copy is applied to {env}")]
async fn applied(w: &mut World, env: Env) {
    w.apply_plan(env.0, None, now(), None).await;
}

#[when(expr = "the working copy is applied to {env} while recording AWS operations")]
async fn applied_recording(w: &mut World, env: Env) {
    let recorder = ActionRecorder::default();
    w.apply_plan(env.0, None, now(), Some(recorder.clone())).await;
    assert!(w.report().succeeded(), "the apply failed: {:?}", w.report());
    w.stage1.recorded = super::security::RecordedApply::of(env.0, &recorder);
}

#[then("the recorded operations include:")]
async fn recorded_ops(w: &mut World, step: &Step) {
    let recorded = w.stage1.recorded.operations();
    for op in super::state::column(step) {
        assert!(recorded.contains(op.as_str()), "{op} not in {recorded:?}");
    }
}

#[when("the working copy is planned for every environment")]
async fn plan_all(w: &mut World) {
    let endpoint = w.endpoint().await;
    let repo = w.working_copy();
    let plans = plan_environments(&endpoint, DEFAULT_REGION, &repo, &Environment::ALL, Some(COMMIT.into()), now())
        .await
        .expect("plans");
    w.release.plans = plans.into_iter().map(|(plan, _)| plan).collect();
}

#[when(expr = "the working copy is planned for {env}")]
async fn plan_one(w: &mut World, env: Env) {
    match w.plan(env.0, now()).await {
        Ok(p) => w.release.plans.push(p),
        Err(e) => w.release.outcome = Some(Err(e)),
    }
}

#[then("there is one plan each for DEV, SIT and PROD, all of the same commit")]
async fn one_each(w: &mut World) {
    let envs: Vec<Environment> = w.release.plans.iter().map(|p| p.environment).collect();
    assert_eq!(envs, Environment::ALL);
    assert!(w.release.plans.iter().all(|p| p.commit.as_deref() == Some(COMMIT)));
}

#[then(
    expr = "each plan creates {int} resources: 3 tables, the templates bucket with its 3 settings, and 4 templates, and SIT's and PROD's {int} more for the backup plan"
)]
async fn each_creates(w: &mut World, n: usize, backup: usize) {
    for p in &w.release.plans {
        let backup = if p.environment == Environment::Dev { 0 } else { backup };
        assert_eq!(p.counts().get(&Action::Create).copied(), Some(n + backup), "{p}");
        let kinds = |k: &str| p.components.iter().flat_map(|c| &c.resources).filter(|r| r.kind == k).count();
        assert_eq!((kinds("aws_dynamodb_table"), kinds("aws_s3_object")), (3, 4));
        assert_eq!(kinds("aws_backup_plan") + kinds("aws_backup_vault") + kinds("aws_backup_selection"), backup);
    }
}

#[when(expr = "the products table gains the index {string} on {string} in the working copy")]
#[given(expr = "the products table gains the index {string} on {string} in the working copy")]
async fn add_index(w: &mut World, index: String, attribute: String) {
    w.edit_table("products", |def| {
        def["AttributeDefinitions"]
            .as_array_mut()
            .expect("a list")
            .push(json!({"AttributeName": attribute, "AttributeType": "S"}));
        def["GlobalSecondaryIndexes"].as_array_mut().expect("a list").push(json!({
            "IndexName": index,
            "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}
        }));
    });
}

#[given(
    expr = "the products table is keyed by its number {string} and a new binary sort key {string} in the working copy"
)]
async fn typed_keys(w: &mut World, number: String, binary: String) {
    w.edit_table("products", |def| {
        def["KeySchema"] = json!([
            {"AttributeName": number, "KeyType": "HASH"},
            {"AttributeName": binary, "KeyType": "RANGE"}
        ]);
        def["AttributeDefinitions"]
            .as_array_mut()
            .expect("a list")
            .push(json!({"AttributeName": binary, "AttributeType": "B"}));
    });
}

#[when(expr = "the hash key of the tenants table becomes {string} in the working copy")]
async fn new_hash_key(w: &mut World, key: String) {
    w.edit_table("tenants", |def| {
        let old = def["KeySchema"][0]["AttributeName"].as_str().expect("a key").to_owned();
        def["KeySchema"][0]["AttributeName"] = json!(key);
        for a in def["AttributeDefinitions"].as_array_mut().expect("a list") {
            if a["AttributeName"] == json!(old) {
                a["AttributeName"] = json!(key);
            }
        }
    });
}

#[given(expr = "the template {string} is edited in the working copy")]
async fn edit_template(w: &mut World, name: String) {
    let path = w.workdir().join("templates").join(name);
    let text = std::fs::read_to_string(&path).expect("a template");
    std::fs::write(&path, text.replace("</body>", "<!-- revised --></body>")).expect("write");
}

#[when(expr = "the template {string} is removed from the working copy")]
async fn remove_template(w: &mut World, name: String) {
    std::fs::remove_file(w.workdir().join("templates").join(name)).expect("a template to remove");
}

#[then(expr = "the plan {word} {string}")]
async fn plan_action(w: &mut World, verb: String, address: String) {
    let action = match verb.as_str() {
        "creates" => Action::Create,
        "updates" => Action::Update,
        "replaces" => Action::Replace,
        "deletes" => Action::Delete,
        other => panic!("unknown action {other}"),
    };
    let r = w.last_plan().resource(&address).unwrap_or_else(|| panic!("{address} not in the plan"));
    assert_eq!(r.action, action, "{}", w.last_plan());
    w.release.focus = Some(address);
}

fn focused(w: &World) -> &stagegate::engine::plan::ResourceChange {
    let address = w.release.focus.as_deref().expect("a resource in focus");
    w.last_plan().resource(address).expect("in the plan")
}

#[then(expr = "that change sets {word}, caused by the configuration")]
async fn caused_by_config(w: &mut World, attribute: String) {
    let r = focused(w);
    let change =
        r.changes.iter().find(|c| c.name == attribute).unwrap_or_else(|| panic!("{attribute} unchanged: {r:?}"));
    assert_eq!(change.cause, Cause::Config);
    assert!(!r.drift);
}

#[then(expr = "that change sets {word}, caused by drift")]
async fn caused_by_drift(w: &mut World, attribute: String) {
    let r = focused(w);
    let change =
        r.changes.iter().find(|c| c.name == attribute).unwrap_or_else(|| panic!("{attribute} unchanged: {r:?}"));
    assert_eq!(change.cause, Cause::Drift, "{r:?}");
    assert!(r.drift);
}

#[then("that resource is marked as drift")]
async fn marked_drift(w: &mut World) {
    assert!(focused(w).drift);
}

#[then("every other resource of the plan is unchanged")]
async fn others_unchanged(w: &mut World) {
    let focus = w.release.focus.clone().expect("a resource in focus");
    for r in w.last_plan().components.iter().flat_map(|c| &c.resources) {
        assert!(r.address == focus || r.action == Action::NoOp, "{} is {:?}", r.address, r.action);
    }
}

#[then(expr = "the plan replaces {string} because {string}")]
async fn replaces_because(w: &mut World, address: String, why: String) {
    let r = w.last_plan().resource(&address).expect("in the plan");
    assert_eq!(r.action, Action::Replace);
    assert!(r.reason.as_deref().unwrap_or_default().contains(&why), "{:?}", r.reason);
}

#[then(expr = "planning is refused for {string} because {string}")]
async fn plan_refused(w: &mut World, address: String, why: String) {
    let Some(Err(e)) = &w.release.outcome else { panic!("planning was not refused") };
    assert!(e.starts_with(&address) && e.contains(&why), "{e}");
}

#[then(expr = "the PR comment counts {string}")]
async fn comment_counts(w: &mut World, counts: String) {
    assert!(markdown(w.last_plan()).contains(&counts), "{}", markdown(w.last_plan()));
}

#[then(expr = "the PR comment has a row for {string} with the action {string}")]
async fn comment_row(w: &mut World, address: String, action: String) {
    let md = markdown(w.last_plan());
    assert!(md.lines().any(|l| l.contains(&format!("`{address}`")) && l.contains(&format!("| {action} |"))), "{md}");
}

#[then("the PR comment folds the attribute changes into a details block")]
async fn comment_details(w: &mut World) {
    let md = markdown(w.last_plan());
    let details = md.split("<details>").nth(1).expect("a details block");
    assert!(details.contains("global_secondary_indexes") && details.contains("</details>"), "{md}");
}

#[then(expr = "a new plan for {env} changes nothing")]
async fn converged(w: &mut World, env: Env) {
    // After an apply, that apply must have succeeded: a refused or failed one is no convergence.
    match &w.release.outcome {
        Some(Ok(report)) => assert!(report.succeeded(), "{report:?}"),
        Some(Err(e)) => panic!("the apply before the new plan was refused: {e}"),
        None => {}
    }
    let plan = w.plan(env.0, now()).await.expect("a plan");
    assert!(!plan.has_changes(), "{plan}");
}

// Changes behind stagegate's back, made with the environment's own credentials.

#[given(expr = "point-in-time recovery of {string} is switched off behind stagegate's back in {env}")]
#[when(expr = "point-in-time recovery of {string} is switched off behind stagegate's back in {env}")]
async fn pitr_off(w: &mut World, table: String, env: Env) {
    use aws_sdk_dynamodb::types::PointInTimeRecoverySpecification;
    let spec = PointInTimeRecoverySpecification::builder().point_in_time_recovery_enabled(false).build().expect("set");
    let c = w.clients(env.0).await;
    c.dynamodb
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(spec)
        .send()
        .await
        .expect("PITR off");
}

#[when(expr = "the tag {string} is removed from {string} behind stagegate's back in {env}")]
async fn untag(w: &mut World, tag: String, table: String, env: Env) {
    let c = w.clients(env.0).await;
    let arn = c
        .dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe")
        .table
        .expect("a table")
        .table_arn
        .expect("an ARN");
    c.dynamodb.untag_resource().resource_arn(arn).tag_keys(tag).send().await.expect("untag");
}

#[when(expr = "the index {string} of {string} is deleted behind stagegate's back in {env}")]
async fn drop_index(w: &mut World, index: String, table: String, env: Env) {
    use aws_sdk_dynamodb::types::{DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate};
    let delete = DeleteGlobalSecondaryIndexAction::builder().index_name(index).build().expect("set");
    let c = w.clients(env.0).await;
    c.dynamodb
        .update_table()
        .table_name(table)
        .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().delete(delete).build())
        .send()
        .await
        .expect("drop index");
}

#[when(expr = "the public access block of {string} is loosened behind stagegate's back in {env}")]
async fn loosen_pab(w: &mut World, bucket: String, env: Env) {
    use aws_sdk_s3::types::PublicAccessBlockConfiguration;
    let c = w.clients(env.0).await;
    let loose = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(false)
        .restrict_public_buckets(true)
        .build();
    c.s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(loose)
        .send()
        .await
        .expect("loosen");
}

#[when(expr = "the tags of the bucket {string} are removed behind stagegate's back in {env}")]
async fn untag_bucket(w: &mut World, bucket: String, env: Env) {
    w.clients(env.0).await.s3.delete_bucket_tagging().bucket(bucket).send().await.expect("untag the bucket");
}

#[when(expr = "the public access block of {string} is deleted behind stagegate's back in {env}")]
async fn delete_pab(w: &mut World, bucket: String, env: Env) {
    let c = w.clients(env.0).await;
    c.s3.delete_public_access_block().bucket(bucket).send().await.expect("delete the public access block");
}

#[when(expr = "the template {string} is deleted from {string} behind stagegate's back in {env}")]
async fn delete_template(w: &mut World, key: String, bucket: String, env: Env) {
    let c = w.clients(env.0).await;
    c.s3.delete_object().bucket(bucket).key(key).send().await.expect("delete object");
}

// What exists.

#[then(
    regex = r"^account (\d{12}) has the tables campaigns, products and tenants, ACTIVE with every index of their definitions$"
)]
async fn tables_exist(w: &mut World, account: String) {
    let env = Environment::for_account(&account).expect("an LLD account");
    let clients = w.clients(env).await;
    let repo = w.working_copy();
    for table in ["campaigns", "products", "tenants"] {
        let out = clients.dynamodb.describe_table().table_name(table).send().await.expect("the table exists");
        let t = out.table.expect("a table");
        assert_eq!(t.table_status.as_ref().map(|s| s.as_str()), Some("ACTIVE"));
        let def = stagegate::resources::schema::TableDefinition::load(&stagegate::resources::schema::table_file(
            repo.root(),
            table,
        ))
        .expect("def");
        let mut live: Vec<String> =
            t.global_secondary_indexes().iter().filter_map(|g| g.index_name().map(str::to_owned)).collect();
        let mut wanted: Vec<String> = def.global_secondary_indexes.iter().map(|g| g.index_name.clone()).collect();
        live.sort();
        wanted.sort();
        assert_eq!(live, wanted, "{table}");
        assert!(t.global_secondary_indexes().iter().all(|g| g.index_status().map(|s| s.as_str()) == Some("ACTIVE")));
    }
}

#[then(expr = "account {word} has the bucket {string} holding the {int} templates byte for byte")]
async fn bucket_holds(w: &mut World, account: String, bucket: String, n: usize) {
    let env = Environment::for_account(&account).expect("an LLD account");
    let clients = w.clients(env).await;
    let dir = w.workdir().join("templates");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("templates").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".html") {
            continue;
        }
        let got = clients.s3.get_object().bucket(&bucket).key(&name).send().await.expect("the object exists");
        let bytes = got.body.collect().await.expect("body").into_bytes();
        assert_eq!(bytes.as_ref(), std::fs::read(entry.path()).expect("read").as_slice(), "{name}");
        count += 1;
    }
    assert_eq!(count, n);
}

#[then(expr = "every component's {env} state is at serial {int}")]
async fn all_at_serial(w: &mut World, env: Env, serial: u64) {
    let store = w.store(env.0).await;
    for c in w.working_copy().components().expect("components") {
        let s = store.read(&c).await.expect("read").expect("a state");
        assert_eq!(s.state.serial, serial, "{c}");
        assert!(!s.state.resources.is_empty(), "{c} records nothing");
    }
}

#[then(expr = "no {env} state lock is held")]
async fn no_locks(w: &mut World, env: Env) {
    assert_eq!(w.store(env.0).await.locks().await.expect("locks"), Vec::new());
}

#[then(expr = "the DEV states of campaigns, tenants and templates are still at serial {int}")]
async fn others_at(w: &mut World, serial: u64) {
    let store = w.store(Environment::Dev).await;
    for name in ["campaigns", "tenants", "templates"] {
        assert_eq!(store.read(&component(name)).await.expect("read").expect("a state").state.serial, serial, "{name}");
    }
}

// Stored plans.

#[given(expr = "a DEV plan of the working copy is stored")]
async fn store_plan_now(w: &mut World) {
    store_plan(w, now()).await;
}

#[given(expr = "a DEV plan of the working copy is stored at {string}")]
#[when(expr = "a DEV plan of the working copy is stored at {string}")]
async fn store_plan_at(w: &mut World, instant: String) {
    store_plan(w, at(&instant)).await;
}

async fn store_plan(w: &mut World, instant: jiff::Timestamp) {
    let plan = w.plan(Environment::Dev, instant).await.expect("a plan");
    plan.save(&w.stored_plan_path()).expect("stored");
    w.release.plans.push(plan);
}

#[given(
    expr = "the DEV state of {string} was replaced by a state of another lineage at the serial the plan was made against"
)]
async fn other_lineage_same_serial(w: &mut World, name: String) {
    let plan = Plan::load(&w.stored_plan_path()).expect("the stored plan");
    let planned = plan.components.iter().find(|c| c.component == name).expect("the component was planned");
    let store = w.store(Environment::Dev).await;
    let c = component(&name);
    let current = store.read(&c).await.expect("read").expect("a state").state;
    let mut other = stagegate::engine::state::TerraformState::new();
    (other.serial, other.resources) = (planned.serial, current.resources);
    assert_ne!(Some(&other.lineage), planned.lineage.as_ref());
    let lock = store.lock(&c, OPERATION_APPLY, "terraform@laptop", "state push").await.expect("lock");
    store.write(&c, &other, &lock).await.expect("write");
    store.unlock(&c, &lock.id).await.expect("unlock");
}

#[when("the stored plan is applied")]
async fn apply_stored(w: &mut World) {
    let plan = Plan::load(&w.stored_plan_path()).expect("the stored plan");
    w.apply_plan(Environment::Dev, Some(plan), now(), None).await;
}

#[when(expr = "the stored plan is applied at {string}")]
async fn apply_stored_at(w: &mut World, instant: String) {
    let plan = Plan::load(&w.stored_plan_path()).expect("the stored plan");
    w.apply_plan(Environment::Dev, Some(plan), at(&instant), None).await;
}

#[then("the apply succeeds")]
async fn apply_succeeds(w: &mut World) {
    assert!(w.report().succeeded(), "{:?}", w.report());
}

#[then(expr = "the apply is refused with {string}")]
async fn apply_refused(w: &mut World, wording: String) {
    match w.release.outcome.as_ref().expect("an apply ran") {
        Err(e) => assert!(e.contains(&wording), "{e}"),
        Ok(r) => panic!("the apply was not refused: {r:?}"),
    }
}

#[then(expr = "the apply is refused with {string} naming {string}")]
async fn apply_refused_naming(w: &mut World, wording: String, holder: String) {
    match w.release.outcome.as_ref().expect("an apply ran") {
        Err(e) => assert!(e.contains(&wording) && e.contains(&holder), "{e}"),
        Ok(r) => panic!("the apply was not refused: {r:?}"),
    }
}

#[then("the stored plan is for environment dev and the working copy's commit")]
async fn stored_env(w: &mut World) {
    let plan = Plan::load(&w.stored_plan_path()).expect("the stored plan");
    assert_eq!((plan.environment, plan.commit.as_deref()), (Environment::Dev, Some(COMMIT)));
}

#[then(expr = "the stored plan records, for each component, its state lineage and serial {int}")]
async fn stored_lineage(w: &mut World, serial: u64) {
    let plan = Plan::load(&w.stored_plan_path()).expect("the stored plan");
    let store = w.store(Environment::Dev).await;
    for cp in &plan.components {
        let state = store.read(&component(&cp.component)).await.expect("read").expect("a state").state;
        assert_eq!((cp.lineage.as_deref(), cp.serial), (Some(state.lineage.as_str()), serial), "{}", cp.component);
    }
}

#[then(expr = "the stored plan was created at {string} and expires at {string}")]
async fn stored_times(w: &mut World, created: String, expires: String) {
    let plan = Plan::load(&w.stored_plan_path()).expect("the stored plan");
    assert_eq!((plan.created, plan.expires), (at(&created), at(&expires)));
}

#[given("the products component was applied again since, by another change")]
async fn applied_again(w: &mut World) {
    let stored = std::fs::read(w.stored_plan_path()).expect("the stored plan");
    // Another change lands first: a tag on products, planned and applied in full.
    let saved = w.workdir().join("schemas/products/table.json");
    let with_index = std::fs::read(&saved).expect("read");
    w.edit_table("products", |def| {
        let gsis = def["GlobalSecondaryIndexes"].as_array_mut().expect("a list");
        gsis.retain(|g| g["IndexName"] != json!("sku-index"));
        def["AttributeDefinitions"].as_array_mut().expect("a list").retain(|a| a["AttributeName"] != json!("sku"));
        def["Tags"].as_array_mut().expect("a list").push(json!({"Key": "Reviewed", "Value": "yes"}));
    });
    w.apply_plan(Environment::Dev, None, now(), None).await;
    assert!(w.report().succeeded());
    std::fs::write(&saved, with_index).expect("restore the working copy");
    std::fs::write(w.stored_plan_path(), stored).expect("keep the stored plan");
}

#[then(expr = "the products table in account {word} has no index {string}")]
async fn no_index(w: &mut World, account: String, index: String) {
    assert!(!has_index(w, &account, &index).await);
}

#[then(expr = "the products table in account {word} has the index {string}")]
async fn index_exists(w: &mut World, account: String, index: String) {
    assert!(has_index(w, &account, &index).await);
}

async fn has_index(w: &mut World, account: &str, index: &str) -> bool {
    let env = Environment::for_account(account).expect("an LLD account");
    let clients = w.clients(env).await;
    let t = read_table(&clients, "products").await.expect("read").expect("the table");
    t.attributes["global_secondary_indexes"].as_array().expect("a list").iter().any(|g| g["name"] == json!(index))
}

#[then(expr = "the apply of {string} performed exactly {string}")]
async fn performed_exactly(w: &mut World, name: String, operation: String) {
    let c = w.report().components.iter().find(|c| c.component == name).expect("that component was applied");
    assert_eq!(c.operations, vec![operation]);
}

#[then("the other components were not applied")]
async fn only_one(w: &mut World) {
    assert_eq!(w.report().components.len(), 1, "{:?}", w.report());
}

#[then(expr = "the apply of {string} failed naming {string}")]
async fn component_failed(w: &mut World, name: String, what: String) {
    let c = w.report().components.iter().find(|c| c.component == name).expect("that component was applied");
    assert!(c.error.as_deref().unwrap_or_default().contains(&what), "{c:?}");
}

/// The repo's encryption too: moto does not apply an encryption change made by UpdateTable.
#[given(expr = "the table {string} is created by hand in {env} with the repo's keys and encryption, and nothing else")]
async fn hand_made_table(w: &mut World, table: String, env: Env) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, SseSpecification, SseType,
    };
    let def = stagegate::resources::schema::TableDefinition::load(&stagegate::resources::schema::table_file(
        &w.workdir(),
        &table,
    ))
    .expect("def");
    let key = &def.key_schema[0].attribute_name;
    let c = w.clients(env.0).await;
    c.dynamodb
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("set"),
        )
        .key_schema(KeySchemaElement::builder().attribute_name(key).key_type(KeyType::Hash).build().expect("set"))
        .billing_mode(BillingMode::PayPerRequest)
        .sse_specification(SseSpecification::builder().enabled(true).sse_type(SseType::Kms).build())
        .send()
        .await
        .expect("a hand-made table");
}

#[then(expr = "the apply of {string} succeeded")]
async fn component_succeeded(w: &mut World, name: String) {
    let c = w.report().components.iter().find(|c| c.component == name).expect("that component was applied");
    assert!(c.error.is_none() && !c.operations.is_empty(), "{c:?}");
}

#[then(expr = "the DEV state of {string} records the hand-made table")]
async fn records_hand_made(w: &mut World, name: String) {
    let state = w.store(Environment::Dev).await.read(&component(&name)).await.expect("read").expect("a state").state;
    let attrs = &state.resources.first().expect("one resource").instances[0].attributes;
    assert_eq!(attrs["global_secondary_indexes"], json!([]), "{attrs}");
    assert_eq!(attrs["point_in_time_recovery"], json!(false), "{attrs}");
}

// Concurrency and crashes.

#[when("two runs apply the working copy to DEV at the same moment")]
async fn two_runs(w: &mut World) {
    let endpoint = w.endpoint().await;
    let repo = w.working_copy();
    let store = StateStore::for_environment(&endpoint, Environment::Dev, DEFAULT_REGION).await;
    let desired = DesiredEnvironment::load(&repo, Environment::Dev).expect("desired");
    let plan = plan_environment(store.clients(), &desired, Some(COMMIT.into()), now()).await.expect("plan");
    let run = |who: &str| ApplyOptions { who: who.into(), ..Default::default() };
    let (alice, bob) = (run("alice@ci"), run("bob@ci"));
    let (a, b) = tokio::join!(apply(&store, &plan, &repo, now(), &alice), apply(&store, &plan, &repo, now(), &bob));
    let (winner, report, refused) = match (a, b) {
        (Ok(report), Err(e)) => (alice.who, report, e),
        (Err(e), Ok(report)) => (bob.who, report, e),
        (a, b) => panic!("one apply proceeds, one is refused: {:?} / {:?}", a.map(|_| "applied"), b.map(|_| "applied")),
    };
    w.release.outcome = Some(Err(refused.to_string()));
    w.release.plans = vec![plan];
    w.release.winning_apply = Some((winner, report));
}

#[then(expr = "exactly one apply changed {string}")]
async fn one_changed(w: &mut World, name: String) {
    let (_, winner) = w.release.winning_apply.as_ref().expect("the winner");
    let ops = winner.components.iter().find(|c| c.component == name).map(|c| c.operations.join("; "));
    assert!(ops.is_some_and(|ops| ops.contains("create index")), "{winner:?}");
}

#[then("the other was refused by the lock, naming the winner as its holder")]
async fn other_refused(w: &mut World) {
    let Some(Err(e)) = &w.release.outcome else { panic!("no refusal") };
    let (winner, _) = w.release.winning_apply.as_ref().expect("the winner");
    assert!(e.contains("Error acquiring the state lock"), "{e}");
    assert!(e.contains(&format!("Who:       {winner}\n")), "the holder is not {winner}: {e}");
}

#[given(expr = "a stagegate apply to DEV was killed while it held the lock of {string}")]
async fn killed_apply(w: &mut World, name: String) {
    let endpoint = w.endpoint().await.url.expect("an emulator URL");
    let store = w.store(Environment::Dev).await;
    store.bootstrap().await.expect("bootstrap");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args([
            "--backend",
            "external",
            "--endpoint",
            &endpoint,
            "apply",
            "--env",
            "dev",
            "--lock-timeout",
            "120s",
            "--repo",
        ])
        .arg(w.workdir())
        .current_dir(w.workdir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("stagegate runs");
    let c = component(&name);
    let lock = wait_for_lock(&store, &c, &mut child).await;
    child.kill().expect("killed");
    let _ = child.wait();
    w.state.locks.insert("the killed run".into(), lock);
}

/// Polls until the child holds the component's lock (bounded: the child waits 120 s at most).
async fn wait_for_lock(
    store: &StateStore,
    c: &Component,
    child: &mut std::process::Child,
) -> stagegate::engine::state::LockInfo {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(lock) = store.current_lock(c).await.expect("read lock")
            && lock.operation == OPERATION_APPLY
            && lock.info.starts_with("stagegate apply")
        {
            return lock;
        }
        assert!(child.try_wait().expect("child status").is_none(), "the apply ended before it held the lock");
        assert!(std::time::Instant::now() < deadline, "the apply never took the lock");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[then(expr = "the apply is refused with {string} naming the killed run's lock ID")]
async fn refused_naming_killed(w: &mut World, wording: String) {
    let id = w.state.locks.get("the killed run").expect("the killed run's lock").id.clone();
    let Some(Err(e)) = &w.release.outcome else { panic!("not refused: {:?}", w.release.outcome) };
    assert!(e.contains(&wording) && e.contains(&id), "{e}");
}

#[when(expr = "the DEV lock of {string} is force-unlocked with the killed run's lock ID")]
async fn unlock_killed(w: &mut World, name: String) {
    let id = w.state.locks.remove("the killed run").expect("the killed run's lock").id;
    w.store(Environment::Dev).await.unlock(&component(&name), &id).await.expect("force-unlock");
}

#[when(expr = "the {env} environment file of the working copy sets {string} to false")]
async fn tfvars_false(w: &mut World, env: Env, variable: String) {
    let path = w.workdir().join("environments").join(format!("{}.tfvars", env.0.name()));
    let mut text = std::fs::read_to_string(&path).expect("the environment file");
    text.push_str(&format!("\n{variable} = false\n"));
    std::fs::write(&path, text).expect("write");
}
