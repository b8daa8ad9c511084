//! `stagegate drill`: the rollback RTO measured on an emulator (R35). A good commit is promoted
//! DEV → SIT → PROD; a bad one, which switches point-in-time recovery off in the drilled
//! environment only, is promoted after it (DEV and SIT stay green, so the gates let it
//! through); then, from the trigger: detect (verify fails), plan (preview the rollback to the
//! last good tag), gate, apply, verify. The RTO runs from the trigger to the passing verify
//! and is compared with the environment's target in `pipeline.yml`.
//!
//! R59: the emulator does in milliseconds what AWS does in minutes or hours, so each phase
//! also lists the AWS operations it performed and their projected time on AWS
//! ([`crate::practice::projection`]); the verdict holds the projection against the target and
//! names the operation that dominates. A rollback that replaces a table is flagged: its items
//! are not restored by it, and the restore path is given with its projected time.

use std::fmt;
use std::time::Instant;

use jiff::Timestamp;
use serde::Serialize;

use crate::Environment;
use crate::Error;
use crate::aws::AwsClients;
use crate::emulator::Endpoint;
use crate::engine::apply::ApplyOptions;
use crate::engine::desired::DesiredEnvironment;
use crate::foundation::policy::{Pipeline, Rto};
use crate::foundation::repo::Repo;
use crate::foundation::tickets::{ChangeTicket, FileTickets};
use crate::release::deploy::Deployment;
use crate::release::deploy::simulated_request;
use crate::release::gate::evaluate;
use crate::release::rollback::{LAST_GOOD, TagRollback};

const DRILL_TICKET: &str = "CHG0000002";
use crate::aws::ActionRecorder;
use crate::practice::projection::{LatencyModel, ProjectedOp, ReplacedTable, TableSizes, human};
use crate::release::verify::verify;

#[derive(Debug, Serialize)]
pub struct Phase {
    pub name: &'static str,
    /// Measured on the backend.
    pub ms: u128,
    /// Projected on AWS: the sum of its operations (the measured time when it calls no AWS).
    pub projected_ms: u128,
    pub operations: Vec<ProjectedOp>,
}

impl Phase {
    /// A phase that took `ms` on the backend. On AWS (`on_aws`), or when it calls no AWS, its
    /// projected time is the measured one; otherwise the sum of its operations' projections.
    pub fn new(name: &'static str, ms: u128, operations: Vec<ProjectedOp>, on_aws: bool) -> Phase {
        let projected_ms = if operations.is_empty() || on_aws {
            ms
        } else {
            (operations.iter().map(|o| o.seconds).sum::<f64>() * 1000.0).round() as u128
        };
        Phase { name, ms, projected_ms, operations }
    }
}

/// What the bad commit of the drill breaks. Every breakage switches point-in-time recovery
/// off, which the post-deploy checks detect; the others also change what the rollback must do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Breakage {
    /// Point-in-time recovery off: the rollback switches it on again.
    #[default]
    Pitr,
    /// Also drops the first global secondary index of the largest table: the rollback
    /// recreates it, backfilled over every item of the table.
    Index,
    /// Also adds a sort key to the largest table: the rollback replaces the table, and its
    /// items are not restored by it.
    Replace,
}

#[derive(Debug, Serialize)]
pub struct DrillReport {
    pub environment: Environment,
    pub detected: Vec<String>,
    pub rolled_back_to: String,
    pub phases: Vec<Phase>,
    /// Measured on the backend, from the trigger to the passing verify.
    pub rto_ms: u128,
    /// Projected on AWS (R59): what the verdict holds against the target.
    pub projected_rto_ms: u128,
    /// The operation that takes longest on AWS, with its projected seconds.
    pub dominant: Option<ProjectedOp>,
    /// Where the tables' sizes came from.
    pub sizes: TableSizes,
    /// The operations the rollback's preview said its apply would perform (`rollback
    /// --dry-run` projects these).
    pub previewed: Vec<String>,
    /// Tables the rollback replaces: their items are not restored by it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<ReplacedTable>,
    pub target: Option<String>,
    pub met: bool,
    /// The drill ran on AWS: its phases' times are measured, not projected.
    pub measured_on_aws: bool,
    /// What the rollback's apply did, with each operation's time (`--record-timings` keeps them).
    #[serde(skip)]
    pub applied: Option<crate::engine::apply::ApplyReport>,
    /// Steps the backend could not rehearse, with why (empty inside `rehearse`, which lists them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_rehearsed: Vec<crate::practice::not_rehearsed::NotRehearsed>,
}

impl fmt::Display for DrillReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Rollback drill, {}", self.environment.label())?;
        writeln!(f, "  broken: {}", self.detected.join("; "))?;
        writeln!(f, "  rolled back to {}", self.rolled_back_to)?;
        let sizes = self.sizes.file.as_deref().unwrap_or("no usage file: every table taken as empty");
        let on = if self.measured_on_aws { " measured on AWS" } else { "projected on AWS" };
        writeln!(f, "  phase     measured   {on}   (table sizes: {sizes})")?;
        for p in &self.phases {
            writeln!(f, "  {:<7} {:>7} ms   {:>15}", p.name, p.ms, human(p.projected_ms as f64 / 1000.0))?;
            for op in &p.operations {
                let times = if op.count > 1 { format!(" x{}", op.count) } else { String::new() };
                let why = if op.why.is_empty() { String::new() } else { format!(", {}", op.why) };
                let basis = format!("{:?}", op.basis).to_lowercase();
                writeln!(f, "      {}{times}: {} ({basis}{why})", op.operation, human(op.seconds))?;
            }
        }
        for r in &self.replaced {
            writeln!(f, "  {r}")?;
        }
        let target = self.target.as_deref().unwrap_or("best effort");
        let verdict = if self.met { "met" } else { "MISSED" };
        if self.measured_on_aws {
            writeln!(
                f,
                "  RTO measured on AWS {}, from trigger to passing verify; target {target}: {verdict}",
                human(self.rto_ms as f64 / 1000.0)
            )?;
        } else {
            writeln!(
                f,
                "  RTO projected on AWS {}, measured {:.1} s, from trigger to passing verify; target {target}: {verdict}",
                human(self.projected_rto_ms as f64 / 1000.0),
                self.rto_ms as f64 / 1000.0
            )?;
        }
        if let Some(d) = &self.dominant {
            writeln!(f, "  dominated by {} ({})", d.operation, human(d.seconds))?;
        }
        if !self.not_rehearsed.is_empty() {
            writeln!(f)?;
            crate::practice::not_rehearsed::write_section(f, &self.not_rehearsed)?;
        }
        Ok(())
    }
}

/// Runs the drill for `env` on the emulator at `endpoint`.
pub async fn drill(
    endpoint: &Endpoint,
    region: &str,
    repo: &Repo,
    env: Environment,
    breakage: Breakage,
    now: Timestamp,
) -> Result<DrillReport, Error> {
    let scratch = tempfile::tempdir().map_err(|e| Error::Infrastructure(format!("a scratch directory: {e}")))?;
    let (checkout, not_rehearsed) = crate::practice::rehearse::scratch_checkout(repo, scratch.path(), endpoint.flavor)?;
    let policy = Pipeline::load(checkout.root())?;
    let at = crate::practice::rehearse::inside_every_window(now);
    let tickets = FileTickets::with(vec![ChangeTicket::generated(DRILL_TICKET, "stagegate rollback drill", at)]);
    let deployment = Deployment::new(endpoint, region, &checkout, &policy, &tickets);
    let good = crate::foundation::git::current_commit(checkout.root()).unwrap_or_default();
    promote(&deployment, DRILL_TICKET, env, &good, at).await?;
    let mut report = drill_promoted(&deployment, DRILL_TICKET, env, breakage, at).await?;
    report.not_rehearsed = not_rehearsed;
    Ok(report)
}

/// Promotes `commit` through every environment up to `env`, as the drill's bot.
async fn promote(
    deployment: &Deployment<'_>,
    ticket: &str,
    env: Environment,
    commit: &str,
    at: Timestamp,
) -> Result<(), Error> {
    let policy = deployment.policy;
    let order: Vec<Environment> = policy.promotion.iter().copied().take_while(|e| *e != env).chain([env]).collect();
    for e in order {
        let req = simulated_request(policy, e, "drill-bot", ticket, commit, at, false);
        let outcome = deployment.run(&req, None, &ApplyOptions::default()).await?;
        if !outcome.verdict.passed() {
            return Err(Error::Failed(format!("the drill's {} gate stayed closed:\n{}", e.label(), outcome.verdict)));
        }
    }
    Ok(())
}

/// The drill from a checkout whose commit is already promoted to `env` (as `rehearse` leaves
/// it): promote a bad commit after it, then detect, roll back and verify against the clock.
pub async fn drill_promoted(
    deployment: &Deployment<'_>,
    ticket: &str,
    env: Environment,
    breakage: Breakage,
    at: Timestamp,
) -> Result<DrillReport, Error> {
    let (endpoint, region, checkout, policy, tickets) =
        (deployment.endpoint, deployment.region, deployment.repo, deployment.policy, deployment.tickets);
    let model = LatencyModel::for_repo(checkout.root())?;
    let sizes = TableSizes::load(checkout.root(), env)?;
    // On AWS the drill's own times are AWS's: they replace the projection.
    let on_aws = endpoint.flavor == crate::emulator::Flavor::Aws;
    let bad = break_environment(checkout.root(), env, breakage, &sizes)?;
    promote(deployment, ticket, env, &bad, at).await?;

    // The incident: from here the clock runs.
    let trigger = Instant::now();
    let mut phases = Vec::new();
    let mut phase = |name: &'static str, since: Instant, operations: Vec<ProjectedOp>| {
        phases.push(Phase::new(name, since.elapsed().as_millis(), operations, on_aws))
    };
    let reads = |recorder: &ActionRecorder| -> Vec<ProjectedOp> {
        if on_aws {
            return Vec::new();
        }
        recorder.summary().iter().map(|(action, n)| model.project(action, *n, &sizes)).collect()
    };
    let recorder = ActionRecorder::default();
    let clients = AwsClients::recording(endpoint, env, region, recorder.clone()).await;
    let started = Instant::now();
    let desired_now = DesiredEnvironment::load(checkout, env)?;
    let broken = verify(&clients, &desired_now).await.map_err(crate::engine::plan::PlanError::Live)?;
    let detected: Vec<String> =
        broken.failures().iter().map(|c| format!("{} {}: {}", c.requirement, c.subject, c.detail)).collect();
    phase("detect", started, reads(&recorder));
    let detected_at = Instant::now();
    if detected.is_empty() {
        return Err(Error::Failed(format!("{}: the bad deployment broke nothing the checks see", env.label())));
    }

    let started = Instant::now();
    let rollback = TagRollback::prepare(deployment, env, LAST_GOOD, at).await?;
    let planned = if on_aws { Vec::new() } else { plan_reads(&model, &rollback.plan, &sizes) };
    let replaced: Vec<ReplacedTable> = rollback
        .plan
        .components
        .iter()
        .flat_map(|c| &c.resources)
        .filter(|r| {
            r.kind == crate::resources::table::TABLE && r.action == crate::resources::vocabulary::Action::Replace
        })
        .map(|r| ReplacedTable::new(&model, &r.name, &sizes))
        .collect();
    let previewed: Vec<String> = rollback
        .plan
        .components
        .iter()
        .flat_map(|c| &c.resources)
        .flat_map(crate::practice::preview::operations)
        .collect();
    phase("plan", started, planned);

    let started = Instant::now();
    let req = simulated_request(policy, env, "drill-bot", ticket, rollback.commit(), at, true);
    let verdict = evaluate(policy, tickets, None, &req);
    phase("gate", started, Vec::new());
    if !verdict.passed() {
        return Err(Error::Failed(format!("the rollback gate stayed closed:\n{verdict}")));
    }

    let started = Instant::now();
    // The rollback is recorded as starting at `at`; the detection is placed as long before it
    // as it really was, so the record carries detection → recovery on its own clock.
    let lead = jiff::SignedDuration::try_from(detected_at.elapsed()).unwrap_or(jiff::SignedDuration::ZERO);
    let tag = rollback.tag.clone();
    let desired_then = DesiredEnvironment::load(rollback.tree(), env)?;
    let outcome = rollback.execute(deployment, &req, &ApplyOptions::default(), at.checked_sub(lead).ok()).await?;
    let applied = outcome.report.as_ref().map_or_else(Vec::new, |r| applied_operations(&model, r, &sizes, on_aws));
    phase("apply", started, applied);

    let recorder = ActionRecorder::default();
    let clients = AwsClients::recording(endpoint, env, region, recorder.clone()).await;
    let started = Instant::now();
    let after = verify(&clients, &desired_then).await.map_err(crate::engine::plan::PlanError::Live)?;
    phase("verify", started, reads(&recorder));
    recovered(env, &outcome, &after)?;
    let rto = trigger.elapsed();
    let projected_rto_ms = projected_rto_ms(&phases, rto.as_millis());
    let rto_target = &policy.environment(env).rollback_rto;
    let target = match rto_target {
        Rto::BestEffort => None,
        Rto::Within(d) => Some(d),
    };
    let dominant = phases.iter().flat_map(|p| &p.operations).max_by(|a, b| a.seconds.total_cmp(&b.seconds)).cloned();
    // A rollback that loses a table's items has not recovered it, whatever the clock says.
    let met = replaced.is_empty() && rto_target.is_met_by(std::time::Duration::from_millis(projected_rto_ms as u64));
    Ok(DrillReport {
        environment: env,
        detected,
        rolled_back_to: tag,
        phases,
        rto_ms: rto.as_millis(),
        projected_rto_ms,
        dominant,
        sizes,
        previewed,
        replaced,
        target: target.map(|d| format!("< {d}")),
        met,
        measured_on_aws: on_aws,
        applied: outcome.report,
        not_rehearsed: Vec::new(),
    })
}

/// The rollback recovered `env` when its own deployment is green (applied, post-deploy tests
/// passed) and the drill's verify after it passes.
pub fn recovered(
    env: Environment,
    outcome: &crate::release::deploy::DeployOutcome,
    after: &crate::release::verify::VerifyReport,
) -> Result<(), Error> {
    if outcome.succeeded() && after.passed() {
        return Ok(());
    }
    Err(Error::Failed(format!("the rollback did not recover {}:\n{outcome}{after}", env.label())))
}

/// The RTO projected on AWS of a drill measured at `measured_ms` from trigger to passing
/// verify: each phase's projection, plus the time between the phases (git, files), which
/// stands for itself.
pub fn projected_rto_ms(phases: &[Phase], measured_ms: u128) -> u128 {
    let between = measured_ms.saturating_sub(phases.iter().map(|p| p.ms).sum());
    phases.iter().map(|p| p.projected_ms).sum::<u128>() + between
}

/// What planning `plan` read, projected on AWS: each component's state and each of its
/// resources' live form.
pub fn plan_reads(model: &LatencyModel, plan: &crate::engine::plan::Plan, sizes: &TableSizes) -> Vec<ProjectedOp> {
    let read = |c: &crate::engine::plan::ComponentPlan| {
        model.project(&format!("read {} (state and live resources)", c.component), 1 + c.resources.len(), sizes)
    };
    plan.components.iter().map(read).collect()
}

/// Each operation an apply performed, projected on AWS from `model`, or, when the apply ran on
/// AWS (`measured`), with the time it really took.
pub fn applied_operations(
    model: &LatencyModel,
    report: &crate::engine::apply::ApplyReport,
    sizes: &TableSizes,
    measured: bool,
) -> Vec<ProjectedOp> {
    let timed = report.components.iter().flat_map(|c| c.operations.iter().zip(&c.operation_ms));
    timed
        .map(|(op, ms)| {
            if measured {
                ProjectedOp {
                    operation: op.clone(),
                    count: 1,
                    seconds: *ms as f64 / 1000.0,
                    basis: crate::practice::projection::Basis::Measured,
                    why: "measured on AWS".into(),
                }
            } else {
                model.project(op, 1, sizes)
            }
        })
        .collect()
}

/// The bad commit: point-in-time recovery off in the drilled environment's file only, and
/// for [`Breakage::Index`] and [`Breakage::Replace`] a change to the largest table.
fn break_environment(
    root: &std::path::Path,
    env: Environment,
    breakage: Breakage,
    sizes: &TableSizes,
) -> Result<String, Error> {
    let path = crate::foundation::config::EnvironmentFile::path(root, env);
    let text =
        std::fs::read_to_string(&path).map_err(|source| Error::File { flag: "--repo", path: path.clone(), source })?;
    let broken = text.replace("enable_point_in_time_recovery = true", "enable_point_in_time_recovery = false");
    std::fs::write(&path, broken).map_err(|source| Error::File { flag: "--repo", path: path.clone(), source })?;
    if breakage != Breakage::Pitr {
        break_largest_table(root, breakage, sizes)?;
    }
    let what = match breakage {
        Breakage::Pitr => "point-in-time recovery off",
        Breakage::Index => "point-in-time recovery off, an index dropped",
        Breakage::Replace => "point-in-time recovery off, a sort key added",
    };
    Ok(crate::foundation::git::commit_all(root, &format!("drill: {what}"))?)
}

/// Drops the first index of (or adds a sort key to) the largest table that has one to drop.
fn break_largest_table(root: &std::path::Path, breakage: Breakage, sizes: &TableSizes) -> Result<(), Error> {
    let repo = Repo::open(root)?;
    let mut tables: Vec<String> =
        repo.components()?.iter().filter(|c| !c.is_templates()).map(|c| c.name().to_owned()).collect();
    tables.sort_by(|a, b| sizes.gb(b).total_cmp(&sizes.gb(a)).then(a.cmp(b)));
    for table in tables {
        let path = crate::resources::table::definition::table_file(root, &table);
        let text = std::fs::read_to_string(&path).map_err(|source| Error::File {
            flag: "--repo",
            path: path.clone(),
            source,
        })?;
        let mut def: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Error::Failed(format!("{}: {e}", path.display())))?;
        let changed = match breakage {
            Breakage::Index => match def["GlobalSecondaryIndexes"].as_array_mut() {
                Some(list) if !list.is_empty() => {
                    list.remove(0);
                    if list.is_empty() {
                        def.as_object_mut().map(|o| o.remove("GlobalSecondaryIndexes"));
                    }
                    true
                }
                _ => false,
            },
            Breakage::Replace => {
                let keys = def["KeySchema"].as_array_mut();
                match keys {
                    Some(keys) if keys.len() == 1 => {
                        keys.push(serde_json::json!({"AttributeName": "drillSortKey", "KeyType": "RANGE"}));
                        if let Some(defs) = def["AttributeDefinitions"].as_array_mut() {
                            defs.push(serde_json::json!({"AttributeName": "drillSortKey", "AttributeType": "S"}));
                        }
                        true
                    }
                    _ => false,
                }
            }
            Breakage::Pitr => false,
        };
        if changed {
            let json = serde_json::to_string_pretty(&def).expect("JSON") + "\n";
            std::fs::write(&path, json).map_err(|source| Error::File { flag: "--repo", path: path.clone(), source })?;
            return Ok(());
        }
    }
    Err(Error::Failed(format!("no table of {} can be broken that way ({breakage:?})", root.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::apply::{ApplyReport, ComponentOutcome};
    use crate::practice::projection::Basis;

    fn report() -> ApplyReport {
        ApplyReport {
            environment: "prod".into(),
            components: vec![ComponentOutcome {
                component: "tenants".into(),
                operations: vec!["CreateTable tenants".into(), "PutObject b/welcome.html".into()],
                operation_ms: vec![42_300, 150],
                serial: 3,
                state_version: None,
                error: None,
                elapsed_ms: 42_500,
            }],
            elapsed_ms: 42_600,
        }
    }

    /// A copy of the sample repo, with each table's definition edited by `edit`.
    fn sample_with(edit: impl Fn(&str, &mut serde_json::Value)) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temp dir");
        crate::foundation::repo::copy_tree(&Repo::sample_path(), dir.path()).expect("a copy of the sample repo");
        for table in ["campaigns", "products", "tenants"] {
            let mut def = definition(dir.path(), table);
            edit(table, &mut def);
            let path = crate::resources::table::definition::table_file(dir.path(), table);
            std::fs::write(path, serde_json::to_string_pretty(&def).expect("JSON")).expect("write");
        }
        dir
    }

    fn definition(root: &std::path::Path, table: &str) -> serde_json::Value {
        let path = crate::resources::table::definition::table_file(root, table);
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
    }

    fn sizes(gb: &[(&str, f64)]) -> TableSizes {
        TableSizes { file: None, gb: gb.iter().map(|(t, g)| ((*t).to_owned(), *g)).collect() }
    }

    fn indexes(root: &std::path::Path, table: &str) -> Option<Vec<String>> {
        let def = definition(root, table);
        let list = def.get("GlobalSecondaryIndexes")?.as_array()?.clone();
        Some(list.iter().map(|i| i["IndexName"].as_str().expect("a name").to_owned()).collect())
    }

    #[test]
    fn the_index_dropped_is_the_first_of_the_largest_table_that_has_one() {
        let dir = sample_with(|table, def| match table {
            "products" => def["GlobalSecondaryIndexes"] = serde_json::json!([]),
            "tenants" => {
                def["GlobalSecondaryIndexes"].as_array_mut().expect("indexes").truncate(1);
            }
            _ => {}
        });
        let sizes = sizes(&[("products", 9.0), ("tenants", 5.0), ("campaigns", 1.0)]);
        break_largest_table(dir.path(), Breakage::Index, &sizes).expect("a table to break");
        assert_eq!(indexes(dir.path(), "products"), Some(Vec::new()), "an empty list has nothing to drop");
        assert_eq!(indexes(dir.path(), "tenants"), None, "its only index dropped, the list goes");
        assert_eq!(indexes(dir.path(), "campaigns").map(|l| l.len()), Some(2), "one table only");
    }

    #[test]
    fn the_sort_key_goes_to_the_largest_table_that_has_none() {
        let dir = sample_with(|table, def| {
            if table == "products" {
                let keys = def["KeySchema"].as_array_mut().expect("keys");
                keys.push(serde_json::json!({"AttributeName": "sku", "KeyType": "RANGE"}));
            }
        });
        let sizes = sizes(&[("products", 9.0), ("tenants", 5.0), ("campaigns", 1.0)]);
        break_largest_table(dir.path(), Breakage::Replace, &sizes).expect("a table to break");
        let keys = |table| definition(dir.path(), table)["KeySchema"].as_array().expect("keys").len();
        assert_eq!((keys("products"), keys("tenants"), keys("campaigns")), (2, 2, 1));
        let tenants = definition(dir.path(), "tenants");
        assert_eq!(tenants["KeySchema"][1]["AttributeName"], "drillSortKey");
        let defined = tenants["AttributeDefinitions"].as_array().expect("definitions");
        assert!(defined.iter().any(|d| d["AttributeName"] == "drillSortKey" && d["AttributeType"] == "S"));
    }

    #[test]
    fn on_aws_the_applied_operations_take_their_measured_time() {
        let ops = applied_operations(&LatencyModel::builtin(), &report(), &TableSizes::default(), true);
        let got: Vec<(f64, Basis)> = ops.iter().map(|o| (o.seconds, o.basis)).collect();
        assert_eq!(got, [(42.3, Basis::Measured), (0.15, Basis::Measured)]);
    }

    #[test]
    fn on_an_emulator_they_are_projected_from_the_model() {
        let ops = applied_operations(&LatencyModel::builtin(), &report(), &TableSizes::default(), false);
        let got: Vec<(f64, Basis)> = ops.iter().map(|o| (o.seconds, o.basis)).collect();
        assert_eq!(got, [(30.0, Basis::Assumed), (0.2, Basis::Assumed)]);
    }
}
