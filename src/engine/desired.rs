//! The desired state of one environment, read from the repo: each table component and the
//! templates bucket, as resources with normalised attributes that plan compares with the
//! recorded state and the live resources.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use md5::{Digest, Md5};
use serde_json::{Value, json};

use crate::Environment;
use crate::foundation::component::Component;
use crate::foundation::config::{ConfigError, EnvironmentFile};
use crate::foundation::repo::{Repo, RepoError};
use crate::resources::schema::{KeySchemaElement, SchemaError, SecondaryIndex, TableDefinition, table_file};

/// Terraform resource types stagegate manages.
pub const TABLE: &str = "aws_dynamodb_table";
pub const BUCKET: &str = "aws_s3_bucket";
pub const BUCKET_VERSIONING: &str = "aws_s3_bucket_versioning";
pub const BUCKET_PUBLIC_ACCESS_BLOCK: &str = "aws_s3_bucket_public_access_block";
pub const BUCKET_ENCRYPTION: &str = "aws_s3_bucket_server_side_encryption_configuration";
pub const OBJECT: &str = "aws_s3_object";

/// Attributes whose change forces a table to be replaced (DynamoDB cannot change them in place).
pub const TABLE_REPLACE_ATTRIBUTES: [&str; 4] = ["name", "hash_key", "range_key", "local_secondary_indexes"];

/// One resource with normalised attributes: equal attributes mean equal resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub kind: &'static str,
    pub name: String,
    pub attributes: BTreeMap<String, Value>,
    /// Object bodies are applied but not compared (their MD5 is).
    pub body: Option<Vec<u8>>,
}

impl Resource {
    /// `type.name`, Terraform's resource address.
    pub fn address(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }
}

/// What one component should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredComponent {
    pub component: Component,
    pub resources: Vec<Resource>,
    /// The table definition, for table components (apply creates from it).
    pub table: Option<TableDefinition>,
}

#[derive(Debug, Clone)]
pub struct DesiredEnvironment {
    pub environment: Environment,
    pub vars: EnvironmentFile,
    pub components: Vec<DesiredComponent>,
}

#[derive(Debug, thiserror::Error)]
pub enum DesiredError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Configuration stagegate cannot apply faithfully, refused at plan time.
    #[error("{path}: {reason}")]
    Unsupported { path: String, reason: String },
}

fn unsupported(path: &Path, reason: impl Into<String>) -> DesiredError {
    DesiredError::Unsupported { path: path.display().to_string(), reason: reason.into() }
}

impl DesiredEnvironment {
    /// Reads every component of the repo for one environment.
    pub fn load(repo: &Repo, env: Environment) -> Result<DesiredEnvironment, DesiredError> {
        let vars = EnvironmentFile::load(repo.root(), env)?;
        let vars_path = EnvironmentFile::path(repo.root(), env);
        if vars.environment != env.name() {
            return Err(unsupported(
                &vars_path,
                format!("environment = {:?} in the {} file", vars.environment, env.name()),
            ));
        }
        let mut components = Vec::new();
        for component in repo.components()? {
            components.push(if component.is_templates() {
                templates_component(repo.root(), &vars, component)?
            } else {
                table_component(repo.root(), &vars, component)?
            });
        }
        if vars.backup_retention_days == Some(0) {
            return Err(unsupported(&vars_path, "backup_retention_days = 0: AWS Backup keeps a backup at least 1 day"));
        }
        if vars.backup_plan_required {
            let tables: Vec<String> =
                components.iter().filter_map(|c| c.table.as_ref().map(|t| t.table_name.clone())).collect();
            if !tables.is_empty() {
                components.push(DesiredComponent {
                    component: Component::backup(),
                    resources: crate::resources::backup::desired_resources(env, &vars, &tables),
                    table: None,
                });
            }
        }
        Ok(DesiredEnvironment { environment: env, vars, components })
    }

    pub fn component(&self, c: &Component) -> Option<&DesiredComponent> {
        self.components.iter().find(|d| &d.component == c)
    }
}

fn typed_key(keys: &[KeySchemaElement], def: &TableDefinition, key_type: &str) -> Value {
    keys.iter()
        .find(|k| k.key_type == key_type)
        .map(|k| {
            let t = def
                .attribute_definitions
                .iter()
                .find(|a| a.attribute_name == k.attribute_name)
                .map_or("?", |a| a.attribute_type.as_str());
            json!(format!("{} ({t})", k.attribute_name))
        })
        .unwrap_or(Value::Null)
}

fn indexes(def: &TableDefinition, list: &[SecondaryIndex]) -> Value {
    let mut out: Vec<Value> = list
        .iter()
        .map(|i| {
            let mut non_key = i.projection.non_key_attributes.clone();
            non_key.sort();
            json!({
                "name": i.index_name,
                "hash_key": typed_key(&i.key_schema, def, "HASH"),
                "range_key": typed_key(&i.key_schema, def, "RANGE"),
                "projection_type": i.projection.projection_type.clone().unwrap_or_else(|| "ALL".into()),
                "non_key_attributes": non_key,
            })
        })
        .collect();
    out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Value::Array(out)
}

/// The normalised attributes of a table, shared by the desired, recorded and live views.
pub fn table_attributes(
    def: &TableDefinition,
    pitr: bool,
    deletion_protection: bool,
    tags: &BTreeMap<String, String>,
) -> BTreeMap<String, Value> {
    let sse = match &def.sse_specification {
        Some(s) if s.enabled == Some(true) => "KMS",
        _ => "DEFAULT",
    };
    let ttl =
        def.stagegate.time_to_live.as_ref().filter(|t| t.enabled).map_or(Value::Null, |t| json!(t.attribute_name));
    BTreeMap::from([
        ("name".into(), json!(def.table_name)),
        ("hash_key".into(), typed_key(&def.key_schema, def, "HASH")),
        ("range_key".into(), typed_key(&def.key_schema, def, "RANGE")),
        ("billing_mode".into(), json!(def.billing_mode.clone().unwrap_or_else(|| "PROVISIONED".into()))),
        ("global_secondary_indexes".into(), indexes(def, &def.global_secondary_indexes)),
        ("local_secondary_indexes".into(), indexes(def, &def.local_secondary_indexes)),
        ("point_in_time_recovery".into(), json!(pitr)),
        ("ttl_attribute".into(), ttl),
        ("server_side_encryption".into(), json!(sse)),
        ("deletion_protection_enabled".into(), json!(deletion_protection)),
        ("tags".into(), json!(tags)),
    ])
}

fn table_component(
    root: &Path,
    vars: &EnvironmentFile,
    component: Component,
) -> Result<DesiredComponent, DesiredError> {
    let path = table_file(root, component.name());
    let def = TableDefinition::load(&path)?;
    if def.billing_mode.as_deref() == Some("PROVISIONED") || def.provisioned_throughput.is_some() {
        return Err(unsupported(
            &path,
            "provisioned capacity is not supported: use \"BillingMode\": \"PAY_PER_REQUEST\"",
        ));
    }
    if def.sse_specification.as_ref().and_then(|s| s.kms_master_key_id.as_ref()).is_some() {
        return Err(unsupported(
            &path,
            "SSESpecification.KMSMasterKeyId is not supported yet: omit it to use the AWS managed key",
        ));
    }
    if def.table_name != component.name() {
        return Err(unsupported(
            &path,
            format!("TableName {:?} differs from its directory schemas/{}", def.table_name, component.name()),
        ));
    }
    let pitr = def.stagegate.point_in_time_recovery && vars.enable_point_in_time_recovery;
    let deletion_protection = def.deletion_protection_enabled.unwrap_or(vars.enable_deletion_protection);
    let mut tags: BTreeMap<String, String> = def.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
    tags.extend(vars.tags.clone());
    let resource = Resource {
        kind: TABLE,
        name: def.table_name.clone(),
        attributes: table_attributes(&def, pitr, deletion_protection, &tags),
        body: None,
    };
    Ok(DesiredComponent { component, resources: vec![resource], table: Some(def) })
}

fn templates_component(
    root: &Path,
    vars: &EnvironmentFile,
    component: Component,
) -> Result<DesiredComponent, DesiredError> {
    let bucket = &vars.templates_bucket_name;
    let mut tags = vars.tags.clone();
    tags.insert("Component".into(), "2_1_bbws_s3_schemas/templates".into());
    // Secure unless the environment file overrides it (and `stagegate scan` flags that).
    let versioning = if vars.templates_bucket_versioning == Some(false) { "Suspended" } else { "Enabled" };
    let algorithm = vars.templates_bucket_encryption.clone().unwrap_or_else(|| "AES256".into());
    if !matches!(algorithm.as_str(), "AES256" | "aws:kms") {
        return Err(unsupported(
            &root.join("environments"),
            format!("templates_bucket_encryption = {algorithm:?}: stagegate applies \"AES256\" or \"aws:kms\""),
        ));
    }
    let flags = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
    let overrides = vars.templates_bucket_public_access_block.clone().unwrap_or_default();
    if let Some(unknown) = overrides.keys().find(|k| !flags.contains(&k.as_str())) {
        return Err(unsupported(
            &root.join("environments"),
            format!("templates_bucket_public_access_block: unknown flag {unknown}"),
        ));
    }
    let public_access_block: BTreeMap<String, Value> =
        flags.iter().map(|f| (f.to_string(), json!(overrides.get(*f).copied().unwrap_or(true)))).collect();
    let part = |kind, attributes| Resource { kind, name: bucket.clone(), attributes, body: None };
    let mut resources = vec![
        part(BUCKET, BTreeMap::from([("bucket".into(), json!(bucket)), ("tags".into(), json!(tags))])),
        part(BUCKET_VERSIONING, BTreeMap::from([("status".into(), json!(versioning))])),
        part(BUCKET_PUBLIC_ACCESS_BLOCK, public_access_block),
        part(BUCKET_ENCRYPTION, BTreeMap::from([("sse_algorithm".into(), json!(algorithm))])),
    ];
    let dir = root.join("templates");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map_err(|e| {
            DesiredError::Config(ConfigError::Unreadable { path: dir.display().to_string(), reason: e.to_string() })
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    files.sort();
    for path in files {
        let body = fs::read(&path).map_err(|e| {
            DesiredError::Config(ConfigError::Unreadable { path: path.display().to_string(), reason: e.to_string() })
        })?;
        let key = path.file_name().expect("a file").to_string_lossy().into_owned();
        resources.push(Resource {
            kind: OBJECT,
            name: key.clone(),
            attributes: BTreeMap::from([
                ("bucket".into(), json!(bucket)),
                ("key".into(), json!(key)),
                ("content_type".into(), json!("text/html; charset=utf-8")),
                ("etag".into(), json!(hex::encode(Md5::digest(&body)))),
            ]),
            body: Some(body),
        });
    }
    Ok(DesiredComponent { component, resources, table: None })
}
