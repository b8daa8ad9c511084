//! R63: what a repo declares about its workflows in `pipeline.yml`: whether they follow LLD 7.3.1's
//! workflow matrix (`workflows: { matrix: lld-7.3.1 }`), and the components whose state keys
//! they may name (7.2.2). A repo without that declaration gets only the generic rules, so the
//! command works on any repo.

use std::path::Path;

use serde_norway::Value as Yaml;

use super::WorkflowError;
use crate::foundation::policy::POLICY_FILE;

/// The one workflow matrix stagegate knows: LLD section 7.3.1's.
pub const MATRIX_NAME: &str = "lld-7.3.1";

/// Which rules run on a repo's workflows, and what they may refer to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declaration {
    /// The repo declares LLD 7.3.1's workflow matrix: the matrix rules run.
    pub matrix: bool,
    /// The state path of each component (`2_1_bbws_dynamodb_schemas/tenants`), by name.
    pub components: Vec<(String, String)>,
}

impl Declaration {
    /// The sample repo's declaration: the matrix, and the components of fixtures/repo.
    pub fn lld() -> Declaration {
        let components = [
            ("tenants", "2_1_bbws_dynamodb_schemas/tenants"),
            ("products", "2_1_bbws_dynamodb_schemas/products"),
            ("campaigns", "2_1_bbws_dynamodb_schemas/campaigns"),
            ("templates", "2_1_bbws_s3_schemas/templates"),
        ];
        Declaration {
            matrix: true,
            components: components.iter().map(|(n, p)| ((*n).to_owned(), (*p).to_owned())).collect(),
        }
    }

    /// No declaration: the generic rules only.
    pub fn generic() -> Declaration {
        Declaration::default()
    }

    /// Reads `pipeline.yml` at the repo root, if there is one. Only its `workflows` and
    /// `components` keys are read, so another tool's file of that name is no error unless it
    /// declares a matrix stagegate does not know.
    pub fn read(repo: &Path) -> Result<Declaration, WorkflowError> {
        let path = repo.join(POLICY_FILE);
        let Ok(text) = std::fs::read_to_string(&path) else { return Ok(Declaration::generic()) };
        let Ok(doc) = serde_norway::from_str::<Yaml>(&text) else { return Ok(Declaration::generic()) };
        let bad = |message: String| WorkflowError::Declaration { file: path.display().to_string(), message };
        let matrix = match doc.get("workflows").map(|w| w.get("matrix")) {
            None => false,
            Some(Some(Yaml::String(m))) if m == MATRIX_NAME => true,
            Some(other) => {
                let given = other.and_then(Yaml::as_str).unwrap_or("nothing");
                return Err(bad(format!(
                    "workflows.matrix is {given}; the only workflow matrix is {MATRIX_NAME} (LLD 7.3.1)"
                )));
            }
        };
        let components = doc
            .get("components")
            .and_then(Yaml::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
            .collect();
        Ok(Declaration { matrix, components })
    }
}
