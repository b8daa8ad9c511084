//! Steps for the secrets canary (features/security/secrets.feature): the real binary runs
//! with every secret set to a recognisable value, and its outputs and files are searched.

use std::collections::BTreeMap;
use std::path::Path;

use cucumber::{given, then, when};
use stagegate::Environment;
use stagegate::foundation::policy::Pipeline;
use stagegate::foundation::repo::Repo;

use super::World;

/// Every canary value contains this mark, so one search finds any of them.
const MARK: &str = "c4nary7q3";

/// The secrets of the pipeline: the webhooks pipeline.yml names, and the AWS secret key and
/// session token that the credential chain reads on AWS.
#[derive(Debug, Default)]
pub struct Canary {
    env: BTreeMap<String, String>,
    outputs: Vec<String>,
}

/// The webhooks whose deliveries fail (port 9, discard, is closed here), so that the failure
/// paths are exercised; every other webhook reaches the scenario's Slack sink.
const UNREACHABLE: [&str; 2] = ["SLACK_WEBHOOK_DEV", "SLACK_WEBHOOK_DEVOPS"];

fn canaries(sink: &str) -> BTreeMap<String, String> {
    let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
    let webhooks = Environment::ALL
        .into_iter()
        .map(|e| policy.environment(e).slack.clone())
        .chain(policy.notifications.channels.values().cloned());
    let mut env: BTreeMap<String, String> = webhooks
        .map(|s| {
            let name = s.webhook_secret;
            let url = if UNREACHABLE.contains(&name.as_str()) {
                format!("http://127.0.0.1:9/services/T{MARK}/B{MARK}/{name}-{MARK}")
            } else {
                format!("{sink}/services/{}/{name}-{MARK}", s.channel.trim_start_matches('#'))
            };
            (name, url)
        })
        .collect();
    for name in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        env.insert(name.into(), format!("{name}-{MARK}"));
    }
    env
}

#[given("every secret the pipeline reads holds a canary value")]
async fn canary(w: &mut World) {
    super::notify::start_sink(w).await;
    w.canary.env = canaries(&w.slack_sink());
}

#[given(expr = "{word} holds a canary value that is not a URL")]
async fn not_a_url(w: &mut World, secret: String) {
    w.canary.env.insert(secret, format!("hooks.slack.com services {MARK}"));
}

#[when(regex = r#"^"([^"]+)" runs in the checkout( with AWS's own credential chain)? and exits (\d)$"#)]
async fn runs(w: &mut World, args: String, chain: String, code: i32) {
    let dir = w.checkout_dir();
    let endpoint = w.endpoint().await.url.expect("an emulator URL");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stagegate"));
    if chain.is_empty() {
        command.args(["--backend", "external", "--endpoint", &endpoint]);
    } else {
        // As on AWS: the SDK's default chain reads the canary key and token from the
        // environment and signs every request with them; only the endpoint is the emulator's.
        command
            .args(["--backend", "aws"])
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIASTAGEGATECANARY");
    }
    let out =
        command.args(args.split_whitespace()).current_dir(&dir).envs(&w.canary.env).output().expect("stagegate runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(code), "stagegate {args}:\n{text}");
    w.canary.outputs.push(text);
}

#[then(expr = "the outputs say the {string} and {string} webhooks could not be reached")]
async fn unreachable(w: &mut World, a: String, b: String) {
    let all = w.canary.outputs.join("\n");
    for secret in [a, b] {
        assert!(all.contains(&format!("the {secret} webhook:")), "no failed delivery via {secret}:\n{all}");
    }
}

#[then(expr = "the outputs name {string}")]
async fn name(w: &mut World, secret: String) {
    let all = w.canary.outputs.join("\n");
    assert!(all.contains(&secret), "{all}");
}

#[then("no output, and no file the commands wrote, contains a canary value")]
async fn nothing_leaked(w: &mut World) {
    for (i, out) in w.canary.outputs.iter().enumerate() {
        assert!(!out.to_lowercase().contains(MARK), "output {i} shows a secret:\n{out}");
    }
    let mut leaks = Vec::new();
    search(&w.checkout_dir(), &mut leaks);
    assert!(leaks.is_empty(), "secrets written to {leaks:?}");
}

#[then("no state, deployment record or lock item in any account, and no Slack message, contains a canary value")]
async fn nothing_stored(w: &mut World) {
    let mut searched = (0, 0); // objects, lock items
    for env in Environment::ALL {
        let clients = w.clients(env).await;
        let buckets = clients.s3.list_buckets().send().await.expect("ListBuckets");
        for bucket in buckets.buckets().iter().filter_map(|b| b.name()) {
            let versions = clients.s3.list_object_versions().bucket(bucket).send().await.expect("ListObjectVersions");
            for v in versions.versions() {
                let (key, version) = (v.key().expect("a key"), v.version_id().expect("a version"));
                let object = clients.s3.get_object().bucket(bucket).key(key).version_id(version).send().await;
                let bytes = object.expect("GetObject").body.collect().await.expect("a body").into_bytes();
                assert!(
                    !String::from_utf8_lossy(&bytes).to_lowercase().contains(MARK),
                    "s3://{bucket}/{key} holds a secret"
                );
                searched.0 += 1;
            }
        }
        let scan = clients.dynamodb.scan().table_name(env.lock_table()).send().await.expect("Scan");
        for item in scan.items() {
            assert!(!format!("{item:?}").to_lowercase().contains(MARK), "{}: {item:?}", env.lock_table());
            searched.1 += 1;
        }
    }
    // The rehearsal wrote states and records in every account, and the locks held a digest each.
    assert!(searched.0 >= 9 && searched.1 >= 3, "too little was searched: {searched:?}");
    let messages = w.slack_messages();
    assert!(!messages.is_empty(), "no Slack message reached the sink");
    for m in messages {
        assert!(!m.to_string().to_lowercase().contains(MARK), "a Slack message holds a secret: {m}");
    }
}

fn search(dir: &Path, leaks: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            search(&path, leaks);
        } else if let Ok(bytes) = std::fs::read(&path)
            && String::from_utf8_lossy(&bytes).to_lowercase().contains(MARK)
        {
            leaks.push(path.display().to_string());
        }
    }
}
