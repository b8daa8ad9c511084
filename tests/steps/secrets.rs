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

/// The secrets of the pipeline: the webhooks pipeline.yml names, the AWS credentials and
/// session token, and GitHub's token.
#[derive(Debug, Default)]
pub struct Canary {
    env: BTreeMap<String, String>,
    outputs: Vec<String>,
}

fn canaries() -> BTreeMap<String, String> {
    let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
    let webhooks = Environment::ALL
        .into_iter()
        .map(|e| policy.environment(e).slack.webhook_secret.clone())
        .chain(policy.notifications.channels.values().map(|c| c.webhook_secret.clone()));
    // Port 9 (discard) is closed here: every delivery fails and is reported.
    let mut env: BTreeMap<String, String> = webhooks
        .map(|name| (name.clone(), format!("http://127.0.0.1:9/services/T{MARK}/B{MARK}/{name}-{MARK}")))
        .collect();
    for name in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN"] {
        env.insert(name.into(), format!("{name}-{MARK}"));
    }
    env
}

#[given("every secret the pipeline reads holds a canary value")]
async fn canary(w: &mut World) {
    w.canary.env = canaries();
}

#[given(expr = "{word} holds a canary value that is not a URL")]
async fn not_a_url(w: &mut World, secret: String) {
    w.canary.env.insert(secret, format!("hooks.slack.com services {MARK}"));
}

#[when(regex = r#"^"([^"]+)" runs in the checkout and exits (\d)$"#)]
async fn runs(w: &mut World, args: String, code: i32) {
    let dir = w.checkout_dir();
    let endpoint = w.endpoint().await.url.expect("an emulator URL");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(["--backend", "external", "--endpoint", &endpoint])
        .args(args.split_whitespace())
        .current_dir(&dir)
        .envs(&w.canary.env)
        .output()
        .expect("stagegate runs");
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
