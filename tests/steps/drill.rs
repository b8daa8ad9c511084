//! Steps for the rollback drill (features/rollback/drill.feature).

use cucumber::{then, when};
use stagegate::aws::DEFAULT_REGION;
use stagegate::practice::drill::{Breakage, DrillReport, drill};

use super::{Env, World};

fn report(w: &World) -> &DrillReport {
    w.release.drill.as_ref().expect("a drill ran")
}

#[when(expr = "a rollback drill of {env} is run")]
async fn run(w: &mut World, env: Env) {
    let endpoint = w.endpoint().await;
    let repo = w.working_copy();
    w.release.drill = Some(
        drill(&endpoint, DEFAULT_REGION, &repo, env.0, Breakage::Pitr, jiff::Timestamp::now())
            .await
            .expect("the drill ran"),
    );
}

#[when(regex = r"^a rollback drill of (DEV|SIT|PROD) is run at (\d{4}-\d\d-\d\d \d\d:\d\d) SAST$")]
async fn run_at(w: &mut World, env: Env, at: String) {
    let endpoint = w.endpoint().await;
    let repo = w.working_copy();
    let now = super::metrics::sast(&at);
    w.release.drill =
        Some(drill(&endpoint, DEFAULT_REGION, &repo, env.0, Breakage::Pitr, now).await.expect("the drill ran"));
}

#[then(expr = "the drill detected {string}")]
async fn detected(w: &mut World, what: String) {
    assert!(report(w).detected.iter().any(|d| d.contains(&what)), "{}", report(w));
}

#[then(expr = "the drill rolled {env} back to its first deployment tag")]
async fn rolled_back(w: &mut World, env: Env) {
    let r = report(w);
    assert!(r.rolled_back_to.starts_with(&format!("deploy-{}-", env.0.name())), "{r}");
    assert_eq!(r.rolled_back_to.len(), format!("deploy-{}-YYYYMMDD-HHMMSS", env.0.name()).len(), "{r}");
}

#[then("the drill timed the phases detect, plan, gate, apply and verify, adding up to no more than its RTO")]
async fn phases(w: &mut World) {
    let r = report(w);
    let names: Vec<&str> = r.phases.iter().map(|p| p.name).collect();
    assert_eq!(names, ["detect", "plan", "gate", "apply", "verify"]);
    assert!(r.phases.iter().map(|p| p.ms).sum::<u128>() <= r.rto_ms, "{r}");
}

#[then(expr = "the drill compared its RTO with the target {string}")]
async fn compared(w: &mut World, target: String) {
    let r = report(w);
    assert_eq!(r.target.as_deref(), Some(target.as_str()));
    let limit_ms: u128 =
        target.trim_start_matches("< ").trim_end_matches('m').parse::<u128>().expect("minutes") * 60_000;
    assert_eq!(r.met, r.replaced.is_empty() && r.projected_rto_ms < limit_ms, "{r}");
}
