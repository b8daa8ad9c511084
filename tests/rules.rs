//! Fast tests of the pure rules: names, parsing, state documents, the restore rule, time.

use proptest::prelude::*;
use rstest::rstest;
use serde_json::json;
use stagegate::Environment;
use stagegate::emulator::BackendChoice;
use stagegate::engine::state::{Component, LockInfo, StateError, StateResource, TerraformState, md5_hex, restore_onto};
use stagegate::foundation::clock::{Clock, in_pipeline_zone, parse_instant};

#[rstest]
#[case("dev", Environment::Dev)]
#[case("DEV", Environment::Dev)]
#[case("Sit", Environment::Sit)]
#[case("prod", Environment::Prod)]
fn environments_parse_case_insensitively(#[case] given: &str, #[case] expected: Environment) {
    assert_eq!(given.parse::<Environment>(), Ok(expected));
}

#[rstest]
#[case("")]
#[case("production")]
#[case("dev ")]
#[case("dev; rm -rf /")]
#[case("$(id)")]
#[case("prod\n")]
#[case("ＤＥＶ")]
fn unknown_environments_are_refused_by_name(#[case] given: &str) {
    let err = given.parse::<Environment>().unwrap_err();
    assert!(err.to_string().contains("expected one of dev, sit, prod"), "{err}");
}

#[rstest]
#[case(Environment::Dev, "536580886816", "bbws-terraform-state-dev", "terraform-state-lock-dev")]
#[case(Environment::Sit, "815856636111", "bbws-terraform-state-sit", "terraform-state-lock-sit")]
#[case(Environment::Prod, "093646564004", "bbws-terraform-state-prod", "terraform-state-lock-prod")]
fn each_environment_has_the_lld_account_bucket_and_table(
    #[case] env: Environment,
    #[case] account: &str,
    #[case] bucket: &str,
    #[case] table: &str,
) {
    assert_eq!((env.account_id(), env.state_bucket(), env.lock_table()), (account, bucket.into(), table.into()));
    assert_eq!(Environment::for_account(account), Some(env));
}

#[rstest]
#[case("tenants", "2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate")]
#[case("campaigns", "2_1_bbws_dynamodb_schemas/campaigns/terraform.tfstate")]
#[case("templates", "2_1_bbws_s3_schemas/templates/terraform.tfstate")]
#[case("2_1_bbws_s3_schemas/templates", "2_1_bbws_s3_schemas/templates/terraform.tfstate")]
#[case("2_1_bbws_dynamodb_schemas/products", "2_1_bbws_dynamodb_schemas/products/terraform.tfstate")]
fn components_have_one_state_key_each(#[case] given: &str, #[case] key: &str) {
    assert_eq!(given.parse::<Component>().unwrap().state_key(), key);
}

#[rstest]
#[case("")]
#[case("Tenants")]
#[case("../prod")]
#[case("tenants/../../x")]
#[case("_hidden")]
#[case("a b")]
fn bad_component_names_are_refused(#[case] given: &str) {
    assert!(given.parse::<Component>().is_err());
}

#[rstest]
#[case("auto", BackendChoice::Auto)]
#[case("local", BackendChoice::Local)]
#[case("localstack", BackendChoice::Localstack)]
#[case("external", BackendChoice::External)]
#[case("aws", BackendChoice::Aws)]
fn backends_parse(#[case] given: &str, #[case] expected: BackendChoice) {
    assert_eq!(given.parse::<BackendChoice>(), Ok(expected));
}

#[test]
fn an_unknown_backend_names_the_flag() {
    let err = "docker".parse::<BackendChoice>().unwrap_err();
    assert!(err.to_string().starts_with("--backend"), "{err}");
}

#[test]
fn md5_is_terraforms_hex_digest() {
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(md5_hex(b"{}\n"), "8a80554c91d9fca8acb82f023de02f11");
}

#[test]
fn lock_info_has_exactly_terraforms_fields() {
    let lock = LockInfo::new("b/k", "OperationTypeApply", "alice@ci", "", jiff::Timestamp::UNIX_EPOCH);
    let value: serde_json::Value = serde_json::from_str(&lock.to_json()).unwrap();
    let mut keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["Created", "ID", "Info", "Operation", "Path", "Version", "Who"]);
    assert_eq!(value["Created"], "1970-01-01T00:00:00Z");
    assert!(lock.to_string().contains(&lock.id));
}

#[test]
fn a_lock_written_by_terraform_reads_back() {
    let terraform = r#"{"ID":"8f5e6c1a-2b3c-4d5e-8f90-a1b2c3d4e5f6","Operation":"OperationTypeApply","Info":"","Who":"runner@fv-az123","Version":"1.9.8","Created":"2026-11-26T12:00:00.123456789Z","Path":"bbws-terraform-state-dev/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate"}"#;
    let lock: LockInfo = serde_json::from_str(terraform).unwrap();
    assert_eq!(lock.who, "runner@fv-az123");
    assert!(lock.created_at().is_some());
}

#[rstest]
#[case(r#"{"version":3,"terraform_version":"0.11.0","serial":1,"lineage":"x"}"#, "version 3")]
#[case(r#"{"version":4,"terraform_version":"1.5.7","serial":1,"lineage":""}"#, "empty lineage")]
#[case(r#"{"version":4,"serial":1"#, "EOF")]
#[case("not json", "expected")]
fn malformed_states_are_refused_with_their_path(#[case] text: &str, #[case] reason: &str) {
    let err = TerraformState::parse("bucket/key", text.as_bytes()).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("bucket/key:") && message.contains(reason), "{message}");
}

#[test]
fn unknown_fields_of_a_terraform_state_survive_a_round_trip() {
    let text = r#"{"version":4,"terraform_version":"1.9.8","serial":7,"lineage":"l","outputs":{},"resources":[],"check_results":null}"#;
    let state = TerraformState::parse("k", text.as_bytes()).unwrap();
    let again: serde_json::Value = serde_json::from_slice(&state.to_bytes()).unwrap();
    assert!(again.as_object().unwrap().contains_key("check_results"));
}

#[test]
fn windows_are_read_in_johannesburg() {
    let t = parse_instant("--at", "2026-11-27T06:00:00Z").unwrap();
    let sast = in_pipeline_zone(t);
    assert_eq!((sast.hour(), sast.minute()), (8, 0));
    assert_eq!(Clock::Fixed(t).now(), t);
}

#[test]
fn a_bad_instant_names_its_source() {
    let err = parse_instant("STAGEGATE_NOW", "yesterday").unwrap_err();
    assert!(err.to_string().starts_with("STAGEGATE_NOW:"), "{err}");
}

fn resource(revision: u64) -> StateResource {
    StateResource::managed("aws_dynamodb_table", "tenants", json!({ "revision": revision }))
}

proptest! {
    #[test]
    fn any_environment_name_parses_only_if_it_is_one_of_three(s in "\\PC{0,12}") {
        let known = ["dev", "sit", "prod"].iter().any(|n| n.eq_ignore_ascii_case(&s));
        prop_assert_eq!(s.parse::<Environment>().is_ok(), known);
    }

    #[test]
    fn any_component_name_either_parses_or_is_refused(s in "\\PC{0,80}") {
        if let Ok(c) = s.parse::<Component>() {
            prop_assert!(c.state_key().ends_with("/terraform.tfstate"));
            prop_assert!(!c.state_key().contains(".."));
        }
    }

    #[test]
    fn a_state_round_trips_through_its_bytes(serial in 0u64..u64::MAX / 2, revisions in proptest::collection::vec(0u64..1000, 0..5)) {
        let mut state = TerraformState::new();
        state.serial = serial;
        state.resources = revisions.into_iter().map(resource).collect();
        let bytes = state.to_bytes();
        prop_assert_eq!(TerraformState::parse("k", &bytes).unwrap(), state);
        prop_assert!(bytes.ends_with(b"\n"));
    }

    #[test]
    fn a_restore_keeps_lineage_and_raises_the_serial(old_serial in 0u64..1_000_000, current_serial in 0u64..1_000_000) {
        let base = TerraformState::new();
        let old = TerraformState { serial: old_serial, resources: vec![resource(1)], ..base.clone() };
        let current = TerraformState { serial: current_serial, resources: vec![resource(2)], ..base };
        let restored = restore_onto("k", old.clone(), Some(&current)).unwrap();
        prop_assert_eq!(&restored.lineage, &current.lineage);
        prop_assert_eq!(restored.serial, current_serial + 1);
        prop_assert_eq!(restored.resources, old.resources);
    }

    #[test]
    fn a_restore_across_lineages_is_refused(serial in 0u64..1000) {
        let old = TerraformState { serial, ..TerraformState::new() };
        let current = TerraformState::new();
        let refused = matches!(restore_onto("k", old, Some(&current)), Err(StateError::LineageMismatch { .. }));
        prop_assert!(refused);
    }
}

#[test]
fn the_sample_repo_parses_into_tables_and_environment_files() {
    use stagegate::foundation::config::EnvironmentFile;
    use stagegate::foundation::repo::Repo;
    use stagegate::resources::schema::{TableDefinition, table_file};
    let root = Repo::sample_path();
    for table in ["tenants", "products", "campaigns"] {
        let def = TableDefinition::load(&table_file(&root, table)).unwrap();
        assert_eq!(def.table_name, table);
        assert!(!def.key_attributes().is_empty());
    }
    for env in Environment::ALL {
        let vars = EnvironmentFile::load(&root, env).unwrap();
        assert_eq!((vars.environment.as_str(), vars.aws_account_id.as_str()), (env.name(), env.account_id()));
    }
}

mod gates {
    use std::collections::BTreeSet;

    use jiff::Timestamp;
    use jiff::civil::{Time, Weekday};
    use proptest::prelude::*;
    use rstest::rstest;
    use stagegate::Environment;
    use stagegate::foundation::policy::{Pipeline, Window};
    use stagegate::foundation::repo::Repo;
    use stagegate::release::gate::in_business_hours;
    use stagegate::release::tags::{base_name, next_name};

    fn sit_hours() -> stagegate::foundation::policy::BusinessHours {
        let policy = Pipeline::load(&Repo::sample_path()).unwrap();
        match &policy.environment(Environment::Sit).window {
            Window::BusinessHours(h) => h.clone(),
            other => panic!("SIT's window is {other:?}"),
        }
    }

    #[rstest]
    #[case("2026-11-30T05:59:59Z", false)]
    #[case("2026-11-30T06:00:00Z", true)]
    #[case("2026-12-04T14:59:59Z", true)]
    #[case("2026-12-04T15:00:00Z", false)]
    #[case("2026-12-05T10:00:00Z", false)]
    #[case("2026-12-06T10:00:00Z", false)]
    fn sit_hours_at_the_boundaries(#[case] at: &str, #[case] inside: bool) {
        assert_eq!(in_business_hours(&sit_hours(), at.parse().unwrap()), inside);
    }

    proptest! {
        #[test]
        fn the_sit_window_is_the_johannesburg_wall_clock_rule(secs in 1_700_000_000i64..1_900_000_000) {
            let t = Timestamp::from_second(secs).unwrap();
            // SAST is UTC+2 all year: the wall clock is the UTC instant plus two hours.
            let wall = t.to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(2)));
            let weekday = !matches!(wall.weekday(), Weekday::Saturday | Weekday::Sunday);
            let hours = wall.time() >= Time::constant(8, 0, 0, 0) && wall.time() < Time::constant(17, 0, 0, 0);
            prop_assert_eq!(in_business_hours(&sit_hours(), t), weekday && hours);
        }

        #[test]
        fn deployment_tags_never_collide_and_keep_their_order(secs in 1_700_000_000i64..1_900_000_000, n in 1usize..30) {
            let t = Timestamp::from_second(secs).unwrap();
            let mut existing = BTreeSet::new();
            let mut made = Vec::new();
            for _ in 0..n {
                let name = next_name(Environment::Prod, t, &existing).unwrap();
                prop_assert!(existing.insert(name.clone()));
                made.push(name);
            }
            let mut sorted = made.clone();
            sorted.sort();
            prop_assert_eq!(&sorted, &made);
            let next_second = base_name(Environment::Prod, Timestamp::from_second(secs + 1).unwrap());
            prop_assert!(made.iter().all(|m| m < &next_second));
        }
    }

    /// The first deployment in a second takes the base name, the next `-01` (F10).
    #[test]
    fn the_first_tag_of_a_second_is_the_base_name_and_the_next_is_numbered() {
        let t: Timestamp = "2026-12-03T10:30:05Z".parse().unwrap();
        assert_eq!(base_name(Environment::Sit, t), "deploy-sit-20261203-103005");
        let mut existing = BTreeSet::new();
        let first = next_name(Environment::Sit, t, &existing).unwrap();
        assert_eq!(first, "deploy-sit-20261203-103005");
        existing.insert(first);
        assert_eq!(next_name(Environment::Sit, t, &existing).unwrap(), "deploy-sit-20261203-103005-01");
    }

    /// Tags are made in a real repository: annotated, on the commit, numbered within one
    /// second, and listed for their environment only, oldest first.
    #[test]
    fn deployment_tags_are_annotated_git_tags_listed_per_environment() {
        use stagegate::foundation::git;
        use stagegate::release::tags::{deployment_tags, tag_deployment};
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("README"), "x").unwrap();
        git::init_with_everything(dir.path(), "first").unwrap();
        let commit = git::current_commit(dir.path()).unwrap();
        let t: Timestamp = "2026-12-03T10:30:05Z".parse().unwrap();
        assert_eq!(deployment_tags(dir.path(), Environment::Prod).unwrap(), Vec::<String>::new());
        let a = tag_deployment(dir.path(), Environment::Prod, &commit, t, "release-bot", "one").unwrap();
        let b = tag_deployment(dir.path(), Environment::Prod, &commit, t, "release-bot", "two").unwrap();
        let sit = tag_deployment(dir.path(), Environment::Sit, &commit, t, "release-bot", "sit").unwrap();
        assert_eq!((a.as_str(), b.as_str()), ("deploy-prod-20261203-103005", "deploy-prod-20261203-103005-01"));
        assert_eq!(deployment_tags(dir.path(), Environment::Prod).unwrap(), [a.clone(), b]);
        assert_eq!(deployment_tags(dir.path(), Environment::Sit).unwrap(), [sit]);
        assert_eq!(git::tag_commit(dir.path(), &a).unwrap(), commit);
        assert_eq!(git::run(dir.path(), &["cat-file", "-t", &a]).unwrap().trim(), "tag");
    }

    #[rstest]
    #[case("required_approvals: 1", "required_approvals: 0", "required_approvals: 0 is impossible")]
    #[case("end: \"17:00\"", "end: \"07:00\"", "end 07:00 is not after start 08:00")]
    #[case(
        "    prevent_self_review: false\n",
        "    prevent_self_review: false\n    auto_deploy: true\n",
        "unknown field `auto_deploy`"
    )]
    #[case("reviewers: [tech-lead, qa-lead]", "reviewers: [tech-lead]", "2 approvals required but only 1 reviewers")]
    fn impossible_policies_are_refused_with_their_line(#[case] from: &str, #[case] to: &str, #[case] reason: &str) {
        let path = Repo::sample_path().join("pipeline.yml");
        let text = std::fs::read_to_string(&path).unwrap().replacen(from, to, 1);
        let err = Pipeline::parse(&path, &text).unwrap_err().to_string();
        assert!(err.contains(reason), "{err}");
        let line: usize = err.split(':').nth(1).unwrap().parse().unwrap();
        assert!(line > 0, "{err}");
    }
}

mod notifications {
    use jiff::SignedDuration;
    use proptest::prelude::*;
    use rstest::rstest;
    use stagegate::Environment;
    use stagegate::engine::state::{LockEntry, LockInfo, OPERATION_APPLY};
    use stagegate::foundation::policy::Pipeline;
    use stagegate::foundation::repo::Repo;
    use stagegate::observe::monitor::{TableReading, assess};
    use stagegate::release::notify::{Event, Notice, Webhook, human, message, route};

    fn policy() -> Pipeline {
        Pipeline::load(&Repo::sample_path()).expect("the sample policy")
    }

    #[rstest]
    #[case(0, "0s")]
    #[case(59, "59s")]
    #[case(323, "5m 23s")]
    #[case(2100, "35m")]
    #[case(3660, "1h 1m")]
    #[case(-5, "0s")]
    fn durations_read_like_the_lld_template(#[case] secs: i64, #[case] text: &str) {
        assert_eq!(human(SignedDuration::from_secs(secs)), text);
    }

    #[rstest]
    #[case("")]
    #[case("hooks.slack.com/services/T/B/X")]
    #[case("ftp://hooks.slack.com/x")]
    #[case("not a url")]
    #[case("http://")]
    fn a_webhook_that_is_not_a_url_is_refused_without_showing_it(#[case] value: &str) {
        let err = Webhook::parse("SLACK_WEBHOOK_PROD", value).unwrap_err().to_string();
        assert!(err.contains("SLACK_WEBHOOK_PROD"), "{err}");
        if !value.is_empty() {
            assert!(!err.contains(value), "{err}");
        }
    }

    #[test]
    fn a_webhook_never_shows_its_address_when_debugged() {
        let hook = Webhook::parse("S", "https://hooks.slack.com/services/T000/B000/SECRET").expect("a URL");
        assert!(!format!("{hook:?}").contains("SECRET"));
    }

    /// The error section of a failed deployment: Slack's markup characters escaped, so a
    /// reason cannot mention or link; a section of exactly 3,000 characters is kept whole, one
    /// longer is cut to 2,999 and an ellipsis.
    #[rstest]
    #[case::markup("<!here> & <https://x|y>".to_owned(), "*Error:*\n&lt;!here&gt; &amp; &lt;https://x|y&gt;".to_owned())]
    #[case::at_the_limit("e".repeat(2991), format!("*Error:*\n{}", "e".repeat(2991)))]
    #[case::over_the_limit("e".repeat(2992), format!("*Error:*\n{}…", "e".repeat(2990)))]
    fn a_failure_reason_is_escaped_and_cut_at_slacks_limit(#[case] reason: String, #[case] section: String) {
        let notice = Notice {
            env: Environment::Dev,
            event: Event::DeploymentFailed { deployer: "ann".into(), duration: SignedDuration::from_secs(1), reason },
        };
        // Environment, deployer and duration are fields; the error is the section after them.
        assert_eq!(texts(&notice)[3], section);
    }

    /// Who hears of each event in each environment (7.8.2, 7.8.3, F07): starts and completions
    /// in PROD only, failures and approval requests everywhere, escalations after the
    /// environment's own channel, and no alert twice.
    #[rstest]
    #[case::started_in_dev(Environment::Dev, 0, &[])]
    #[case::started_in_prod(Environment::Prod, 0, &["Slack #prod-alerts"])]
    #[case::completed_in_sit(Environment::Sit, 1, &[])]
    #[case::completed_in_prod(Environment::Prod, 1, &["Slack #prod-alerts"])]
    #[case::failed_in_dev(Environment::Dev, 2, &["Slack #dev-alerts", "email initiator"])]
    #[case::failed_in_sit(Environment::Sit, 2, &["Slack #sit-alerts", "Slack #dev-alerts", "email initiator"])]
    #[case::failed_in_prod(Environment::Prod, 2, &["Slack #prod-alerts", "page on-call", "email stakeholders"])]
    #[case::approval_in_dev(Environment::Dev, 3, &["Slack #dev-alerts"])]
    #[case::rollback_in_sit(Environment::Sit, 4, &["Slack #sit-alerts"])]
    #[case::rollback_in_prod(
        Environment::Prod,
        4,
        &["Slack #prod-alerts", "Slack #oncall-alerts", "page on-call", "executive notification"]
    )]
    #[case::lock_in_dev(Environment::Dev, 5, &["Slack #devops-alerts", "page on-call"])]
    #[case::health_in_dev(Environment::Dev, 6, &["Slack #dev-alerts"])]
    #[case::health_in_prod(Environment::Prod, 6, &["Slack #prod-alerts", "page on-call", "email stakeholders"])]
    #[case::drift_in_sit(Environment::Sit, 7, &["Slack #sit-alerts"])]
    fn each_event_reaches_the_channels_and_people_the_policy_names(
        #[case] env: Environment,
        #[case] kind: u8,
        #[case] alerts: &[&str],
    ) {
        let event = match kind {
            6 => Event::HealthFailed { signal: "s".into(), detail: "d".into(), action: "a".into() },
            7 => Event::DriftDetected { resources: vec!["r".into()] },
            k => event(k, "x".into()),
        };
        let got: Vec<String> = route(&policy(), &Notice { env, event }).iter().map(ToString::to_string).collect();
        assert_eq!(got, alerts);
    }

    /// The text of every field and section of a message, in order.
    fn texts(notice: &Notice) -> Vec<String> {
        let json = serde_json::to_value(message(notice)).expect("serialises");
        let mut out = Vec::new();
        for block in json["blocks"].as_array().expect("blocks") {
            for f in block["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(block["elements"].as_array().into_iter().flatten())
            {
                out.push(f["text"].as_str().expect("text").to_owned());
            }
            if let Some(t) = block["text"]["text"].as_str() {
                out.push(t.to_owned());
            }
        }
        out
    }

    /// Each message shows what LLD 7.6.3's and 7.8.2's templates show: people as Slack handles
    /// (`@ann`, an `@bob` left as it is), the commit to 12 characters, the resources as
    /// escaped bullets, and the approvals given so far only when there are some.
    #[test]
    fn messages_show_the_templates_fields() {
        let d = SignedDuration::from_secs(65);
        let started = Notice {
            env: Environment::Prod,
            event: Event::DeploymentStarted {
                deployer: "ann".into(),
                commit: "0123456789abcdef".into(),
                change_ticket: Some("CHG0001234".into()),
            },
        };
        assert_eq!(
            texts(&started),
            ["*Environment:*\nprod", "*Deployed by:*\n@ann", "*Commit:*\n0123456789ab", "*Change ticket:*\nCHG0001234"]
        );
        let completed = |resources: Vec<String>| Notice {
            env: Environment::Prod,
            event: Event::DeploymentCompleted {
                deployer: "@bob".into(),
                duration: d,
                resources,
                tag: Some("deploy-prod-x".into()),
            },
        };
        assert_eq!(
            texts(&completed(vec!["1 <b> table".into(), "2 templates uploaded".into()])),
            [
                "*Environment:*\nprod",
                "*Deployed by:*\n@bob",
                "*Duration:*\n1m 5s",
                "*Resources:*\n• 1 &lt;b&gt; table\n• 2 templates uploaded",
                "Tagged `deploy-prod-x`",
            ]
        );
        assert_eq!(texts(&completed(Vec::new()))[3], "*Resources:*\n• no changes");
        let approval = |approved_by: Vec<String>| Notice {
            env: Environment::Sit,
            event: Event::ApprovalRequired {
                requested_by: "ann".into(),
                approvers_needed: 2,
                approved_by,
                run_url: None,
            },
        };
        assert_eq!(
            texts(&approval(Vec::new())),
            ["*Approval Required*\n\nEnvironment: `sit`\nRequested by: @ann\nApprovers needed: 2"]
        );
        assert_eq!(
            texts(&approval(vec!["tech-lead".into()])),
            [
                "*Approval Required*\n\nEnvironment: `sit`\nRequested by: @ann\nApprovers needed: 2\nApproved so far: @tech-lead"
            ]
        );
    }

    /// What a plan changes, counted per kind and verb in the template's words; a bucket and its
    /// settings are one bucket, a backup vault, plan and selection one backup plan.
    #[test]
    fn a_plan_is_summarised_per_kind_and_change() {
        use stagegate::engine::plan::Action;
        let r = super::change_of;
        use Action::{Create, Delete, NoOp, Replace, Update};
        let tables = [("a", Create), ("b", Create), ("c", Update), ("d", Replace), ("e", Delete), ("f", NoOp)]
            .map(|(name, action)| r("aws_dynamodb_table", name, action));
        let objects = [("x.html", Create), ("y.html", Update), ("z.html", Delete)]
            .map(|(name, action)| r("aws_s3_object", name, action));
        // A bucket and its versioning are one bucket; a vault and its plan one backup plan.
        let others = [
            ("aws_s3_bucket", "t"),
            ("aws_s3_bucket_versioning", "t"),
            ("aws_backup_vault", "p"),
            ("aws_backup_plan", "p"),
        ]
        .map(|(kind, name)| r(kind, name, Create));
        let plan = super::plan_of(
            Environment::Dev,
            vec![super::tenants_plan(tables.into_iter().chain(objects).chain(others).collect())],
        );
        assert_eq!(
            stagegate::release::notify::resource_summary(&plan),
            [
                "2 DynamoDB tables created",
                "1 DynamoDB table updated",
                "1 DynamoDB table replaced",
                "1 DynamoDB table deleted",
                "1 S3 bucket configured",
                "2 templates uploaded",
                "1 template removed",
                "1 backup plan configured",
            ]
        );
    }

    fn event(kind: u8, text: String) -> Event {
        let d = SignedDuration::from_secs(61);
        match kind % 6 {
            0 => Event::DeploymentStarted { deployer: text.clone(), commit: text.clone(), change_ticket: Some(text) },
            1 => Event::DeploymentCompleted {
                deployer: text.clone(),
                duration: d,
                resources: vec![text.clone(); 40],
                tag: Some(text),
            },
            2 => Event::DeploymentFailed { deployer: text.clone(), duration: d, reason: text.repeat(50) },
            3 => Event::ApprovalRequired {
                requested_by: text.clone(),
                approvers_needed: 3,
                approved_by: vec![text.clone(); 20],
                run_url: Some(text),
            },
            4 => Event::RollbackExecuted {
                by: text.clone(),
                target: text.clone(),
                duration: d,
                passed: false,
                tag: Some(text),
            },
            _ => Event::LockHeld {
                path: text.clone(),
                holder: text.clone(),
                operation: text.clone(),
                lock_id: text,
                age: d,
            },
        }
    }

    proptest! {
        /// Whatever a deployer, error or path says, the message stays inside Slack's limits
        /// and cannot open a link or mention: `<` and `>` arrive escaped.
        #[test]
        fn messages_stay_within_slacks_limits_and_escape_markup(kind in 0u8..6, text in ".{0,300}", env in 0usize..3) {
            let notice = Notice { env: Environment::ALL[env], event: event(kind, text.clone()) };
            let m = message(&notice);
            let json = serde_json::to_value(&m).expect("serialises");
            for block in json["blocks"].as_array().expect("blocks") {
                let fields = block["fields"].as_array().map_or(0, Vec::len);
                prop_assert!(fields <= 10);
                for f in block["fields"].as_array().into_iter().flatten() {
                    prop_assert!(f["text"].as_str().expect("text").chars().count() <= 2000);
                }
                if let Some(t) = block["text"]["text"].as_str() {
                    prop_assert!(t.chars().count() <= 3000);
                    // The only link is the Approve button, built by stagegate.
                    let opened = t.matches('<').count();
                    prop_assert!(opened <= 1, "{t}");
                }
            }
        }

        /// No event sends the same alert twice.
        #[test]
        fn routes_never_repeat_an_alert(kind in 0u8..6, env in 0usize..3) {
            let notice = Notice { env: Environment::ALL[env], event: event(kind, "x".into()) };
            let alerts = route(&policy(), &notice);
            for (i, a) in alerts.iter().enumerate() {
                prop_assert!(!alerts[i + 1..].contains(a), "{a} twice");
            }
        }

        /// A lock is over the limit exactly when it has been held longer than the limit; a
        /// lock stamped in the future is never older than zero.
        #[test]
        fn a_lock_is_overdue_exactly_when_older_than_the_limit(held in -3600i64..86_400, limit in 1i64..7200) {
            let now: jiff::Timestamp = "2026-11-26T12:00:00Z".parse().expect("an instant");
            let created = now - SignedDuration::from_secs(held);
            let info = LockInfo::new("b/k", OPERATION_APPLY, "who", "", created);
            let entry = LockEntry { lock_id: "b/k".into(), info: Ok(info) };
            let TableReading::Read { locks, .. } = assess(Environment::Dev, vec![entry], now, SignedDuration::from_secs(limit)) else {
                panic!("read");
            };
            let age = locks[0].age.expect("an age");
            prop_assert!(age >= SignedDuration::ZERO);
            prop_assert_eq!(locks[0].overdue, held > limit);
        }
    }

    #[test]
    fn a_lock_whose_created_time_is_unreadable_has_no_age_and_is_not_overdue() {
        let now: jiff::Timestamp = "2026-11-26T12:00:00Z".parse().expect("an instant");
        let mut info = LockInfo::new("b/k", OPERATION_APPLY, "who", "", now);
        info.created = "yesterday".into();
        let entry = LockEntry { lock_id: "b/k".into(), info: Ok(info) };
        let TableReading::Read { locks, .. } =
            assess(Environment::Dev, vec![entry], now, SignedDuration::from_mins(30))
        else {
            panic!("read");
        };
        assert_eq!((locks[0].age, locks[0].overdue), (None, false));
    }

    #[test]
    fn an_escalation_to_an_unknown_channel_is_refused_where_it_is_written() {
        let text = std::fs::read_to_string(Repo::sample_path().join("pipeline.yml")).expect("the policy");
        let broken = text.replace(
            "      channel: \"#devops-alerts\"\n      page_oncall: true",
            "      channel: \"#nowhere\"\n      page_oncall: true",
        );
        assert_ne!(broken, text, "the sample policy escalates lock timeouts to #devops-alerts");
        let err = Pipeline::parse(std::path::Path::new("pipeline.yml"), &broken).unwrap_err().to_string();
        assert!(err.contains("state_lock_timeout") && err.contains("#nowhere"), "{err}");
    }
}

/// Every requirement a scenario proves is named in `src/` where it is enforced (README, "How
/// the code is laid out"), so that `grep -rnw ID src features` finds both.
#[test]
fn every_tagged_requirement_is_named_in_the_library() {
    fn texts(dir: &std::path::Path, ext: &str, out: &mut String) {
        for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                texts(&path, ext, out);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push_str(&std::fs::read_to_string(&path).expect("a readable file"));
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut features, mut src) = (String::new(), String::new());
    texts(&root.join("features"), "feature", &mut features);
    texts(&root.join("src"), "rs", &mut src);
    let tag = regex::Regex::new(r"@([RF]\d{2})\b").expect("a valid pattern");
    let tagged: std::collections::BTreeSet<&str> =
        tag.captures_iter(&features).map(|c| c.get(1).expect("an ID").as_str()).collect();
    assert!(tagged.len() > 50, "{tagged:?}");
    let unnamed: Vec<&str> = tagged
        .into_iter()
        .filter(|id| !regex::Regex::new(&format!(r"\b{id}\b")).expect("a valid pattern").is_match(&src))
        .collect();
    assert!(unnamed.is_empty(), "requirements tagged in features/ but named nowhere in src/: {unnamed:?}");
}

/// IDs beyond the pipeline's own list (R01–R59, F01–F15) are defined in `features/README.md`,
/// so a tag always leads to the sentence it proves.
#[test]
fn every_tagged_requirement_beyond_the_pipelines_is_defined() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
    let mut features = String::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for path in std::fs::read_dir(&dir).expect("a readable folder").flatten().map(|e| e.path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "feature") {
                features.push_str(&std::fs::read_to_string(&path).expect("a readable file"));
            }
        }
    }
    let readme = std::fs::read_to_string(root.join("README.md")).expect("features/README.md");
    let defined: std::collections::BTreeSet<&str> = regex::Regex::new(r"(?m)^- ([RF]\d{2}) ")
        .expect("a valid pattern")
        .captures_iter(&readme)
        .map(|c| c.get(1).expect("an ID").as_str())
        .collect();
    let beyond = |id: &str| id[1..].parse::<u32>().expect("a number") > if id.starts_with('R') { 59 } else { 15 };
    let undefined: std::collections::BTreeSet<&str> = regex::Regex::new(r"@([RF]\d{2})\b")
        .expect("a valid pattern")
        .captures_iter(&features)
        .map(|c| c.get(1).expect("an ID").as_str())
        .filter(|id| beyond(id) && !defined.contains(id))
        .collect();
    assert!(defined.contains("R60"), "{defined:?}");
    assert!(
        undefined.is_empty(),
        "tagged in features/ but defined neither in the pipeline's list nor in features/README.md: {undefined:?}"
    );
}

/// R35: the drill's verdict against the environment's RTO target (LLD 7.4.1: PROD < 15 min,
/// SIT < 30 min, DEV best effort); a rollback as long as the target misses it.
#[rstest]
#[case("15m", 0, true)]
#[case("15m", 14 * 60 + 59, true)]
#[case("15m", 15 * 60, false)]
#[case("15m", 3600, false)]
#[case("30m", 29 * 60, true)]
#[case("30m", 31 * 60, false)]
#[case("best_effort", 10 * 3600, true)]
fn a_drill_meets_its_rto_target_only_when_faster(#[case] target: &str, #[case] seconds: u64, #[case] met: bool) {
    let rto = stagegate::foundation::policy::Rto::try_from(target.to_owned()).expect("a target");
    assert_eq!(rto.is_met_by(std::time::Duration::from_secs(seconds)), met);
}

proptest! {
    /// Whatever the target, a slower rollback never meets it where a faster one does not.
    #[test]
    fn a_slower_rollback_never_meets_a_target_a_faster_one_misses(minutes in 1u32..600, a in 0u64..100_000, b in 0u64..100_000) {
        let rto = stagegate::foundation::policy::Rto::try_from(format!("{minutes}m")).expect("a target");
        let (fast, slow) = (a.min(b), a.max(b));
        prop_assert!(!rto.is_met_by(std::time::Duration::from_secs(slow)) || rto.is_met_by(std::time::Duration::from_secs(fast)));
        prop_assert_eq!(rto.is_met_by(std::time::Duration::from_secs(u64::from(minutes) * 60)), false);
    }
}

/// R15: a confirmation a person could have mistyped reaches the rule (and fails it there);
/// text that cannot be a confirmation at all is refused as bad input.
#[rstest]
#[case("deploy-dev", true)]
#[case("Deploy-dev", true)]
#[case("deploy-dev ", true)]
#[case("deploy dev", true)]
#[case("", false)]
#[case(" deploy-dev", false)]
#[case("deploy-dev; reboot", false)]
#[case("`id`", false)]
#[case("$(id)", false)]
#[case("deploy-dev\n", false)]
#[case("rollback-prod-with-a-very-long-tail-of-text", false)]
fn only_confirmations_a_person_could_type_reach_the_rule(#[case] typed: &str, #[case] reaches: bool) {
    assert_eq!(stagegate::release::gate::confirmation(typed).is_ok(), reaches, "{typed:?}");
}

/// What Terraform and OpenTofu write, read and written back as they write it (R53, R54).
/// `Who` of a lock stagegate takes is `user@host` of the process, as Terraform fills it.
#[test]
fn a_lock_is_taken_by_user_at_host() {
    let user = whoami::username().unwrap_or_else(|_| "unknown".into());
    let host = whoami::hostname().unwrap_or_else(|_| "localhost".into());
    assert_eq!(stagegate::engine::state::who_am_i(), format!("{user}@{host}"));
}

mod terraform_interop {
    use proptest::prelude::*;
    use stagegate::engine::state::{LockInfo, StateLocking, StateSettings};

    #[test]
    fn a_lock_info_is_written_exactly_as_gos_encoder_writes_it() {
        let lock = LockInfo {
            id: "2b6a3c8e-1f0d-4c6e-9a51-7d2f8e4b9c10".into(),
            operation: "OperationTypeApply".into(),
            info: "commit <abc> & \"more\"\u{2028}\n".into(),
            who: "ops@box".into(),
            version: "1.11.4".into(),
            created: "2026-11-26T11:10:00.5Z".into(),
            path: "b/k".into(),
        };
        assert_eq!(
            lock.to_json(),
            r#"{"ID":"2b6a3c8e-1f0d-4c6e-9a51-7d2f8e4b9c10","Operation":"OperationTypeApply","Info":"commit \u003cabc\u003e \u0026 \"more\"\u2028\n","Who":"ops@box","Version":"1.11.4","Created":"2026-11-26T11:10:00.5Z","Path":"b/k"}"#
        );
    }

    #[test]
    fn a_lock_info_is_read_as_gos_decoder_reads_it() {
        let text = "{ \"id\" : \"x\",\n \"WHO\": \"a \\u003c b\", \"Created\": \"2026-11-26T11:10:00Z\", \"pid\": 7 }";
        let lock = LockInfo::parse(text).unwrap();
        assert_eq!((lock.id.as_str(), lock.who.as_str(), lock.path.as_str()), ("x", "a < b", ""));
        assert!(LockInfo::parse(r#"{"ID": 7}"#).unwrap_err().contains("ID"));
        assert!(LockInfo::parse(r#"{"ID": "x", "Created": "yesterday"}"#).unwrap_err().contains("Created"));
        assert!(LockInfo::parse("[]").is_err());
    }

    proptest! {
        #[test]
        fn any_lock_info_reads_back_from_its_go_encoding(who in any::<String>(), info in any::<String>(), id in "[a-f0-9-]{1,36}") {
            let lock = LockInfo { id, operation: "state-push".into(), info, who, version: "1.10.0".into(), created: "2026-11-26T11:10:00Z".into(), path: "b/k".into() };
            let text = lock.to_json();
            prop_assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
            prop_assert_eq!(LockInfo::parse(&text).unwrap(), lock);
        }
    }

    fn repo_with_state(section: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pipeline.yml"), format!("region: af-south-1\nstate:\n{section}")).unwrap();
        dir
    }

    #[test]
    fn the_locking_mode_and_terraform_version_come_from_pipeline_yml() {
        let dir = repo_with_state("  bucket: b\n  lock_table: t\n  locking: both\n  terraform_version: 1.11.4\n");
        let s = StateSettings::for_repo(dir.path()).unwrap();
        assert_eq!((s.locking, s.terraform_version.as_str()), (StateLocking::Both, "1.11.4"));
        let dir = repo_with_state("  bucket: b\n  lock_table: t\n  locking: s3\n");
        assert_eq!(StateSettings::for_repo(dir.path()).unwrap().terraform_version, "1.10.0");
        let dir = repo_with_state("  bucket: b\n  lock_table: t\n");
        assert_eq!(StateSettings::for_repo(dir.path()).unwrap(), StateSettings::default());
    }

    #[test]
    fn a_terraform_that_cannot_see_lock_files_is_refused_with_lock_files() {
        let dir = repo_with_state("  bucket: b\n  lock_table: t\n  locking: s3\n  terraform_version: 1.9.8\n");
        let err = StateSettings::for_repo(dir.path()).unwrap_err().to_string();
        assert!(err.contains("pipeline.yml:2:") && err.contains("1.10.0"), "{err}");
        let dir = repo_with_state("  bucket: b\n  lock_table: t\n  locking: file\n");
        let err = StateSettings::for_repo(dir.path()).unwrap_err().to_string();
        assert!(err.contains("pipeline.yml") && err.contains("locking"), "{err}");
        let dir = repo_with_state("  bucket: b\n  lock_table: t\n  terraform_version: latest\n");
        assert!(StateSettings::for_repo(dir.path()).unwrap_err().to_string().contains("latest"));
    }

    fn fixtures() -> Vec<(String, Vec<u8>)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/terraform");
        let mut out: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "tfstate"))
            .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
            .collect();
        out.sort();
        assert!(out.len() >= 7, "the fixtures are there");
        out
    }

    #[test]
    fn every_terraform_fixture_reads_and_survives_a_rewrite_with_nothing_lost() {
        use stagegate::engine::state::{StateError, TerraformState};
        for (name, bytes) in fixtures() {
            match TerraformState::parse(&name, &bytes) {
                Err(StateError::Encrypted { .. }) => assert_eq!(name, "tofu-encrypted.tfstate"),
                Err(e) => panic!("{name}: {e}"),
                Ok(state) => {
                    let original: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    let rewritten: serde_json::Value = serde_json::from_slice(&state.to_bytes()).unwrap();
                    assert_eq!(rewritten, original, "{name}");
                    // An apply that manages nothing here keeps every resource as it was.
                    let next = state.next_managed(Vec::new(), |k| k == "aws_dynamodb_table");
                    let kept: Vec<_> = state
                        .resources
                        .iter()
                        .filter(|r| r.managed_address(|k| k == "aws_dynamodb_table").is_none())
                        .collect();
                    assert_eq!(next.resources.iter().collect::<Vec<_>>(), kept, "{name}");
                    assert_eq!(next.serial, state.serial + 1);
                }
            }
        }
    }

    #[test]
    fn each_managed_resource_takes_its_own_place_and_keeps_what_terraform_wrote() {
        use serde_json::json;
        use stagegate::engine::state::{StateResource, TerraformState};
        let table =
            |name: &str, v: i64| StateResource::managed("aws_dynamodb_table", name, json!({ "name": name, "v": v }));
        let mut a = table("a", 1);
        a.instances[0].extra.insert("private".into(), json!("YWJj"));
        let other = StateResource::managed("aws_iam_role", "x", json!({ "name": "x" }));
        let state = TerraformState::new().next(vec![a, other.clone(), table("b", 1)]);
        let next = state.next_managed(vec![table("b", 2), table("a", 2), table("c", 2)], |k| k == "aws_dynamodb_table");
        let seen: Vec<(String, serde_json::Value)> =
            next.resources.iter().map(|r| (r.name.clone(), r.instances[0].attributes["v"].clone())).collect();
        let expected = [("a", json!(2)), ("x", json!(null)), ("b", json!(2)), ("c", json!(2))];
        assert_eq!(seen, expected.map(|(n, v)| (n.to_owned(), v)));
        assert_eq!(next.resources[0].instances[0].extra["private"], "YWJj");
        assert_eq!(next.resources[1], other);
        let without_b = state.next_managed(vec![table("a", 3)], |k| k == "aws_dynamodb_table");
        let names: Vec<&str> = without_b.resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "x"]);
    }

    #[test]
    fn only_root_module_single_instances_of_known_types_are_stagegates() {
        use stagegate::engine::state::TerraformState;
        let (_, bytes) = fixtures().into_iter().find(|(n, _)| n == "v4-modules.tfstate").unwrap();
        let state = TerraformState::parse("v4-modules", &bytes).unwrap();
        let mine: Vec<_> =
            state.resources.iter().filter_map(|r| r.managed_address(|k| k.starts_with("aws_"))).collect();
        assert_eq!(mine, ["aws_dynamodb_table.tenants"]);
        assert_eq!(
            state.resources.iter().filter(|r| r.kind == "aws_dynamodb_table").count(),
            2,
            "one is in module.base"
        );
    }
}

/// The gate's verdict as a whole (R14-R21): which rules failed, what each says, and its report.
mod gate_verdicts {
    use rstest::rstest;
    use stagegate::Environment;
    use stagegate::foundation::policy::Pipeline;
    use stagegate::foundation::repo::Repo;
    use stagegate::foundation::tickets::FileTickets;
    use stagegate::release::gate::{Approval, GateRequest, GateVerdict, Verdict, evaluate};

    /// A DEV deployment with its one approval, inside every window, confirmed with `typed`.
    fn dev(typed: Option<&str>) -> GateVerdict {
        let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
        let at = "2026-12-03T10:30:00Z".parse().expect("an instant");
        let mut req = GateRequest::from_main(Environment::Dev, "release-bot", "abcdef1", at, false);
        req.confirmation = typed.map(str::to_owned);
        req.approvals = vec![Approval { who: "lead-developer".into(), at: None }];
        evaluate(&policy, &FileTickets::default(), None, &req)
    }

    #[rstest]
    #[case(Some("deploy-dev"), Verdict::Pass, r#""deploy-dev" confirmed"#)]
    #[case(Some("deploy-prod"), Verdict::Fail, r#""deploy-prod" is not "deploy-dev""#)]
    #[case(None, Verdict::Fail, r#"no confirmation; type "deploy-dev""#)]
    fn r15_says_what_was_typed_and_what_was_expected(
        #[case] typed: Option<&str>,
        #[case] verdict: Verdict,
        #[case] says: &str,
    ) {
        let v = dev(typed);
        let r15 = v.rule("R15").expect("R15 is evaluated");
        assert_eq!((r15.verdict, r15.detail.as_str()), (verdict, says));
    }

    #[test]
    fn the_failures_are_exactly_the_rules_that_failed() {
        let refused = dev(Some("deploy-prod"));
        let failed: Vec<&str> = refused.failures().into_iter().map(|r| r.rule).collect();
        assert_eq!(failed, ["R15"]);
        assert!(!refused.passed());
        let open = dev(Some("deploy-dev"));
        assert!(open.failures().is_empty() && open.passed(), "{open}");
    }

    #[test]
    fn the_report_shows_every_rule_and_whether_the_gate_opened() {
        let text = dev(Some("deploy-prod")).to_string();
        assert!(text.contains(r#"FAIL R15 confirmation: "deploy-prod" is not "deploy-dev""#), "{text}");
        assert!(text.contains("PASS R14 manual trigger only: triggered by manual"), "{text}");
        assert!(text.contains("gate CLOSED for DEV"), "{text}");
        assert!(dev(Some("deploy-dev")).to_string().contains("gate open for DEV"));
    }

    /// A DEV deployment at 10:30Z, confirmed, with these approvals (who, minutes before; a
    /// negative number is after the deployment) and from `branch`.
    fn dev_approved(approvals: &[(&str, i64)], branch: &str) -> GateVerdict {
        let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
        let at: jiff::Timestamp = "2026-12-03T10:30:00Z".parse().expect("an instant");
        let mut req = GateRequest::from_main(Environment::Dev, "release-bot", "abcdef1", at, false);
        req.confirmation = Some("deploy-dev".into());
        req.branch = Some(branch.into());
        req.approvals = approvals
            .iter()
            .map(|(who, minutes)| Approval {
                who: (*who).into(),
                at: Some(at - jiff::SignedDuration::from_mins(*minutes)),
            })
            .collect();
        evaluate(&policy, &FileTickets::default(), None, &req)
    }

    fn failed(v: &GateVerdict) -> Vec<&'static str> {
        v.failures().into_iter().map(|r| r.rule).collect()
    }

    #[rstest]
    #[case::given_at_the_deployment(&[("lead-developer", 0)], &[])]
    #[case::given_a_minute_after_it(&[("lead-developer", -1)], &["R16", "R18"])]
    #[case::none_at_all(&[], &["R16"])]
    #[case::an_old_one_beside_a_fresh_one(&[("lead-developer", 1441), ("lead-developer", 5)], &[])]
    #[case::only_an_old_one(&[("lead-developer", 1441)], &["R16", "R18"])]
    fn r16_r18_count_approvals_given_before_the_deployment_and_within_24_hours(
        #[case] approvals: &[(&str, i64)],
        #[case] failing: &[&str],
    ) {
        let v = dev_approved(approvals, "main");
        assert_eq!(failed(&v), failing, "{v}");
    }

    #[test]
    fn r16_names_approvers_who_are_not_reviewers_and_only_then() {
        let v = dev_approved(&[("lead-developer", 5), ("intern", 5)], "main");
        let detail = &v.rule("R16").expect("R16").detail;
        assert!(detail.ends_with("; not reviewers of dev: intern"), "{detail}");
        let v = dev_approved(&[("lead-developer", 5)], "main");
        assert_eq!(v.rule("R16").expect("R16").detail, "1 of 1 required approvals from lead-developer");
    }

    #[rstest]
    #[case("main", "main may deploy to dev")]
    #[case("develop", "develop may not deploy to dev (only main)")]
    fn r19_says_which_branch_may_deploy(#[case] branch: &str, #[case] says: &str) {
        assert_eq!(dev_approved(&[("lead-developer", 5)], branch).rule("R19").expect("R19").detail, says);
    }

    /// A deployment record of `commit` in `env`, green or not.
    fn record(env: Environment, commit: &str, green: bool) -> stagegate::release::ledger::DeploymentRecord {
        use stagegate::release::ledger::{DeploymentRecord, Outcome, RecordKind, TestResults};
        let at: jiff::Timestamp = "2026-12-02T10:00:00Z".parse().expect("an instant");
        DeploymentRecord {
            id: format!("{env}-{commit}-{green}"),
            kind: RecordKind::Deploy,
            environment: env,
            commit: commit.into(),
            deployer: "release-bot".into(),
            approvers: vec!["lead-developer".into()],
            trigger: "manual".into(),
            started: at,
            recorded: at,
            duration_ms: 1000,
            result: Outcome::Succeeded,
            tests: Some(TestResults { passed: green, summary: String::new() }),
            tag: green.then(|| format!("deploy-{}-20261202-100000", env.name())),
            error: None,
            committed: None,
            detected: None,
            states: Vec::new(),
        }
    }

    /// R25 for a SIT deployment (or rollback) of abcdef1, with every other rule satisfied.
    fn sit(rollback: bool, records: &[stagegate::release::ledger::DeploymentRecord]) -> GateVerdict {
        let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
        let at = "2026-12-03T10:30:00Z".parse().expect("an instant");
        let mut req = GateRequest::from_main(Environment::Sit, "release-bot", "abcdef1", at, rollback);
        req.confirmation = Some(format!("{}-sit", if rollback { "rollback" } else { "deploy" }));
        req.approvals = ["tech-lead", "qa-lead"].map(|who| Approval { who: who.into(), at: None }).to_vec();
        evaluate(&policy, &FileTickets::default(), Some(records), &req)
    }

    #[rstest]
    #[case::dev_deployed_it_green(&[(Environment::Dev, "abcdef1", true)], Verdict::Pass)]
    #[case::dev_deployed_another_commit(&[(Environment::Dev, "1234567", true)], Verdict::Fail)]
    #[case::dev_deployed_it_with_failing_tests(&[(Environment::Dev, "abcdef1", false)], Verdict::Fail)]
    #[case::only_sit_itself_deployed_it(&[(Environment::Sit, "abcdef1", true)], Verdict::Fail)]
    #[case::no_records(&[], Verdict::Fail)]
    fn r25_sit_needs_dev_green_on_the_same_commit(
        #[case] records: &[(Environment, &str, bool)],
        #[case] verdict: Verdict,
    ) {
        let records: Vec<_> = records.iter().map(|(env, commit, green)| record(*env, commit, *green)).collect();
        let v = sit(false, &records);
        assert_eq!(v.rule("R25").expect("R25").verdict, verdict, "{v}");
    }

    #[test]
    fn r25_a_rollback_is_not_a_promotion() {
        let v = sit(true, &[]);
        let r25 = v.rule("R25").expect("R25");
        assert_eq!((r25.verdict, r25.detail.as_str()), (Verdict::NotChecked, "a rollback is not a promotion"), "{v}");
        assert!(v.passed(), "{v}");
    }
}

/// What the ledger's records and the post-deploy report decide on their own: whether a record
/// is evidence (R25, R36), which state version a deployment wrote (F14), when it finished, and
/// whether a report passed (R24).
/// An apply's report: it succeeded only if every component did, and each component's line
/// says what it did or why it failed.
mod apply_reports {
    use stagegate::engine::apply::{ApplyReport, ComponentOutcome};

    fn outcome(component: &str, operations: usize, error: Option<&str>) -> ComponentOutcome {
        ComponentOutcome {
            component: component.into(),
            operations: vec!["PutItem".into(); operations],
            operation_ms: vec![1; operations],
            serial: 3,
            state_version: None,
            error: error.map(Into::into),
            elapsed_ms: 5,
        }
    }

    #[test]
    fn one_failed_component_fails_the_apply_and_says_why() {
        let ok = outcome("tenants", 2, None);
        let failed = outcome("products", 0, Some("CreateTable: LimitExceededException"));
        assert_eq!(ok.to_string(), "tenants: 2 operations, state serial 3: applied");
        assert_eq!(
            failed.to_string(),
            "products: 0 operations, state serial 3: FAILED: CreateTable: LimitExceededException"
        );
        let report = |components| ApplyReport { environment: "dev".into(), components, elapsed_ms: 5 };
        assert!(report(vec![ok.clone()]).succeeded());
        assert!(!report(vec![ok, failed]).succeeded());
    }
}

mod records_and_reports {
    use rstest::rstest;
    use stagegate::Environment;
    use stagegate::release::ledger::{DeploymentRecord, Outcome, RecordKind, TestResults, WrittenState};
    use stagegate::release::rollback::checked_tag;
    use stagegate::release::verify::VerifyReport;
    use stagegate::resources::vocabulary::check;

    fn record(result: Outcome, tests: Option<bool>) -> DeploymentRecord {
        let at: jiff::Timestamp = "2026-12-02T10:00:00Z".parse().expect("an instant");
        DeploymentRecord {
            id: "dev-1".into(),
            kind: RecordKind::Deploy,
            environment: Environment::Dev,
            commit: "abcdef1".into(),
            deployer: "release-bot".into(),
            approvers: vec!["lead-developer".into()],
            trigger: "manual".into(),
            started: at,
            recorded: at,
            duration_ms: 90_500,
            result,
            tests: tests.map(|passed| TestResults { passed, summary: String::new() }),
            tag: None,
            error: None,
            committed: None,
            detected: None,
            states: vec![WrittenState { component: "tenants".into(), serial: 3, version_id: "v-3".into() }],
        }
    }

    #[rstest]
    #[case::succeeded_and_tests_passed(Outcome::Succeeded, Some(true), true)]
    #[case::succeeded_and_tests_failed(Outcome::Succeeded, Some(false), false)]
    #[case::succeeded_and_never_tested(Outcome::Succeeded, None, false)]
    #[case::failed_though_tests_passed(Outcome::Failed, Some(true), false)]
    #[case::failed_and_tests_failed(Outcome::Failed, Some(false), false)]
    fn a_record_is_evidence_only_when_it_succeeded_and_its_tests_passed(
        #[case] result: Outcome,
        #[case] tests: Option<bool>,
        #[case] green: bool,
    ) {
        assert_eq!(record(result, tests).is_green(), green);
    }

    #[rstest]
    #[case::same_component_and_version("tenants", "v-3", true)]
    #[case::another_version("tenants", "v-2", false)]
    #[case::another_component("templates", "v-3", false)]
    fn a_record_wrote_a_version_only_of_its_own_component(
        #[case] component: &str,
        #[case] version: &str,
        #[case] wrote: bool,
    ) {
        assert_eq!(record(Outcome::Succeeded, Some(true)).wrote(component, version), wrote);
    }

    #[test]
    fn a_record_finishes_its_duration_after_it_started() {
        let r = record(Outcome::Succeeded, Some(true));
        assert_eq!(r.finished().to_string(), "2026-12-02T10:01:30.5Z");
    }

    #[rstest]
    #[case::all_pass(&[true, true], true, 0)]
    #[case::one_fails(&[true, false, true], false, 1)]
    #[case::all_fail(&[false, false], false, 2)]
    fn a_report_passes_only_when_every_check_does(
        #[case] checks: &[bool],
        #[case] passed: bool,
        #[case] failed: usize,
    ) {
        let report = VerifyReport {
            environment: Environment::Sit,
            checks: checks.iter().enumerate().map(|(i, p)| check("R23", format!("check {i}"), *p, "")).collect(),
            not_proven: Vec::new(),
        };
        assert_eq!((report.passed(), report.failures().len()), (passed, failed));
        assert!(report.failures().iter().all(|c| !c.passed));
        let text = report.to_string();
        assert!(text.ends_with(&format!("SIT: {} checks, {failed} failed\n", checks.len())), "{text}");
        assert_eq!(text.matches("FAIL R23").count(), failed, "{text}");
    }

    #[rstest]
    #[case::its_own_environment(Environment::Dev, "deploy-dev-20261202-100000", true)]
    #[case::a_rerun_the_same_second(Environment::Prod, "deploy-prod-20261202-100000-02", true)]
    #[case::another_environments_tag(Environment::Dev, "deploy-sit-20261202-100000", false)]
    #[case::not_a_deployment_tag(Environment::Dev, "v1.2.3", false)]
    #[case::an_option_in_disguise(Environment::Dev, "--upload-pack=touch /tmp/x", false)]
    fn only_a_deployment_tag_of_the_environment_is_a_rollback_target(
        #[case] env: Environment,
        #[case] tag: &str,
        #[case] accepted: bool,
    ) {
        match (accepted, checked_tag(env, tag)) {
            (true, Ok(got)) => assert_eq!(got, tag),
            (false, Err(e)) => assert_eq!(e.exit_code(), stagegate::foundation::exit::BAD_INPUT, "{e}"),
            (_, got) => panic!("{tag}: {got:?}"),
        }
    }
}

/// R38: the templates bucket's public access block is all four flags on, unless the
/// environment file turns a known flag off (which `stagegate scan` then flags); an unknown flag
/// is refused, naming it.
#[rstest]
#[case::no_override(None, Ok([true, true, true, true]))]
#[case::a_known_flag_off(Some("block_public_policy"), Ok([true, false, true, true]))]
#[case::an_unknown_flag(Some("block_everything"), Err("unknown flag block_everything"))]
fn the_templates_bucket_blocks_public_access_unless_told(
    #[case] off: Option<&str>,
    #[case] expected: Result<[bool; 4], &str>,
) {
    use stagegate::foundation::config::EnvironmentFile;
    use stagegate::foundation::repo::Repo;
    use stagegate::resources::bucket::{BUCKET_PUBLIC_ACCESS_BLOCK, desired};
    let root = Repo::sample_path();
    let mut vars = EnvironmentFile::load(&root, Environment::Prod).expect("the sample PROD file");
    vars.templates_bucket_public_access_block = off.map(|flag| [(flag.to_owned(), false)].into());
    let flags = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
    match (desired(&root, &vars), expected) {
        (Ok(parts), Ok(want)) => {
            let block = parts.iter().find(|p| p.kind == BUCKET_PUBLIC_ACCESS_BLOCK).expect("a public access block");
            let got: Vec<bool> = flags.iter().map(|f| block.attributes[*f].as_bool().expect("a flag")).collect();
            assert_eq!(got, want);
        }
        (Err(e), Err(says)) => assert!(e.to_string().contains(says), "{e}"),
        (got, want) => panic!("{got:?}, expected {want:?}"),
    }
}

/// Change tickets (LLD 7.4.3): the IDs looked up and the ticket rehearse and drill generate.
mod change_tickets {
    use jiff::{SignedDuration, Timestamp};
    use stagegate::foundation::tickets::{ChangeTicket, FileTickets, TicketId, TicketSource, TicketState};

    #[test]
    fn a_ticket_id_is_shown_as_it_was_given() {
        let id: TicketId = "CHG0001234".parse().unwrap();
        assert_eq!(id.to_string(), "CHG0001234");
        assert!("CHG0001234 ".parse::<TicketId>().is_err());
    }

    #[test]
    fn a_generated_ticket_is_open_for_the_hour_either_side() {
        let at: Timestamp = "2026-12-03T10:30:00Z".parse().unwrap();
        let t = ChangeTicket::generated("CHG0000001", "drill", at);
        assert_eq!(t.state, TicketState::Approved);
        assert_eq!(
            (t.window.start, t.window.end),
            (at - SignedDuration::from_hours(1), at + SignedDuration::from_hours(1))
        );
        assert!(t.window.contains(at - SignedDuration::from_hours(1)));
        assert!(!t.window.contains(at + SignedDuration::from_hours(1)));
    }

    #[test]
    fn tickets_given_are_looked_up_by_id() {
        let at: Timestamp = "2026-12-03T10:30:00Z".parse().unwrap();
        let t = ChangeTicket::generated("CHG0000001", "drill", at);
        let source = FileTickets::with(vec![t.clone()]);
        assert_eq!(source.ticket(&"CHG0000001".parse().unwrap()).unwrap(), Some(t));
        assert_eq!(source.ticket(&"CHG0000002".parse().unwrap()).unwrap(), None);
    }

    #[test]
    fn a_ticket_that_cannot_be_is_refused_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let ticket = |id: &str, start: &str, end: &str| {
            format!(
                "  - id: {id}\n    title: t\n    state: approved\n    window:\n      start: {start}\n      end: {end}\n"
            )
        };
        let text = format!(
            "tickets:\n{}{}",
            ticket("CHG0000001", "2026-12-03T08:00:00Z", "2026-12-03T12:00:00Z"),
            ticket("CHG0000002", "2026-12-03T12:00:00Z", "2026-12-03T12:00:00Z")
        );
        std::fs::write(dir.path().join("change-tickets.yml"), text).unwrap();
        let error = FileTickets::load(dir.path()).unwrap_err().to_string();
        assert!(error.ends_with("change-tickets.yml:8:9: CHG0000002: window ends before or as it starts"), "{error}");
    }
}

/// R56: what `stagegate drift` reports from a plan, and its exit code.
mod drift_reports {
    use serde_json::json;
    use stagegate::Environment;
    use stagegate::engine::plan::{Action, AttributeChange, Cause, Plan, ResourceChange};
    use stagegate::release::drift::{DriftReport, DriftedResource, EnvironmentDrift, Look, drifted};
    use stagegate::release::notify::{Alert, Delivery, DeliveryStatus};

    fn change(name: &str, before: serde_json::Value, after: serde_json::Value, cause: Cause) -> AttributeChange {
        AttributeChange { name: name.into(), before, after, cause }
    }

    fn resource(name: &str, action: Action, drift: bool, changes: Vec<AttributeChange>) -> ResourceChange {
        ResourceChange { drift, changes, ..super::table_change(name, action) }
    }

    fn plan(resources: Vec<ResourceChange>) -> Plan {
        super::plan_of(Environment::Dev, vec![super::tenants_plan(resources)])
    }

    #[test]
    fn only_changes_made_outside_the_pipeline_are_drift() {
        let mut gone = resource("gone", Action::Create, true, Vec::new());
        gone.reason = Some("deleted outside the pipeline".into());
        let p = plan(vec![
            // The repo asks for a new table: not drift.
            resource("new", Action::Create, false, Vec::new()),
            gone,
            // A recorded resource that is gone, without a reason given.
            resource("missing", Action::Create, true, Vec::new()),
            // Drift beside a change the repo asks for: only the drifted attribute is drift.
            resource(
                "edited",
                Action::Update,
                true,
                vec![
                    change("billing_mode", json!("PROVISIONED"), json!("PAY_PER_REQUEST"), Cause::Drift),
                    change("tags", json!({}), json!({"Owner": "x"}), Cause::Config),
                    change("deletion_protection", json!(false), json!(true), Cause::Drift),
                ],
            ),
            // A change the repo asks for only.
            resource("asked", Action::Update, false, vec![change("tags", json!({}), json!({"a": "b"}), Cause::Config)]),
            resource("same", Action::NoOp, false, Vec::new()),
        ]);
        let got = drifted(&p);
        let want = vec![
            DriftedResource {
                address: "aws_dynamodb_table.gone".into(),
                attributes: Vec::new(),
                detail: "deleted outside the pipeline".into(),
            },
            DriftedResource {
                address: "aws_dynamodb_table.missing".into(),
                attributes: Vec::new(),
                detail: "missing".into(),
            },
            DriftedResource {
                address: "aws_dynamodb_table.edited".into(),
                attributes: vec!["billing_mode".into(), "deletion_protection".into()],
                detail: "billing_mode is \"PROVISIONED\" (the state and the repo say \"PAY_PER_REQUEST\"); \
                         deletion_protection is false (the state and the repo say true)"
                    .into(),
            },
        ];
        assert_eq!(got, want);
        assert_eq!(got[2].to_string(), format!("aws_dynamodb_table.edited: {}", want[2].detail));
    }

    fn env(environment: Environment, look: Look) -> EnvironmentDrift {
        EnvironmentDrift { environment, look, notifications: Vec::new() }
    }

    fn report(environments: Vec<EnvironmentDrift>) -> DriftReport {
        DriftReport { at: "2026-12-03T10:30:00Z".parse().unwrap(), environments }
    }

    fn some_drift() -> Look {
        Look::Looked {
            drifted: vec![DriftedResource {
                address: "aws_dynamodb_table.tenants".into(),
                attributes: Vec::new(),
                detail: "missing".into(),
            }],
        }
    }

    #[test]
    fn the_exit_code_is_0_without_drift_1_with_it_and_3_when_an_environment_could_not_be_looked_at() {
        let none = Look::Looked { drifted: Vec::new() };
        let cannot = || Look::CouldNotLook { reason: "timeout".into() };
        assert_eq!(
            report(vec![env(Environment::Dev, none.clone()), env(Environment::Sit, Look::NotDeployed)]).exit_code(),
            0
        );
        assert_eq!(
            report(vec![env(Environment::Dev, none.clone()), env(Environment::Sit, some_drift())]).exit_code(),
            1
        );
        assert_eq!(report(vec![env(Environment::Dev, some_drift()), env(Environment::Sit, cannot())]).exit_code(), 3);
        assert_eq!(report(vec![env(Environment::Dev, cannot()), env(Environment::Sit, none)]).exit_code(), 3);
    }

    #[test]
    fn the_report_has_a_line_per_environment_and_per_drifted_resource() {
        let mut sit = env(Environment::Sit, some_drift());
        sit.notifications.push(Delivery {
            alert: Alert::Slack { channel: "#devops-alerts".into() },
            status: DeliveryStatus::Sent { attempts: 1 },
        });
        let r = report(vec![
            env(Environment::Dev, Look::Looked { drifted: Vec::new() }),
            sit,
            env(Environment::Prod, Look::CouldNotLook { reason: "connection refused".into() }),
        ]);
        assert_eq!(
            r.to_string(),
            "DEV: no drift\nSIT: DRIFT in 1 resources\n  aws_dynamodb_table.tenants: missing\n  notified Slack #devops-alerts\n\
             PROD: COULD NOT LOOK: connection refused\n"
        );
        assert_eq!(
            report(vec![env(Environment::Prod, Look::NotDeployed)]).to_string(),
            "PROD: nothing deployed, no drift\n"
        );
        assert_eq!(r.environment(Environment::Sit).map(|e| e.environment), Some(Environment::Sit));
        assert_eq!(r.environment(Environment::Prod).map(|e| e.environment), Some(Environment::Prod));
        assert!(report(Vec::new()).environment(Environment::Dev).is_none());
    }
}

/// R53: where each locking mode keeps its locks, its names and Terraform's settings for it.
#[rstest]
#[case("dynamodb", true, false, "dynamodb_table", "1.5.7")]
#[case("s3", false, true, "use_lockfile = true", "1.10.0")]
#[case("both", true, true, "use_lockfile = true and dynamodb_table", "1.10.0")]
fn each_locking_mode_uses_its_own_places(
    #[case] name: &str,
    #[case] table: bool,
    #[case] file: bool,
    #[case] terraform: &str,
    #[case] version: &str,
) {
    use stagegate::engine::state::StateLocking;
    let mode: StateLocking = name.parse().expect("a locking mode");
    assert_eq!((mode.uses_table(), mode.uses_lock_file()), (table, file));
    assert_eq!((mode.name(), mode.to_string().as_str()), (name, name));
    assert_eq!(mode.terraform_settings(), terraform);
    assert_eq!(mode.default_terraform_version(), version);
    assert_eq!(
        "DynamoDB".parse::<StateLocking>().unwrap_err(),
        "\"DynamoDB\" is not a locking mode: expected dynamodb, s3 or both"
    );
}

/// An emulator endpoint on a port that was free a moment ago: connections to it are refused.
fn unreachable_endpoint() -> stagegate::emulator::Endpoint {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    stagegate::emulator::Endpoint {
        url: Some(format!("http://127.0.0.1:{port}")),
        flavor: stagegate::emulator::Flavor::Moto,
    }
}

/// A state backend that does not answer is an error of the first call (HeadBucket), not a
/// bucket that does not exist.
#[tokio::test]
async fn inspecting_a_backend_that_does_not_answer_fails_at_the_bucket() {
    use stagegate::engine::state::StateStore;
    let endpoint = unreachable_endpoint();
    let store = StateStore::for_environment(&endpoint, Environment::Sit, "af-south-1").await;
    let err = store.inspect().await.expect_err("nothing answers");
    assert!(err.to_string().starts_with("HeadBucket bbws-terraform-state-sit: "), "{err}");
}

/// R48: a lock table nothing answers for is unreadable (the monitor cannot vouch for it), not
/// missing and not free of locks.
#[tokio::test]
async fn the_lock_monitor_reports_a_backend_that_does_not_answer_as_unreadable() {
    use stagegate::engine::state::StateSettings;
    use stagegate::observe::monitor::{TableReading, monitor};
    let endpoint = unreachable_endpoint();
    let now = "2026-11-26T11:45:00Z".parse().unwrap();
    let envs = [Environment::Dev, Environment::Prod];
    let report = monitor(
        &endpoint,
        "af-south-1",
        &envs,
        jiff::SignedDuration::from_mins(30),
        now,
        None,
        &StateSettings::default(),
    )
    .await;
    assert!(report.environments.iter().all(|e| matches!(e.reading, TableReading::Unreadable { .. })), "{report}");
    let unreadable = report.unreadable();
    assert_eq!(unreadable.len(), 2, "{unreadable:?}");
    assert!(unreadable[0].starts_with("terraform-state-lock-dev: "), "{unreadable:?}");
    assert!(unreadable[1].starts_with("terraform-state-lock-prod: "), "{unreadable:?}");
    assert!(unreadable.iter().all(|u| u.contains("Scan")), "{unreadable:?}");
    assert!(!report.alerting() && report.held().next().is_none(), "{report}");
    assert_eq!(report.to_string().lines().filter(|l| l.contains(": UNREADABLE: Scan ")).count(), 2, "{report}");
}

/// pipeline.yml's `state.terraform_version` is written back as Terraform writes it.
#[rstest]
#[case("1.11.4")]
#[case("1.12.0-beta1")]
fn a_terraform_version_round_trips_as_its_release_number(#[case] written: &str) {
    use stagegate::engine::state::TerraformVersion;
    let v: TerraformVersion = written.parse().expect("a release number");
    assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{written}\""));
    assert_eq!(serde_json::from_str::<TerraformVersion>(&format!("\"{written}\"")).unwrap(), v);
    assert_eq!(String::from(v.clone()), written);
    assert_eq!(v.to_string(), written);
}

/// R10–R12, R51: a plan's pure parts, what one resource's comparison gives and how a plan is
/// shown, counted, kept and read back.
mod plans {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};
    use stagegate::Environment;
    use stagegate::engine::desired::Resource;
    use stagegate::engine::plan::{
        Action, AttributeChange, Cause, Plan, PlanError, ResourceChange, diff_resource, markdown,
    };

    fn table(attrs: Value) -> Resource {
        let attributes: BTreeMap<String, Value> =
            attrs.as_object().expect("an object").iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        Resource { kind: "aws_dynamodb_table", name: "tenants".into(), attributes, body: None }
    }

    fn map(v: Value) -> BTreeMap<String, Value> {
        table(v).attributes
    }

    /// R54: of a state Terraform wrote, only stagegate's own resources are compared; the rest
    /// is kept as it is.
    #[test]
    fn only_stagegates_own_resources_of_a_state_are_compared() {
        let instance = |attrs: Value| json!({"schema_version": 1, "attributes": attrs});
        let state = json!({
            "version": 4, "terraform_version": "1.11.4", "serial": 3, "lineage": "l", "outputs": {},
            "resources": [
                {"mode": "managed", "type": "aws_dynamodb_table", "name": "tenants", "provider": "p",
                 "instances": [instance(json!({"name": "tenants", "billing_mode": "PAY_PER_REQUEST"}))]},
                {"mode": "managed", "type": "aws_s3_object", "name": "welcome", "provider": "p",
                 "instances": [instance(json!({"key": "welcome.html"}))]},
                {"mode": "data", "type": "aws_dynamodb_table", "name": "read", "provider": "p",
                 "instances": [instance(json!({"name": "read"}))]},
                {"module": "module.other", "mode": "managed", "type": "aws_dynamodb_table", "name": "theirs",
                 "provider": "p", "instances": [instance(json!({"name": "theirs"}))]},
                {"mode": "managed", "type": "aws_iam_role", "name": "deployer", "provider": "p",
                 "instances": [instance(json!({"name": "deployer"}))]},
                {"mode": "managed", "type": "aws_dynamodb_table", "name": "counted", "provider": "p",
                 "instances": [{"index_key": 0, "schema_version": 1, "attributes": {"name": "counted"}}]}
            ]
        });
        let state = stagegate::engine::state::TerraformState::parse("k", &serde_json::to_vec(&state).unwrap()).unwrap();
        let got = stagegate::engine::plan::recorded(Some(&state));
        let want = BTreeMap::from([
            (
                "aws_dynamodb_table.tenants".to_owned(),
                map(json!({"name": "tenants", "billing_mode": "PAY_PER_REQUEST"})),
            ),
            ("aws_s3_object.welcome".to_owned(), map(json!({"key": "welcome.html"}))),
        ]);
        assert_eq!(got, want);
        assert!(stagegate::engine::plan::recorded(None).is_empty());
    }

    #[test]
    fn a_resource_that_is_not_there_is_created_and_one_deleted_behind_stagegates_back_is_drift() {
        let desired = table(json!({"billing_mode": "PAY_PER_REQUEST"}));
        let new = diff_resource(&desired, None, None);
        assert_eq!((new.action, new.drift, new.reason.as_deref()), (Action::Create, false, None));
        assert_eq!(
            (new.address.as_str(), new.kind.as_str(), new.name.as_str()),
            ("aws_dynamodb_table.tenants", "aws_dynamodb_table", "tenants")
        );
        assert_eq!(new.after, desired.attributes);
        let gone = diff_resource(&desired, Some(&desired.attributes), None);
        assert_eq!((gone.action, gone.drift), (Action::Create, true));
        assert_eq!(gone.reason.as_deref(), Some("recorded in the state but missing: deleted outside stagegate"));
    }

    #[test]
    fn a_live_value_the_state_recorded_as_the_repo_has_it_is_drift_and_one_the_repo_changed_is_configuration() {
        let desired = table(json!({"billing_mode": "PAY_PER_REQUEST", "deletion_protection": true, "ttl": "expires"}));
        let recorded = map(json!({"billing_mode": "PAY_PER_REQUEST", "deletion_protection": false, "ttl": "expires"}));
        let live =
            table(json!({"billing_mode": "PROVISIONED", "deletion_protection": false, "ttl": "expires", "extra": 1}));
        let c = diff_resource(&desired, Some(&recorded), Some(&live));
        let change = |name: &str, before: Value, after: Value, cause| AttributeChange {
            name: name.into(),
            before,
            after,
            cause,
        };
        assert_eq!(
            c.changes,
            vec![
                change("billing_mode", json!("PROVISIONED"), json!("PAY_PER_REQUEST"), Cause::Drift),
                change("deletion_protection", json!(false), json!(true), Cause::Config),
                // Live has an attribute neither the repo nor the state has: drift too.
                change("extra", json!(1), Value::Null, Cause::Drift),
            ]
        );
        assert_eq!((c.action, c.drift, c.reason), (Action::Update, false, None));
        // Without a recorded state nothing can be told to be drift.
        let fresh = diff_resource(&desired, None, Some(&live));
        assert!(fresh.changes.iter().all(|a| a.cause == Cause::Config), "{fresh:?}");
        // Only drift: the whole change is drift.
        let drift_only = diff_resource(
            &desired,
            Some(&desired.attributes),
            Some(&table(json!({"billing_mode": "PROVISIONED", "deletion_protection": true, "ttl": "expires"}))),
        );
        assert_eq!((drift_only.action, drift_only.drift), (Action::Update, true));
        let same = diff_resource(&desired, Some(&recorded), Some(&desired));
        assert_eq!((same.action, same.drift, same.changes.len()), (Action::NoOp, false, 0));
    }

    #[test]
    fn a_key_attribute_that_changes_replaces_the_table_naming_it() {
        let desired = table(json!({"hash_key": "id", "range_key": "at", "billing_mode": "PAY_PER_REQUEST"}));
        let live = table(json!({"hash_key": "tenant_id", "range_key": "at", "billing_mode": "PROVISIONED"}));
        let c = diff_resource(&desired, None, Some(&live));
        assert_eq!(c.action, Action::Replace);
        assert_eq!(c.reason.as_deref(), Some("hash_key cannot change in place: the table must be replaced"));
    }

    fn resource(name: &str, action: Action) -> ResourceChange {
        super::table_change(name, action)
    }

    fn plan(resources: Vec<ResourceChange>) -> Plan {
        super::plan_of(Environment::Sit, vec![super::tenants_plan(resources)])
    }

    fn sample() -> Plan {
        let mut updated = resource("products", Action::Update);
        updated.changes.push(AttributeChange {
            name: "billing_mode".into(),
            before: json!("PROVISIONED"),
            after: json!("PAY_PER_REQUEST"),
            cause: Cause::Drift,
        });
        updated.drift = true;
        let mut replaced = resource("orders", Action::Replace);
        replaced.reason = Some("hash_key cannot change | in place".into());
        replaced.changes.push(AttributeChange {
            name: "ttl".into(),
            before: Value::Null,
            after: json!(7),
            cause: Cause::Config,
        });
        plan(vec![
            resource("tenants", Action::Create),
            updated,
            replaced,
            resource("old", Action::Delete),
            resource("same", Action::NoOp),
            resource("same2", Action::NoOp),
        ])
    }

    #[test]
    fn a_plan_counts_its_actions_and_finds_its_resources() {
        let p = sample();
        let counts: Vec<(Action, usize)> = p.counts().into_iter().collect();
        assert_eq!(
            counts,
            vec![
                (Action::Create, 1),
                (Action::Update, 1),
                (Action::Replace, 1),
                (Action::Delete, 1),
                (Action::NoOp, 2)
            ]
        );
        assert!(p.has_changes() && p.components[0].has_changes());
        let unchanged = plan(vec![resource("same", Action::NoOp)]);
        assert!(!unchanged.has_changes() && !unchanged.components[0].has_changes());
        assert_eq!(p.resource("aws_dynamodb_table.old").map(|r| r.action), Some(Action::Delete));
        assert!(p.resource("aws_dynamodb_table.nope").is_none());
    }

    #[test]
    fn a_plan_expires_at_its_expiry_not_before() {
        let p = sample();
        assert!(!p.is_expired(p.expires - jiff::SignedDuration::from_secs(1)));
        assert!(p.is_expired(p.expires));
        assert!(p.is_expired(p.expires + jiff::SignedDuration::from_secs(1)));
    }

    #[test]
    fn a_saved_plan_reads_back_and_anything_else_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sit.plan.json");
        sample().save(&path).unwrap();
        assert_eq!(Plan::load(&path).unwrap(), sample());
        let mut other = sample();
        other.format = "stagegate-plan/2".into();
        other.save(&path).unwrap();
        let e = Plan::load(&path).unwrap_err();
        assert!(matches!(e, PlanError::Malformed { .. }), "{e}");
        assert!(e.to_string().contains("sit.plan.json: not a stagegate plan: format \"stagegate-plan/2\""), "{e}");
    }

    #[test]
    fn the_terminal_shows_each_change_with_its_sign_and_its_attributes() {
        assert_eq!(
            sample().to_string(),
            "SIT (account 815856636111), commit 5e1f0c2\n\
             \x20 +   aws_dynamodb_table.tenants (create)\n\
             \x20 ~   aws_dynamodb_table.products (update)  [drift]\n\
             \x20       billing_mode: PROVISIONED -> PAY_PER_REQUEST (drift: changed outside stagegate)\n\
             \x20 -/+ aws_dynamodb_table.orders (replace)\n\
             \x20       hash_key cannot change | in place\n\
             \x20       ttl: (none) -> 7\n\
             \x20 -   aws_dynamodb_table.old (delete)\n\
             \x20 Plan: 1 to create, 1 to update, 1 to replace, 1 to delete, 2 unchanged.\n"
        );
    }

    #[test]
    fn the_pr_comment_has_the_counts_a_row_per_change_and_the_attribute_diff() {
        let md = markdown(&sample());
        assert_eq!(
            md,
            "### stagegate plan: `sit` (account 815856636111)\n\n\
             **1 to create, 1 to update, 1 to replace, 1 to delete**, 2 unchanged. Commit `5e1f0c2`, expires 2027-01-02T10:30:00Z.\n\n\
             | Component | Resource | Action | Why |\n\
             | --- | --- | --- | --- |\n\
             | tenants | `aws_dynamodb_table.tenants` | create | configuration |\n\
             | tenants | `aws_dynamodb_table.products` | update | drift |\n\
             | tenants | `aws_dynamodb_table.orders` | replace | hash_key cannot change \\| in place |\n\
             | tenants | `aws_dynamodb_table.old` | delete | configuration |\n\n\
             <details><summary>Attribute changes</summary>\n\n\
             ```diff\n\
             - aws_dynamodb_table.products.billing_mode = PROVISIONED\n\
             + aws_dynamodb_table.products.billing_mode = PAY_PER_REQUEST\n\
             - aws_dynamodb_table.orders.ttl = (none)\n\
             + aws_dynamodb_table.orders.ttl = 7\n\
             ```\n\
             </details>\n"
        );
    }
}

/// R53: the lock file needs Terraform 1.10.0 or later; the lock table any release.
#[rstest]
#[case("s3", "1.10.0", true)]
#[case("both", "1.10.0", true)]
#[case("s3", "1.9.8", false)]
#[case("both", "1.10.0-rc1", false)]
#[case("dynamodb", "1.5.7", true)]
fn the_lock_file_needs_terraform_1_10_or_later(#[case] mode: &str, #[case] version: &str, #[case] ok: bool) {
    use stagegate::foundation::state_backend::{TerraformVersion, check_locking};
    let v: TerraformVersion = version.parse().unwrap();
    let refusal = format!(
        "state.locking {mode} needs terraform_version 1.10.0 or later (Terraform {version} has no use_lockfile and would not see the lock file)"
    );
    let want = if ok { Ok(()) } else { Err(refusal) };
    assert_eq!(check_locking(mode.parse().unwrap(), Some(&v)), want);
    assert!(check_locking(mode.parse().unwrap(), None).is_ok());
}

/// R35, R59: the drill's printed report, phase by phase, with its verdict.
mod drill_reports {
    use stagegate::Environment;
    use stagegate::practice::drill::{DrillReport, Phase};
    use stagegate::practice::not_rehearsed::NotRehearsed;
    use stagegate::practice::projection::{Basis, ProjectedOp, ReplacedTable, TableSizes};

    fn op(operation: &str, count: usize, seconds: f64, basis: Basis, why: &str) -> ProjectedOp {
        ProjectedOp { operation: operation.into(), count, seconds, basis, why: why.into() }
    }

    fn report(measured_on_aws: bool, met: bool) -> DrillReport {
        DrillReport {
            environment: Environment::Prod,
            detected: vec!["point-in-time recovery of tenants: disabled".into(), "index gone".into()],
            rolled_back_to: "deploy-prod-20261203-1030".into(),
            phases: vec![
                Phase { name: "detect", ms: 120, projected_ms: 120, operations: Vec::new() },
                Phase {
                    name: "apply",
                    ms: 2300,
                    projected_ms: 95_000,
                    operations: vec![
                        op("UpdateContinuousBackups", 1, 5.0, Basis::Documented, ""),
                        op("UpdateTable (GSI backfill)", 2, 90.0, Basis::Assumed, "2 GB at 30 MB/s"),
                    ],
                },
            ],
            rto_ms: 2420,
            projected_rto_ms: 95_120,
            dominant: Some(op("UpdateTable (GSI backfill)", 2, 90.0, Basis::Assumed, "")),
            sizes: TableSizes { file: Some("cost/usage-prod.yml".into()), gb: Default::default() },
            previewed: Vec::new(),
            replaced: vec![ReplacedTable {
                table: "products".into(),
                gb: 2.0,
                restore: "PITR restore".into(),
                restore_seconds: 600.0,
            }],
            target: Some("< 15m".into()),
            met,
            measured_on_aws,
            applied: None,
            not_rehearsed: Vec::new(),
        }
    }

    #[test]
    fn the_report_shows_each_phase_its_operations_and_the_verdict_on_the_projection() {
        assert_eq!(
            report(false, true).to_string(),
            "Rollback drill, PROD\n\
             \x20 broken: point-in-time recovery of tenants: disabled; index gone\n\
             \x20 rolled back to deploy-prod-20261203-1030\n\
             \x20 phase     measured   projected on AWS   (table sizes: cost/usage-prod.yml)\n\
             \x20 detect      120 ms             0.1 s\n\
             \x20 apply      2300 ms        1 min 35 s\n\
             \x20     UpdateContinuousBackups: 5.0 s (documented)\n\
             \x20     UpdateTable (GSI backfill) x2: 1 min 30 s (assumed, 2 GB at 30 MB/s)\n\
             \x20 products is REPLACED by this rollback: its 2 GB of items are not restored by it; restore path: PITR restore, projected 10 min 00 s\n\
             \x20 RTO projected on AWS 1 min 35 s, measured 2.4 s, from trigger to passing verify; target < 15m: met\n\
             \x20 dominated by UpdateTable (GSI backfill) (1 min 30 s)\n"
        );
    }

    #[test]
    fn a_drill_on_aws_shows_its_measured_rto_and_a_missed_target() {
        let mut r = report(true, false);
        r.sizes.file = None;
        r.target = None;
        r.dominant = None;
        r.replaced.clear();
        r.not_rehearsed.push(NotRehearsed {
            environment: Environment::Prod,
            step: "backup plan".into(),
            needs: "AWS Backup".into(),
            backend: "moto".into(),
        });
        let text = r.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[3],
            "  phase     measured    measured on AWS   (table sizes: no usage file: every table taken as empty)"
        );
        assert_eq!(lines[8], "  RTO measured on AWS 2.4 s, from trigger to passing verify; target best effort: MISSED");
        assert_eq!(lines[9], "");
        assert_eq!(lines[10], "Not rehearsed (1)");
        assert_eq!(lines.len(), 13, "{text}");
    }

    #[test]
    fn a_rollback_whose_deployment_failed_has_not_recovered_though_the_verify_passes() {
        use stagegate::foundation::policy::Pipeline;
        use stagegate::foundation::repo::Repo;
        use stagegate::release::deploy::{DeployOutcome, simulated_request};
        use stagegate::release::verify::VerifyReport;
        let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
        let at: jiff::Timestamp = "2026-12-03T10:30:00Z".parse().unwrap();
        let mut req = simulated_request(&policy, Environment::Prod, "drill-bot", "CHG0000002", "5e1f0c2", at, true);
        req.approvals.clear();
        let tickets = stagegate::foundation::tickets::FileTickets::default();
        let refused = DeployOutcome::refused(stagegate::release::gate::evaluate(&policy, &tickets, None, &req));
        let passing = VerifyReport { environment: Environment::Prod, checks: Vec::new(), not_proven: Vec::new() };
        assert!(passing.passed());
        let err =
            stagegate::practice::drill::recovered(Environment::Prod, &refused, &passing).expect_err("not recovered");
        let text = err.to_string();
        assert!(text.starts_with("the rollback did not recover PROD:\n"), "{text}");
        assert!(text.contains("R16"), "the rollback's own outcome is shown: {text}");
    }

    #[test]
    fn the_projected_rto_adds_the_time_between_phases_as_measured() {
        let phases = [
            Phase { name: "detect", ms: 100, projected_ms: 10_000, operations: Vec::new() },
            Phase { name: "gate", ms: 50, projected_ms: 50, operations: Vec::new() },
        ];
        let rto = |measured| stagegate::practice::drill::projected_rto_ms(&phases, measured);
        assert_eq!(rto(400), 10_300, "10,050 ms projected, and 250 ms between the phases");
        assert_eq!(rto(150), 10_050, "nothing between the phases");
    }

    #[test]
    fn planning_reads_each_components_state_and_each_of_its_resources() {
        use stagegate::engine::plan::Action;
        use stagegate::practice::projection::LatencyModel;
        let two = super::tenants_plan(vec![
            super::table_change("tenants", Action::NoOp),
            super::change_of("aws_s3_object", "welcome.html", Action::Update),
        ]);
        let none =
            stagegate::engine::plan::ComponentPlan { component: "templates".into(), ..super::tenants_plan(vec![]) };
        let plan = super::plan_of(Environment::Prod, vec![two, none]);
        let reads = stagegate::practice::drill::plan_reads(&LatencyModel::builtin(), &plan, &TableSizes::default());
        let got: Vec<(&str, usize)> = reads.iter().map(|o| (o.operation.as_str(), o.count)).collect();
        assert_eq!(
            got,
            [("read tenants (state and live resources)", 3), ("read templates (state and live resources)", 1)]
        );
    }

    #[test]
    fn a_phase_projects_the_sum_of_its_operations_on_an_emulator_and_its_own_time_otherwise() {
        let ops = || {
            vec![
                op("UpdateContinuousBackups tenants", 1, 10.0, Basis::Documented, ""),
                op("UpdateTable campaigns", 1, 0.0004, Basis::Assumed, ""),
            ]
        };
        let projected = |ms, operations, on_aws| Phase::new("apply", ms, operations, on_aws).projected_ms;
        assert_eq!(projected(7, ops(), false), 10_000, "the operations' 10.0004 s, to the millisecond");
        assert_eq!(projected(7, Vec::new(), false), 7, "a phase that calls no AWS (the gate) keeps its time");
        assert_eq!(projected(7, ops(), true), 7, "on AWS the measured time is AWS's");
        let phase = Phase::new("gate", 3, ops(), false);
        assert_eq!((phase.name, phase.ms, phase.operations.len()), ("gate", 3, 2));
    }
}

/// R45: delivering to Slack's webhooks over real HTTP, on this machine: which answers are
/// retried, how often, and what a failed delivery reports.
mod webhook_deliveries {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::http::{HeaderMap, HeaderValue, StatusCode};
    use jiff::SignedDuration;
    use stagegate::Environment;
    use stagegate::foundation::policy::Pipeline;
    use stagegate::foundation::repo::Repo;
    use stagegate::release::notify::{Alert, Delivery, DeliveryStatus, Event, Notice, Notifier, Webhook};

    /// A webhook answering each request with the next of `answers` (the last one repeats);
    /// its URL and the number of requests it had.
    async fn hook(answers: Vec<Answer>) -> (String, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        let app = axum::Router::new().route(
            "/services/{token}",
            axum::routing::post(move || {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let (status, retry_after, body) = answers[n.min(answers.len() - 1)];
                async move {
                    let mut headers = HeaderMap::new();
                    if let Some(v) = retry_after {
                        headers.insert("retry-after", HeaderValue::from_static(v));
                    }
                    (StatusCode::from_u16(status).unwrap(), headers, body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/services/T0-secret-token", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, count)
    }

    fn notifier(url: &str) -> Notifier {
        let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
        let hooks =
            BTreeMap::from([("SLACK_WEBHOOK_DEV".to_owned(), Webhook::parse("SLACK_WEBHOOK_DEV", url).unwrap())]);
        Notifier::new(&policy, hooks).with_limits(Duration::from_secs(5), 2, Duration::from_millis(1))
    }

    fn dev_failed() -> Notice {
        Notice {
            env: Environment::Dev,
            event: Event::DeploymentFailed {
                deployer: "release-bot".into(),
                duration: SignedDuration::from_secs(90),
                reason: "post-deploy tests failed".into(),
            },
        }
    }

    async fn deliver(url: &str) -> Vec<Delivery> {
        notifier(url).notify(&dev_failed()).await
    }

    fn slack(status: DeliveryStatus) -> Delivery {
        Delivery { alert: Alert::Slack { channel: "#dev-alerts".into() }, status }
    }

    #[tokio::test]
    async fn a_webhook_that_takes_the_message_is_sent_once_and_the_other_alerts_are_listed() {
        let (url, count) = hook(vec![(200, None, "ok")]).await;
        let got = deliver(&url).await;
        assert_eq!(got[0], slack(DeliveryStatus::Sent { attempts: 1 }));
        assert_eq!(got[1].status, DeliveryStatus::Listed);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert_eq!(got[0].to_string(), "notified Slack #dev-alerts");
    }

    type Answer = (u16, Option<&'static str>, &'static str);

    /// 429 and 5xx are retried (after Retry-After where given), up to the limit; any other
    /// refusal is not. A failure reports the status and the body, never the address.
    #[rstest::rstest]
    #[case::throttled_then_busy_then_taken(vec![(429, Some("0"), "rate_limited"), (503, None, "busy"), (200, None, "ok")], 3, None)]
    #[case::refused_once(vec![(404, None, " no_service \n")], 1, Some("HTTP 404: no_service"))]
    #[case::failing_past_the_limit(vec![(500, None, "oops")], 3, Some("HTTP 500: oops"))]
    #[tokio::test]
    async fn which_answers_are_retried_and_how_often(
        #[case] answers: Vec<Answer>,
        #[case] requests: usize,
        #[case] failure: Option<&str>,
    ) {
        let (url, count) = hook(answers).await;
        let got = deliver(&url).await;
        let attempts = u32::try_from(requests).unwrap();
        let status = match failure {
            None => DeliveryStatus::Sent { attempts },
            Some(f) => {
                DeliveryStatus::Failed { attempts, reason: format!("the SLACK_WEBHOOK_DEV webhook answered {f}") }
            }
        };
        assert_eq!(got[0], slack(status));
        assert_eq!(count.load(Ordering::SeqCst), requests);
        assert!(!got[0].to_string().contains("secret-token"), "{}", got[0]);
    }

    /// An attempt ends at the notifier's timeout, and a redirect is not followed: it would
    /// carry the secret address elsewhere.
    #[tokio::test]
    async fn a_webhook_that_hangs_times_out_and_one_that_redirects_is_not_followed() {
        let followed = Arc::new(AtomicUsize::new(0));
        let seen = followed.clone();
        let app = axum::Router::new()
            .route(
                "/services/slow",
                axum::routing::post(|| async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    "ok"
                }),
            )
            .route(
                "/services/moved",
                axum::routing::post(|| async { (StatusCode::FOUND, [("location", "/services/elsewhere")], "") }),
            )
            .route(
                "/services/elsewhere",
                axum::routing::post(move || {
                    seen.fetch_add(1, Ordering::SeqCst);
                    async { "ok" }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/services", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let once = |url: String| async move {
            let n = notifier(&url).with_limits(Duration::from_millis(300), 0, Duration::from_millis(1));
            n.notify(&dev_failed()).await.remove(0)
        };
        let reason = "the SLACK_WEBHOOK_DEV webhook: timed out".to_owned();
        assert_eq!(once(format!("{base}/slow")).await, slack(DeliveryStatus::Failed { attempts: 1, reason }));
        let reason = "the SLACK_WEBHOOK_DEV webhook answered HTTP 302: ".to_owned();
        assert_eq!(once(format!("{base}/moved")).await, slack(DeliveryStatus::Failed { attempts: 1, reason }));
        assert_eq!(followed.load(Ordering::SeqCst), 0);
    }

    /// Secrets that are unset or blank are not configured; one that is set must be a URL.
    #[test]
    fn webhooks_are_read_from_their_secrets_and_blank_ones_are_not_configured() {
        let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
        let secrets = BTreeMap::from([
            ("SLACK_WEBHOOK_DEV", "https://hooks.slack.com/services/T/B/X"),
            ("SLACK_WEBHOOK_SIT", "  \t "),
        ]);
        let n = Notifier::from_secrets(&policy, |name| secrets.get(name).map(|v| (*v).to_owned())).unwrap();
        let configured: Vec<bool> = Environment::ALL.iter().map(|e| n.configured(*e)).collect();
        assert_eq!(configured, [true, false, false]);
        let e =
            Notifier::from_secrets(&policy, |name| (name == "SLACK_WEBHOOK_PROD").then(|| "hooks.slack.com".into()))
                .unwrap_err();
        assert_eq!(e.to_string(), "SLACK_WEBHOOK_PROD: not an http(s) URL (the value is a secret and is not shown)");
    }

    #[tokio::test]
    async fn a_channel_without_a_webhook_is_not_configured_and_nothing_is_sent() {
        let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
        let n = Notifier::new(&policy, BTreeMap::new());
        assert!(!n.configured(Environment::Dev));
        let got = n.notify(&dev_failed()).await;
        assert_eq!(got[0], slack(DeliveryStatus::NotConfigured { secret: "SLACK_WEBHOOK_DEV".into() }));
        let (url, _) = hook(vec![(200, None, "ok")]).await;
        let n = notifier(&url);
        assert!(n.configured(Environment::Dev) && !n.configured(Environment::Prod));
        assert_eq!(format!("{:?}", Webhook::parse("S", &url).unwrap()), "Webhook(<secret>)");
    }
}

/// R27–R30: where a component's state, lock item, lock file and digest live, in the default
/// workspace and in another, as Terraform's S3 backend names them.
#[rstest]
#[case(None, "2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate")]
#[case(Some("default"), "2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate")]
#[case(Some("blue"), "env:/blue/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate")]
#[tokio::test]
async fn a_components_state_lock_and_digest_are_named_as_terraform_names_them(
    #[case] workspace: Option<&str>,
    #[case] key: &str,
) {
    use stagegate::emulator::{Endpoint, Flavor};
    use stagegate::engine::state::{StateLocking, StateSettings, StateStore};
    let endpoint = Endpoint { url: Some("http://127.0.0.1:9".into()), flavor: Flavor::Moto };
    let settings = StateSettings::new(StateLocking::Both, None);
    let store = StateStore::for_environment(&endpoint, Environment::Sit, "af-south-1")
        .await
        .with_settings(settings.clone())
        .with_workspace(workspace);
    let c: Component = "tenants".parse().unwrap();
    assert_eq!(store.state_key(&c), key);
    assert_eq!((store.bucket(), store.lock_table()), ("bbws-terraform-state-sit", "terraform-state-lock-sit"));
    assert_eq!(store.lock_id(&c), format!("bbws-terraform-state-sit/{key}"));
    assert_eq!(store.digest_id(&c), format!("bbws-terraform-state-sit/{key}-md5"));
    assert_eq!(store.lock_file_key(&c), format!("{key}.tflock"));
    assert_eq!((store.environment(), store.settings()), (Environment::Sit, &settings));
    assert_eq!(store.clients().account_id.as_deref(), Some("815856636111"));
}

/// A plan of `env` made at a fixed instant, expiring 30 days later, of `components`.
fn plan_of(env: Environment, components: Vec<stagegate::engine::plan::ComponentPlan>) -> stagegate::engine::plan::Plan {
    let at: jiff::Timestamp = "2026-12-03T10:30:00Z".parse().unwrap();
    stagegate::engine::plan::Plan {
        format: "stagegate-plan/1".into(),
        environment: env,
        account: env.account_id().into(),
        commit: Some("5e1f0c2".into()),
        created: at,
        expires: at + jiff::SignedDuration::from_hours(24 * 30),
        components,
    }
}

/// One component of a plan, `tenants`, with `resources`.
fn tenants_plan(resources: Vec<stagegate::engine::plan::ResourceChange>) -> stagegate::engine::plan::ComponentPlan {
    stagegate::engine::plan::ComponentPlan {
        component: "tenants".into(),
        state_key: String::new(),
        lineage: Some("l".into()),
        serial: 1,
        resources,
        table: None,
    }
}

/// A plan's change of the resource `kind.name`, without attributes.
fn change_of(
    kind: &str,
    name: &str,
    action: stagegate::engine::plan::Action,
) -> stagegate::engine::plan::ResourceChange {
    stagegate::engine::plan::ResourceChange {
        address: format!("{kind}.{name}"),
        kind: kind.into(),
        name: name.into(),
        action,
        reason: None,
        changes: Vec::new(),
        after: Default::default(),
        drift: false,
    }
}

/// A plan's change of table `name`, without attributes.
fn table_change(name: &str, action: stagegate::engine::plan::Action) -> stagegate::engine::plan::ResourceChange {
    change_of("aws_dynamodb_table", name, action)
}

/// What rehearse and drill ask the gate with, and how a deployment's outcome is printed.
mod deploy_outcomes {
    use stagegate::Environment;
    use stagegate::foundation::policy::Pipeline;
    use stagegate::foundation::repo::Repo;
    use stagegate::foundation::tickets::FileTickets;
    use stagegate::release::deploy::{DeployOutcome, simulated_request};
    use stagegate::release::gate::{Approval, evaluate};
    use stagegate::release::ledger::TestResults;
    use stagegate::release::notify::{Alert, Delivery, DeliveryStatus};

    #[rstest::rstest]
    #[case(Environment::Prod, false, "deploy-prod", 3)]
    #[case(Environment::Sit, true, "rollback-sit", 2)]
    #[case(Environment::Dev, false, "deploy-dev", 1)]
    fn a_simulated_request_has_the_required_reviewers_the_confirmation_and_the_ticket(
        #[case] env: Environment,
        #[case] rollback: bool,
        #[case] typed: &str,
        #[case] approvals: usize,
    ) {
        let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
        let at: jiff::Timestamp = "2026-12-03T10:30:00Z".parse().unwrap();
        let req = simulated_request(&policy, env, "drill-bot", "CHG0000002", "5e1f0c2", at, rollback);
        let reviewers = &policy.environment(env).reviewers;
        let want: Vec<Approval> =
            reviewers.iter().take(approvals).map(|r| Approval { who: r.clone(), at: Some(at) }).collect();
        assert_eq!(req.approvals, want);
        assert_eq!(req.confirmation.as_deref(), Some(typed));
        assert_eq!(req.change_ticket.as_ref().map(ToString::to_string).as_deref(), Some("CHG0000002"));
        assert_eq!((req.env, req.rollback, req.deployer.as_str(), req.at), (env, rollback, "drill-bot", at));
    }

    #[test]
    fn only_a_gate_closed_for_want_of_approvals_asks_the_reviewers_for_them() {
        use stagegate::release::deploy::approval_required;
        use stagegate::release::notify::Event;
        let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
        let at: jiff::Timestamp = "2026-12-03T10:30:00Z".parse().unwrap();
        let tickets = FileTickets::default();
        let mut req = simulated_request(&policy, Environment::Sit, "release-bot", "CHG0000002", "5e1f0c2", at, false);
        let green = evaluate(&policy, &tickets, None, &req);
        assert!(green.passed(), "{green}");
        assert_eq!(approval_required(&policy, &req, &green), None, "an open gate asks nothing");
        req.approvals.truncate(1);
        let wanting = evaluate(&policy, &tickets, None, &req);
        let asked = approval_required(&policy, &req, &wanting).expect("a request for approvals");
        let Event::ApprovalRequired { requested_by, approvers_needed, approved_by, .. } = asked.event else {
            panic!("{asked:?}")
        };
        assert_eq!((asked.env, requested_by.as_str(), approvers_needed), (Environment::Sit, "release-bot", 2));
        assert_eq!(approved_by, [req.approvals[0].who.clone()]);
        let unpromoted = evaluate(&policy, &tickets, Some(&[]), &req);
        let failed: Vec<&str> = unpromoted.failures().iter().map(|r| r.rule).collect();
        assert_eq!(failed, ["R16", "R25"], "{unpromoted}");
        assert_eq!(approval_required(&policy, &req, &unpromoted), None, "approvals would not open it");
    }

    #[test]
    fn an_outcome_prints_the_verdict_then_the_tests_the_tag_and_each_notification() {
        let policy = Pipeline::load(&Repo::sample_path()).expect("the sample policy");
        let at: jiff::Timestamp = "2026-12-03T10:30:00Z".parse().unwrap();
        let req = simulated_request(&policy, Environment::Dev, "drill-bot", "CHG0000002", "5e1f0c2", at, false);
        let verdict = evaluate(&policy, &FileTickets::default(), None, &req);
        let mut outcome = DeployOutcome::refused(verdict.clone());
        assert_eq!(outcome.to_string(), verdict.to_string());
        assert!(!outcome.succeeded());
        outcome.tests = Some(TestResults { passed: false, summary: "Smoke tests: 3 checks pass; broken: x".into() });
        outcome.tag = Some("deploy-dev-20261203-1030".into());
        outcome.notifications.push(Delivery {
            alert: Alert::Slack { channel: "#dev-alerts".into() },
            status: DeliveryStatus::Sent { attempts: 2 },
        });
        assert_eq!(
            outcome.to_string(),
            format!(
                "{verdict}post-deploy tests FAILED: Smoke tests: 3 checks pass; broken: x\n\
                 tagged deploy-dev-20261203-1030\nnotified Slack #dev-alerts after 2 attempts\n"
            )
        );
        outcome.tests = Some(TestResults { passed: true, summary: "all pass".into() });
        assert!(outcome.to_string().contains("\npost-deploy tests passed: all pass\n"), "{outcome}");
    }
}

/// The approval request links the GitHub Actions run it comes from, when there is one.
#[rstest]
#[case(&[("GITHUB_SERVER_URL", "https://github.com"), ("GITHUB_REPOSITORY", "bbws/infra"), ("GITHUB_RUN_ID", "42")], Some("https://github.com/bbws/infra/actions/runs/42"))]
#[case(&[("GITHUB_SERVER_URL", "https://github.com"), ("GITHUB_REPOSITORY", "bbws/infra"), ("GITHUB_RUN_ID", "")], None)]
#[case(&[("GITHUB_REPOSITORY", "bbws/infra"), ("GITHUB_RUN_ID", "42")], None)]
#[case(&[], None)]
fn the_run_url_is_given_only_inside_a_github_actions_run(#[case] vars: &[(&str, &str)], #[case] url: Option<&str>) {
    let var = |k: &str| vars.iter().find(|(name, _)| *name == k).map(|(_, v)| (*v).to_owned());
    assert_eq!(stagegate::release::deploy::run_url(var).as_deref(), url);
}
