//! Cost estimate (R06, LLD 7.3.2's infracost step): the monthly cost of an environment's
//! desired resources, from the repo's price list (`cost/prices.yml`) and its usage file
//! (`cost/usage-{env}.yml`, in infracost's usage-file format, so an existing one can be
//! reused). Shown in the plan's PR comment. Usage-based costs without usage are listed as such,
//! never guessed. Each resource type prices its own lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Environment;
use crate::engine::desired::{DesiredEnvironment, Resource};
use crate::foundation::repo::Repo;

pub use crate::resources::price::{CostLine, DynamoDbPrices, RegionPrices, ResourceUsage, S3Prices, S3StandardUsage};

pub const PRICES_FILE: &str = "cost/prices.yml";

pub fn usage_file(env: Environment) -> String {
    format!("cost/usage-{}.yml", env.name())
}

#[derive(Debug, thiserror::Error)]
pub enum CostError {
    #[error("{path}: cannot read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}:{line}:{column}: {reason}")]
    Invalid { path: String, line: usize, column: usize, reason: String },
    #[error("{path}: no prices for region {region}")]
    NoRegion { path: String, region: String },
    #[error("{path}: {address} is not a resource of the {env} configuration")]
    UnknownResource { path: String, address: String, env: String },
    #[error(transparent)]
    Desired(#[from] crate::engine::desired::DesiredError),
}

/// The price list: USD unit prices per region.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceList {
    pub currency: String,
    /// When the prices were copied from AWS's price list.
    pub as_of: String,
    pub regions: BTreeMap<String, RegionPrices>,
}

/// infracost's usage file: `resource_usage` by resource address.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageFile {
    pub version: String,
    #[serde(default)]
    pub resource_usage: BTreeMap<String, ResourceUsage>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceCost {
    pub address: String,
    pub lines: Vec<CostLine>,
    pub monthly: f64,
    /// The resource's cost depends on usage the usage file does not give.
    pub usage_missing: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostEstimate {
    pub environment: Environment,
    pub region: String,
    pub currency: String,
    pub prices_as_of: String,
    pub usage_file: Option<String>,
    pub resources: Vec<ResourceCost>,
    pub monthly: f64,
}

fn read_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CostError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CostError::Unreadable { path: path.display().to_string(), reason: e.to_string() })?;
    crate::foundation::yaml::from_str(&text).map_err(|e| CostError::Invalid {
        path: path.display().to_string(),
        line: e.line,
        column: e.column,
        reason: e.reason,
    })
}

/// The estimate of `env`'s desired resources.
pub fn estimate(repo: &Repo, env: Environment) -> Result<CostEstimate, CostError> {
    let desired = DesiredEnvironment::load(repo, env)?;
    let (prices, prices_path, usage, usage_path) = inputs(repo, env)?;
    price(&desired, &prices, &prices_path, usage.as_ref(), &usage_path)
}

/// Prices desired resources (pure: the rule, tested without files).
pub fn price(
    desired: &DesiredEnvironment,
    prices: &PriceList,
    prices_path: &Path,
    usage: Option<&UsageFile>,
    usage_path: &Path,
) -> Result<CostEstimate, CostError> {
    let region = desired.vars.aws_region.clone();
    let resources: Vec<&Resource> = desired.components.iter().flat_map(|c| &c.resources).collect();
    check_usage(desired.environment, &resources, usage, usage_path)?;
    let (out, monthly) = price_resources(&region, &resources, prices, prices_path, usage)?;
    Ok(CostEstimate {
        environment: desired.environment,
        region,
        currency: prices.currency.clone(),
        prices_as_of: prices.as_of.clone(),
        usage_file: usage.map(|_| usage_path.display().to_string()),
        resources: out,
        monthly,
    })
}

/// A usage file names only resources of the configuration it prices.
pub(crate) fn check_usage(
    env: Environment,
    resources: &[&Resource],
    usage: Option<&UsageFile>,
    usage_path: &Path,
) -> Result<(), CostError> {
    for address in usage.map(|u| u.resource_usage.keys()).into_iter().flatten() {
        if !resources.iter().any(|r| r.address() == *address) {
            return Err(CostError::UnknownResource {
                path: usage_path.display().to_string(),
                address: address.clone(),
                env: env.label().to_owned(),
            });
        }
    }
    Ok(())
}

/// Each priced resource of `resources` and their monthly total, every resource at the prices of
/// the region it lives in (`region` unless it is in the DR region, R58).
pub(crate) fn price_resources(
    region: &str,
    resources: &[&Resource],
    prices: &PriceList,
    prices_path: &Path,
    usage: Option<&UsageFile>,
) -> Result<(Vec<ResourceCost>, f64), CostError> {
    let empty = UsageFile::default();
    let usage_of = usage.unwrap_or(&empty);
    let mut out = Vec::new();
    for r in resources {
        let in_region = crate::resources::region(r).unwrap_or(region);
        let rp = prices.regions.get(in_region).ok_or_else(|| CostError::NoRegion {
            path: prices_path.display().to_string(),
            region: in_region.to_owned(),
        })?;
        let address = r.address();
        let u = usage_of.resource_usage.get(&address).cloned().unwrap_or_default();
        let Some((lines, missing)) = crate::resources::price_lines(r, resources, rp, &u) else { continue };
        let monthly = lines.iter().map(|l| l.monthly).sum();
        out.push(ResourceCost { address, lines, monthly, usage_missing: missing });
    }
    let monthly = out.iter().map(|r| r.monthly).sum();
    Ok((out, monthly))
}

/// The price list and `env`'s usage file (if any) of a repo, with their paths.
pub(crate) fn inputs(
    repo: &Repo,
    env: Environment,
) -> Result<(PriceList, PathBuf, Option<UsageFile>, PathBuf), CostError> {
    let prices_path = repo.root().join(PRICES_FILE);
    let prices: PriceList = read_yaml(&prices_path)?;
    let usage_path: PathBuf = repo.root().join(usage_file(env));
    let usage: Option<UsageFile> = usage_path.exists().then(|| read_yaml(&usage_path)).transpose()?;
    Ok((prices, prices_path, usage, usage_path))
}

pub(crate) fn money(v: f64) -> String {
    format!("${v:.2}")
}

/// The plan's PR comment with its cost section (R11, R06).
pub fn plan_comment(plan: &crate::engine::plan::Plan, estimate: &CostEstimate) -> String {
    format!("{}\n{}", crate::engine::plan::markdown(plan), markdown(estimate))
}

/// The cost section of the plan's PR comment.
pub fn markdown(e: &CostEstimate) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "#### Cost estimate: `{}` ({})", e.environment, e.region);
    let _ = writeln!(md);
    let _ = writeln!(md, "**{} per month** ({}, prices as of {}).", money(e.monthly), e.currency, e.prices_as_of);
    let _ = writeln!(md);
    let _ = writeln!(md, "| Resource | Monthly | Priced |");
    let _ = writeln!(md, "| --- | ---: | --- |");
    for r in &e.resources {
        let priced: Vec<String> = r.lines.iter().map(|l| format!("{} {}", l.name, money(l.monthly))).collect();
        let mut priced = priced.join("; ");
        if r.usage_missing {
            priced.push_str(if priced.is_empty() { "" } else { "; " });
            priced.push_str("depends on usage not in the usage file");
        }
        let _ = writeln!(md, "| `{}` | {} | {} |", r.address, money(r.monthly), priced);
    }
    let _ = writeln!(md);
    match &e.usage_file {
        Some(_) => {
            let _ = writeln!(md, "Usage from `{}`.", usage_file(e.environment));
        }
        None => {
            let _ = writeln!(md, "No `{}`: usage-based costs are not estimated.", usage_file(e.environment));
        }
    }
    md
}

impl std::fmt::Display for CostEstimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} ({}): {} per month, prices as of {}",
            self.environment.label(),
            self.region,
            money(self.monthly),
            self.prices_as_of
        )?;
        for r in &self.resources {
            let note = if r.usage_missing { "  (depends on usage not in the usage file)" } else { "" };
            writeln!(f, "  {:<50} {:>10}{note}", r.address, money(r.monthly))?;
            for l in &r.lines {
                writeln!(f, "    {:<40} {:>14} {:<8} {:>10}", l.name, l.quantity, l.unit, money(l.monthly))?;
            }
        }
        Ok(())
    }
}
