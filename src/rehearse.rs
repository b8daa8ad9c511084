//! `stagegate rehearse`: the pipeline rehearsed end to end on an emulator. It bootstraps each
//! environment's state backend and takes every component of the repo through the state and
//! lock protocol: lock, write, contention, unlock, a second write, version listing, restore.

use std::fmt;
use std::time::Instant;

use serde::Serialize;

use crate::Environment;
use crate::aws::AwsClients;
use crate::emulator::Endpoint;
use crate::error::Error;
use crate::repo::Repo;
use crate::state::{Component, OPERATION_APPLY, StateError, StateStore, TerraformState};

const REHEARSAL_WHO: &str = "rehearsal@stagegate";
const RIVAL_WHO: &str = "rival@stagegate";

pub struct Rehearsal<'a> {
    repo: &'a Repo,
    endpoint: &'a Endpoint,
    region: &'a str,
}

#[derive(Debug, Serialize)]
pub struct RehearsalReport {
    pub repo: String,
    pub endpoint: String,
    pub environments: Vec<EnvironmentReport>,
    pub total_ms: u128,
}

#[derive(Debug, Serialize)]
pub struct EnvironmentReport {
    pub environment: Environment,
    pub account: String,
    pub bucket: String,
    pub versioning: bool,
    pub encryption: Option<String>,
    pub public_access_block: [bool; 4],
    pub lock_table: String,
    pub components: Vec<ComponentReport>,
    pub ms: u128,
}

#[derive(Debug, Serialize)]
pub struct ComponentReport {
    pub component: String,
    pub state_key: String,
    pub serials_written: Vec<u64>,
    pub versions: usize,
    pub restored_serial: u64,
    pub lineage_kept: bool,
    pub digest_matches: bool,
    pub contention_holder: String,
}

impl<'a> Rehearsal<'a> {
    pub fn new(repo: &'a Repo, endpoint: &'a Endpoint, region: &'a str) -> Rehearsal<'a> {
        Rehearsal { repo, endpoint, region }
    }

    /// Runs the three environments concurrently; `started` is when the command began.
    pub async fn run(&self, started: Instant) -> Result<RehearsalReport, Error> {
        let components = self.repo.components()?;
        let [dev, sit, prod] = Environment::ALL;
        let (dev, sit, prod) = tokio::try_join!(
            self.environment(dev, &components),
            self.environment(sit, &components),
            self.environment(prod, &components),
        )?;
        Ok(RehearsalReport {
            repo: self.repo.root().display().to_string(),
            endpoint: self.endpoint.to_string(),
            environments: vec![dev, sit, prod],
            total_ms: started.elapsed().as_millis(),
        })
    }

    async fn environment(&self, env: Environment, components: &[Component]) -> Result<EnvironmentReport, Error> {
        let started = Instant::now();
        let store = StateStore::new(AwsClients::for_environment(self.endpoint, env, self.region).await, env);
        store.bootstrap().await?;
        let bucket = store.inspect().await?;
        let mut reports = Vec::with_capacity(components.len());
        for c in components {
            reports.push(round_trip(&store, c).await?);
        }
        Ok(EnvironmentReport {
            environment: env,
            account: env.account_id().into(),
            bucket: store.bucket().into(),
            versioning: bucket.versioning_enabled,
            encryption: bucket.encryption,
            public_access_block: bucket.public_access_block,
            lock_table: store.lock_table().into(),
            components: reports,
            ms: started.elapsed().as_millis(),
        })
    }
}

async fn round_trip(store: &StateStore, c: &Component) -> Result<ComponentReport, Error> {
    let base = match store.read(c).await? {
        Some(stored) => stored.state,
        None => TerraformState::new(),
    };
    let lock = store.lock(c, OPERATION_APPLY, REHEARSAL_WHO, "stagegate rehearse").await?;
    let result = async {
        let first = store.write(c, &base.next(base.resources.clone()), &lock).await?;
        let holder = match store.lock(c, OPERATION_APPLY, RIVAL_WHO, "contention check").await {
            Err(StateError::Locked { holder }) => holder.who,
            Ok(rival) => {
                store.unlock(c, &rival.id).await?;
                return Err(Error::Usage(format!("{}: a second lock was granted while held", store.lock_id(c))));
            }
            Err(e) => return Err(e.into()),
        };
        let second = store.write(c, &first.state.next(first.state.resources.clone()), &lock).await?;
        let first_version = first.version_id.clone().unwrap_or_default();
        let restored = store.restore(c, &first_version, &lock).await?;
        let versions = store.versions(c).await?.len();
        let digest_matches = store.digest(c).await?.as_deref() == Some(restored.md5.as_str());
        Ok(ComponentReport {
            component: c.name().into(),
            state_key: c.state_key(),
            serials_written: vec![first.state.serial, second.state.serial],
            versions,
            restored_serial: restored.state.serial,
            lineage_kept: restored.state.lineage == first.state.lineage,
            digest_matches,
            contention_holder: holder,
        })
    }
    .await;
    let released = store.unlock(c, &lock.id).await;
    let report = result?;
    released?;
    Ok(report)
}

impl fmt::Display for RehearsalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stagegate rehearse")?;
        writeln!(f, "  repo      {}", self.repo)?;
        writeln!(f, "  emulator  {}", self.endpoint)?;
        for e in &self.environments {
            let pab = e.public_access_block.iter().filter(|b| **b).count();
            writeln!(f)?;
            writeln!(f, "{:<4} account {}  ({} ms)", e.environment.label(), e.account, e.ms)?;
            writeln!(
                f,
                "  state bucket {}: versioning {}, encryption {}, public access block {pab}/4",
                e.bucket,
                if e.versioning { "on" } else { "OFF" },
                e.encryption.as_deref().unwrap_or("OFF"),
            )?;
            writeln!(f, "  lock table   {}", e.lock_table)?;
            for c in &e.components {
                let serials: Vec<String> = c.serials_written.iter().map(u64::to_string).collect();
                writeln!(
                    f,
                    "  {:<10} serial {} written; rival lock refused (held by {}); {} versions; oldest restored as serial {} (lineage {}, digest {})",
                    c.component,
                    serials.join(" → "),
                    c.contention_holder,
                    c.versions,
                    c.restored_serial,
                    if c.lineage_kept { "kept" } else { "CHANGED" },
                    if c.digest_matches { "updated" } else { "WRONG" },
                )?;
            }
        }
        writeln!(f)?;
        writeln!(f, "total {:.1} s", self.total_ms as f64 / 1000.0)
    }
}
