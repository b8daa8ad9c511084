//! Components: the unit of state isolation (LLD 7.2.2, R28). The name `backup` is reserved
//! for the environment's AWS Backup plan, `templates` for the templates bucket.

use std::fmt;
use std::str::FromStr;

/// Terraform project holding one state per DynamoDB table.
pub const TABLES_PROJECT: &str = "2_1_bbws_dynamodb_schemas";
/// Terraform project holding the templates bucket's state.
pub const TEMPLATES_PROJECT: &str = "2_1_bbws_s3_schemas";
const TEMPLATES: &str = "templates";
/// The AWS Backup plan of the environment's tables, beside their states.
const BACKUP: &str = "backup";

/// One independently deployable piece with its own state key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Component {
    project: &'static str,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "component {given:?}: expected a table name of 1-63 characters [a-z0-9_-] starting with a letter or digit, or \"templates\""
)]
pub struct BadComponent {
    pub given: String,
}

impl Component {
    /// The component of one DynamoDB table definition (`schemas/{name}/`).
    pub fn table(name: &str) -> Result<Component, BadComponent> {
        let valid = (1..=63).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if valid && name != TEMPLATES && name != BACKUP {
            Ok(Component { project: TABLES_PROJECT, name: name.to_owned() })
        } else {
            Err(BadComponent { given: name.to_owned() })
        }
    }

    /// The templates bucket.
    pub fn templates() -> Component {
        Component { project: TEMPLATES_PROJECT, name: TEMPLATES.to_owned() }
    }

    /// The backup plan of the environment's tables (`2_1_bbws_dynamodb_schemas/backup/`).
    pub fn backup() -> Component {
        Component { project: TABLES_PROJECT, name: BACKUP.to_owned() }
    }

    pub fn is_backup(&self) -> bool {
        self.project == TABLES_PROJECT && self.name == BACKUP
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_templates(&self) -> bool {
        self.project == TEMPLATES_PROJECT
    }

    /// `{project}/{name}/terraform.tfstate`.
    pub fn state_key(&self) -> String {
        format!("{}/{}/terraform.tfstate", self.project, self.name)
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl FromStr for Component {
    type Err = BadComponent;

    /// `tenants`, `templates`, or the full `project/name` form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s
            .strip_prefix(TABLES_PROJECT)
            .and_then(|r| r.strip_prefix('/'))
            .map(|r| r.trim_end_matches("/terraform.tfstate"));
        if name == Some(BACKUP) || s == BACKUP {
            return Ok(Component::backup());
        }
        if let Some(name) = name {
            return Component::table(name).map_err(|_| BadComponent { given: s.to_owned() });
        }
        let templates = [TEMPLATES.to_owned(), format!("{TEMPLATES_PROJECT}/{TEMPLATES}")];
        if templates.iter().any(|t| t == s) {
            return Ok(Component::templates());
        }
        Component::table(s)
    }
}
