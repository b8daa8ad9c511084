//! AWS client factory: S3 (path style), DynamoDB, AWS Backup and STS for one environment's account.
//!
//! On moto the account is selected by the `x-moto-account-id` header, on LocalStack by a
//! 12-digit access key id, so DEV, SIT and PROD are three isolated accounts as in the LLD.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

pub mod cloudwatch;
mod error;
mod moto;

pub use error::{AwsError, describe_sdk, service_code};
pub use moto::MotoListTagsPath;

use crate::Environment;
use crate::emulator::{Endpoint, Flavor};

/// The LLD's region.
pub const DEFAULT_REGION: &str = "af-south-1";

/// Clients acting as one account.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sts: aws_sdk_sts::Client,
    pub backup: aws_sdk_backup::Client,
    /// What answers at the endpoint: decides which AWS Backup operations are available.
    pub flavor: Flavor,
    /// The account these clients act as, when stagegate chose it (emulators); `None` on real
    /// AWS, where the credential chain decides (ask STS).
    pub account_id: Option<String>,
    pub region: String,
    /// Every operation these clients performed, when recording.
    pub recorder: Option<ActionRecorder>,
}

/// Records the AWS operations a client performs (`dynamodb:CreateTable`, `s3:PutObject`, ...),
/// so that a deployer policy can be checked against what an apply really does. Each call keeps
/// the ARN of the resource it touched when the request names one.
#[derive(Debug, Clone, Default)]
pub struct ActionRecorder {
    calls: std::sync::Arc<std::sync::Mutex<Vec<RecordedCall>>>,
    /// Account and region of the clients recording, for DynamoDB table ARNs.
    scope: Option<(String, String)>,
}

/// One AWS operation performed (or `count` of them), and the resource it touched if known.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordedCall {
    /// `service:Operation`, as the SDK names it.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default = "one")]
    pub count: usize,
}

fn one() -> usize {
    1
}

/// The resource of the call in flight, from its transmitted request to its end.
#[derive(Debug, Clone)]
struct CallResource(Option<String>);

impl aws_smithy_types::config_bag::Storable for CallResource {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

impl ActionRecorder {
    /// The operations recorded so far, in order, with repeats.
    pub fn actions(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.action).collect()
    }

    /// Every call recorded so far, in order, with the resource it touched.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.calls.lock().expect("recorder lock").clone()
    }

    /// Each distinct operation on each resource, with how often it ran, sorted.
    pub fn calls_summary(&self) -> Vec<RecordedCall> {
        let mut counts = std::collections::BTreeMap::new();
        for c in self.calls() {
            *counts.entry((c.action, c.resource)).or_insert(0) += 1;
        }
        counts.into_iter().map(|((action, resource), count)| RecordedCall { action, resource, count }).collect()
    }

    /// Each distinct operation with how often it ran, sorted.
    pub fn summary(&self) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for a in self.actions() {
            *counts.entry(a).or_insert(0) += 1;
        }
        counts
    }

    /// The same record, for clients acting as `account_id` in `region`.
    fn in_account(&self, account_id: &str, region: &str) -> ActionRecorder {
        ActionRecorder { calls: self.calls.clone(), scope: Some((account_id.to_owned(), region.to_owned())) }
    }

    /// The ARN a request acts on: S3 (path style) from its path, DynamoDB from `TableName` or
    /// `ResourceArn` in its body.
    fn resource_of(&self, service: &str, uri: &str, body: Option<&[u8]>) -> Option<String> {
        match service {
            "s3" => {
                let path = uri.split_once("://").map_or(uri, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
                let path = path.split(['?', '#']).next().unwrap_or("").trim_start_matches('/');
                let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
                match (bucket, key) {
                    ("", _) => None,
                    (b, "") => Some(format!("arn:aws:s3:::{}", percent_decode(b))),
                    (b, k) => Some(format!("arn:aws:s3:::{}/{}", percent_decode(b), percent_decode(k))),
                }
            }
            "dynamodb" => {
                let body: serde_json::Value = serde_json::from_slice(body?).ok()?;
                if let Some(arn) = body["ResourceArn"].as_str() {
                    return Some(arn.to_owned());
                }
                let (account, region) = self.scope.as_ref()?;
                body["TableName"].as_str().map(|t| format!("arn:aws:dynamodb:{region}:{account}:table/{t}"))
            }
            _ => None,
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Intercept for ActionRecorder {
    fn name(&self) -> &'static str {
        "ActionRecorder"
    }

    // Read once the endpoint is resolved: only then does a path-style URI hold the bucket.
    fn read_before_transmit(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let service = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map(|m| m.service().to_ascii_lowercase())
            .unwrap_or_default();
        let request = context.request();
        let resource = self.resource_of(&service, request.uri(), request.body().bytes());
        cfg.interceptor_state().store_put(CallResource(resource));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>() {
            let service = m.service().to_ascii_lowercase();
            let resource = cfg.load::<CallResource>().and_then(|r| r.0.clone());
            self.calls.lock().expect("recorder lock").push(RecordedCall {
                action: format!("{service}:{}", m.name()),
                resource,
                count: 1,
            });
        }
        Ok(())
    }
}

impl AwsClients {
    /// Clients with the credentials of `env`'s account.
    pub async fn for_environment(endpoint: &Endpoint, env: Environment, region: &str) -> AwsClients {
        Self::for_account(endpoint, env.account_id(), region).await
    }

    /// Clients acting as `account_id` (ignored on real AWS, where the credential chain decides).
    pub async fn for_account(endpoint: &Endpoint, account_id: &str, region: &str) -> AwsClients {
        Self::build(endpoint, account_id, region, None).await
    }

    /// Clients of `env`'s account that record every operation they perform.
    pub async fn recording(
        endpoint: &Endpoint,
        env: Environment,
        region: &str,
        recorder: ActionRecorder,
    ) -> AwsClients {
        Self::build(endpoint, env.account_id(), region, Some(recorder)).await
    }

    async fn build(
        endpoint: &Endpoint,
        account_id: &str,
        region: &str,
        recorder: Option<ActionRecorder>,
    ) -> AwsClients {
        let sdk = sdk_config(endpoint, account_id, region).await;
        let moto_account = (endpoint.flavor == Flavor::Moto).then(|| MotoAccount(account_id.to_owned()));

        let mut s3 = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true);
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(&sdk);
        let mut sts = aws_sdk_sts::config::Builder::from(&sdk);
        let mut backup = aws_sdk_backup::config::Builder::from(&sdk);
        if let Some(m) = moto_account {
            s3 = s3.interceptor(m.clone());
            dynamodb = dynamodb.interceptor(m.clone());
            backup = backup.interceptor(m.clone()).interceptor(crate::aws::MotoListTagsPath);
            sts = sts.interceptor(m);
        }
        if let Some(r) = recorder.as_ref().map(|r| r.in_account(account_id, region)) {
            s3 = s3.interceptor(r.clone());
            dynamodb = dynamodb.interceptor(r.clone());
            sts = sts.interceptor(r.clone());
            backup = backup.interceptor(r.clone());
        }
        AwsClients {
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
            backup: aws_sdk_backup::Client::from_conf(backup.build()),
            flavor: endpoint.flavor,
            account_id: (endpoint.flavor != Flavor::Aws).then(|| account_id.to_owned()),
            region: region.to_owned(),
            recorder,
        }
    }

    /// R58: the same account's clients in another region (the DR region), with the same
    /// endpoint, credentials and recorder.
    pub fn in_region(&self, region: &str) -> AwsClients {
        if region == self.region {
            return self.clone();
        }
        let r = Region::new(region.to_owned());
        AwsClients {
            s3: aws_sdk_s3::Client::from_conf(self.s3.config().to_builder().region(r.clone()).build()),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                self.dynamodb.config().to_builder().region(r.clone()).build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(self.sts.config().to_builder().region(r.clone()).build()),
            backup: aws_sdk_backup::Client::from_conf(self.backup.config().to_builder().region(r).build()),
            region: region.to_owned(),
            ..self.clone()
        }
    }

    /// The account the credentials really belong to, as STS reports it.
    pub async fn caller_account(&self) -> Result<String, String> {
        let out = self.sts.get_caller_identity().send().await.map_err(|e| crate::aws::describe_sdk(&e))?;
        out.account.ok_or_else(|| "STS GetCallerIdentity returned no account".to_owned())
    }
}

async fn sdk_config(endpoint: &Endpoint, account_id: &str, region: &str) -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_owned()));
    let Some(url) = &endpoint.url else {
        return loader.load().await;
    };
    // Emulators take any secret; LocalStack derives the account from a 12-digit key id.
    let key_id = match endpoint.flavor {
        Flavor::LocalStack => account_id.to_owned(),
        _ => "test".to_owned(),
    };
    loader
        .endpoint_url(url)
        .credentials_provider(Credentials::new(key_id, "test", None, None, "stagegate-emulator"))
        .load()
        .await
}

/// Adds `x-moto-account-id` to every request so moto acts as that account.
#[derive(Debug, Clone)]
struct MotoAccount(String);

impl Intercept for MotoAccount {
    fn name(&self) -> &'static str {
        "MotoAccount"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        context.request_mut().headers_mut().insert("x-moto-account-id", self.0.clone());
        Ok(())
    }
}

/// A bucket's versioning status: `Enabled`, `Suspended`, or `None` when never turned on.
///
/// moto 5.2.5 names this response's root element `GetBucketVersioningResponse` instead of
/// `VersioningConfiguration`, which the SDK refuses to decode; the body is otherwise AWS's, so a
/// successful response that failed to decode is read for its `<Status>`.
pub async fn bucket_versioning_status(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Option<String>, String> {
    match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(v) => Ok(v.status().map(|s| s.as_str().to_owned())),
        Err(e) => {
            let body = e
                .raw_response()
                .filter(|r| r.status().is_success())
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned());
            match body {
                Some(body) => Ok(["Enabled", "Suspended"]
                    .into_iter()
                    .find(|s| body.contains(&format!("<Status>{s}</Status>")))
                    .map(str::to_owned)),
                None => Err(crate::aws::describe_sdk(&e)),
            }
        }
    }
}

/// Whether a bucket's versioning status is `Enabled`.
pub async fn bucket_versioning_enabled(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, String> {
    Ok(bucket_versioning_status(s3, bucket).await?.as_deref() == Some("Enabled"))
}

/// The S3 settings every bucket stagegate creates gets: one definition for the state buckets
/// and the templates bucket.
pub mod bucket_settings {
    use aws_sdk_s3::types::{
        BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, PublicAccessBlockConfiguration,
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule, VersioningConfiguration,
    };

    /// Where to create a bucket: none for us-east-1, which takes no location constraint.
    pub fn location(region: &str) -> Option<CreateBucketConfiguration> {
        (region != "us-east-1").then(|| {
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build()
        })
    }

    pub fn versioning_enabled() -> VersioningConfiguration {
        versioning("Enabled")
    }

    /// `Enabled` or `Suspended`.
    pub fn versioning(status: &str) -> VersioningConfiguration {
        VersioningConfiguration::builder().status(BucketVersioningStatus::from(status)).build()
    }

    /// Default encryption with S3-managed keys (AES256).
    pub fn aes256_encryption() -> ServerSideEncryptionConfiguration {
        encryption("AES256")
    }

    /// Default encryption with `AES256` or `aws:kms` (the AWS managed key).
    pub fn encryption(algorithm: &str) -> ServerSideEncryptionConfiguration {
        let sse = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(algorithm))
            .build()
            .expect("algorithm set");
        let rule = ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(sse).build();
        ServerSideEncryptionConfiguration::builder().rules(rule).build().expect("rules set")
    }

    /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
    pub fn public_access_block([acls, ignore, policy, restrict]: [bool; 4]) -> PublicAccessBlockConfiguration {
        PublicAccessBlockConfiguration::builder()
            .block_public_acls(acls)
            .ignore_public_acls(ignore)
            .block_public_policy(policy)
            .restrict_public_buckets(restrict)
            .build()
    }
}
