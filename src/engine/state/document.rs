//! Terraform state v4 documents, read and written so that what Terraform and OpenTofu wrote and
//! stagegate does not manage survives (R54): unknown fields, resources of other types, modules,
//! data sources, and each instance's `private`, `dependencies`, `index_key`, ... are kept.

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::StateError;

/// The Terraform version stagegate writes into state by default (`state.terraform_version` in
/// pipeline.yml sets another): the oldest release whose state format is current.
pub const TERRAFORM_VERSION: &str = "1.5.7";

/// A Terraform state v4 document. Unknown fields are kept, so state written by real Terraform
/// survives a read-modify-write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerraformState {
    pub version: u32,
    pub terraform_version: String,
    pub serial: u64,
    pub lineage: String,
    #[serde(default)]
    pub outputs: Map<String, Value>,
    #[serde(default)]
    pub resources: Vec<StateResource>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    pub mode: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub provider: String,
    pub instances: Vec<StateInstance>,
    /// `each` and whatever later releases add.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateInstance {
    #[serde(default)]
    pub schema_version: u64,
    /// Absent (null) in states that keep `attributes_flat` instead.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub attributes: Value,
    /// `sensitive_attributes`, `private`, `dependencies`, `index_key`, `create_before_destroy`,
    /// `identity`, `status`, `deposed`, `attributes_flat`, ...: kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StateResource {
    /// A managed resource of the AWS provider with one instance.
    pub fn managed(kind: &str, name: &str, attributes: Value) -> StateResource {
        StateResource {
            module: None,
            mode: "managed".into(),
            kind: kind.into(),
            name: name.into(),
            provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
            instances: vec![StateInstance {
                schema_version: 0,
                attributes,
                extra: Map::from_iter([("sensitive_attributes".to_owned(), Value::Array(Vec::new()))]),
            }],
            extra: Map::new(),
        }
    }

    /// `type.name`, for a resource that may be stagegate's: a managed resource of the root
    /// module with one instance and no instance key, whose type `knows` accepts. Data sources,
    /// modules, `count` and `for_each` resources are never stagegate's.
    pub fn managed_address(&self, knows: impl Fn(&str) -> bool) -> Option<String> {
        let single = matches!(self.instances.as_slice(), [i] if !i.extra.contains_key("index_key") && !i.extra.contains_key("deposed"));
        (self.module.is_none()
            && self.mode == "managed"
            && single
            && !self.extra.contains_key("each")
            && knows(&self.kind))
        .then(|| format!("{}.{}", self.kind, self.name))
    }
}

impl TerraformState {
    /// An empty state with a fresh lineage and serial 0 (nothing written yet).
    pub fn new() -> TerraformState {
        TerraformState {
            version: 4,
            terraform_version: TERRAFORM_VERSION.into(),
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            outputs: Map::new(),
            resources: Vec::new(),
            extra: Map::new(),
        }
    }

    /// The next state of the same lineage with these resources (serial + 1).
    pub fn next(&self, resources: Vec<StateResource>) -> TerraformState {
        TerraformState { serial: self.serial + 1, resources, ..self.clone() }
    }

    /// R54: the next state (serial + 1) where stagegate's resources (those `knows` makes
    /// [`managed_address`](StateResource::managed_address)) are `managed`: each keeps its place
    /// and every field of its instance but the attributes; one absent from `managed` is gone;
    /// new ones come last. Every other resource is kept exactly as it was.
    pub fn next_managed(&self, managed: Vec<StateResource>, knows: impl Fn(&str) -> bool) -> TerraformState {
        let mut fresh: Vec<Option<StateResource>> = managed.into_iter().map(Some).collect();
        let mut resources = Vec::new();
        for old in &self.resources {
            let Some(address) = old.managed_address(&knows) else {
                resources.push(old.clone());
                continue;
            };
            let found =
                fresh.iter_mut().find(|f| f.as_ref().is_some_and(|f| format!("{}.{}", f.kind, f.name) == address));
            if let Some(new) = found.and_then(Option::take) {
                let mut kept = old.clone();
                let attributes = new.instances.into_iter().next().map(|i| i.attributes).unwrap_or_default();
                kept.instances[0].attributes = attributes;
                resources.push(kept);
            }
        }
        resources.extend(fresh.into_iter().flatten());
        self.next(resources)
    }

    /// Parses a v4 document; `path` names it in errors. An OpenTofu encrypted state is refused
    /// as such.
    pub fn parse(path: &str, bytes: &[u8]) -> Result<TerraformState, StateError> {
        let malformed = |reason: String| StateError::Malformed { path: path.to_owned(), reason };
        let value: Value = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        if let Some(version) = value.get("encryption_version").and_then(Value::as_str)
            && !version.is_empty()
        {
            return Err(StateError::Encrypted { path: path.to_owned(), version: version.to_owned() });
        }
        let state: TerraformState = serde_json::from_value(value).map_err(|e| malformed(e.to_string()))?;
        if state.version != 4 {
            return Err(malformed(format!("state version {} (stagegate reads version 4)", state.version)));
        }
        if state.lineage.trim().is_empty() {
            return Err(malformed("empty lineage".into()));
        }
        Ok(state)
    }

    /// The bytes written to S3: Terraform's two-space indented JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a state serialises");
        bytes.push(b'\n');
        bytes
    }
}

impl Default for TerraformState {
    fn default() -> Self {
        TerraformState::new()
    }
}

/// Hex MD5, the digest Terraform keeps in the lock table's `-md5` item.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// F03: an old version is restored with the same lineage and a serial raised above the current
/// one (a plain `terraform state push` refuses the lower serial). Without a current state the old one is taken as it is.
pub fn restore_onto(
    path: &str,
    old: TerraformState,
    current: Option<&TerraformState>,
) -> Result<TerraformState, StateError> {
    match current {
        None => Ok(old),
        Some(cur) if cur.lineage != old.lineage => {
            Err(StateError::LineageMismatch { path: path.to_owned(), found: old.lineage, current: cur.lineage.clone() })
        }
        Some(cur) => Ok(TerraformState { serial: cur.serial + 1, ..old }),
    }
}
