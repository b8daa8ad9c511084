//! Steps for sharing a state bucket with Terraform and OpenTofu (features/state/lock_files.feature,
//! features/state/terraform_states.feature): locks written the way Terraform's S3 backend writes
//! them, with the raw AWS SDK and Go's encoding, and Terraform-written states.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::primitives::ByteStream;
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use stagegate::Environment;
use stagegate::engine::state::{LockInfo, StateLocking, md5_hex};

use super::{Env, World, component};

/// Go's `json.Marshal` of a string: serde's escaping plus Go's HTML-safe escapes.
fn go_string(s: &str) -> String {
    serde_json::to_string(s)
        .expect("a string serialises")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The LockInfo JSON Terraform's S3 backend writes (`statemgr.LockInfo.Marshal`), built field
/// by field as Go's encoder lays it out.
fn terraform_lock_json(id: &str, operation: &str, info: &str, who: &str, created: &str, path: &str) -> String {
    format!(
        "{{\"ID\":{},\"Operation\":{},\"Info\":{},\"Who\":{},\"Version\":{},\"Created\":{},\"Path\":{}}}",
        go_string(id),
        go_string(operation),
        go_string(info),
        go_string(who),
        go_string("1.11.4"),
        go_string(created),
        go_string(path)
    )
}

/// What a Terraform-protocol lock attempt observed.
#[derive(Debug)]
pub struct RivalAttempt {
    refused: bool,
    /// The holder Terraform read back to show in its "Lock Info:" block.
    holder: Option<String>,
}

impl World {
    fn mode(&self) -> StateLocking {
        self.state.locking
    }

    /// Takes `c`'s lock exactly as Terraform 1.11's S3 backend does in this scenario's mode:
    /// the lock file (`If-None-Match: *`) first, then the lock table's conditional put; a refused
    /// lock table put releases the lock file again. Returns whether it got the lock.
    async fn terraform_lock(&mut self, env: Environment, name: &str, body: &str) -> RivalAttempt {
        let workspace = self.state.workspace.clone();
        let store = self.store(env).await.with_workspace(workspace.as_deref());
        let c = component(name);
        let clients = store.clients().clone();
        let (bucket, file_key, lock_id) = (store.bucket().to_owned(), store.lock_file_key(&c), store.lock_id(&c));
        if self.mode().uses_lock_file() {
            let put = clients
                .s3
                .put_object()
                .bucket(&bucket)
                .key(&file_key)
                .content_type("application/json")
                .if_none_match("*")
                .body(ByteStream::from(body.as_bytes().to_vec()))
                .send()
                .await;
            if let Err(e) = put {
                let status = e.raw_response().map(|r| r.status().as_u16());
                assert_eq!(status, Some(412), "the lock file put failed otherwise: {e:?}");
                let got = clients.s3.get_object().bucket(&bucket).key(&file_key).send().await.expect("read lock file");
                let text = got.body.collect().await.expect("body").into_bytes();
                let holder: serde_json::Value = serde_json::from_slice(&text).expect("the lock file is JSON");
                return RivalAttempt { refused: true, holder: holder["Who"].as_str().map(str::to_owned) };
            }
        }
        if self.mode().uses_table() {
            let put = clients
                .dynamodb
                .put_item()
                .table_name(store.lock_table())
                .item("LockID", AttributeValue::S(lock_id.clone()))
                .item("Info", AttributeValue::S(body.to_owned()))
                .condition_expression("attribute_not_exists(LockID)")
                .send()
                .await;
            if let Err(e) = put {
                assert!(
                    e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()),
                    "the lock item put failed otherwise: {e:?}"
                );
                if self.mode().uses_lock_file() {
                    clients.s3.delete_object().bucket(&bucket).key(&file_key).send().await.expect("release file");
                }
                let item = clients
                    .dynamodb
                    .get_item()
                    .table_name(store.lock_table())
                    .key("LockID", AttributeValue::S(lock_id))
                    .consistent_read(true)
                    .send()
                    .await
                    .expect("read lock item");
                let info = item.item.and_then(|i| i.get("Info").and_then(|v| v.as_s().ok()).cloned());
                let holder = info.and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
                return RivalAttempt {
                    refused: true,
                    holder: holder.and_then(|h| h["Who"].as_str().map(str::to_owned)),
                };
            }
        }
        RivalAttempt { refused: false, holder: None }
    }

    /// Runs the stagegate binary against this scenario's emulator in the checkout.
    pub(super) async fn run_stagegate(&mut self, args: &[&str]) {
        let dir = self.checkout_dir();
        let endpoint = self.endpoint().await.url.expect("an emulator URL");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagegate"))
            .args(["--backend", "external", "--endpoint", &endpoint])
            .args(args)
            .arg("--repo")
            .arg(&dir)
            .current_dir(&dir)
            .output()
            .expect("stagegate runs");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        self.state.command = Some((out.status.code().unwrap_or(-1), text));
    }

    pub(super) fn last_command(&self) -> &(i32, String) {
        self.state.command.as_ref().expect("a command ran")
    }
}

#[given(expr = "pipeline.yml locks the state with {string}")]
async fn locking_mode(w: &mut World, mode: String) {
    let locking: StateLocking = mode.parse().expect("dynamodb, s3 or both");
    if w.infra.checkout.is_none() {
        super::deploy::working_copy(w).await;
    }
    let dir = w.checkout_dir();
    let path = dir.join("pipeline.yml");
    let text = std::fs::read_to_string(&path).expect("pipeline.yml");
    let anchor = "  lock_table: terraform-state-lock-{env}\n";
    assert!(text.contains(anchor), "the sample pipeline.yml names its lock table");
    let text = text.replace(anchor, &format!("{anchor}  locking: {locking}\n"));
    std::fs::write(&path, text).expect("pipeline.yml written");
    if dir.join(".git").exists() {
        super::git(&dir, &["commit", "--quiet", "--all", "--message", "Lock the state with lock files"]);
    }
    w.state.locking = locking;
}

#[given(expr = "Terraform, as {string}, holds the {env} lock of component {string} since {string}")]
async fn terraform_holds(w: &mut World, who: String, env: Env, name: String, since: String) {
    let workspace = w.state.workspace.clone();
    let store = w.store(env.0).await.with_workspace(workspace.as_deref());
    let path = store.lock_id(&component(&name));
    let id = uuid::Uuid::new_v4().to_string();
    let body = terraform_lock_json(&id, "OperationTypeApply", "", &who, &since, &path);
    let attempt = w.terraform_lock(env.0, &name, &body).await;
    assert!(!attempt.refused, "Terraform could not take the lock: {attempt:?}");
    w.state.locks.insert(who, LockInfo::parse(&body).expect("Terraform's lock info"));
}

#[given(expr = "another tool holds the {env} lock of component {string} for {string}, its Info written as:")]
async fn other_tool_holds(w: &mut World, env: Env, name: String, who: String, step: &Step) {
    let text = step.docstring.as_ref().expect("the Info text").trim().to_owned();
    let store = w.store(env.0).await;
    let c = component(&name);
    let path = store.lock_id(&c);
    let text = text.replace("{path}", &path);
    let clients = store.clients().clone();
    if w.mode().uses_lock_file() {
        clients
            .s3
            .put_object()
            .bucket(store.bucket())
            .key(store.lock_file_key(&c))
            .body(ByteStream::from(text.clone().into_bytes()))
            .send()
            .await
            .expect("lock file written");
    }
    if w.mode().uses_table() {
        clients
            .dynamodb
            .put_item()
            .table_name(store.lock_table())
            .item("LockID", AttributeValue::S(path))
            .item("Info", AttributeValue::S(text.clone()))
            .send()
            .await
            .expect("lock item written");
    }
    let info = LockInfo::parse(&text).expect("the Info is a lock info");
    assert_eq!(info.who, who);
    w.state.locks.insert(who, info);
}

/// Terraform configured with one kind of lock takes that one alone: the lock table since
/// 11:10, the lock file since 11:15.
#[given(
    regex = r#"^Terraform with only the lock (table|file), as "([^"]+)", holds the (DEV|SIT|PROD) lock of component "([^"]+)"$"#
)]
async fn one_kind_holder(w: &mut World, kind: String, who: String, env: Env, name: String) {
    let (locking, since) = match kind.as_str() {
        "table" => (StateLocking::Dynamodb, "2026-11-26T11:10:00.123456789Z"),
        _ => (StateLocking::S3, "2026-11-26T11:15:00.123456789Z"),
    };
    let mode = w.state.locking;
    w.state.locking = locking;
    terraform_holds(w, who, env, name, since.into()).await;
    w.state.locking = mode;
}

#[when(expr = "stagegate applies the checkout to {env}")]
async fn cli_apply(w: &mut World, env: Env) {
    let env = env.0.name().to_owned();
    w.run_stagegate(&["apply", "--env", &env]).await;
}

#[when(expr = "the {env} lock of {string} is force-unlocked on the command line with the lock ID {string} holds")]
async fn cli_force_unlock(w: &mut World, env: Env, name: String, who: String) {
    let id = w.state.locks.get(&who).expect("a lock taken in this scenario").id.clone();
    let env = env.0.name().to_owned();
    w.run_stagegate(&["force-unlock", "--env", &env, "--component", &name, &id]).await;
}

#[then(expr = "the command exits {int}")]
async fn exits(w: &mut World, code: i32) {
    let (got, text) = w.last_command();
    assert_eq!(*got, code, "{text}");
}

#[then(expr = "it is refused with {string}, naming {string} and its lock ID")]
async fn refused_naming(w: &mut World, message: String, who: String) {
    let (code, text) = w.last_command().clone();
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&message), "{text}");
    assert!(text.contains(&format!("Who:       {who}")), "{text}");
    let id = &w.state.locks.get(&who).expect("the holder's lock").id;
    assert!(text.contains(&format!("ID:        {id}")), "{text}");
}

#[then(expr = "no lock file and no lock item of {string} remain in {env}")]
async fn nothing_remains(w: &mut World, name: String, env: Env) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let file = store.clients().s3.get_object().bucket(store.bucket()).key(store.lock_file_key(&c)).send().await;
    assert!(file.is_err_and(|e| e.as_service_error().is_some_and(|se| se.is_no_such_key())), "a lock file remains");
    if store.inspect().await.expect("inspect").lock_table_exists {
        let item = store.lock_item(&store.lock_id(&c)).await.expect("read");
        assert_eq!(item, None, "a lock item remains");
    }
}

#[when(expr = "Terraform, as {string}, tries to lock the {env} component {string}")]
async fn terraform_tries(w: &mut World, who: String, env: Env, name: String) {
    let store = w.store(env.0).await;
    let path = store.lock_id(&component(&name));
    let body = terraform_lock_json(
        &uuid::Uuid::new_v4().to_string(),
        "OperationTypePlan",
        "",
        &who,
        "2026-11-26T11:10:00Z",
        &path,
    );
    let attempt = w.terraform_lock(env.0, &name, &body).await;
    w.state.rival = Some(attempt);
}

#[then(expr = "Terraform is refused and shown the lock held by {string}")]
async fn terraform_refused(w: &mut World, who: String) {
    let attempt = w.state.rival.as_ref().expect("Terraform tried");
    assert!(attempt.refused, "Terraform got the lock: {attempt:?}");
    assert_eq!(attempt.holder.as_deref(), Some(who.as_str()));
}

#[then(expr = "the {env} lock file of {string} is {string}'s lock in Go's encoding")]
async fn lock_file_is(w: &mut World, env: Env, name: String, who: String) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let got = store.clients().s3.get_object().bucket(store.bucket()).key(store.lock_file_key(&c)).send().await;
    let text = String::from_utf8(got.expect("a lock file").body.collect().await.expect("body").into_bytes().to_vec())
        .expect("UTF-8");
    let lock = w.state.locks.get(&who).expect("the holder's lock");
    let want = terraform_lock_json(&lock.id, &lock.operation, &lock.info, &lock.who, &lock.created, &lock.path)
        .replace("\"Version\":\"1.11.4\"", &format!("\"Version\":{}", go_string(&lock.version)));
    assert_eq!(text, want);
}

#[then(expr = "the {env} lock item of {string} is {string}'s lock")]
async fn lock_item_is(w: &mut World, env: Env, name: String, who: String) {
    let store = w.store(env.0).await;
    let item = store.lock_item(&store.lock_id(&component(&name))).await.expect("read").expect("a lock item");
    let info = LockInfo::parse(&item["Info"]).expect("a lock info");
    assert_eq!(info.who, who);
}

#[then(expr = "the {env} state bucket has no lock file of {string}")]
async fn no_lock_file(w: &mut World, env: Env, name: String) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let file = store.clients().s3.get_object().bucket(store.bucket()).key(store.lock_file_key(&c)).send().await;
    assert!(file.is_err(), "a lock file remains");
}

#[then(expr = "the {env} lock table does not exist")]
async fn no_table(w: &mut World, env: Env) {
    let store = w.store(env.0).await;
    assert!(!store.inspect().await.expect("inspect").lock_table_exists, "{} exists", store.lock_table());
}

#[then(expr = "the {env} lock table holds no digest of {string}")]
async fn no_digest(w: &mut World, env: Env, name: String) {
    let store = w.store(env.0).await;
    if store.inspect().await.expect("inspect").lock_table_exists {
        let item = store.lock_item(&store.digest_id(&component(&name))).await.expect("read");
        assert_eq!(item, None);
    }
}

#[then(expr = "the {env} state object of {string} matches its digest")]
async fn matches_digest(w: &mut World, env: Env, name: String) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let bytes = store.raw_object(&c).await.expect("read").expect("an object");
    assert_eq!(store.digest(&c).await.expect("digest"), Some(md5_hex(&bytes)));
}

#[then(expr = "the lock is refused with {string}, naming {string}")]
async fn lock_refused(w: &mut World, message: String, who: String) {
    let refusal = w.state.refusal.as_ref().expect("a refusal");
    let text = refusal.to_string();
    assert!(matches!(refusal, stagegate::engine::state::StateError::Locked { .. }), "{text}");
    assert!(text.contains(&message) && text.contains(&format!("Who:       {who}")), "{text}");
}

/// Puts `body` as `c`'s state object with a plain S3 put, as another tool (or S3 lagging) would.
async fn put_object_raw(w: &mut World, env: Environment, name: &str, body: Vec<u8>) {
    let store = w.store(env).await;
    store
        .clients()
        .s3
        .put_object()
        .bucket(store.bucket())
        .key(component(name).state_key())
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("a plain S3 put");
}

#[given(expr = "reads wait up to {string} for the state to match its digest")]
async fn reads_wait(w: &mut World, window: String) {
    let d: jiff::SignedDuration = window.parse().expect("a duration like 3s");
    w.state.consistency_window = Some(std::time::Duration::try_from(d).expect("positive"));
}

#[when(expr = "the {env} state object of {string} is overwritten behind stagegate's back and put back after {string}")]
async fn tamper_and_restore(w: &mut World, env: Env, name: String, after: String) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let good = store.raw_object(&c).await.expect("read").expect("an object");
    put_object_raw(w, env.0, &name, b"{\"version\":4}\n".to_vec()).await;
    let d: jiff::SignedDuration = after.parse().expect("a duration like 500ms");
    let delay = std::time::Duration::try_from(d).expect("positive");
    let (clients, bucket, key) = (store.clients().clone(), store.bucket().to_owned(), c.state_key());
    // S3 catching up: the object the digest was made for comes back while the reader waits.
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        clients.s3.put_object().bucket(bucket).key(key).body(ByteStream::from(good)).send().await.expect("put back");
    });
}

#[given(expr = "the {env} state object of {string} is deleted behind stagegate's back")]
#[when(expr = "the {env} state object of {string} is deleted behind stagegate's back")]
async fn delete_object(w: &mut World, env: Env, name: String) {
    let store = w.store(env.0).await;
    let key = component(&name).state_key();
    store.clients().s3.delete_object().bucket(store.bucket()).key(key).send().await.expect("deleted");
}

#[given(expr = "the {env} state object of {string} is an empty object")]
async fn empty_object(w: &mut World, env: Env, name: String) {
    put_object_raw(w, env.0, &name, Vec::new()).await;
}

#[given(expr = "the {env} digest of {string} is {string}")]
async fn set_digest(w: &mut World, env: Env, name: String, digest: String) {
    let store = w.store(env.0).await;
    store
        .clients()
        .dynamodb
        .put_item()
        .table_name(store.lock_table())
        .item("LockID", AttributeValue::S(store.digest_id(&component(&name))))
        .item("Digest", AttributeValue::S(digest))
        .send()
        .await
        .expect("digest written");
}

#[then(expr = "reading the {env} state of {string} is refused with Terraform's checksum error advising to {string}")]
async fn refused_advising(w: &mut World, env: Env, name: String, advice: String) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let object = store.raw_object(&c).await.expect("read");
    let err = store.read(&c).await.expect_err("a refusal");
    let text = err.to_string();
    assert!(text.starts_with("state data in S3 does not have the expected content."), "{text}");
    let digest = store.digest(&c).await.expect("digest").expect("a digest");
    assert!(text.contains(&format!("Stored checksum:     {digest}")), "{text}");
    let advice = match object.filter(|b| !b.is_empty()) {
        Some(bytes) => advice.replace("<the object's MD5>", &md5_hex(&bytes)),
        None => advice,
    };
    assert!(text.replace('\n', " ").contains(&advice), "{text}");
}

#[then(expr = "the {env} state of component {string} is the one stagegate wrote last, at serial {int}")]
async fn read_after_wait(w: &mut World, env: Env, name: String, serial: u64) {
    let stored = w.store(env.0).await.read(&component(&name)).await.expect("read").expect("a state");
    assert_eq!(stored.state.serial, serial);
}

#[given(expr = "the team moves to lock files only")]
async fn moves_to_lock_files(w: &mut World) {
    locking_mode(w, "s3".into()).await;
}

/// A state in `fixtures/terraform/`, as JSON.
fn fixture(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/terraform").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("the fixture")).expect("the fixture is JSON")
}

fn is_stagegates(r: &serde_json::Value, component: &str) -> bool {
    r.get("module").is_none() && r["mode"] == "managed" && r["type"] == "aws_dynamodb_table" && r["name"] == component
}

#[given(expr = "Terraform has rewritten the {env} state of {string} as the fixture {string}")]
async fn terraform_rewrote(w: &mut World, env: Env, name: String, fixture_name: String) {
    let store = w.store(env.0).await;
    let c = component(&name);
    let current: serde_json::Value =
        serde_json::from_slice(&store.raw_object(&c).await.expect("read").expect("a state")).expect("JSON");
    let mut state = fixture(&fixture_name);
    state["lineage"] = current["lineage"].clone();
    state["serial"] = serde_json::json!(current["serial"].as_u64().expect("a serial") + 1);
    let resources = state["resources"].as_array_mut().expect("resources");
    for mine in current["resources"].as_array().expect("resources") {
        match resources.iter_mut().find(|r| is_stagegates(r, &name) && r["instances"][0]["attributes"] == "STAGEGATE") {
            Some(r) => r["instances"][0]["attributes"] = mine["instances"][0]["attributes"].clone(),
            None => resources.push(mine.clone()),
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&state).expect("JSON");
    bytes.push(b'\n');
    put_object_raw(w, env.0, &name, bytes.clone()).await;
    if w.mode().uses_table() {
        set_digest(w, env, name, md5_hex(&bytes)).await;
    }
    w.state.written_by_terraform = Some(bytes);
}

#[then(expr = "the {env} state object of {string} is byte for byte what Terraform wrote")]
async fn byte_for_byte(w: &mut World, env: Env, name: String) {
    let now = w.store(env.0).await.raw_object(&component(&name)).await.expect("read").expect("a state");
    let written = w.state.written_by_terraform.as_ref().expect("Terraform wrote a state");
    assert!(&now == written, "the state object was rewritten:\n{}", String::from_utf8_lossy(&now));
}

#[then(
    expr = "the {env} state of {string} keeps all Terraform wrote but stagegate's attributes, a serial one higher and the Terraform version"
)]
async fn keeps_all(w: &mut World, env: Env, name: String) {
    let store = w.store(env.0).await;
    let bytes = store.raw_object(&component(&name)).await.expect("read").expect("a state");
    let mut now: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let written = w.state.written_by_terraform.as_ref().expect("Terraform wrote a state");
    let mut before: serde_json::Value = serde_json::from_slice(written).expect("JSON");
    assert_eq!(now["serial"].as_u64(), before["serial"].as_u64().map(|s| s + 1));
    assert_eq!(now["terraform_version"], store.settings().terraform_version.as_str());
    for key in ["serial", "terraform_version"] {
        before[key] = now[key].clone();
    }
    let mine = |v: &serde_json::Value| {
        v["resources"].as_array().expect("resources").iter().position(|r| is_stagegates(r, &name)).expect("stagegate's")
    };
    let (i, j) = (mine(&now), mine(&before));
    now["resources"][i]["instances"][0]["attributes"] = serde_json::Value::Null;
    before["resources"][j]["instances"][0]["attributes"] = serde_json::Value::Null;
    assert_eq!(now, before);
}

#[then(expr = "reading the {env} state of {string} is refused as an OpenTofu encrypted state")]
async fn encrypted_refused(w: &mut World, env: Env, name: String) {
    let err = w.store(env.0).await.read(&component(&name)).await.expect_err("a refusal");
    assert!(matches!(err, stagegate::engine::state::StateError::Encrypted { .. }), "{err}");
    assert!(err.to_string().contains("OpenTofu encrypted state"), "{err}");
}

#[given(expr = "OpenTofu has written the {env} state of {string} encrypted, as the fixture {string}")]
async fn tofu_encrypted(w: &mut World, env: Env, name: String, fixture_name: String) {
    let bytes = serde_json::to_vec_pretty(&fixture(&fixture_name)).expect("JSON");
    put_object_raw(w, env.0, &name, bytes.clone()).await;
    if w.mode().uses_table() {
        set_digest(w, env, name, md5_hex(&bytes)).await;
    }
}

#[given(expr = "pipeline.yml writes states as Terraform {string}")]
async fn writes_as(w: &mut World, version: String) {
    if w.infra.checkout.is_none() {
        super::deploy::working_copy(w).await;
    }
    let path = w.checkout_dir().join("pipeline.yml");
    let text = std::fs::read_to_string(&path).expect("pipeline.yml");
    let anchor = "  lock_table: terraform-state-lock-{env}\n";
    std::fs::write(&path, text.replace(anchor, &format!("{anchor}  terraform_version: {version}\n"))).expect("written");
    w.state.terraform_version = Some(version);
}

#[when(expr = "stagegate runs {string} in the checkout")]
async fn cli_runs(w: &mut World, args: String) {
    let args: Vec<&str> = args.split_whitespace().collect();
    w.run_stagegate(&args).await;
}

#[then(expr = "the command says {string}")]
async fn command_says(w: &mut World, text: String) {
    let (_, out) = w.last_command();
    assert!(out.contains(&text), "{out}");
}

#[then(expr = "the {env} lock of {string} held by {string} says Version {string}")]
async fn lock_version(w: &mut World, env: Env, name: String, who: String, version: String) {
    let held = w.store(env.0).await.current_lock(&component(&name)).await.expect("read").expect("a lock");
    assert_eq!((held.who.as_str(), held.version.as_str()), (who.as_str(), version.as_str()));
}

#[then(expr = "the {env} state object of {string} says terraform_version {string}")]
async fn state_version(w: &mut World, env: Env, name: String, version: String) {
    let bytes = w.store(env.0).await.raw_object(&component(&name)).await.expect("read").expect("a state");
    let state: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(state["terraform_version"], version.as_str());
}

#[given(expr = "Terraform's workspace {string} holds a state of {string} in {env}")]
async fn workspace_state(w: &mut World, workspace: String, name: String, env: Env) {
    let store = w.store(env.0).await;
    let key = format!("env:/{workspace}/{}", component(&name).state_key());
    let body = stagegate::engine::state::TerraformState::new().next(Vec::new()).to_bytes();
    store
        .clients()
        .s3
        .put_object()
        .bucket(store.bucket())
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("put");
}

#[given(expr = "Terraform, as {string}, holds the {env} lock of component {string} in its workspace {string}")]
async fn terraform_holds_in_workspace(w: &mut World, who: String, env: Env, name: String, workspace: String) {
    w.state.workspace = Some(workspace);
    terraform_holds(w, who, env, name, "2026-11-26T11:10:00Z".into()).await;
    w.state.workspace = None;
}

#[when(
    expr = "the {env} lock of {string} in workspace {string} is force-unlocked on the command line with the lock ID {string} holds"
)]
async fn cli_force_unlock_workspace(w: &mut World, env: Env, name: String, workspace: String, who: String) {
    let id = w.state.locks.get(&who).expect("a lock taken in this scenario").id.clone();
    let env = env.0.name().to_owned();
    w.run_stagegate(&["force-unlock", "--env", &env, "--component", &name, "--workspace", &workspace, &id]).await;
}

#[then(expr = "no lock of {string} remains in {env}'s workspace {string}")]
async fn nothing_remains_in_workspace(w: &mut World, name: String, env: Env, workspace: String) {
    let store = w.store(env.0).await.with_workspace(Some(&workspace));
    assert_eq!(store.current_lock(&component(&name)).await.expect("read lock"), None);
}
