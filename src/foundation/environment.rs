//! The three environments of LLD 7.2.2 / 7.4.1, each in its own AWS account.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A deployment environment. Parsing is strict: only `dev`, `sit` and `prod` (any case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Dev,
    Sit,
    Prod,
}

/// An environment name that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown environment {given:?}: expected one of dev, sit, prod")]
pub struct UnknownEnvironment {
    pub given: String,
}

impl Environment {
    pub const ALL: [Environment; 3] = [Environment::Dev, Environment::Sit, Environment::Prod];

    /// The lowercase name used in bucket, table, tag and confirmation names.
    pub const fn name(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Sit => "sit",
            Environment::Prod => "prod",
        }
    }

    /// The uppercase label the LLD uses in prose and tables.
    pub const fn label(self) -> &'static str {
        match self {
            Environment::Dev => "DEV",
            Environment::Sit => "SIT",
            Environment::Prod => "PROD",
        }
    }

    /// The AWS account of this environment (LLD 7.2.2 and 7.4.1).
    pub const fn account_id(self) -> &'static str {
        match self {
            Environment::Dev => "536580886816",
            Environment::Sit => "815856636111",
            Environment::Prod => "093646564004",
        }
    }

    /// `bbws-terraform-state-{env}` (R27).
    pub fn state_bucket(self) -> String {
        format!("bbws-terraform-state-{}", self.name())
    }

    /// `terraform-state-lock-{env}` (R29).
    pub fn lock_table(self) -> String {
        format!("terraform-state-lock-{}", self.name())
    }

    /// The environment whose account this is, if any.
    pub fn for_account(account_id: &str) -> Option<Environment> {
        Self::ALL.into_iter().find(|e| e.account_id() == account_id)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Environment {
    type Err = UnknownEnvironment;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownEnvironment { given: s.to_owned() })
    }
}
