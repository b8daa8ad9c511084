//! Cost estimate (R06, LLD 7.3.2's infracost step): the monthly cost of an environment's
//! desired resources, from the repo's price list (`cost/prices.yml`) and its usage file
//! (`cost/usage-{env}.yml`, in infracost's usage-file format, so an existing one can be
//! reused). Shown in the plan's PR comment. Usage-based costs without usage are listed as such,
//! never guessed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Environment;
use crate::engine::desired::{BUCKET, DesiredEnvironment, OBJECT, TABLE};
use crate::foundation::repo::Repo;

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPrices {
    pub dynamodb: DynamoDbPrices,
    pub s3: S3Prices,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamoDbPrices {
    pub write_request_units_per_million: f64,
    pub read_request_units_per_million: f64,
    pub storage_gb_month: f64,
    pub pitr_backup_storage_gb_month: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Prices {
    pub standard_storage_gb_month: f64,
    /// PUT, COPY, POST, LIST: infracost's tier 1.
    pub tier_1_requests_per_thousand: f64,
    /// GET, SELECT and the rest: infracost's tier 2.
    pub tier_2_requests_per_thousand: f64,
}

/// infracost's usage file: `resource_usage` by resource address.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageFile {
    pub version: String,
    #[serde(default)]
    pub resource_usage: BTreeMap<String, ResourceUsage>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceUsage {
    pub monthly_write_request_units: Option<f64>,
    pub monthly_read_request_units: Option<f64>,
    pub storage_gb: Option<f64>,
    pub pitr_backup_storage_gb: Option<f64>,
    pub standard: Option<S3StandardUsage>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3StandardUsage {
    pub storage_gb: Option<f64>,
    pub monthly_tier_1_requests: Option<f64>,
    pub monthly_tier_2_requests: Option<f64>,
}

/// One priced line of a resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    pub name: String,
    pub quantity: f64,
    pub unit: String,
    pub monthly: f64,
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
    serde_norway::from_str(&text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        let reason = e.to_string();
        let reason = reason.split(" at line ").next().unwrap_or(&reason).to_owned();
        CostError::Invalid { path: path.display().to_string(), line, column, reason }
    })
}

/// The estimate of `env`'s desired resources.
pub fn estimate(repo: &Repo, env: Environment) -> Result<CostEstimate, CostError> {
    let desired = DesiredEnvironment::load(repo, env)?;
    let prices_path = repo.root().join(PRICES_FILE);
    let prices: PriceList = read_yaml(&prices_path)?;
    let usage_path: PathBuf = repo.root().join(usage_file(env));
    let usage: Option<UsageFile> = usage_path.exists().then(|| read_yaml(&usage_path)).transpose()?;
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
    let rp = prices
        .regions
        .get(&region)
        .ok_or_else(|| CostError::NoRegion { path: prices_path.display().to_string(), region: region.clone() })?;
    let resources: Vec<&crate::engine::desired::Resource> =
        desired.components.iter().flat_map(|c| &c.resources).collect();
    let empty = UsageFile::default();
    let usage_of = usage.unwrap_or(&empty);
    for address in usage_of.resource_usage.keys() {
        if !resources.iter().any(|r| r.address() == *address) {
            return Err(CostError::UnknownResource {
                path: usage_path.display().to_string(),
                address: address.clone(),
                env: desired.environment.label().to_owned(),
            });
        }
    }
    let mut out = Vec::new();
    for r in resources.iter().filter(|r| matches!(r.kind, TABLE | BUCKET)) {
        let address = r.address();
        let u = usage_of.resource_usage.get(&address).cloned().unwrap_or_default();
        let (lines, missing) = if r.kind == TABLE {
            let pitr = r.attributes.get("point_in_time_recovery") == Some(&Value::Bool(true));
            table_lines(&rp.dynamodb, &u, pitr)
        } else {
            let objects = resources.iter().filter(|o| o.kind == OBJECT).count();
            bucket_lines(&rp.s3, &u, objects)
        };
        let monthly = lines.iter().map(|l| l.monthly).sum();
        out.push(ResourceCost { address, lines, monthly, usage_missing: missing });
    }
    let monthly = out.iter().map(|r| r.monthly).sum();
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

/// A resource's priced lines, and whether some usage was missing.
#[derive(Default)]
struct Priced {
    lines: Vec<CostLine>,
    missing: bool,
}

impl Priced {
    fn add(&mut self, name: &str, quantity: Option<f64>, unit: &str, unit_price: f64, per: f64) {
        match quantity {
            Some(q) => self.lines.push(CostLine {
                name: name.into(),
                quantity: q,
                unit: unit.into(),
                monthly: q / per * unit_price,
            }),
            None => self.missing = true,
        }
    }
}

fn table_lines(p: &DynamoDbPrices, u: &ResourceUsage, pitr: bool) -> (Vec<CostLine>, bool) {
    let mut priced = Priced::default();
    priced.add("Write request units", u.monthly_write_request_units, "WRU", p.write_request_units_per_million, 1e6);
    priced.add("Read request units", u.monthly_read_request_units, "RRU", p.read_request_units_per_million, 1e6);
    priced.add("Data storage", u.storage_gb, "GB", p.storage_gb_month, 1.0);
    if pitr {
        // PITR is billed on the table's size: the usage's figure, else the table's storage.
        let gb = u.pitr_backup_storage_gb.or(u.storage_gb);
        priced.add("Point-in-time recovery", gb, "GB", p.pitr_backup_storage_gb_month, 1.0);
    }
    (priced.lines, priced.missing)
}

fn bucket_lines(p: &S3Prices, u: &ResourceUsage, objects: usize) -> (Vec<CostLine>, bool) {
    let s = u.standard.clone().unwrap_or_default();
    let mut priced = Priced::default();
    priced.add("Standard storage", s.storage_gb, "GB", p.standard_storage_gb_month, 1.0);
    // Uploading the templates is a known number of PUTs a deployment makes; add the usage's.
    let puts = s.monthly_tier_1_requests.unwrap_or(0.0) + objects as f64;
    priced.add("PUT, COPY, POST, LIST requests", Some(puts), "requests", p.tier_1_requests_per_thousand, 1000.0);
    priced.add("GET and other requests", s.monthly_tier_2_requests, "requests", p.tier_2_requests_per_thousand, 1000.0);
    (priced.lines, priced.missing)
}

fn money(v: f64) -> String {
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
