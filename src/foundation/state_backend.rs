//! pipeline.yml's `state:` section beyond the names (R53): how states are locked, as
//! Terraform's S3 backend does with `dynamodb_table` and/or `use_lockfile`, and the Terraform
//! version stagegate writes into states and lock infos.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `state.locking`: where the state locks live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StateLocking {
    /// The lock table only (`dynamodb_table`, Terraform before 1.10); digests kept beside the locks.
    #[default]
    Dynamodb,
    /// The `<key>.tflock` object in the state bucket only (`use_lockfile = true`, Terraform 1.10+); no digests.
    S3,
    /// Both, as Terraform takes them with both settings: the lock file first, then the lock table.
    Both,
}

impl StateLocking {
    pub const ALL: [StateLocking; 3] = [StateLocking::Dynamodb, StateLocking::S3, StateLocking::Both];

    /// Whether the lock table (and the `-md5` digest items) is in use.
    pub fn uses_table(self) -> bool {
        matches!(self, StateLocking::Dynamodb | StateLocking::Both)
    }

    /// Whether the `.tflock` lock file is in use.
    pub fn uses_lock_file(self) -> bool {
        matches!(self, StateLocking::S3 | StateLocking::Both)
    }

    pub fn name(self) -> &'static str {
        match self {
            StateLocking::Dynamodb => "dynamodb",
            StateLocking::S3 => "s3",
            StateLocking::Both => "both",
        }
    }

    /// The settings of Terraform's S3 backend that lock the same way.
    pub fn terraform_settings(self) -> &'static str {
        match self {
            StateLocking::Dynamodb => "dynamodb_table",
            StateLocking::S3 => "use_lockfile = true",
            StateLocking::Both => "use_lockfile = true and dynamodb_table",
        }
    }

    /// The Terraform release written when pipeline.yml names none: the oldest that reads the
    /// locks of this mode (the S3 lock file came with 1.10.0).
    pub fn default_terraform_version(self) -> &'static str {
        if self.uses_lock_file() { FIRST_LOCK_FILE_RELEASE } else { "1.5.7" }
    }
}

impl std::str::FromStr for StateLocking {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StateLocking::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("{s:?} is not a locking mode: expected dynamodb, s3 or both"))
    }
}

impl fmt::Display for StateLocking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first Terraform release with S3-native locking (`use_lockfile`).
pub const FIRST_LOCK_FILE_RELEASE: &str = "1.10.0";

/// A Terraform release number as Terraform writes it (`1.11.4`, `1.12.0-beta1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TerraformVersion(semver::Version);

impl TerraformVersion {
    pub fn as_semver(&self) -> &semver::Version {
        &self.0
    }
}

impl TryFrom<String> for TerraformVersion {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let v = semver::Version::parse(&s)
            .map_err(|e| format!("terraform_version {s:?} is not a release number like 1.11.4: {e}"))?;
        if !v.build.is_empty() {
            return Err(format!("terraform_version {s:?}: Terraform release numbers carry no build metadata"));
        }
        Ok(TerraformVersion(v))
    }
}

impl std::str::FromStr for TerraformVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TerraformVersion::try_from(s.to_owned())
    }
}

impl From<TerraformVersion> for String {
    fn from(v: TerraformVersion) -> String {
        v.0.to_string()
    }
}

impl fmt::Display for TerraformVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// R53: a Terraform release that does not read the lock file cannot share a bucket locked with it.
pub fn check_locking(locking: StateLocking, version: Option<&TerraformVersion>) -> Result<(), String> {
    let first = semver::Version::parse(FIRST_LOCK_FILE_RELEASE).expect("a release number");
    match version {
        Some(v) if locking.uses_lock_file() && v.0 < first => Err(format!(
            "state.locking {locking} needs terraform_version {FIRST_LOCK_FILE_RELEASE} or later (Terraform {v} has no use_lockfile and would not see the lock file)"
        )),
        _ => Ok(()),
    }
}
