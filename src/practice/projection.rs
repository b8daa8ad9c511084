//! R59: how long a rollback would take on AWS. Each AWS operation a drill phase performs is
//! projected from a latency model (`aws-latency.yml`: documented AWS figures, or planning
//! figures marked as assumed, each with its source) and the tables' sizes (the `storage_gb` of
//! the environment's usage file, `cost/usage-{env}.yml`). An index created on a table is
//! backfilled over all its items, so its time grows with the table; a table a rollback
//! replaces loses its items, and its way back is a point-in-time restore into a new table.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Environment;
use crate::Error;
use crate::engine::cost::{UsageFile, usage_file};

/// The model shipped with stagegate.
pub const BUILTIN: &str = include_str!("aws-latency.yml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyModel {
    pub version: u32,
    pub operations: BTreeMap<String, Figure>,
    pub index_backfill: Backfill,
    pub pitr_restore: Restore,
}

/// A fixed time per call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub seconds: f64,
    pub basis: Basis,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// A number AWS publishes.
    Documented,
    /// A planning figure for behaviour AWS documents without a duration.
    Assumed,
    /// Measured on AWS.
    Measured,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backfill {
    pub seconds: f64,
    pub seconds_basis: Basis,
    pub kilobytes_per_write_unit: f64,
    pub kilobytes_per_write_unit_basis: Basis,
    pub kilobytes_per_write_unit_source: String,
    pub on_demand_write_units_per_second: f64,
    pub on_demand_write_units_per_second_basis: Basis,
    pub on_demand_write_units_per_second_source: String,
    pub source: String,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restore {
    pub seconds: f64,
    pub seconds_basis: Basis,
    pub gigabytes_per_hour: f64,
    pub gigabytes_per_hour_basis: Basis,
    pub source: String,
    pub note: String,
}

const KB_PER_GB: f64 = 1024.0 * 1024.0;

impl LatencyModel {
    pub fn builtin() -> LatencyModel {
        LatencyModel::parse(BUILTIN).expect("the built-in latency model parses")
    }

    pub fn parse(text: &str) -> Result<LatencyModel, String> {
        let model: LatencyModel =
            crate::foundation::yaml::from_str(text).map_err(|e| format!("{}:{}: {}", e.line, e.column, e.reason))?;
        let negative =
            model.operations.iter().find(|(_, f)| !f.seconds.is_finite() || f.seconds < 0.0).map(|(n, _)| n.clone());
        if let Some(name) = negative {
            return Err(format!("operations.{name}.seconds must be a number of seconds, 0 or more"));
        }
        if !model.operations.contains_key(OTHER) {
            return Err(format!("operations.{OTHER}: the time of any call not named is missing"));
        }
        let b = &model.index_backfill;
        if [b.kilobytes_per_write_unit, b.on_demand_write_units_per_second].iter().any(|r| !r.is_finite() || *r <= 0.0)
            || !b.seconds.is_finite()
            || b.seconds < 0.0
        {
            return Err("index_backfill: its rates must be more than 0 and its seconds 0 or more".into());
        }
        let r = &model.pitr_restore;
        if !r.gigabytes_per_hour.is_finite() || r.gigabytes_per_hour <= 0.0 || !r.seconds.is_finite() || r.seconds < 0.0
        {
            return Err("pitr_restore: gigabytes_per_hour must be more than 0 and seconds 0 or more".into());
        }
        Ok(model)
    }

    fn figure(&self, operation: &str) -> &Figure {
        self.operations.get(operation).unwrap_or_else(|| &self.operations[OTHER])
    }

    /// Seconds to build an index over a table of `gb`, written at `write_units` a second
    /// (an on-demand table's when `None`).
    pub fn backfill_seconds(&self, gb: f64, write_units: Option<f64>) -> f64 {
        let b = &self.index_backfill;
        let units = write_units.filter(|u| *u > 0.0).unwrap_or(b.on_demand_write_units_per_second);
        b.seconds + gb.max(0.0) * KB_PER_GB / b.kilobytes_per_write_unit / units
    }

    /// Seconds to restore a table of `gb` to a point in time, into a new table.
    pub fn restore_seconds(&self, gb: f64) -> f64 {
        let r = &self.pitr_restore;
        r.seconds + gb.max(0.0) / r.gigabytes_per_hour * 3600.0
    }

    /// The projection of one operation line as apply reports it (`CreateTable tenants`,
    /// `UpdateTable tenants (create index by-email)`), or of `count` calls of an SDK action
    /// (`dynamodb:DescribeTable`).
    pub fn project(&self, operation: &str, count: usize, sizes: &TableSizes) -> ProjectedOp {
        let action = operation.split_whitespace().next().unwrap_or_default();
        let action = action.rsplit(':').next().unwrap_or(action);
        let subject = operation.split_whitespace().nth(1).unwrap_or_default();
        if action == "UpdateTable" && operation.contains("(create index") {
            let gb = sizes.gb(subject);
            let seconds = self.backfill_seconds(gb, None);
            let b = &self.index_backfill;
            return ProjectedOp {
                operation: operation.to_owned(),
                count,
                seconds: seconds * count as f64,
                // The part that grows with the table decides, once the table has items.
                basis: match (gb > 0.0, b.on_demand_write_units_per_second_basis, b.seconds_basis) {
                    (true, Basis::Measured, _) | (false, _, Basis::Measured) => Basis::Measured,
                    _ => Basis::Assumed,
                },
                why: format!(
                    "backfill of {gb} GB at {} write units/s ({} KB each)",
                    (b.on_demand_write_units_per_second * 10.0).round() / 10.0,
                    b.kilobytes_per_write_unit
                ),
            };
        }
        let figure = self.figure(action);
        ProjectedOp {
            operation: operation.to_owned(),
            count,
            seconds: figure.seconds * count as f64,
            basis: figure.basis,
            why: if self.operations.contains_key(action) { String::new() } else { "one round trip".into() },
        }
    }
}

const OTHER: &str = "other";

/// One operation (or `count` alike) of a phase, with its projected time on AWS.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectedOp {
    pub operation: String,
    pub count: usize,
    pub seconds: f64,
    pub basis: Basis,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub why: String,
}

/// The tables' sizes in an environment, in GB, from its usage file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TableSizes {
    pub file: Option<String>,
    pub gb: BTreeMap<String, f64>,
}

impl TableSizes {
    /// `storage_gb` of every `aws_dynamodb_table.NAME` in `cost/usage-{env}.yml`; none when the
    /// repo has no usage file for `env`.
    pub fn load(root: &Path, env: Environment) -> Result<TableSizes, Error> {
        let rel = usage_file(env);
        let path = root.join(&rel);
        let Ok(text) = std::fs::read_to_string(&path) else { return Ok(TableSizes::default()) };
        let usage: UsageFile = crate::foundation::yaml::from_str(&text)
            .map_err(|e| Error::Usage(format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.reason)))?;
        let gb = usage
            .resource_usage
            .iter()
            .filter_map(|(address, u)| {
                let table = address.strip_prefix("aws_dynamodb_table.")?;
                Some((table.to_owned(), u.storage_gb?))
            })
            .collect();
        Ok(TableSizes { file: Some(rel), gb })
    }

    pub fn gb(&self, table: &str) -> f64 {
        self.gb.get(table).copied().unwrap_or(0.0)
    }
}

/// A table a rollback replaces: its items are not brought back by the rollback.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplacedTable {
    pub table: String,
    pub gb: f64,
    /// The way back for its items.
    pub restore: String,
    pub restore_seconds: f64,
}

impl std::fmt::Display for ReplacedTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is REPLACED by this rollback: its {} GB of items are not restored by it; restore path: {}, projected {}",
            self.table,
            self.gb,
            self.restore,
            human(self.restore_seconds)
        )
    }
}

impl ReplacedTable {
    pub fn new(model: &LatencyModel, table: &str, sizes: &TableSizes) -> ReplacedTable {
        let gb = sizes.gb(table);
        ReplacedTable {
            table: table.to_owned(),
            gb,
            restore: format!(
                "RestoreTableToPointInTime {table} into a new table, then point the application at it \
                 (TTL, streams, tags, alarms and point-in-time recovery set up again)"
            ),
            restore_seconds: model.restore_seconds(gb),
        }
    }
}

/// `1 h 05 min`, `4 min 10 s`, `12.5 s`.
pub fn human(seconds: f64) -> String {
    let s = seconds.max(0.0);
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        let t = s.round() as u64;
        format!("{} min {:02} s", t / 60, t % 60)
    } else {
        let t = s.floor() as u64;
        format!("{} h {:02} min", t / 3600, (t % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn sizes(table: &str, gb: f64) -> TableSizes {
        TableSizes { file: None, gb: BTreeMap::from([(table.to_owned(), gb)]) }
    }

    #[rstest]
    #[case("UpdateContinuousBackups tenants (point-in-time recovery on)", 10.0, Basis::Assumed)]
    #[case("CreateTable tenants", 30.0, Basis::Assumed)]
    #[case("PutObject bbws-templates-prod/welcome.html", 0.2, Basis::Assumed)]
    #[case("dynamodb:DescribeTable", 0.1, Basis::Assumed)]
    fn fixed_operations_take_their_figure(#[case] op: &str, #[case] seconds: f64, #[case] basis: Basis) {
        let p = LatencyModel::builtin().project(op, 1, &TableSizes::default());
        assert_eq!((p.seconds, p.basis), (seconds, basis));
    }

    #[test]
    fn an_index_on_40_gb_backfills_at_the_on_demand_rate() {
        let p = LatencyModel::builtin().project(
            "UpdateTable tenants (create index domain-index)",
            1,
            &sizes("tenants", 40.0),
        );
        // 40 GB = 41,943,040 KB at 4,000 writes of 1 KB a second, plus the fixed 60 s.
        assert!((p.seconds - (60.0 + 41_943_040.0 / 4000.0)).abs() < 1e-6, "{p:?}");
        assert!(p.why.contains("40 GB"), "{p:?}");
    }

    #[rstest]
    #[case(0.0, "0.0 s")]
    #[case(59.94, "59.9 s")]
    #[case(250.0, "4 min 10 s")]
    #[case(119.6, "2 min 00 s")]
    #[case(3900.0, "1 h 05 min")]
    fn durations_read_as_people_write_them(#[case] s: f64, #[case] shown: &str) {
        assert_eq!(human(s), shown);
    }

    #[rstest]
    #[case("version: 1\noperations: {}\nindex_backfill: {}\n", "index_backfill")]
    #[case(&BUILTIN.replace("  other:\n", "  others:\n"), "operations.other")]
    #[case(&BUILTIN.replace("seconds: 30\n", "seconds: -30\n"), "CreateTable.seconds")]
    #[case(&BUILTIN.replace("gigabytes_per_hour: 25\n", "gigabytes_per_hour: 0\n"), "pitr_restore")]
    fn a_bad_model_is_refused_naming_the_field(#[case] text: &str, #[case] named: &str) {
        let e = LatencyModel::parse(text).expect_err("refused");
        assert!(e.contains(named), "{e}");
    }

    proptest! {
        #[test]
        fn a_backfill_takes_longer_on_a_larger_table(a in 0.0f64..10_000.0, b in 0.0f64..10_000.0) {
            let m = LatencyModel::builtin();
            let (small, large) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(m.backfill_seconds(small, None) <= m.backfill_seconds(large, None));
            prop_assert!(m.restore_seconds(small) <= m.restore_seconds(large));
        }

        #[test]
        fn more_write_capacity_never_slows_a_backfill(gb in 0.0f64..1000.0, w in 1.0f64..40_000.0, more in 0.0f64..40_000.0) {
            let m = LatencyModel::builtin();
            prop_assert!(m.backfill_seconds(gb, Some(w + more)) <= m.backfill_seconds(gb, Some(w)));
        }

        #[test]
        fn a_fixed_operation_ignores_the_sizes(gb in 0.0f64..10_000.0, n in 1usize..50) {
            let m = LatencyModel::builtin();
            let op = "UpdateContinuousBackups tenants (point-in-time recovery on)";
            let p = m.project(op, n, &sizes("tenants", gb));
            prop_assert_eq!(p.seconds, 10.0 * n as f64);
        }
    }
}
