//! R05's rule catalogue: each security rule's stable ID, severity, the Trivy (AVD) and Checkov
//! checks it mirrors, and its remedy.

use serde::Serialize;

use crate::checks::sarif::Severity;

/// One security rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScanRule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    /// Trivy / tfsec ID (AVD-AWS-....), or "-".
    pub trivy: &'static str,
    /// Checkov ID (CKV_AWS_..), or "-".
    pub checkov: &'static str,
    pub remediation: &'static str,
}

pub const RULES: [ScanRule; 14] = [
    ScanRule {
        id: "SG-S3-001",
        severity: Severity::High,
        title: "S3 bucket does not block public ACLs",
        trivy: "AVD-AWS-0086",
        checkov: "CKV_AWS_53",
        remediation: "remove the override of block_public_acls (default true)",
    },
    ScanRule {
        id: "SG-S3-002",
        severity: Severity::High,
        title: "S3 bucket does not block public bucket policies",
        trivy: "AVD-AWS-0087",
        checkov: "CKV_AWS_54",
        remediation: "remove the override of block_public_policy (default true)",
    },
    ScanRule {
        id: "SG-S3-003",
        severity: Severity::High,
        title: "S3 bucket does not ignore public ACLs",
        trivy: "AVD-AWS-0091",
        checkov: "CKV_AWS_55",
        remediation: "remove the override of ignore_public_acls (default true)",
    },
    ScanRule {
        id: "SG-S3-004",
        severity: Severity::High,
        title: "S3 bucket does not restrict public buckets",
        trivy: "AVD-AWS-0093",
        checkov: "CKV_AWS_56",
        remediation: "remove the override of restrict_public_buckets (default true)",
    },
    ScanRule {
        id: "SG-S3-005",
        severity: Severity::High,
        title: "S3 bucket has no default encryption",
        trivy: "AVD-AWS-0088",
        checkov: "CKV_AWS_19",
        remediation: "set templates_bucket_encryption to \"AES256\" or \"aws:kms\"",
    },
    ScanRule {
        id: "SG-S3-006",
        severity: Severity::Medium,
        title: "S3 bucket versioning is off",
        trivy: "AVD-AWS-0090",
        checkov: "CKV_AWS_21",
        remediation: "set templates_bucket_versioning = true",
    },
    ScanRule {
        id: "SG-DDB-001",
        severity: Severity::Medium,
        title: "DynamoDB table without point-in-time recovery",
        trivy: "AVD-AWS-0024",
        checkov: "CKV_AWS_28",
        remediation: "set Stagegate.PointInTimeRecovery to true and keep enable_point_in_time_recovery = true",
    },
    ScanRule {
        id: "SG-DDB-002",
        severity: Severity::Low,
        title: "DynamoDB table not encrypted with a customer-managed KMS key",
        trivy: "AVD-AWS-0025",
        checkov: "CKV_AWS_119",
        remediation: "set SSESpecification {Enabled: true, SSEType: KMS, KMSMasterKeyId: <your key>}",
    },
    ScanRule {
        id: "SG-STATE-001",
        severity: Severity::Critical,
        title: "Terraform state bucket is not encrypted",
        trivy: "AVD-AWS-0088",
        checkov: "CKV_AWS_19",
        remediation: "remove the state.encryption override in pipeline.yml (default AES256)",
    },
    ScanRule {
        id: "SG-STATE-002",
        severity: Severity::High,
        title: "Terraform state bucket versioning is off: rollback by state version is impossible",
        trivy: "AVD-AWS-0090",
        checkov: "CKV_AWS_21",
        remediation: "remove the state.versioning override in pipeline.yml (default true)",
    },
    ScanRule {
        id: "SG-IAM-001",
        severity: Severity::Critical,
        title: "Deployer role trust policy is not pinned to the repository's main branch in the environment's account",
        trivy: "-",
        checkov: "CKV_AWS_358",
        remediation: "trust only arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com for sts:AssumeRoleWithWebIdentity, with StringEquals on aud (sts.amazonaws.com) and sub (repo:ORG/REPO:ref:refs/heads/main)",
    },
    ScanRule {
        id: "SG-IAM-002",
        severity: Severity::High,
        title: "Deployer permissions are not least privilege",
        trivy: "AVD-AWS-0057",
        checkov: "CKV_AWS_355",
        remediation: "name each action, and scope each resource to this environment's tables and buckets",
    },
    ScanRule {
        id: "SG-IAM-003",
        severity: Severity::High,
        title: "Deployer permissions do not allow an action the apply performs",
        trivy: "-",
        checkov: "-",
        remediation: "allow the missing action on the resource named, and nothing wider",
    },
    ScanRule {
        id: "SG-SUP-001",
        severity: Severity::High,
        title: "A suppression without a written reason",
        trivy: "-",
        checkov: "-",
        remediation: "write why the finding is accepted, or remove the suppression",
    },
];

pub fn rule(id: &str) -> &'static ScanRule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[RULES.len() - 1])
}
