//! From the AWS operations an apply performed (`s3:PutPublicAccessBlock`, as the SDK names them)
//! to the IAM actions a policy must allow (`s3:PutBucketPublicAccessBlock`), and the resources of
//! one environment that an action can touch when the call's own resource was not recorded.

use serde::Serialize;

/// The IAM actions that authorise one API operation. Most share the operation's name; S3 has
/// the exceptions below, and `sts:GetCallerIdentity` needs no permission at all.
pub fn iam_actions(operation: &str) -> Vec<String> {
    let Some((service, name)) = operation.split_once(':') else { return vec![operation.to_owned()] };
    let service = service.to_ascii_lowercase();
    let renamed: &[&str] = match (service.as_str(), name) {
        ("sts", "GetCallerIdentity") => &[],
        ("s3", "HeadBucket" | "ListObjects" | "ListObjectsV2") => &["ListBucket"],
        ("s3", "ListObjectVersions") => &["ListBucketVersions"],
        ("s3", "ListBuckets") => &["ListAllMyBuckets"],
        ("s3", "HeadObject") => &["GetObject"],
        ("s3", "DeleteObjects") => &["DeleteObject"],
        ("s3", "CopyObject") => &["GetObject", "PutObject"],
        ("s3", "PutPublicAccessBlock" | "DeletePublicAccessBlock") => &["PutBucketPublicAccessBlock"],
        ("s3", "GetPublicAccessBlock") => &["GetBucketPublicAccessBlock"],
        ("s3", "PutBucketEncryption" | "DeleteBucketEncryption") => &["PutEncryptionConfiguration"],
        ("s3", "GetBucketEncryption") => &["GetEncryptionConfiguration"],
        ("s3", "PutBucketLifecycleConfiguration" | "DeleteBucketLifecycle") => &["PutLifecycleConfiguration"],
        ("s3", "GetBucketLifecycleConfiguration") => &["GetLifecycleConfiguration"],
        ("s3", "DeleteBucketTagging") => &["PutBucketTagging"],
        _ => return vec![format!("{service}:{name}")],
    };
    renamed.iter().map(|n| format!("{service}:{n}")).collect()
}

/// What kind of resource an IAM action acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Table,
    Bucket,
    Object,
    /// The environment's AWS Backup vault.
    BackupVault,
    /// A backup plan (its id is AWS's) or the vault: plans, selections and their tags.
    BackupPlan,
    /// `s3:ListAllMyBuckets` and the like: only `*`.
    Account,
}

pub fn resource_kind(action: &str) -> ResourceKind {
    let (service, name) = action.split_once(':').unwrap_or(("", action));
    match service {
        "s3" if name == "ListAllMyBuckets" => ResourceKind::Account,
        "s3" if name.contains("Object") => ResourceKind::Object,
        "s3" => ResourceKind::Bucket,
        "dynamodb" if name.starts_with("List") && name != "ListTagsOfResource" => ResourceKind::Account,
        "backup" if name.starts_with("List") && name != "ListTags" => ResourceKind::Account,
        "backup" if name.contains("Vault") => ResourceKind::BackupVault,
        "backup" => ResourceKind::BackupPlan,
        _ => ResourceKind::Table,
    }
}

/// The resources a deployer of one environment works on, as ARNs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentResources {
    pub environment: String,
    pub account_id: String,
    pub region: String,
    /// The application's tables (from `schemas/`).
    pub tables: Vec<String>,
    pub templates_bucket: String,
    pub state_bucket: String,
    pub lock_table: String,
}

impl EnvironmentResources {
    pub fn table_arn(&self, table: &str) -> String {
        format!("arn:aws:dynamodb:{}:{}:table/{table}", self.region, self.account_id)
    }

    pub fn buckets(&self) -> [&str; 2] {
        [&self.templates_bucket, &self.state_bucket]
    }

    /// Every resource of this environment an action of `kind` can touch. Objects stand as
    /// `arn:aws:s3:::BUCKET/*`: some object of that bucket.
    pub fn candidates(&self, kind: ResourceKind) -> Vec<String> {
        match kind {
            ResourceKind::Table => self.tables.iter().chain([&self.lock_table]).map(|t| self.table_arn(t)).collect(),
            ResourceKind::Bucket => self.buckets().iter().map(|b| format!("arn:aws:s3:::{b}")).collect(),
            ResourceKind::Object => self.buckets().iter().map(|b| format!("arn:aws:s3:::{b}/*")).collect(),
            ResourceKind::BackupVault => vec![self.backup_vault_arn()],
            ResourceKind::BackupPlan => {
                vec![
                    format!("arn:aws:backup:{}:{}:backup-plan:*", self.region, self.account_id),
                    self.backup_vault_arn(),
                ]
            }
            ResourceKind::Account => vec!["*".to_owned()],
        }
    }

    /// The vault stagegate keeps the environment's table backups in (`bbws-dynamodb-{env}`).
    pub fn backup_vault_arn(&self) -> String {
        format!(
            "arn:aws:backup:{}:{}:backup-vault:bbws-dynamodb-{}",
            self.region,
            self.account_id,
            self.environment.to_ascii_lowercase()
        )
    }
}
