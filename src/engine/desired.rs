//! The desired state of one environment, read from the repo: each table component and the
//! templates bucket, as resources with normalised attributes that plan compares with the
//! recorded state and the live resources. Each resource type reads its own desired form.

use crate::Environment;
use crate::foundation::component::Component;
use crate::foundation::config::EnvironmentFile;
use crate::foundation::repo::Repo;
use crate::resources::schema::TableDefinition;
use crate::resources::vocabulary::unsupported;
use crate::resources::{bucket, dr, object, table};

pub use crate::resources::table::{TABLE_REPLACE_ATTRIBUTES, table_attributes};
/// Terraform resource types stagegate manages.
pub use crate::resources::{
    BUCKET, BUCKET_ENCRYPTION, BUCKET_PUBLIC_ACCESS_BLOCK, BUCKET_VERSIONING, DesiredError, OBJECT, Resource, TABLE,
};

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
    /// How the environment's state backend is used (pipeline.yml's `state:` section).
    pub state: crate::engine::state::StateSettings,
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
        // R58: the DR region, where pipeline.yml names one for this environment.
        let dr = crate::foundation::level4::dr_region(repo.root())?.filter(|d| d.covers(env));
        let mut components = Vec::new();
        for component in repo.components()? {
            components.push(if component.is_templates() {
                let bucket_name = &vars.templates_bucket_name;
                let mut resources = bucket::desired(repo.root(), &vars)?;
                if let Some(dr) = &dr {
                    resources.extend(bucket::desired_copy(
                        repo.root(),
                        &vars,
                        &dr.bucket(bucket_name),
                        Some(&dr.region),
                    )?);
                    resources.push(dr::bucket_replication(dr, bucket_name, &vars.aws_account_id));
                }
                resources.extend(object::desired(repo.root(), bucket_name)?);
                DesiredComponent { component, resources, table: None }
            } else {
                let (resource, def) = table::desired(repo.root(), &vars, component.name())?;
                let mut resources = vec![resource];
                if let Some(dr) = &dr {
                    resources.extend(dr::table_replicas(dr, std::slice::from_ref(&def.table_name)));
                }
                DesiredComponent { component, resources, table: Some(def) }
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
        let state = crate::engine::state::StateSettings::for_repo(repo.root())?;
        Ok(DesiredEnvironment { environment: env, vars, components, state })
    }

    pub fn component(&self, c: &Component) -> Option<&DesiredComponent> {
        self.components.iter().find(|d| &d.component == c)
    }
}
