//! Steps for Slack notifications and escalation (features/notify): a real HTTP sink on
//! 127.0.0.1 stands in for Slack's incoming webhooks and keeps what it received.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::Value;
use stagegate::Environment;
use stagegate::foundation::policy::Pipeline;
use stagegate::release::notify::{DeliveryStatus, Event, Notice, Notifier, Webhook, route};

use super::World;

/// How a channel's webhook answers.
#[derive(Debug, Clone, Copy, Default)]
struct Behaviour {
    /// Answer HTTP 500 to this many requests first.
    fail_first: usize,
    /// Answer only after this long (longer than the client's timeout: never in time).
    delay: Duration,
}

#[derive(Debug, Default)]
struct Received {
    /// Messages by channel name, in arrival order.
    messages: BTreeMap<String, Vec<Value>>,
    /// Requests by channel name, including failed ones.
    requests: HashMap<String, usize>,
}

#[derive(Debug, Clone, Default)]
struct Sink {
    received: Arc<Mutex<Received>>,
    behaviour: Arc<Mutex<HashMap<String, Behaviour>>>,
}

/// The Slack side of a scenario: the sink's address and task, and which channels it serves.
#[derive(Debug, Default)]
pub struct Slack {
    sink: Sink,
    base: Option<String>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Channels (by policy secret name) whose webhook is left unset.
    unset: Vec<String>,
    /// The alerts routed for a notice, for the routing outline.
    routed: Vec<String>,
}

impl Drop for Slack {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

async fn hook(State(sink): State<Sink>, Path(channel): Path<String>, body: String) -> StatusCode {
    let behaviour = sink.behaviour.lock().expect("behaviour").get(&channel).copied().unwrap_or_default();
    let seen = {
        let mut r = sink.received.lock().expect("received");
        let n = r.requests.entry(channel.clone()).or_default();
        *n += 1;
        *n
    };
    if !behaviour.delay.is_zero() {
        tokio::time::sleep(behaviour.delay).await;
    }
    if seen <= behaviour.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let value: Value = serde_json::from_str(&body).expect("Slack webhooks receive JSON");
    sink.received.lock().expect("received").messages.entry(channel).or_default().push(value);
    StatusCode::OK
}

/// `#prod-alerts` → `prod-alerts`, the sink's path for that channel.
fn path_of(channel: &str) -> String {
    channel.trim_start_matches('#').to_owned()
}

impl World {
    /// A notifier whose webhooks point at this scenario's sink, when it has one.
    pub fn notifier(&self, policy: &Pipeline) -> Option<Notifier> {
        let base = self.observed.slack.base.as_ref()?;
        let channels = Environment::ALL
            .into_iter()
            .map(|e| policy.environment(e).slack.clone())
            .chain(policy.notifications.channels.values().cloned());
        let webhooks = channels
            .filter(|s| !self.observed.slack.unset.contains(&s.webhook_secret))
            .map(|s| {
                let url = format!("{base}/services/{}/T0SECRET", path_of(&s.channel));
                (s.webhook_secret.clone(), Webhook::parse(&s.webhook_secret, &url).expect("a sink URL"))
            })
            .collect();
        Some(Notifier::new(policy, webhooks).with_limits(Duration::from_millis(500), 2, Duration::from_millis(20)))
    }

    pub(super) fn messages(&self, channel: &str) -> Vec<Value> {
        let r = self.observed.slack.sink.received.lock().expect("received");
        r.messages.get(&path_of(channel)).cloned().unwrap_or_default()
    }

    fn message(&self, channel: &str, text: &str) -> Value {
        let all = self.messages(channel);
        all.iter().find(|m| m["text"] == text).cloned().unwrap_or_else(|| {
            let got: Vec<&Value> = all.iter().map(|m| &m["text"]).collect();
            panic!("{channel} received no {text:?}; it received {got:?}")
        })
    }
}

/// Every mrkdwn text of a message, fields and sections alike.
fn texts(message: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for block in message["blocks"].as_array().into_iter().flatten() {
        if let Some(t) = block["text"]["text"].as_str() {
            out.push(t.to_owned());
        }
        for f in
            block["fields"].as_array().into_iter().flatten().chain(block["elements"].as_array().into_iter().flatten())
        {
            out.extend(f["text"].as_str().map(str::to_owned));
        }
    }
    out
}

#[given("a Slack sink on this machine holds the webhook of every channel")]
async fn sink(w: &mut World) {
    ensure_sink(w).await;
}

impl World {
    /// The sink's base URL (`http://127.0.0.1:PORT`).
    pub(super) fn slack_sink(&self) -> String {
        self.observed.slack.base.clone().expect("a Slack sink was started")
    }

    /// Every message the sink received, on any channel.
    pub(super) fn slack_messages(&self) -> Vec<Value> {
        let r = self.observed.slack.sink.received.lock().expect("received");
        r.messages.values().flatten().cloned().collect()
    }
}

/// Starts the scenario's Slack sink unless it runs already.
pub(super) async fn ensure_sink(w: &mut World) {
    if w.observed.slack.base.is_none() {
        start_sink(w).await;
    }
}

/// Starts the scenario's Slack sink on a free local port.
pub(super) async fn start_sink(w: &mut World) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a local port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let app = axum::Router::new()
        .route("/services/{channel}/{token}", post(|s, Path((c, _t)): Path<(String, String)>, b| hook(s, Path(c), b)))
        .with_state(w.observed.slack.sink.clone());
    w.observed.slack.task = Some(tokio::spawn(async move {
        axum::serve(listener, app).await.expect("the sink serves");
    }));
    w.observed.slack.base = Some(base);
}

#[given(expr = "the webhook of {string} is not configured")]
async fn unset(w: &mut World, secret: String) {
    w.observed.slack.unset.push(secret);
}

#[given(expr = "the webhook of {string} answers HTTP 500 to its first {int} requests")]
async fn flaky(w: &mut World, channel: String, n: usize) {
    w.observed.slack.sink.behaviour.lock().expect("behaviour").entry(path_of(&channel)).or_default().fail_first = n;
}

#[given(expr = "the webhook of {string} never answers in time")]
async fn hanging(w: &mut World, channel: String) {
    // It never answers within the scenario (the sink is stopped with it): only the notifier's
    // own timeout can end the request, however fast or slow the machine is.
    w.observed.slack.sink.behaviour.lock().expect("behaviour").entry(path_of(&channel)).or_default().delay =
        Duration::from_secs(24 * 3600);
}

#[then(regex = r#"^"(#[a-z-]+)" received, in order:$"#)]
async fn received_in_order(w: &mut World, channel: String, step: &Step) {
    let want: Vec<String> = step.table.as_ref().expect("a table").rows.iter().skip(1).map(|r| r[0].clone()).collect();
    let got: Vec<String> =
        w.messages(&channel).iter().map(|m| m["text"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(got, want, "messages received by {channel}");
}

#[then(regex = r#"^"(#[a-z-]+)" received nothing$"#)]
async fn received_nothing(w: &mut World, channel: String) {
    assert_eq!(w.messages(&channel), Vec::<Value>::new(), "{channel}");
}

#[then(regex = r#"^the "([^"]+)" message in "(#[a-z-]+)" shows:$"#)]
async fn shows(w: &mut World, text: String, channel: String, step: &Step) {
    let all = texts(&w.message(&channel, &text)).join("\n");
    for row in step.table.as_ref().expect("a table").rows.iter().skip(1) {
        assert!(all.contains(&row[0]), "{text:?} lacks {:?}; it reads:\n{all}", row[0]);
    }
}

#[then(regex = r#"^the "([^"]+)" message in "(#[a-z-]+)" has a duration like "5m 23s"$"#)]
async fn has_duration(w: &mut World, text: String, channel: String) {
    let all = texts(&w.message(&channel, &text));
    let duration = all.iter().find_map(|t| t.strip_prefix("*Duration:*\n")).expect("a Duration field");
    let ok = regex::Regex::new(r"^(\d+h )?(\d+m )?\d+s$").expect("a pattern").is_match(duration);
    assert!(ok, "duration {duration:?}");
}

#[then("the last deployment's notifications were:")]
#[then("the last deployment's notifications, its start's then its completion's, were:")]
async fn notifications_were(w: &mut World, step: &Step) {
    let d = w.release.deployments.last().expect("a deployment");
    let got: Vec<Vec<String>> = d
        .notifications
        .iter()
        .map(|n| {
            let status = match &n.status {
                DeliveryStatus::Sent { attempts } => format!("sent in {attempts}"),
                DeliveryStatus::Failed { .. } => "failed".into(),
                DeliveryStatus::NotConfigured { .. } => "not configured".into(),
                DeliveryStatus::Listed => "listed".into(),
            };
            vec![n.alert.to_string(), status]
        })
        .collect();
    let want: Vec<Vec<String>> = step.table.as_ref().expect("a table").rows.iter().skip(1).cloned().collect();
    assert_eq!(got, want);
}

#[then("the failed notification's report does not contain the webhook's address")]
async fn no_url(w: &mut World) {
    let d = w.release.deployments.last().expect("a deployment");
    let failed: Vec<String> = d
        .notifications
        .iter()
        .filter_map(|n| match &n.status {
            DeliveryStatus::Failed { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert!(!failed.is_empty(), "a notification failed");
    let printed = format!("{d}\n{}", serde_json::to_string(d).expect("serialises"));
    for secret in ["T0SECRET", "/services/", w.observed.slack.base.as_deref().expect("a sink")] {
        assert!(!printed.contains(secret), "{secret:?} printed in:\n{printed}");
    }
}

#[when(
    regex = r"^(deployment started|deployment completed|deployment failed|approval required|rollback executed|a state lock held too long) is routed for (DEV|SIT|PROD)$"
)]
async fn routed(w: &mut World, event: String, env: String) {
    let policy = Pipeline::load(&stagegate::foundation::repo::Repo::sample_path()).expect("the sample policy");
    let d = jiff::SignedDuration::from_secs(60);
    let who = "release-bot".to_owned();
    let event = match event.as_str() {
        "deployment started" => Event::DeploymentStarted { deployer: who, commit: "abc".into(), change_ticket: None },
        "deployment completed" => {
            Event::DeploymentCompleted { deployer: who, duration: d, resources: Vec::new(), tag: None }
        }
        "deployment failed" => Event::DeploymentFailed { deployer: who, duration: d, reason: "boom".into() },
        "approval required" => {
            Event::ApprovalRequired { requested_by: who, approvers_needed: 1, approved_by: Vec::new(), run_url: None }
        }
        "rollback executed" => {
            Event::RollbackExecuted { by: who, target: "abc".into(), duration: d, passed: true, tag: None }
        }
        _ => Event::LockHeld {
            path: "p".into(),
            holder: who,
            operation: "OperationTypeApply".into(),
            lock_id: "id".into(),
            age: jiff::SignedDuration::from_mins(31),
        },
    };
    let notice = Notice { env: env.parse().expect("an environment"), event };
    w.observed.slack.routed = route(&policy, &notice).iter().map(ToString::to_string).collect();
}

#[then(expr = "the alerts are {string}")]
async fn alerts_are(w: &mut World, want: String) {
    let want: Vec<String> = if want == "none" { Vec::new() } else { want.split(", ").map(str::to_owned).collect() };
    assert_eq!(w.observed.slack.routed, want);
}
