//! Post-deploy invariants (LLD 7.3.7, 7.9.3): what must be true of an environment after every
//! apply, checked against the live resources. One check per line, each with the requirement
//! it proves; each resource type states its own invariants.

use std::fmt;

use serde::Serialize;

use crate::Environment;
use crate::aws::AwsClients;
use crate::engine::desired::DesiredEnvironment;
use crate::engine::live::{LiveError, read_resources};
use crate::foundation::policy::TestTier;

pub use crate::resources::Check;

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub environment: Environment,
    pub checks: Vec<Check>,
    /// Checks this backend cannot make: neither passed nor failed, and listed as such.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_proven: Vec<NotProven>,
}

/// A check left unmade because the backend lacks what it would prove (an emulator whose
/// replicas are one table answered from every region cannot show an item replicated).
#[derive(Debug, Clone, Serialize)]
pub struct NotProven {
    pub requirement: &'static str,
    pub subject: String,
    pub why: String,
}

impl VerifyReport {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    pub fn failures(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| !c.passed).collect()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            writeln!(f, "{} {} {}: {}", if c.passed { "PASS" } else { "FAIL" }, c.requirement, c.subject, c.detail)?;
        }
        for n in &self.not_proven {
            writeln!(f, "NOT PROVEN {} {}: {}", n.requirement, n.subject, n.why)?;
        }
        let failed = self.failures().len();
        let unproven =
            if self.not_proven.is_empty() { String::new() } else { format!(", {} not proven", self.not_proven.len()) };
        writeln!(f, "{}: {} checks, {} failed{unproven}", self.environment.label(), self.checks.len(), failed)
    }
}

/// Checks every invariant of the environment's desired resources against the live ones.
pub async fn verify(clients: &AwsClients, desired: &DesiredEnvironment) -> Result<VerifyReport, LiveError> {
    let mut checks = Vec::new();
    for component in &desired.components {
        let live = read_resources(clients, &component.resources).await?;
        for want in &component.resources {
            let got = live.iter().find(|l| l.kind == want.kind && l.name == want.name);
            checks.extend(crate::resources::invariants(clients, want, got, &desired.vars.tags).await);
        }
    }
    Ok(VerifyReport { environment: desired.environment, checks, not_proven: Vec::new() })
}

/// The post-deploy tests of an environment, tiered as LLD 7.4.1 says (R24): every tier checks
/// the invariants; `integration` (SIT) also writes a sample item to each table, reads it back,
/// finds it through an index and removes it; `smoke` (PROD) only reads: a get of a key that
/// does not exist must answer, and nothing is written.
pub async fn post_deploy_tests(
    clients: &AwsClients,
    desired: &DesiredEnvironment,
    tier: TestTier,
    repo_root: &std::path::Path,
) -> Result<VerifyReport, LiveError> {
    let mut report = verify(clients, desired).await?;
    for component in &desired.components {
        let Some(def) = component.table.as_ref() else { continue };
        report.checks.extend(crate::resources::table::post_deploy::test(clients, def, tier, repo_root).await);
        // R58: where the tier writes (integration), an item must also reach the DR replica.
        if tier == TestTier::Integration {
            let replication = crate::emulator::Capability::DynamoDbItemReplication;
            for replica in component.resources.iter().filter_map(crate::resources::replica_region) {
                if let Err(lacking) = clients.flavor.require(replication, "reading an item back from the replica") {
                    report.not_proven.push(NotProven {
                        requirement: "R58",
                        subject: crate::resources::dr::table_replica::item_subject(&def.table_name, replica),
                        why: lacking.to_string(),
                    });
                    continue;
                }
                report.checks.push(crate::resources::dr::table_replica::item_replicates(clients, def, replica).await);
            }
        }
    }
    Ok(report)
}
