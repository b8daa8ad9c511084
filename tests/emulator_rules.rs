//! The emulator backends' capability model: what each declares it lacks, how a command that
//! needs it is refused, and the feature-file tags that set scenarios aside.

use std::fs;
use std::path::Path;

use rstest::rstest;
use stagegate::emulator::{Capability, Flavor, java_major_version};

#[rstest]
#[case(Flavor::LocalStack, Capability::Backup, false)]
#[case(Flavor::LocalStack, Capability::BackupSelections, false)]
#[case(Flavor::LocalStack, Capability::S3AccountIsolation, true)]
#[case(Flavor::Moto, Capability::Backup, true)]
#[case(Flavor::Moto, Capability::BackupSelections, false)]
#[case(Flavor::Moto, Capability::BackupPlanUpdates, false)]
#[case(Flavor::LocalStack, Capability::BackupPlanUpdates, false)]
#[case(Flavor::Aws, Capability::BackupPlanUpdates, true)]
#[case(Flavor::Moto, Capability::S3AccountIsolation, false)]
#[case(Flavor::Moto, Capability::DynamoDbGlobalTables, false)]
#[case(Flavor::Moto, Capability::S3ObjectReplication, false)]
#[case(Flavor::LocalStack, Capability::DynamoDbGlobalTables, true)]
#[case(Flavor::LocalStack, Capability::S3ObjectReplication, false)]
#[case(Flavor::LocalStack, Capability::DynamoDbItemReplication, false)]
#[case(Flavor::Moto, Capability::DynamoDbItemReplication, false)]
#[case(Flavor::Aws, Capability::DynamoDbItemReplication, true)]
#[case(Flavor::Moto, Capability::DynamoDbKeyTypes, false)]
#[case(Flavor::LocalStack, Capability::DynamoDbKeyTypes, true)]
#[case(Flavor::Aws, Capability::DynamoDbGlobalTables, true)]
#[case(Flavor::Aws, Capability::S3ObjectReplication, true)]
#[case(Flavor::Aws, Capability::Backup, true)]
#[case(Flavor::Generic, Capability::Backup, true)]
fn each_backend_declares_what_it_lacks(#[case] flavor: Flavor, #[case] capability: Capability, #[case] has: bool) {
    assert_eq!(flavor.has(capability), has);
    assert_eq!(flavor.require(capability, "x").is_ok(), has);
}

#[test]
fn a_refusal_names_the_service_the_backend_and_what_to_use_instead() {
    let e = Flavor::LocalStack.require(Capability::Backup, "applying sit").unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("applying sit needs AWS Backup"), "{text}");
    assert!(text.contains("LocalStack 4.5.0 community"), "{text}");
    assert!(text.contains("nothing was changed"), "{text}");
    assert!(text.contains("use --backend local"), "{text}");
}

#[test]
fn a_dr_plan_is_refused_where_global_tables_are_missing() {
    let kinds = ["aws_dynamodb_table", "aws_dynamodb_table_replica", "aws_s3_bucket_replication_configuration"];
    let refused = stagegate::resources::require_capabilities(Flavor::Moto, kinds, "planning prod").unwrap_err();
    assert_eq!(refused.capability, Capability::DynamoDbGlobalTables);
    assert!(refused.to_string().contains("use --backend localstack"), "{refused}");
    assert!(stagegate::resources::require_capabilities(Flavor::LocalStack, kinds, "planning prod").is_ok());
}

#[test]
fn plan_and_apply_refuse_backup_resources_where_backup_is_missing() {
    let kinds = ["aws_dynamodb_table", "aws_backup_vault"];
    let refused = stagegate::resources::require_capabilities(Flavor::LocalStack, kinds, "planning sit").unwrap_err();
    assert_eq!(refused.capability, Capability::Backup);
    assert!(stagegate::resources::require_capabilities(Flavor::Moto, kinds, "planning sit").is_ok());
    assert!(
        stagegate::resources::require_capabilities(Flavor::LocalStack, ["aws_dynamodb_table", "aws_s3_bucket"], "x")
            .is_ok()
    );
}

#[test]
fn capability_tags_round_trip() {
    for c in Capability::ALL {
        assert_eq!(Capability::from_tag(&format!("@{}", c.tag())), Some(c));
    }
    assert_eq!(Capability::from_tag("@R30"), None);
}

/// A misspelt `@needs-...` tag would run a scenario on a backend that lacks what it needs.
#[test]
fn every_needs_tag_in_the_features_names_a_capability() {
    let mut bad = Vec::new();
    let mut tagged = 0;
    visit(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/features")), &mut |path, text| {
        for word in text.split_whitespace().filter(|w| w.starts_with("@needs-")) {
            tagged += 1;
            if Capability::from_tag(word).is_none() {
                bad.push(format!("{}: {word}", path.display()));
            }
        }
    });
    assert!(bad.is_empty(), "unknown capability tags: {bad:?}");
    assert!(tagged > 0, "no scenario is tagged @needs-backup, yet LocalStack community has no AWS Backup");
}

fn visit(dir: &Path, f: &mut dyn FnMut(&Path, &str)) {
    for entry in fs::read_dir(dir).expect("features/ is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            visit(&path, f);
        } else if path.extension().is_some_and(|e| e == "feature") {
            f(&path, &fs::read_to_string(&path).expect("a feature file is text"));
        }
    }
}

#[rstest]
#[case("openjdk version \"17.0.15\" 2025-04-15", Some(17))]
#[case("java version \"1.8.0_412\"", Some(8))]
#[case("openjdk version \"25\" 2025-09-16", Some(25))]
#[case("no version here", None)]
fn java_versions_old_and_new(#[case] text: &str, #[case] major: Option<u32>) {
    assert_eq!(java_major_version(text), major);
}
