//! Sending: each Slack alert goes to the webhook of its channel, with a timeout per attempt
//! and retries with backoff on timeouts, refused connections, 429 and 5xx. Page, email and
//! executive alerts are listed for whoever runs the rota: stagegate's only transport is Slack.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use serde::Serialize;

use super::{Alert, Notice, message, route};
use crate::Environment;
use crate::foundation::policy::Pipeline;

/// A webhook URL. It is a secret: `Debug` hides it and nothing displays it.
#[derive(Clone)]
pub struct Webhook(reqwest::Url);

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Webhook(<secret>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{secret}: not an http(s) URL (the value is a secret and is not shown)")]
    NotAUrl { secret: String },
}

impl Webhook {
    /// Reads the webhook held by the secret called `secret`.
    pub fn parse(secret: &str, value: &str) -> Result<Webhook, WebhookError> {
        match reqwest::Url::parse(value.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(Webhook(url)),
            _ => Err(WebhookError::NotAUrl { secret: secret.to_owned() }),
        }
    }
}

/// What became of one alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    #[serde(flatten)]
    pub alert: Alert,
    #[serde(flatten)]
    pub status: DeliveryStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeliveryStatus {
    Sent {
        attempts: u32,
    },
    Failed {
        attempts: u32,
        reason: String,
    },
    /// The channel's webhook secret is not set (allowed where the policy does not require it).
    NotConfigured {
        secret: String,
    },
    /// Listed for the on-call rota; stagegate sends Slack only.
    Listed,
}

impl std::fmt::Display for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.status {
            DeliveryStatus::Sent { attempts: 1 } => write!(f, "notified {}", self.alert),
            DeliveryStatus::Sent { attempts } => write!(f, "notified {} after {attempts} attempts", self.alert),
            DeliveryStatus::Failed { attempts, reason } => {
                write!(f, "notification to {} FAILED after {attempts} attempt(s): {reason}", self.alert)
            }
            DeliveryStatus::NotConfigured { secret } => {
                write!(f, "not sent to {}: {secret} is not configured", self.alert)
            }
            DeliveryStatus::Listed => write!(f, "escalation: {} (hand to the on-call rota)", self.alert),
        }
    }
}

/// Sends the pipeline's notifications to the webhooks the policy names.
#[derive(Debug, Clone)]
pub struct Notifier {
    policy: Pipeline,
    webhooks: BTreeMap<String, Webhook>,
    client: reqwest::Client,
    retries: usize,
    first_backoff: Duration,
}

/// Why one attempt failed, and whether another may succeed.
struct AttemptFailed {
    reason: String,
    retry: bool,
    retry_after: Option<Duration>,
}

impl Notifier {
    /// A notifier with the given webhooks, by secret name.
    pub fn new(policy: &Pipeline, webhooks: BTreeMap<String, Webhook>) -> Notifier {
        Notifier {
            policy: policy.clone(),
            webhooks,
            client: client(Duration::from_secs(5)),
            retries: 3,
            first_backoff: Duration::from_millis(200),
        }
    }

    /// Reads every webhook secret the policy names from the process environment; unset or
    /// blank secrets are not configured.
    pub fn from_env(policy: &Pipeline) -> Result<Notifier, WebhookError> {
        Notifier::from_secrets(policy, |name| std::env::var(name).ok())
    }

    /// [`Notifier::from_env`] with each secret's value given by `read`.
    pub fn from_secrets(policy: &Pipeline, read: impl Fn(&str) -> Option<String>) -> Result<Notifier, WebhookError> {
        let mut webhooks = BTreeMap::new();
        let secrets = Environment::ALL
            .into_iter()
            .map(|env| &policy.environment(env).slack)
            .chain(policy.notifications.channels.values())
            .map(|s| s.webhook_secret.clone());
        for secret in secrets {
            if let Some(value) = read(&secret)
                && !value.trim().is_empty()
            {
                webhooks.insert(secret.clone(), Webhook::parse(&secret, &value)?);
            }
        }
        Ok(Notifier::new(policy, webhooks))
    }

    /// The time one attempt may take, and how many retries follow a failed one.
    pub fn with_limits(mut self, timeout: Duration, retries: usize, first_backoff: Duration) -> Notifier {
        self.client = client(timeout);
        self.retries = retries;
        self.first_backoff = first_backoff;
        self
    }

    /// Whether the environment's own channel has a webhook.
    pub fn configured(&self, env: Environment) -> bool {
        self.webhooks.contains_key(&self.policy.environment(env).slack.webhook_secret)
    }

    /// Routes the notice and delivers each alert; never fails, reports instead.
    pub async fn notify(&self, notice: &Notice) -> Vec<Delivery> {
        let payload = message(notice);
        let mut out = Vec::new();
        for alert in route(&self.policy, notice) {
            let status = match &alert {
                Alert::Slack { channel } => {
                    // Every channel a route can name is checked when the policy loads.
                    let secret = self.policy.channel(channel).map(|s| s.webhook_secret.clone()).unwrap_or_default();
                    match self.webhooks.get(&secret) {
                        Some(hook) => self.post(&secret, hook, &payload).await,
                        None => DeliveryStatus::NotConfigured { secret },
                    }
                }
                _ => DeliveryStatus::Listed,
            };
            out.push(Delivery { alert, status });
        }
        out
    }

    async fn post(&self, secret: &str, hook: &Webhook, payload: &super::Message) -> DeliveryStatus {
        let attempts = AtomicU32::new(0);
        let once = || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            let response = self.client.post(hook.0.clone()).json(payload).send().await.map_err(|e| {
                // Without the URL: it is the secret.
                let e = e.without_url();
                let what = if e.is_timeout() { "timed out".to_owned() } else { crate::foundation::error_chain(&e) };
                AttemptFailed { reason: format!("the {secret} webhook: {what}"), retry: true, retry_after: None }
            })?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s.min(5)));
            let body: String = response.text().await.unwrap_or_default().chars().take(200).collect();
            Err(AttemptFailed {
                reason: format!("the {secret} webhook answered HTTP {}: {}", status.as_u16(), body.trim()),
                retry: status.as_u16() == 429 || status.is_server_error(),
                retry_after,
            })
        };
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.first_backoff)
            .with_max_delay(self.first_backoff * 8)
            .with_max_times(self.retries)
            .with_jitter();
        let result = once
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|e: &AttemptFailed| e.retry)
            .adjust(|e: &AttemptFailed, next| next.map(|d| e.retry_after.unwrap_or(d)))
            .await;
        let attempts = attempts.load(Ordering::SeqCst);
        match result {
            Ok(()) => DeliveryStatus::Sent { attempts },
            Err(e) => DeliveryStatus::Failed { attempts, reason: e.reason },
        }
    }
}

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // Slack's webhooks do not redirect; a redirect would carry the secret elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client with rustls builds")
}
