//! What each backend emulates. A backend declares what it lacks; a command that needs it is
//! refused before anything changes, the conformance suite lists the scenarios it could not run
//! (tagged `@needs-...`), and a rehearsal names each step it could not rehearse. Nothing a
//! backend lacks is ever reported as passed.

use std::fmt;

use super::{Flavor, LOCALSTACK_TAG};

/// Something an AWS emulator may or may not emulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// AWS Backup: vaults, plans, selections (LocalStack community has none of it).
    Backup,
    /// AWS Backup's selection operations (moto 5.2.5 answers them with 500; stagegate records
    /// the selection as tags on the plan there instead).
    BackupSelections,
    /// AWS Backup's UpdateBackupPlan, which changes a plan's rule (its retention, say): moto
    /// 5.2.5 does not implement it.
    BackupPlanUpdates,
    /// S3 buckets listed per account (moto lists every account's buckets in each).
    S3AccountIsolation,
    /// R58: DynamoDB global tables, version 2019.11.21 (UpdateTable `ReplicaUpdates`, `Replicas`
    /// in DescribeTable). moto 5.2.5 accepts the update and ignores it: no replica ever appears.
    DynamoDbGlobalTables,
    /// R58: S3 replication of objects to the destination bucket. moto 5.2.5 and LocalStack
    /// 4.5.0 store a replication configuration (LocalStack checks both buckets' versioning,
    /// moto only the source's) but copy no object.
    S3ObjectReplication,
    /// R58: items replicated between a global table's regions. moto has no replicas at all;
    /// LocalStack 4.5.0 keeps one copy of a global table and answers every replica region from
    /// it, so an item written in one region reads back in the other with nothing replicated.
    DynamoDbItemReplication,
    /// DynamoDB's check that a key value in an item read has the type the table declares
    /// (`ValidationException`). moto 5.2.5 reads a number key given as a string, finds nothing,
    /// and answers without an error.
    DynamoDbKeyTypes,
}

impl Capability {
    pub const ALL: [Capability; 8] = [
        Capability::Backup,
        Capability::BackupSelections,
        Capability::BackupPlanUpdates,
        Capability::S3AccountIsolation,
        Capability::DynamoDbGlobalTables,
        Capability::S3ObjectReplication,
        Capability::DynamoDbItemReplication,
        Capability::DynamoDbKeyTypes,
    ];

    /// The AWS service or feature, as operators name it.
    pub fn service(self) -> &'static str {
        match self {
            Capability::Backup => "AWS Backup",
            Capability::BackupSelections => "AWS Backup selections",
            Capability::BackupPlanUpdates => "AWS Backup plan updates (UpdateBackupPlan)",
            Capability::S3AccountIsolation => "S3 isolated per account",
            Capability::DynamoDbGlobalTables => "DynamoDB global tables (replicas)",
            Capability::S3ObjectReplication => "S3 replication of objects",
            Capability::DynamoDbItemReplication => "DynamoDB replication of items between regions",
            Capability::DynamoDbKeyTypes => "DynamoDB's check of a key value's type",
        }
    }

    /// The feature-file tag of scenarios that need it (`@needs-backup`).
    pub fn tag(self) -> &'static str {
        match self {
            Capability::Backup => "needs-backup",
            Capability::BackupSelections => "needs-backup-selections",
            Capability::BackupPlanUpdates => "needs-backup-plan-updates",
            Capability::S3AccountIsolation => "needs-s3-account-isolation",
            Capability::DynamoDbGlobalTables => "needs-dynamodb-global-tables",
            Capability::S3ObjectReplication => "needs-s3-object-replication",
            Capability::DynamoDbItemReplication => "needs-dynamodb-item-replication",
            Capability::DynamoDbKeyTypes => "needs-dynamodb-key-types",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Capability> {
        let tag = tag.trim_start_matches('@');
        Capability::ALL.into_iter().find(|c| c.tag() == tag)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.service())
    }
}

impl Flavor {
    /// What this backend does not emulate. An unknown endpoint is taken to be AWS-compatible.
    pub fn lacks(self) -> &'static [Capability] {
        match self {
            Flavor::Moto => &[
                Capability::BackupSelections,
                Capability::BackupPlanUpdates,
                Capability::S3AccountIsolation,
                Capability::DynamoDbGlobalTables,
                Capability::S3ObjectReplication,
                Capability::DynamoDbItemReplication,
                Capability::DynamoDbKeyTypes,
            ],
            // LocalStack keeps one copy of a global table and answers every replica region
            // from it, so an item written in one region reads back in the other: that proves
            // nothing about replication.
            Flavor::LocalStack => &[
                Capability::Backup,
                Capability::BackupSelections,
                Capability::BackupPlanUpdates,
                Capability::S3ObjectReplication,
                Capability::DynamoDbItemReplication,
            ],
            Flavor::Generic | Flavor::Aws => &[],
        }
    }

    pub fn has(self, capability: Capability) -> bool {
        !self.lacks().contains(&capability)
    }

    /// The backend as an operator would name it in a refusal.
    pub fn backend_name(self) -> String {
        match self {
            Flavor::Moto => "moto (--backend local)".into(),
            Flavor::LocalStack => format!("LocalStack {LOCALSTACK_TAG} community (--backend localstack)"),
            Flavor::Generic => "the external endpoint".into(),
            Flavor::Aws => "real AWS".into(),
        }
    }

    /// `Ok` when this backend emulates `capability`; otherwise the refusal for `what`.
    pub fn require(self, capability: Capability, what: impl Into<String>) -> Result<(), Unsupported> {
        if self.has(capability) { Ok(()) } else { Err(Unsupported { what: what.into(), capability, backend: self }) }
    }
}

/// Where to go for what a backend lacks.
fn instead(capability: Capability) -> &'static str {
    match capability {
        Capability::Backup | Capability::BackupSelections => {
            "use --backend local (moto emulates AWS Backup vaults and plans) or --backend aws"
        }
        Capability::S3AccountIsolation | Capability::DynamoDbGlobalTables | Capability::DynamoDbKeyTypes => {
            "use --backend localstack or --backend aws"
        }
        Capability::BackupPlanUpdates | Capability::S3ObjectReplication | Capability::DynamoDbItemReplication => {
            "use --backend aws"
        }
    }
}

/// A command refused because the backend lacks what it needs; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} needs {capability}, which {} does not emulate; nothing was changed; {}", .backend.backend_name(), instead(*.capability))]
pub struct Unsupported {
    pub what: String,
    pub capability: Capability,
    pub backend: Flavor,
}
