//! Fast tests of the backup plan rules: what each environment's plan, vault and selection are,
//! and when verify accepts them.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rstest::rstest;
use serde_json::{Value, json};
use stagegate::Environment;
use stagegate::engine::desired::{DesiredEnvironment, Resource};
use stagegate::foundation::component::Component;
use stagegate::foundation::config::EnvironmentFile;
use stagegate::foundation::repo::Repo;
use stagegate::resources::backup::{self, DEFAULT_RETENTION_DAYS, PLAN, SELECTION, VAULT};

const TABLES: [&str; 3] = ["tenants", "products", "campaigns"];

fn vars(env: Environment) -> EnvironmentFile {
    EnvironmentFile::load(&Repo::sample_path(), env).expect("the sample environment file")
}

fn resources(env: Environment, vars: &EnvironmentFile) -> Vec<Resource> {
    let tables: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
    backup::desired_resources(env, vars, &tables)
}

fn of<'a>(resources: &'a [Resource], kind: &str) -> &'a BTreeMap<String, Value> {
    &resources.iter().find(|r| r.kind == kind).expect("that kind").attributes
}

#[rstest]
#[case(Environment::Dev, false)]
#[case(Environment::Sit, true)]
#[case(Environment::Prod, true)]
fn the_sample_repo_plans_a_backup_component_where_required(#[case] env: Environment, #[case] required: bool) {
    let desired = DesiredEnvironment::load(&Repo::open(&Repo::sample_path()).expect("the sample"), env).expect("load");
    let component = desired.component(&Component::backup());
    assert_eq!(component.is_some(), required);
    if let Some(c) = component {
        let kinds: Vec<&str> = c.resources.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [VAULT, PLAN, SELECTION]);
        assert!(c.resources.iter().all(|r| r.name == format!("bbws-dynamodb-{}", env.name())));
    }
}

#[rstest]
#[case(Environment::Sit, "815856636111")]
#[case(Environment::Prod, "093646564004")]
fn the_plan_is_daily_at_one_in_johannesburg_kept_35_days_and_selects_every_table(
    #[case] env: Environment,
    #[case] account: &str,
) {
    let r = resources(env, &vars(env));
    let name = format!("bbws-dynamodb-{}", env.name());
    assert_eq!(
        of(&r, PLAN)["rule"],
        json!({
            "rule_name": "daily",
            "target_vault_name": name,
            "schedule": "cron(0 1 * * ? *)",
            "schedule_timezone": "Africa/Johannesburg",
            "delete_after_days": DEFAULT_RETENTION_DAYS,
        })
    );
    let arn = |t: &str| format!("arn:aws:dynamodb:af-south-1:{account}:table/{t}");
    assert_eq!(of(&r, SELECTION)["resources"], json!([arn("campaigns"), arn("products"), arn("tenants")]));
    assert_eq!(
        of(&r, SELECTION)["iam_role_arn"],
        json!(format!("arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole"))
    );
    assert_eq!(of(&r, PLAN)["tags"], json!(vars(env).tags));
}

#[rstest]
#[case(7)]
#[case(90)]
fn an_environment_file_may_set_the_retention(#[case] days: u32) {
    let mut v = vars(Environment::Prod);
    v.backup_retention_days = Some(days);
    assert_eq!(of(&resources(Environment::Prod, &v), PLAN)["rule"]["delete_after_days"], json!(days));
}

#[test]
fn a_retention_of_zero_days_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let root = dir.path().join("repo");
    stagegate::foundation::repo::copy_tree(&Repo::sample_path(), &root).expect("a copy of the sample");
    let path = root.join("environments/sit.tfvars");
    let text = std::fs::read_to_string(&path).expect("the SIT file");
    std::fs::write(&path, format!("{text}\nbackup_retention_days = 0\n")).expect("write");
    let err = DesiredEnvironment::load(&Repo::open(&root).expect("the copy"), Environment::Sit).unwrap_err();
    assert!(err.to_string().contains("sit.tfvars") && err.to_string().contains("backup_retention_days"), "{err}");
}

#[rstest]
#[case("backup")]
#[case("2_1_bbws_dynamodb_schemas/backup")]
#[case("2_1_bbws_dynamodb_schemas/backup/terraform.tfstate")]
fn backup_is_the_backup_plans_component(#[case] given: &str) {
    let c: Component = given.parse().expect("a component");
    assert!(c.is_backup());
    assert_eq!(c.state_key(), "2_1_bbws_dynamodb_schemas/backup/terraform.tfstate");
    assert!(Component::table("backup").is_err(), "a table cannot take the backup plan's name");
}

#[rstest]
#[case::missing(None, false, "missing")]
#[case::same(Some(35), true, "kept 35 days")]
#[case::shorter(Some(7), false, "its rule differs")]
fn the_plan_check_wants_the_planned_rule(#[case] live_days: Option<u32>, #[case] passes: bool, #[case] says: &str) {
    let want = of(&resources(Environment::Sit, &vars(Environment::Sit)), PLAN).clone();
    let got = live_days.map(|d| {
        let mut got = want.clone();
        got.get_mut("rule").expect("a rule")["delete_after_days"] = json!(d);
        got
    });
    let (subject, ok, detail) = backup::checks(PLAN, &want, got.as_ref()).expect("a check");
    assert_eq!((subject.as_str(), ok), ("backup plan bbws-dynamodb-sit", passes), "{detail}");
    assert!(detail.contains(says), "{detail}");
}

/// The vault check wants the vault; a plan or selection that is missing fails as missing; a
/// kind that is not a backup resource has no backup check.
#[rstest]
#[case::a_vault(VAULT, true, Some(("backup vault bbws-dynamodb-sit", true, "exists")))]
#[case::no_vault(VAULT, false, Some(("backup vault bbws-dynamodb-sit", false, "missing")))]
#[case::no_plan(PLAN, false, Some(("backup plan bbws-dynamodb-sit", false, "missing")))]
#[case::a_plan(PLAN, true, Some(("backup plan bbws-dynamodb-sit", true, "daily at 01:00 Africa/Johannesburg, kept 35 days")))]
#[case::no_selection(SELECTION, false, Some(("backup selection bbws-dynamodb-sit", false, "missing")))]
#[case::a_selection(SELECTION, true, Some(("backup selection bbws-dynamodb-sit", true, "covers every table (3)")))]
#[case::not_a_backup_resource("aws_dynamodb_table", true, None)]
fn each_backup_resource_has_its_check(
    #[case] kind: &str,
    #[case] live: bool,
    #[case] expected: Option<(&str, bool, &str)>,
) {
    let r = resources(Environment::Sit, &vars(Environment::Sit));
    let want = r.iter().find(|r| r.kind == kind).map_or_else(|| of(&r, VAULT).clone(), |r| r.attributes.clone());
    let got = live.then(|| want.clone());
    let check = backup::checks(kind, &want, got.as_ref());
    assert_eq!(check.as_ref().map(|(s, ok, d)| (s.as_str(), *ok, d.as_str())), expected);
}

#[test]
fn the_backup_resources_are_the_three_kinds_in_order() {
    assert_eq!(backup::KINDS, [VAULT, PLAN, SELECTION]);
    for kind in backup::KINDS {
        assert!(backup::is_backup(kind), "{kind}");
    }
    assert!(!backup::is_backup("aws_dynamodb_table"));
}

/// The vault carries the environment's tags; an environment file may name the role AWS Backup
/// assumes; the selection belongs to the plan of the same name.
#[test]
fn the_vault_and_selection_take_the_environment_files_settings() {
    let mut v = vars(Environment::Prod);
    v.backup_iam_role_arn = Some("arn:aws:iam::093646564004:role/backup".into());
    let r = resources(Environment::Prod, &v);
    assert_eq!(of(&r, VAULT)["name"], json!("bbws-dynamodb-prod"));
    assert_eq!(of(&r, VAULT)["tags"], json!(v.tags));
    assert_eq!(of(&r, SELECTION)["iam_role_arn"], json!("arn:aws:iam::093646564004:role/backup"));
    assert_eq!(of(&r, SELECTION)["plan_name"], json!("bbws-dynamodb-prod"));
    assert_eq!(of(&r, PLAN)["name"], json!("bbws-dynamodb-prod"));
}

proptest! {
    #[test]
    fn the_selection_check_passes_only_when_every_table_is_covered(covered in proptest::sample::subsequence(TABLES.to_vec(), 0..=3)) {
        let want = of(&resources(Environment::Prod, &vars(Environment::Prod)), SELECTION).clone();
        let mut got = want.clone();
        let arns: Vec<String> =
            covered.iter().map(|t| format!("arn:aws:dynamodb:af-south-1:093646564004:table/{t}")).collect();
        got.insert("resources".into(), json!(arns));
        let (_, ok, detail) = backup::checks(SELECTION, &want, Some(&got)).expect("a check");
        prop_assert_eq!(ok, covered.len() == TABLES.len());
        for t in TABLES {
            prop_assert_eq!(detail.contains(t), !ok && !covered.contains(&t), "{}", detail);
        }
    }
}
