//! SG-IAM-001..003: the deployer roles' policies under `iam/{env}/` (LLD 7.5.2), as scan
//! findings. The trust and least-privilege rules run whenever the repo keeps an `iam/`
//! directory; sufficiency runs for one environment given the calls an apply made.

use std::path::Path;

use super::{Finding, push};
use crate::Environment;
use crate::aws::RecordedCall;
use crate::checks::iam::{self, IamError, PERMISSIONS_POLICY, PolicyKind, Problem, TRUST_POLICY};
use crate::checks::validate::json::JsonDocument;
use crate::checks::validate::source::{self, Source};

pub const TRUST: &str = "SG-IAM-001";
pub const LEAST_PRIVILEGE: &str = "SG-IAM-002";
pub const SUFFICIENCY: &str = "SG-IAM-003";

fn role(env: Environment) -> String {
    format!("role/bbws-terraform-deployer-{}", env.name())
}

/// Problems of one policy file as findings, each at the line of the value it is about.
fn report(root: &Path, findings: &mut Vec<Finding>, id: &str, env: Environment, file: &str, problems: Vec<Problem>) {
    let source = Source::read(root, file, source::JSON_FILE).ok();
    let doc = source.as_ref().and_then(|s| JsonDocument::parse(s, &mut Vec::new()));
    for p in problems {
        let line = doc.as_ref().map_or(1, |d| d.position(&p.path).0);
        push(findings, id, format!("{} {}", role(env), p.path), file, line, p.message);
    }
}

fn unusable(findings: &mut Vec<Finding>, id: &str, env: Environment, e: &IamError) {
    let (file, message) = match e {
        IamError::Unreadable { file, reason } => (file.clone(), format!("cannot read the policy: {reason}")),
        IamError::Invalid { file, source } => (file.clone(), source.to_string()),
        other => (iam::policy_file(env, ""), other.to_string()),
    };
    push(findings, id, role(env), &file, 1, message);
}

/// SG-IAM-001 and SG-IAM-002 for every environment whose environment file can be read.
pub fn deployer_roles(root: &Path, findings: &mut Vec<Finding>) {
    if !iam::has_policies(root) {
        return;
    }
    for env in Environment::ALL {
        // An unreadable environment file is validate's finding (R03); without it there is no account to check against.
        let Ok(resources) = iam::environment_resources(root, env) else { continue };
        match iam::load_policy(root, env, PolicyKind::Trust) {
            Ok(doc) => {
                let problems = iam::check_trust(&doc, &resources.account_id, &iam::deployment_branches(root, env));
                report(root, findings, TRUST, env, &iam::policy_file(env, TRUST_POLICY), problems);
            }
            Err(e) => unusable(findings, TRUST, env, &e),
        }
        match iam::load_policy(root, env, PolicyKind::Permissions) {
            Ok(doc) => {
                let problems = iam::check_least_privilege(&doc, &resources);
                report(root, findings, LEAST_PRIVILEGE, env, &iam::policy_file(env, PERMISSIONS_POLICY), problems);
            }
            Err(e) => unusable(findings, LEAST_PRIVILEGE, env, &e),
        }
    }
}

/// SG-IAM-003: one finding per IAM action an apply in `env` needed and the policy does not allow.
pub fn sufficiency(root: &Path, env: Environment, calls: &[RecordedCall], findings: &mut Vec<Finding>) {
    let file = iam::policy_file(env, PERMISSIONS_POLICY);
    let checked = iam::environment_resources(root, env).and_then(|resources| {
        let doc = iam::load_policy(root, env, PolicyKind::Permissions)?;
        Ok(iam::check_sufficiency(&doc, &resources, calls))
    });
    let verdicts = match checked {
        Ok(s) => s,
        Err(e) => return unusable(findings, SUFFICIENCY, env, &e),
    };
    for v in verdicts.missing() {
        let checked = if v.resource_assumed {
            format!(
                "any of {}'s resources it can act on (the call's resource was not recorded; checked {})",
                env.label(),
                v.denied_on.join(", ")
            )
        } else {
            v.denied_on.join(", ")
        };
        let operations: Vec<&str> = v.operations.iter().map(String::as_str).collect();
        push(
            findings,
            SUFFICIENCY,
            format!("{}#{}", role(env), v.action),
            &file,
            0,
            format!(
                "{} is not allowed on {checked}: {} call{} of {}",
                v.action,
                v.calls,
                if v.calls == 1 { "" } else { "s" },
                operations.join(", ")
            ),
        );
    }
}
