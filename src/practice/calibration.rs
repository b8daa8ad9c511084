//! R59 calibrated: the times of real applies on AWS, recorded by `--record-timings FILE`
//! (`deploy`, `rollback`, `drill`, with `--backend aws` only) and kept in the repo's
//! `timings/aws.yml`, replace the latency model's planning figures. An emulator's times are
//! never recorded: they are not AWS's.
//!
//! Each sample is one operation as apply names it, with the seconds it took (its wait
//! included, [`crate::resources::OpLog`]) and, for an index created on a table, the table's
//! size from the environment's usage file. The model takes the slowest sample of each
//! operation; an index's backfill rate is the slowest one measured on a table that had items.

use std::collections::BTreeMap;
use std::path::Path;

use crate::Environment;
use crate::Error;
use crate::engine::apply::ApplyReport;
pub use crate::foundation::timings::{Sample, TIMINGS_FILE, Timings, TimingsError};
use crate::foundation::timings::{action, creates_index};
use crate::practice::projection::{Basis, Figure, LatencyModel, TableSizes};

/// Adds every operation `report` performed, with its measured time.
pub fn add(
    timings: &mut Timings,
    report: &ApplyReport,
    env: Environment,
    region: &str,
    sizes: &TableSizes,
    at: jiff::Timestamp,
) {
    for c in &report.components {
        for (operation, ms) in c.operations.iter().zip(&c.operation_ms) {
            let table = operation.split_whitespace().nth(1).unwrap_or_default();
            timings.samples.push(Sample {
                operation: operation.clone(),
                seconds: *ms as f64 / 1000.0,
                environment: env,
                region: region.to_owned(),
                table_gb: creates_index(operation).then(|| sizes.gb(table)),
                at,
            });
        }
    }
}

impl LatencyModel {
    /// The model with the measured times in `timings` (read from `file`) in place of its figures.
    pub fn calibrated(mut self, timings: &Timings, file: &str) -> LatencyModel {
        let mut slowest: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
        for s in timings.samples.iter().filter(|s| !creates_index(&s.operation)) {
            let e = slowest.entry(action(&s.operation)).or_insert((0.0, 0));
            *e = (e.0.max(s.seconds), e.1 + 1);
        }
        for (name, (seconds, n)) in slowest {
            self.operations.insert(
                name.to_owned(),
                Figure {
                    seconds,
                    basis: Basis::Measured,
                    source: format!("{file}: the slowest of {n} measured on AWS"),
                    note: None,
                },
            );
        }
        let indexes: Vec<&Sample> = timings.samples.iter().filter(|s| creates_index(&s.operation)).collect();
        let b = &mut self.index_backfill;
        // On an empty table the whole time is the fixed part.
        let empty: Vec<f64> = indexes.iter().filter(|s| s.table_gb.unwrap_or(0.0) == 0.0).map(|s| s.seconds).collect();
        if let Some(fixed) = empty.iter().copied().reduce(f64::max) {
            b.seconds = fixed;
            b.seconds_basis = Basis::Measured;
        }
        // On a table with items, what is left after the fixed part is the backfill.
        let rates: Vec<f64> = indexes
            .iter()
            .filter_map(|s| {
                let gb = s.table_gb.filter(|gb| *gb > 0.0)?;
                let backfill = (s.seconds - b.seconds).max(0.001);
                Some(gb * 1024.0 * 1024.0 / b.kilobytes_per_write_unit / backfill)
            })
            .collect();
        if let Some(rate) = rates.iter().copied().reduce(f64::min) {
            b.on_demand_write_units_per_second = rate;
            b.on_demand_write_units_per_second_basis = Basis::Measured;
            b.on_demand_write_units_per_second_source =
                format!("{file}: the slowest of {} index backfills measured on AWS", rates.len());
        }
        self
    }

    /// The built-in model, calibrated by the repo's `timings/aws.yml` when it has one.
    pub fn for_repo(root: &Path) -> Result<LatencyModel, Error> {
        let model = LatencyModel::builtin();
        Ok(match Timings::load(root)? {
            Some(t) => model.calibrated(&t, TIMINGS_FILE),
            None => model,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::apply::ComponentOutcome;

    fn report(ops: &[(&str, u64)]) -> ApplyReport {
        ApplyReport {
            environment: "prod".into(),
            components: vec![ComponentOutcome {
                component: "tenants".into(),
                operations: ops.iter().map(|(o, _)| (*o).to_owned()).collect(),
                operation_ms: ops.iter().map(|(_, ms)| *ms).collect(),
                serial: 2,
                state_version: None,
                error: None,
                elapsed_ms: ops.iter().map(|(_, ms)| *ms as u128).sum(),
            }],
            elapsed_ms: 0,
        }
    }

    fn sizes(gb: f64) -> TableSizes {
        TableSizes { file: None, gb: BTreeMap::from([("tenants".to_owned(), gb)]) }
    }

    fn recorded(ops: &[(&str, u64)], gb: f64) -> Timings {
        let mut t = Timings { version: 1, samples: Vec::new() };
        add(&mut t, &report(ops), Environment::Prod, "af-south-1", &sizes(gb), "2026-12-02T08:00:00Z".parse().unwrap());
        // What is written is what is read.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timings/aws.yml");
        t.save(&path).unwrap();
        Timings::open(&path).unwrap()
    }

    #[test]
    fn a_recorded_apply_replaces_the_figure_of_each_operation_it_performed() {
        let t = recorded(
            &[("CreateTable tenants", 41_500), ("UpdateContinuousBackups tenants (point-in-time recovery on)", 3_000)],
            2.0,
        );
        assert_eq!(t.samples.len(), 2);
        assert_eq!(t.samples[0].table_gb, None);
        let m = LatencyModel::builtin().calibrated(&t, TIMINGS_FILE);
        let p = m.project("CreateTable campaigns", 1, &TableSizes::default());
        assert_eq!((p.seconds, p.basis), (41.5, Basis::Measured));
        let p = m.project("UpdateContinuousBackups campaigns (point-in-time recovery on)", 2, &TableSizes::default());
        assert_eq!((p.seconds, p.basis), (6.0, Basis::Measured));
        // What was not measured keeps its figure.
        let p = m.project("PutObject b/k", 1, &TableSizes::default());
        assert_eq!((p.seconds, p.basis), (0.2, Basis::Assumed));
    }

    #[test]
    fn the_slowest_sample_of_an_operation_is_the_one_planned_for() {
        let mut t = recorded(&[("DeleteTable tenants", 20_000)], 0.0);
        t.samples.extend(recorded(&[("DeleteTable tenants", 70_000), ("DeleteTable tenants", 5_000)], 0.0).samples);
        let m = LatencyModel::builtin().calibrated(&t, TIMINGS_FILE);
        assert_eq!(m.project("DeleteTable x", 1, &TableSizes::default()).seconds, 70.0);
    }

    #[test]
    fn an_index_measured_on_a_table_with_items_gives_the_backfill_rate() {
        // 1 GB backfilled in 60 s fixed + 1,000 s: 1,048,576 KB / 1,000 s = 1,048.576 units/s.
        let t = recorded(&[("UpdateTable tenants (create index by-email)", 1_060_000)], 1.0);
        assert_eq!(t.samples[0].table_gb, Some(1.0));
        let m = LatencyModel::builtin().calibrated(&t, TIMINGS_FILE);
        assert!((m.index_backfill.on_demand_write_units_per_second - 1048.576).abs() < 1e-6);
        let p = m.project(
            "UpdateTable campaigns (create index x)",
            1,
            &TableSizes { file: None, gb: BTreeMap::from([("campaigns".to_owned(), 4.0)]) },
        );
        assert!((p.seconds - (60.0 + 4000.0)).abs() < 1e-6, "{p:?}");
        assert_eq!(p.basis, Basis::Measured);
    }

    #[test]
    fn an_index_measured_on_an_empty_table_gives_the_fixed_part() {
        let t = recorded(&[("UpdateTable tenants (create index by-email)", 95_000)], 0.0);
        let m = LatencyModel::builtin().calibrated(&t, TIMINGS_FILE);
        assert_eq!(m.index_backfill.seconds, 95.0);
        assert_eq!(m.project("UpdateTable t (create index x)", 1, &TableSizes::default()).seconds, 95.0);
    }

    #[rstest::rstest]
    #[case("version: 2\n", "version 2")]
    #[case("version: 1\nsample: []\n", "t.yml:2:1")]
    #[case(
        "version: 1\nsamples:\n- {operation: CreateTable t, seconds: -1, environment: prod, region: r, at: 2026-12-02T08:00:00Z}\n",
        "samples[0].seconds"
    )]
    #[case(
        "version: 1\nsamples:\n- {operation: CreateTable t, seconds: 1, environment: qa, region: r, at: 2026-12-02T08:00:00Z}\n",
        "t.yml:3"
    )]
    #[case(
        "version: 1\nsamples:\n- {operation: ' ', seconds: 1, environment: dev, region: r, at: 2026-12-02T08:00:00Z}\n",
        "operation is empty"
    )]
    fn a_bad_timings_file_is_refused_naming_where(#[case] text: &str, #[case] named: &str) {
        let e = Timings::parse(text, "t.yml").expect_err("refused").to_string();
        assert!(e.contains(named), "{e}");
    }
}
