//! Steps for the approval gates (features/gates).

use cucumber::{given, then, when};
use jiff::{SignedDuration, Timestamp};
use stagegate::Environment;
use stagegate::foundation::policy::Pipeline;
use stagegate::foundation::repo::Repo;
use stagegate::foundation::tickets::{FileTickets, TicketId};
use stagegate::release::gate::{Approval, GateRequest, GateVerdict, Verdict, evaluate};

use super::World;

/// A Thursday afternoon inside SIT's hours and inside PROD change ticket CHG0001234's window.
pub const INSIDE_EVERY_WINDOW: &str = "2026-12-03T14:30:00+02:00";
pub const IN_WINDOW_TICKET: &str = "CHG0001234";

#[derive(Debug, Default)]
pub struct GateScenario {
    policy: Option<Pipeline>,
    tickets: Option<FileTickets>,
    pub request: Option<GateRequest>,
    pub verdict: Option<GateVerdict>,
    bad_input: Option<String>,
}

impl GateScenario {
    fn request(&mut self) -> &mut GateRequest {
        self.request.as_mut().expect("a gate request")
    }

    pub fn policy(&mut self) -> &Pipeline {
        self.policy.get_or_insert_with(|| Pipeline::load(&Repo::sample_path()).expect("the sample policy"))
    }

    fn verdict(&self) -> &GateVerdict {
        self.verdict.as_ref().expect("the gate was evaluated")
    }
}

fn quoted(text: &str) -> Vec<String> {
    text.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// A request with everything but approvals in order, for one environment.
pub fn request(env: Environment, deployer: &str, commit: &str, at: Timestamp, rollback: bool) -> GateRequest {
    // The suite's PROD runs have their webhook; the F07 scenarios say otherwise when they mean it.
    GateRequest::from_main(env, deployer, commit, at, rollback)
}

#[given("the pipeline policy of the sample repo")]
async fn sample_policy(w: &mut World) {
    w.gate.policy();
    w.gate.tickets = Some(FileTickets::load(&Repo::sample_path()).expect("the sample tickets"));
}

#[given(
    regex = r#"^a (DEV|SIT|PROD) (deployment|rollback) by "([^"]+)" of commit "([^"]+)" from main(, confirmed)?, (?:inside its window|at "([^"]+)")$"#
)]
async fn a_request(
    w: &mut World,
    env: String,
    kind: String,
    deployer: String,
    commit: String,
    confirmed: String,
    at: String,
) {
    let env: Environment = env.parse().expect("an environment");
    let rollback = kind == "rollback";
    let inside = at.is_empty();
    let instant = if inside { INSIDE_EVERY_WINDOW } else { at.as_str() };
    let mut req = request(env, &deployer, &commit, instant.parse().expect("an instant"), rollback);
    if !confirmed.is_empty() {
        req.confirmation = Some(format!("{}-{}", if rollback { "rollback" } else { "deploy" }, env.name()));
    }
    if inside && env == Environment::Prod {
        req.change_ticket = Some(IN_WINDOW_TICKET.parse().expect("a ticket id"));
    }
    w.gate.request = Some(req);
}

#[given(regex = r"^it is approved by (.+)$")]
async fn approved_by(w: &mut World, who: String) {
    if who.starts_with("every reviewer of ") {
        let env: Environment = who.split_whitespace().nth(3).expect("an environment").parse().expect("an environment");
        let deployer = w.gate.request().deployer.to_ascii_lowercase();
        let reviewers = w.gate.policy().environment(env).reviewers.clone();
        w.gate.request().approvals = reviewers
            .into_iter()
            .filter(|r| r.to_ascii_lowercase() != deployer)
            .map(|r| Approval { who: r, at: None })
            .collect();
        return;
    }
    let names = if who == "nobody" { Vec::new() } else { quoted(&who) };
    w.gate.request().approvals = names.into_iter().map(|n| Approval { who: n, at: None }).collect();
}

#[given(expr = "it was approved by {string} {int} minutes before the deployment")]
async fn approved_before(w: &mut World, who: String, minutes: i64) {
    let at = w.gate.request().at - SignedDuration::from_mins(minutes);
    w.gate.request().approvals = vec![Approval { who, at: Some(at) }];
}

#[given(expr = "it was triggered by {string}")]
async fn triggered(w: &mut World, trigger: String) {
    w.gate.request().trigger = stagegate::release::gate::trigger(&trigger).expect("a valid trigger");
}

#[given(expr = "it is confirmed with {string}")]
async fn confirmed_with(w: &mut World, typed: String) {
    w.gate.request().confirmation =
        Some(stagegate::release::gate::confirmation(&typed).expect("a well-formed confirmation"));
}

#[given(expr = "the commit is on branch {string}")]
async fn on_branch(w: &mut World, branch: String) {
    w.gate.request().branch = Some(stagegate::release::gate::branch(&branch).expect("a branch name"));
}

#[given(expr = "it names the change ticket {string}")]
async fn names_ticket(w: &mut World, ticket: String) {
    w.gate.request().change_ticket = Some(ticket.parse::<TicketId>().expect("a ticket id"));
}

#[when("the gate is evaluated")]
async fn evaluated(w: &mut World) {
    let req = w.gate.request.clone().expect("a gate request");
    let tickets = w.gate.tickets.clone().expect("the ticket source");
    // Promotion evidence (R25) is the promotion features' business: not consulted here.
    let verdict = evaluate(w.gate.policy(), &tickets, None, &req);
    w.gate.verdict = Some(verdict);
}

fn rule_is(w: &World, rule: &str, verdict: &str) -> String {
    let r = w.gate.verdict().rule(rule).unwrap_or_else(|| panic!("no rule {rule}"));
    let wanted = match verdict {
        "passes" => Verdict::Pass,
        "fails" => Verdict::Fail,
        other => panic!("unknown verdict {other}"),
    };
    assert_eq!(r.verdict, wanted, "{}", w.gate.verdict());
    r.detail.clone()
}

#[then(regex = r"^rule ([RF]\d\d) (passes|fails)$")]
async fn rule_verdict(w: &mut World, rule: String, verdict: String) {
    rule_is(w, &rule, &verdict);
}

#[then(regex = r#"^rule (R\d\d) (passes|fails) saying "([^"]+)"$"#)]
async fn rule_verdict_saying(w: &mut World, rule: String, verdict: String, why: String) {
    let detail = rule_is(w, &rule, &verdict);
    assert!(detail.contains(&why), "{rule}: {detail:?} does not say {why:?}");
}

#[then(regex = r"^the gate is (open|closed)$")]
async fn gate_state(w: &mut World, state: String) {
    assert_eq!(w.gate.verdict().passed(), state == "open", "{}", w.gate.verdict());
}

/// LLD 7.4.3's check, verbatim, with `date` answering as a UTC runner's clock would at `utc`.
#[then(regex = r#"^the LLD's window check on a UTC runner at "([^"]+)" (allows|refuses)$"#)]
async fn lld_check(_w: &mut World, utc: String, expected: String) {
    let t: Timestamp = utc.parse().expect("an instant");
    let runner = t.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let script = format!(
        r#"date() {{ case "$1" in +%H) echo {hour};; +%u) echo {day};; esac; }}
hour=$(date +%H)
day=$(date +%u)
if [ $day -gt 5 ] || [ $hour -lt 8 ] || [ $hour -gt 17 ]; then
  echo "ERROR: SIT deployments only during business hours (Mon-Fri 8am-5pm SAST)"
  exit 1
fi"#,
        hour = runner.strftime("%H"),
        day = runner.weekday().to_monday_one_offset()
    );
    let status = std::process::Command::new("bash").arg("-c").arg(script).status().expect("bash runs");
    assert_eq!(if status.success() { "allows" } else { "refuses" }, expected);
}

#[when(expr = "a gate request is made with {word} {string}")]
async fn bad_request(w: &mut World, flag: String, value: String) {
    use stagegate::release::gate;
    let refused = match flag.as_str() {
        "--change-ticket" => value.parse::<TicketId>().err().map(|e| e.to_string()),
        "--confirm" => gate::confirmation(&value).err().map(|e| e.to_string()),
        "--deployer" => gate::github_handle("--deployer", &value).err().map(|e| e.to_string()),
        "--approve" => value.parse::<Approval>().err().map(|e| e.to_string()),
        "--branch" => gate::branch(&value).err().map(|e| e.to_string()),
        "--commit" => gate::commit(&value).err().map(|e| e.to_string()),
        "--trigger" => gate::trigger(&value).err().map(|e| e.to_string()),
        other => panic!("unknown flag {other}"),
    };
    w.gate.bad_input = Some(refused.unwrap_or_else(|| format!("{flag} {value:?} was accepted")));
}

#[then(expr = "it is refused as bad input naming {string}")]
async fn refused_naming(w: &mut World, flag: String) {
    let message = w.gate.bad_input.clone().expect("a request was made");
    assert!(message.starts_with(&format!("{flag}:")), "{message}");
}

#[given(regex = r"^its Slack webhook (is|is not) configured$")]
async fn slack(w: &mut World, is: String) {
    w.gate.request().slack_configured = is == "is";
}
