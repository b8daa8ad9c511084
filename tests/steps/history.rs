//! Steps for rollbacks by state version and by var file (features/rollback/to_version.feature,
//! var_file.feature): which deployment wrote each state version, and the variables a rollback
//! applies.

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use stagegate::Environment;
use stagegate::release::history::{VersionEntry, state_versions};
use stagegate::release::ledger::{self, RecordKind};

use super::{World, component, git};

impl World {
    /// Every DEV resource of the repo (its tables and templates bucket, not the state backend),
    /// with its tags, read with the AWS SDK directly.
    async fn dev_resource_tags(&mut self) -> Vec<(String, std::collections::BTreeMap<String, String>)> {
        let clients = self.clients(Environment::Dev).await;
        let mut found = Vec::new();
        let tables = clients.dynamodb.list_tables().send().await.expect("ListTables");
        for name in tables.table_names().iter().filter(|t| !t.starts_with("terraform-state-lock-")) {
            let arn = clients.dynamodb.describe_table().table_name(name).send().await.expect("DescribeTable");
            let arn = arn.table().and_then(|t| t.table_arn()).expect("an ARN").to_owned();
            let tags = clients.dynamodb.list_tags_of_resource().resource_arn(arn).send().await.expect("tags");
            let tags = tags.tags().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect();
            found.push((format!("table {name}"), tags));
        }
        let buckets = clients.s3.list_buckets().send().await.expect("ListBuckets");
        for bucket in buckets.buckets().iter().filter_map(|b| b.name()).filter(|b| b.starts_with("bbws-templates-")) {
            let tags = clients.s3.get_bucket_tagging().bucket(bucket).send().await.expect("GetBucketTagging");
            let tags = tags.tag_set().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect();
            found.push((format!("bucket {bucket}"), tags));
        }
        found
    }
}

#[given(expr = "a new commit on main sets DEV's {string} tag to {string} in its var file")]
async fn var_file_commit(w: &mut World, key: String, value: String) {
    let dir = w.checkout_dir();
    let path = dir.join("environments/dev.tfvars");
    let text = std::fs::read_to_string(&path).expect("dev.tfvars");
    let pattern = regex::Regex::new(&format!(r#"(?m)^(\s*{key}\s*=\s*)"[^"]*""#)).expect("a pattern");
    assert!(pattern.is_match(&text), "dev.tfvars has no {key} tag");
    let edited = pattern.replace(&text, format!(r#"${{1}}"{value}""#));
    std::fs::write(&path, edited.as_ref()).expect("write");
    git(&dir, &["commit", "--quiet", "--all", "--message", &format!("dev: {key} = {value}")]);
}

#[given(expr = "every DEV resource is tagged {string} = {string}")]
#[then(expr = "every DEV resource is tagged {string} = {string}")]
async fn every_resource_tagged(w: &mut World, key: String, value: String) {
    let resources = w.dev_resource_tags().await;
    assert!(resources.len() >= 2, "tables and the templates bucket: {resources:?}");
    for (what, tags) in &resources {
        assert_eq!(tags.get(&key), Some(&value), "{what}: {tags:?}");
    }
}

#[then(expr = "the rollback's previewed plan sets {string} back to {string} on every tagged resource")]
async fn previewed_sets(w: &mut World, key: String, value: String) {
    let plan = w.release.rollback_plan.as_ref().expect("a previewed rollback");
    let tagged: Vec<_> =
        plan.components.iter().flat_map(|c| &c.resources).filter(|r| r.after.contains_key("tags")).collect();
    assert!(tagged.len() >= 2, "{plan}");
    for r in tagged {
        assert_eq!(r.after["tags"][key.as_str()], serde_json::json!(value), "{}: {:?}", r.address, r.after["tags"]);
        let change =
            r.changes.iter().find(|c| c.name == "tags").unwrap_or_else(|| panic!("{} keeps its tags", r.address));
        assert_ne!(change.before[key.as_str()], serde_json::json!(value), "{}: {change:?}", r.address);
    }
}

#[then(expr = "the DEV ledger's last record is a rollback to release {word}'s commit")]
async fn last_record_rollback_to(w: &mut World, release: String) {
    let commit = w.release_commit(&release);
    let records = ledger::records(&w.store(Environment::Dev).await).await.expect("ledger");
    let last = records.last().expect("a record");
    assert_eq!((last.kind, last.commit.as_str()), (RecordKind::Rollback, commit.as_str()), "{last:?}");
    let tag = last.tag.as_deref().expect("the rollback was tagged");
    assert_eq!(stagegate::foundation::git::tag_commit(&w.checkout_dir(), tag).expect("the tag"), commit);
}

#[when(expr = "the DEV state versions of {string} are listed")]
async fn versions_listed(w: &mut World, name: String) {
    let store = w.store(Environment::Dev).await;
    let versions = state_versions(&store, &component(&name)).await.expect("the versions");
    w.release.versions = versions;
}

#[then("they are, newest first:")]
async fn versions_are(w: &mut World, step: &Step) {
    let rows: Vec<Vec<String>> = step.table.as_ref().expect("a table").rows.iter().skip(1).cloned().collect();
    let listed: &[VersionEntry] = &w.release.versions;
    assert_eq!(listed.len(), rows.len(), "{listed:#?}");
    let dir = w.checkout_dir();
    for (entry, row) in listed.iter().zip(&rows) {
        assert_eq!(entry.serial, Some(row[0].parse().expect("a serial")), "{entry}");
        let release = row[1].strip_prefix("release ").expect("written by release vN");
        let commit = w.release_commit(release);
        let writer = entry.written_by.as_ref().unwrap_or_else(|| panic!("no writer: {entry}"));
        assert_eq!(writer.commit, commit, "{entry}");
        let tag = writer.tag.as_deref().unwrap_or_else(|| panic!("untagged: {entry}"));
        assert_eq!(stagegate::foundation::git::tag_commit(&dir, tag).expect("the tag"), commit, "{entry}");
        assert!(entry.to_string().contains(tag), "{entry}");
    }
    assert!(listed[0].version.is_latest && listed[1..].iter().all(|e| !e.version.is_latest));
}

#[given(expr = "DEV's {string} state version with serial {int} has been restored by hand")]
async fn restored_by_hand(w: &mut World, name: String, serial: u64) {
    let store = w.store(Environment::Dev).await;
    let c = component(&name);
    let version = super::state::restore_serial(&store, &c, serial).await.expect("versions");
    store.restore_locked(&c, &version, "dev", "stagegate state restore").await.expect("a restore by hand");
}

#[then(expr = "the rollback could not run, saying {string}")]
#[then(expr = "it said to use {string}")]
async fn rollback_could_not_run(w: &mut World, wording: String) {
    match w.release.rolled_back.as_ref().expect("a rollback was asked for") {
        Err(e) => assert!(e.contains(&wording), "{e}"),
        Ok(o) => panic!("the rollback ran: {}\n{:?}", o.verdict, o.record),
    }
}

#[when(
    regex = r#"^stagegate rolls (DEV|SIT|PROD) back to the tag of release (v\d+) on the command line, approved by "([a-z-]+)", confirmed with "([a-z-]+)"$"#
)]
async fn cli_rollback_to_release(w: &mut World, env: String, release: String, approver: String, typed: String) {
    let env: Environment = env.parse().expect("an environment");
    let tag = w.release_tag(env, &release);
    // At the instant every other deployment of the scenario runs at, so that tags stay in order.
    let at = super::gates::INSIDE_EVERY_WINDOW;
    let args = ["rollback", "--env", env.name(), "--to-tag", &tag, "--deployer", "release-bot", "--branch", "main"];
    w.run_stagegate(&[&args[..], &["--at", at, "--approve", &approver, "--confirm", &typed]].concat()).await;
}

#[then(regex = r"^the command exited 0, naming (DEV|SIT|PROD)'s tag of release (v\d+) and its commit$")]
async fn cli_rollback_named(w: &mut World, env: String, release: String) {
    let env: Environment = env.parse().expect("an environment");
    let (tag, commit) = (w.release_tag(env, &release), w.release_commit(&release));
    let (code, out) = w.last_command();
    assert_eq!(*code, 0, "{out}");
    let line = format!("rollback of {} to {tag} ({commit}), previewed:", env.label());
    assert!(out.contains(&line), "no {line:?} in:\n{out}");
}

#[when(
    regex = r#"^stagegate rolls DEV's "([a-z]+)" back to its state version with serial (\d+) on the command line, approved by "([a-z-]+)", confirmed with "([a-z-]+)"$"#
)]
async fn cli_rollback_to_version(w: &mut World, name: String, serial: u64, approver: String, typed: String) {
    let store = w.store(Environment::Dev).await;
    let version = super::state::restore_serial(&store, &component(&name), serial).await.expect("versions");
    let at = super::gates::INSIDE_EVERY_WINDOW;
    let args =
        ["rollback", "--env", "dev", "--to-version", &version, "--component", &name, "--deployer", "release-bot"];
    let gate = ["--branch", "main", "--at", at, "--approve", &approver, "--confirm", &typed];
    w.run_stagegate(&[&args[..], &gate[..]].concat()).await;
}

#[then(regex = r"^the command exited 0, naming the tag and the commit of release (v\d+) that wrote it$")]
async fn cli_version_rollback_named(w: &mut World, release: String) {
    let (tag, commit) = (w.release_tag(Environment::Dev, &release), w.release_commit(&release));
    let (code, out) = w.last_command();
    assert_eq!(*code, 0, "{out}");
    let says = format!("was written by the DEV deployment tagged {tag} ({commit}): rolling back to it");
    assert!(out.contains(&says), "no {says:?} in:\n{out}");
}

#[then(expr = "the command exited {int}, saying {string}")]
async fn command_exited_saying(w: &mut World, code: i32, text: String) {
    let (got, out) = w.last_command();
    assert_eq!(*got, code, "{out}");
    assert!(out.contains(&text), "no {text:?} in:\n{out}");
}

#[then(expr = "the command's output says {string}")]
async fn command_says(w: &mut World, text: String) {
    let (_, out) = w.last_command();
    assert!(out.contains(&text), "no {text:?} in:\n{out}");
}
