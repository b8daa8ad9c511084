//! The price vocabulary the resource types price themselves in: a region's unit prices, one
//! resource's usage in infracost's usage-file shape, and the priced lines of a resource.

use serde::{Deserialize, Serialize};

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
    /// R58: writes replicated to a global table's replica; the write price when unset.
    #[serde(default)]
    pub replicated_write_request_units_per_million: Option<f64>,
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

/// A resource's priced lines, and whether some usage was missing.
#[derive(Debug, Default)]
pub struct Priced {
    pub lines: Vec<CostLine>,
    pub missing: bool,
}

impl Priced {
    /// A line of `quantity` at `unit_price` per `per` units; no quantity means the usage is missing.
    pub fn add(&mut self, name: &str, quantity: Option<f64>, unit: &str, unit_price: f64, per: f64) {
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
