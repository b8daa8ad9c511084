//! The deployer role rules (R41, R42, F06): the IAM policy model, IAM's evaluation logic, the
//! trust, least-privilege and sufficiency checks, on the policies of LLD 7.5.2 and the sample repo.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use rstest::rstest;
use serde_json::json;
use stagegate::Environment;
use stagegate::aws::RecordedCall;
use stagegate::checks::iam::actions::{ResourceKind, iam_actions, resource_kind};
use stagegate::checks::iam::checks::{oidc_provider, pinned_subject};
use stagegate::checks::iam::evaluate::{action_matches, resource_matches, wildcard_match};
use stagegate::checks::iam::{self, Decision, PolicyDocument, PolicyError, PolicyKind, Request, evaluate};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn policy(doc: serde_json::Value) -> PolicyDocument {
    PolicyDocument::parse(&doc.to_string(), PolicyKind::Permissions).expect("a valid policy")
}

fn decide(doc: &PolicyDocument, action: &str, resource: &str) -> Decision {
    evaluate(&[doc], &Request::new(action, resource))
}

const TEMPLATES: &str = "arn:aws:s3:::bbws-templates-dev";
const TENANTS: &str = "arn:aws:dynamodb:af-south-1:536580886816:table/tenants";

#[rstest]
#[case("*", "", true)]
#[case("*", "anything at all", true)]
#[case("s3:PutBucket*", "s3:PutBucketVersioning", true)]
#[case("s3:PutBucket*", "s3:PutBucket", true)]
#[case("s3:PutBucket*", "s3:PutObject", false)]
#[case("s3:Get?bject", "s3:GetObject", true)]
#[case("s3:Get?bject", "s3:GetObjectVersion", false)]
#[case("a*b*c", "aXXbYYc", true)]
#[case("a*b*c", "aXXbYY", false)]
#[case("*Object*", "s3:GetObjectVersion", true)]
#[case("", "", true)]
#[case("", "x", false)]
fn wildcards(#[case] pattern: &str, #[case] text: &str, #[case] matches: bool) {
    assert_eq!(wildcard_match(pattern, text, false), matches);
}

#[rstest]
#[case("s3:PutBucket*", "S3:putbucketversioning", true)]
#[case("DynamoDB:DescribeTable", "dynamodb:describetable", true)]
#[case("dynamodb:Describe*", "dynamodb:UpdateTable", false)]
fn actions_match_ignoring_case(#[case] pattern: &str, #[case] action: &str, #[case] matches: bool) {
    assert_eq!(action_matches(pattern, action), matches);
}

#[rstest]
#[case("arn:aws:s3:::bbws-templates-dev/*", "arn:aws:s3:::bbws-templates-dev/welcome.html", true)]
#[case("arn:aws:s3:::bbws-templates-dev/*", "arn:aws:s3:::BBWS-templates-dev/welcome.html", false)]
#[case("arn:aws:s3:::bbws-templates-dev/*", "arn:aws:s3:::bbws-templates-dev", false)]
#[case("arn:aws:dynamodb:*:536580886816:table/*", TENANTS, true)]
#[case("arn:aws:dynamodb:af-south-1:815856636111:table/*", TENANTS, false)]
fn resources_match_with_case(#[case] pattern: &str, #[case] resource: &str, #[case] matches: bool) {
    assert_eq!(resource_matches(pattern, resource), matches);
}

#[test]
fn statement_and_its_fields_may_be_one_value_or_an_array() {
    let one = policy(json!({"Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}));
    let many = policy(json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}]}));
    for doc in [&one, &many] {
        assert_eq!(decide(doc, "s3:GetObject", "arn:aws:s3:::b/k"), Decision::Allowed);
        assert_eq!(decide(doc, "s3:PutObject", "arn:aws:s3:::b/k"), Decision::ImplicitlyDenied);
    }
}

#[test]
fn an_explicit_deny_wins_over_any_allow() {
    let doc = policy(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": TENANTS}]}));
    assert_eq!(decide(&doc, "dynamodb:DeleteTable", TENANTS), Decision::ExplicitlyDenied);
    assert_eq!(decide(&doc, "dynamodb:deletetable", TENANTS), Decision::ExplicitlyDenied);
    assert_eq!(decide(&doc, "dynamodb:DescribeTable", TENANTS), Decision::Allowed);
}

#[test]
fn not_action_and_not_resource_apply_to_everything_else() {
    let doc = policy(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "NotResource": ["arn:aws:s3:::bbws-templates-dev", "arn:aws:s3:::bbws-templates-dev/*"]}]}));
    assert_eq!(decide(&doc, "s3:PutObject", &format!("{TEMPLATES}/x")), Decision::Allowed);
    assert_eq!(decide(&doc, "s3:DeleteObject", &format!("{TEMPLATES}/x")), Decision::ImplicitlyDenied);
    assert_eq!(decide(&doc, "s3:PutObject", "arn:aws:s3:::bbws-templates-sit/x"), Decision::ExplicitlyDenied);
}

#[rstest]
#[case("StringEquals", json!("sts.amazonaws.com"), Some("sts.amazonaws.com"), true)]
#[case("StringEquals", json!(["a", "sts.amazonaws.com"]), Some("sts.amazonaws.com"), true)]
#[case("StringEquals", json!("sts.amazonaws.com"), Some("STS.amazonaws.com"), false)]
#[case("StringEqualsIgnoreCase", json!("sts.amazonaws.com"), Some("STS.amazonaws.com"), true)]
#[case("StringEquals", json!("sts.amazonaws.com"), None, false)]
#[case("StringEqualsIfExists", json!("sts.amazonaws.com"), None, true)]
#[case("StringNotEquals", json!("sigstore"), None, true)]
#[case("StringNotEquals", json!("sigstore"), Some("sigstore"), false)]
#[case("StringLike", json!("repo:org/*"), Some("repo:org/x:ref:refs/heads/main"), true)]
#[case("StringNotLike", json!("repo:org/*"), Some("repo:other/x"), true)]
#[case("ForAnyValue:StringLike", json!("repo:org/*"), Some("repo:org/x"), true)]
#[case("Bool", json!(true), Some("true"), true)]
#[case("Bool", json!("false"), Some("true"), false)]
#[case("Null", json!("true"), None, true)]
#[case("Null", json!("true"), Some("x"), false)]
#[case("Null", json!("false"), Some("x"), true)]
#[case("Null", json!("false"), None, false)]
#[case("StringNotEqualsIgnoreCase", json!("sigstore"), Some("SIGSTORE"), false)]
#[case("StringNotEqualsIgnoreCase", json!("sigstore"), Some("other"), true)]
#[case("StringNotLike", json!("repo:org/*"), Some("repo:org/x"), false)]
#[case("StringNotLike", json!("repo:org/*"), None, true)]
#[case("StringLikeIfExists", json!("repo:org/*"), None, true)]
#[case("StringLike", json!("repo:org/*"), None, false)]
#[case("ArnEquals", json!("arn:aws:iam::1:role/a"), Some("arn:aws:iam::1:role/a"), true)]
#[case("ArnEquals", json!("arn:aws:iam::1:role/a"), Some("arn:aws:iam::1:role/b"), false)]
#[case("ArnLike", json!("arn:aws:iam::1:role/*"), Some("arn:aws:iam::1:role/b"), true)]
#[case("ArnLike", json!("arn:aws:iam::1:role/*"), Some("arn:aws:iam::2:role/b"), false)]
#[case("ArnNotEquals", json!("arn:aws:iam::1:role/a"), Some("arn:aws:iam::1:role/a"), false)]
#[case("ArnNotEquals", json!("arn:aws:iam::1:role/a"), Some("arn:aws:iam::1:role/b"), true)]
#[case("ArnNotLike", json!("arn:aws:iam::1:role/*"), Some("arn:aws:iam::1:role/b"), false)]
#[case("ArnNotLike", json!("arn:aws:iam::1:role/*"), Some("arn:aws:iam::2:role/b"), true)]
#[case("ForAllValues:StringEquals", json!("a"), Some("a"), true)]
#[case("ForAllValues:StringEquals", json!("a"), Some("b"), false)]
#[case("Bool", json!(true), Some("TRUE"), true)]
#[case("Bool", json!(true), None, false)]
#[case("BoolIfExists", json!(true), None, true)]
fn condition_operators(
    #[case] operator: &str,
    #[case] wanted: serde_json::Value,
    #[case] value: Option<&str>,
    #[case] allowed: bool,
) {
    let doc = policy(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
        "Resource": "*", "Condition": {operator: {"test:key": wanted}}}]}));
    let mut req = Request::new("s3:GetObject", "arn:aws:s3:::b/k");
    if let Some(v) = value {
        req = req.with("Test:Key", v);
    }
    assert_eq!(evaluate(&[&doc], &req).allowed(), allowed);
}

/// Who a trust statement lets in: the principal it names, everyone for `*`, everyone but the
/// named for `NotPrincipal`; a request by nobody matches no principal.
#[rstest]
#[case::the_named(json!({"Principal": {"Federated": "arn:p"}}), Some("arn:p"), true)]
#[case::another(json!({"Principal": {"Federated": "arn:p"}}), Some("arn:q"), false)]
#[case::another_kind(json!({"Principal": {"AWS": "arn:p"}}), Some("arn:p"), false)]
#[case::a_star_of_the_kind(json!({"Principal": {"Federated": "*"}}), Some("arn:q"), true)]
#[case::everyone(json!({"Principal": "*"}), Some("arn:q"), true)]
#[case::nobody(json!({"Principal": "*"}), None, false)]
#[case::all_but_the_named(json!({"NotPrincipal": {"Federated": "arn:p"}}), Some("arn:q"), true)]
#[case::not_the_named(json!({"NotPrincipal": {"Federated": "arn:p"}}), Some("arn:p"), false)]
fn a_trust_statement_lets_in_its_principals(
    #[case] who: serde_json::Value,
    #[case] by: Option<&str>,
    #[case] allowed: bool,
) {
    let mut statement = json!({"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity"});
    statement.as_object_mut().unwrap().extend(who.as_object().unwrap().clone());
    let doc = PolicyDocument::parse(
        &json!({"Version": "2012-10-17", "Statement": [statement]}).to_string(),
        PolicyKind::Trust,
    )
    .expect("a trust policy");
    let mut req = Request::new("sts:AssumeRoleWithWebIdentity", "");
    if let Some(p) = by {
        req = req.by("Federated", p);
    }
    assert_eq!(evaluate(&[&doc], &req).allowed(), allowed);
}

#[rstest]
#[case(json!({"Statement": []}), "Version")]
#[case(json!({"Version": "2008-10-17", "Statement": []}), "Version")]
#[case(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "a:b", "NotAction": "a:c", "Resource": "*"}]}), "Action")]
#[case(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "a:b"}]}), "Resource")]
#[case(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"StringSorta": {"k": "v"}}}]}), "operator")]
#[case(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Actions": "a:b", "Resource": "*"}]}), "Actions")]
#[case(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "a:b", "Resource": "*"}]}), "Maybe")]
#[case(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"NullIfExists": {"k": "true"}}}]}), "NullIfExists")]
fn invalid_policies_are_refused(#[case] doc: serde_json::Value, #[case] says: &str) {
    let err: PolicyError = PolicyDocument::parse(&doc.to_string(), PolicyKind::Permissions).unwrap_err();
    assert!(err.to_string().contains(says), "{err}");
}

#[rstest]
#[case("s3:PutPublicAccessBlock", &["s3:PutBucketPublicAccessBlock"])]
#[case("s3:PutBucketEncryption", &["s3:PutEncryptionConfiguration"])]
#[case("s3:HeadBucket", &["s3:ListBucket"])]
#[case("s3:HeadObject", &["s3:GetObject"])]
#[case("s3:ListObjectVersions", &["s3:ListBucketVersions"])]
#[case("s3:CopyObject", &["s3:GetObject", "s3:PutObject"])]
#[case("s3:PutBucketVersioning", &["s3:PutBucketVersioning"])]
#[case("dynamodb:UpdateContinuousBackups", &["dynamodb:UpdateContinuousBackups"])]
#[case("s3:ListBuckets", &["s3:ListAllMyBuckets"])]
#[case("s3:DeleteObjects", &["s3:DeleteObject"])]
#[case("s3:PutBucketLifecycleConfiguration", &["s3:PutLifecycleConfiguration"])]
#[case("s3:DeleteBucketLifecycle", &["s3:PutLifecycleConfiguration"])]
#[case("s3:GetPublicAccessBlock", &["s3:GetBucketPublicAccessBlock"])]
#[case("s3:GetBucketEncryption", &["s3:GetEncryptionConfiguration"])]
#[case("s3:GetBucketLifecycleConfiguration", &["s3:GetLifecycleConfiguration"])]
#[case("s3:DeleteBucketTagging", &["s3:PutBucketTagging"])]
#[case("S3:HeadBucket", &["s3:ListBucket"])]
#[case("DynamoDB:CreateTable", &["dynamodb:CreateTable"])]
#[case("GetCallerIdentity", &["GetCallerIdentity"])]
#[case("sts:GetCallerIdentity", &[])]
fn operations_map_to_the_iam_actions_that_authorise_them(#[case] operation: &str, #[case] actions: &[&str]) {
    assert_eq!(iam_actions(operation), actions);
}

#[rstest]
#[case("repo:org/2_1_bbws_dynamodb_schemas:ref:refs/heads/main", true)]
#[case("repo:org/2_1_bbws_dynamodb_schemas:ref:refs/heads/develop", false)]
#[case("repo:org/2_1_bbws_dynamodb_schemas:pull_request", false)]
#[case("repo:org/2_1_bbws_dynamodb_schemas:environment:prod", false)]
#[case("repo:org/*:ref:refs/heads/main", false)]
#[case("repo:org/x:ref:refs/heads/ma?n", false)]
#[case("repo:/x:ref:refs/heads/main", false)]
fn the_subject_is_pinned_to_main(#[case] sub: &str, #[case] pinned: bool) {
    assert_eq!(pinned_subject(sub, &["main".to_owned()]), pinned);
}

/// What an IAM action acts on decides which of the environment's resources stand in for a call
/// whose resource was not recorded.
#[rstest]
#[case("s3:ListAllMyBuckets", ResourceKind::Account)]
#[case("s3:GetObject", ResourceKind::Object)]
#[case("s3:PutBucketVersioning", ResourceKind::Bucket)]
#[case("s3:ListBucket", ResourceKind::Bucket)]
#[case("dynamodb:ListTables", ResourceKind::Account)]
#[case("dynamodb:ListTagsOfResource", ResourceKind::Table)]
#[case("dynamodb:CreateTable", ResourceKind::Table)]
#[case("backup:ListBackupPlans", ResourceKind::Account)]
#[case("backup:ListTags", ResourceKind::BackupPlan)]
#[case("backup:CreateBackupVault", ResourceKind::BackupVault)]
#[case("backup:CreateBackupPlan", ResourceKind::BackupPlan)]
#[case("backup:TagResource", ResourceKind::BackupPlan)]
#[case("ListThings", ResourceKind::Table)]
fn an_action_acts_on_one_kind_of_resource(#[case] action: &str, #[case] kind: ResourceKind) {
    assert_eq!(resource_kind(action), kind);
}

/// The sample DEV environment's resources of each kind, as ARNs.
#[rstest]
#[case(ResourceKind::Bucket, &["arn:aws:s3:::bbws-templates-dev", "arn:aws:s3:::bbws-terraform-state-dev"])]
#[case(ResourceKind::Object, &["arn:aws:s3:::bbws-templates-dev/*", "arn:aws:s3:::bbws-terraform-state-dev/*"])]
#[case(ResourceKind::BackupVault, &["arn:aws:backup:af-south-1:536580886816:backup-vault:bbws-dynamodb-dev"])]
#[case(
    ResourceKind::BackupPlan,
    &["arn:aws:backup:af-south-1:536580886816:backup-plan:*", "arn:aws:backup:af-south-1:536580886816:backup-vault:bbws-dynamodb-dev"]
)]
#[case(ResourceKind::Account, &["*"])]
fn the_candidates_of_each_kind_are_the_environments_own(#[case] kind: ResourceKind, #[case] arns: &[&str]) {
    let dev = iam::environment_resources(&fixture("repo"), Environment::Dev).expect("the sample environment");
    assert_eq!(dev.candidates(kind), arns);
}

#[test]
fn the_table_candidates_are_the_schemas_tables_and_the_lock_table() {
    let dev = iam::environment_resources(&fixture("repo"), Environment::Dev).expect("the sample environment");
    let tables = dev.candidates(ResourceKind::Table);
    assert!(tables.contains(&dev.table_arn("terraform-state-lock-dev")), "{tables:?}");
    assert!(tables.contains(&TENANTS.to_owned()), "{tables:?}");
    assert_eq!(tables.len(), dev.tables.len() + 1, "{tables:?}");
}

/// A repo keeps deployer policies when it has an `iam/` directory; a file of that name is not one.
#[test]
fn only_an_iam_directory_means_the_repo_keeps_policies() {
    assert!(iam::has_policies(&fixture("repo")));
    let dir = tempfile::tempdir().expect("a temporary directory");
    assert!(!iam::has_policies(dir.path()));
    std::fs::write(dir.path().join("iam"), "").expect("write");
    assert!(!iam::has_policies(dir.path()));
}

/// The branches a trust policy may pin: pipeline.yml's, or `main` when it names none.
#[rstest]
#[case::none_named("environments:\n  dev:\n    approvers: []\n", &["main"])]
#[case::an_empty_list("environments:\n  dev:\n    deployment_branches: []\n", &["main"])]
#[case::another_branch("environments:\n  dev:\n    deployment_branches: [release]\n", &["release"])]
#[case::two("environments:\n  dev:\n    deployment_branches: [main, hotfix]\n", &["main", "hotfix"])]
fn the_deployment_branches_come_from_the_pipeline_file(#[case] pipeline: &str, #[case] branches: &[&str]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("pipeline.yml"), pipeline).expect("write");
    assert_eq!(iam::deployment_branches(dir.path(), Environment::Dev), branches);
}

#[rstest]
#[case("lld-7.5.2")]
#[case("repo")]
fn the_trust_policies_let_in_only_their_own_account(#[case] policies: &str) {
    for env in Environment::ALL {
        let trust = iam::load_policy(&fixture(policies), env, PolicyKind::Trust).expect("a trust policy");
        let main = ["main".to_owned()];
        assert_eq!(iam::check_trust(&trust, env.account_id(), &main), vec![], "{env:?}");
        for other in Environment::ALL.into_iter().filter(|o| *o != env) {
            let problems = iam::check_trust(&trust, other.account_id(), &main);
            assert!(problems.iter().any(|p| p.message.contains("not this environment's account")), "{problems:?}");
        }
        // IAM's own evaluation agrees: main's token is let in, a pull request's is not.
        let token = |sub: &str| {
            Request::new("sts:AssumeRoleWithWebIdentity", "")
                .by("Federated", &oidc_provider(env.account_id()))
                .with("token.actions.githubusercontent.com:aud", "sts.amazonaws.com")
                .with("token.actions.githubusercontent.com:sub", sub)
        };
        let allowed = |sub: &str| evaluate(&[&trust], &token(sub)).allowed();
        assert!(allowed("repo:org/2_1_bbws_dynamodb_schemas:ref:refs/heads/main"));
        assert!(!allowed("repo:org/2_1_bbws_dynamodb_schemas:pull_request"));
    }
}

/// A sample DEV policy with `changes` made: a JSON pointer and its new value; `null` removes
/// the member.
fn changed_policy(file: &str, kind: PolicyKind, changes: &[(&str, serde_json::Value)]) -> PolicyDocument {
    let text = std::fs::read_to_string(fixture("repo").join("iam/dev").join(file)).expect("the fixture");
    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    for (pointer, value) in changes {
        let (parent, member) = pointer.rsplit_once('/').expect("a JSON pointer");
        let owner = doc.pointer_mut(parent).expect("the member's owner").as_object_mut().expect("an object");
        match value {
            serde_json::Value::Null => owner.remove(member),
            v => owner.insert(member.to_owned(), v.clone()),
        };
    }
    PolicyDocument::parse(&doc.to_string(), kind).expect("a valid policy")
}

fn paths_and_messages(problems: Vec<iam::Problem>) -> Vec<(String, String)> {
    problems.into_iter().map(|p| (p.path.to_string(), p.message)).collect()
}

fn owned(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(p, m)| ((*p).to_owned(), (*m).to_owned())).collect()
}

/// The problems of the sample DEV trust policy with `changes` made, checked against main only.
fn trust_problems(changes: &[(&str, serde_json::Value)]) -> Vec<(String, String)> {
    let doc = changed_policy("trust-policy.json", PolicyKind::Trust, changes);
    paths_and_messages(iam::check_trust(&doc, Environment::Dev.account_id(), &["main".to_owned()]))
}

const DEV_OIDC: &str = "arn:aws:iam::536580886816:oidc-provider/token.actions.githubusercontent.com";
const AUD: &str = "token.actions.githubusercontent.com:aud";
const SUB: &str = "token.actions.githubusercontent.com:sub";
const MAIN_SUB: &str = "repo:org/2_1_bbws_dynamodb_schemas:ref:refs/heads/main";

/// R41: each way a trust policy lets in more than main's workflow is one problem at its place.
#[rstest]
#[case::as_written(&[], &[])]
#[case::deny_only(&[("/Statement/0/Effect", json!("Deny"))], &[("$.Statement", "no statement allows the deployer to assume the role")])]
#[case::another_kind_of_principal(
    &[("/Statement/0/Principal", json!({"AWS": "arn:aws:iam::536580886816:root"}))],
    &[("$.Statement[0].Principal.AWS", "trusts AWS principal arn:aws:iam::536580886816:root, not only GitHub's OIDC provider"),
      ("$.Statement[0].Principal", "does not name the federated principal arn:aws:iam::536580886816:oidc-provider/token.actions.githubusercontent.com")]
)]
#[case::another_accounts_provider_among_two(
    &[("/Statement/0/Principal", json!({"Federated": [DEV_OIDC, "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"]}))],
    &[("$.Statement[0].Principal.Federated[1]", "trusts the GitHub OIDC provider of account 111111111111, not this environment's account 536580886816")]
)]
#[case::another_provider(
    &[("/Statement/0/Principal", json!({"Federated": "arn:aws:iam::536580886816:oidc-provider/accounts.google.com"}))],
    &[("$.Statement[0].Principal.Federated", "trusts federated principal arn:aws:iam::536580886816:oidc-provider/accounts.google.com, not arn:aws:iam::536580886816:oidc-provider/token.actions.githubusercontent.com")]
)]
#[case::everyone(&[("/Statement/0/Principal", json!("*"))], &[("$.Statement[0].Principal", "Principal \"*\" trusts everyone")])]
#[case::no_principal(
    &[("/Statement/0/Principal", json!(null))],
    &[("$.Statement[0]", "names no principal; it must be arn:aws:iam::536580886816:oidc-provider/token.actions.githubusercontent.com")]
)]
#[case::not_principal(
    &[("/Statement/0/Principal", json!(null)), ("/Statement/0/NotPrincipal", json!({"AWS": "arn:aws:iam::1:root"}))],
    &[("$.Statement[0].NotPrincipal", "Allow with NotPrincipal trusts every other principal")]
)]
#[case::another_action(
    &[("/Statement/0/Action", json!(["sts:AssumeRoleWithWebIdentity", "sts:TagSession", "s3:GetObject"]))],
    &[("$.Statement[0].Action[2]", "allows s3:GetObject; only sts:AssumeRoleWithWebIdentity is needed")]
)]
#[case::the_action_in_another_case(&[("/Statement/0/Action", json!("STS:assumerolewithwebidentity"))], &[])]
#[case::not_action(
    &[("/Statement/0/Action", json!(null)), ("/Statement/0/NotAction", json!("s3:*"))],
    &[("$.Statement[0].NotAction", "Allow with NotAction allows every other action")]
)]
#[case::no_condition(
    &[("/Statement/0/Condition", json!(null))],
    &[("$.Statement[0].Condition", "no StringEquals condition on token.actions.githubusercontent.com:aud"),
      ("$.Statement[0].Condition", "no condition on token.actions.githubusercontent.com:sub: a workflow of any repository and branch can assume the role")]
)]
#[case::condition_keys_in_another_case(
    &[("/Statement/0/Condition", json!({"StringEquals": {"Token.Actions.GitHubUserContent.com:AUD": "sts.amazonaws.com", "TOKEN.actions.githubusercontent.com:Sub": MAIN_SUB}}))],
    &[]
)]
#[case::another_audience(
    &[("/Statement/0/Condition/StringEquals", json!({AUD: ["sts.amazonaws.com", "example.com"], SUB: MAIN_SUB}))],
    &[("$.Statement[0].Condition.StringEquals[\"token.actions.githubusercontent.com:aud\"]", "StringEquals token.actions.githubusercontent.com:aud [\"sts.amazonaws.com\", \"example.com\"]: the audience must equal \"sts.amazonaws.com\"")]
)]
#[case::the_audience_by_a_pattern(
    &[("/Statement/0/Condition", json!({"StringEquals": {SUB: MAIN_SUB}, "StringLike": {AUD: "sts.amazonaws.com"}}))],
    &[("$.Statement[0].Condition.StringLike[\"token.actions.githubusercontent.com:aud\"]", "StringLike token.actions.githubusercontent.com:aud [\"sts.amazonaws.com\"]: the audience must equal \"sts.amazonaws.com\"")]
)]
#[case::a_subject_by_a_wildcard(
    &[("/Statement/0/Condition", json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "repo:org/2_1_bbws_dynamodb_schemas:*"}}))],
    &[("$.Statement[0].Condition.StringLike[\"token.actions.githubusercontent.com:sub\"]", "StringLike \"repo:org/2_1_bbws_dynamodb_schemas:*\" lets in any subject that matches the wildcard; pin the main branch with StringEquals")]
)]
#[case::a_literal_subject_by_string_like(
    &[("/Statement/0/Condition", json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: MAIN_SUB}}))],
    &[]
)]
#[case::a_wildcard_subject_by_string_equals(
    &[("/Statement/0/Condition/StringEquals", json!({AUD: "sts.amazonaws.com", SUB: "repo:org/*:ref:refs/heads/main"}))],
    &[("$.Statement[0].Condition.StringEquals[\"token.actions.githubusercontent.com:sub\"]", "subject \"repo:org/*:ref:refs/heads/main\" is not a deployment branch (main) of one repository")]
)]
#[case::the_subject_excluded(
    &[("/Statement/0/Condition", json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringNotEquals": {SUB: "repo:org/x:pull_request"}}))],
    &[("$.Statement[0].Condition.StringNotEquals[\"token.actions.githubusercontent.com:sub\"]", "StringNotEquals on token.actions.githubusercontent.com:sub: pin the subject with StringEquals")]
)]
#[case::another_branch(
    &[("/Statement/0/Condition/StringEquals", json!({AUD: "sts.amazonaws.com", SUB: ["repo:org/x:ref:refs/heads/main", "repo:org/x:ref:refs/heads/develop"]}))],
    &[("$.Statement[0].Condition.StringEquals[\"token.actions.githubusercontent.com:sub\"]", "subject \"repo:org/x:ref:refs/heads/develop\" is not a deployment branch (main) of one repository")]
)]
fn each_way_a_trust_policy_lets_in_too_much_is_one_problem(
    #[case] changes: &[(&str, serde_json::Value)],
    #[case] expected: &[(&str, &str)],
) {
    assert_eq!(trust_problems(changes), owned(expected));
}

/// R42: each way a permissions policy reaches past least privilege or out of its environment
/// is one problem at its place. Statement 0 is the tables', 1 their indexes' (read only), 2 the
/// templates bucket's (one resource, not an array).
#[rstest]
#[case::as_written(&[], &[])]
#[case::every_action_of_a_service(
    &[("/Statement/0/Action", json!(["dynamodb:DescribeTable", "dynamodb:*"]))],
    &[("$.Statement[0].Action[1]", "dynamodb:* allows every action of the service")]
)]
#[case::every_action(&[("/Statement/2/Action", json!("*"))], &[("$.Statement[2].Action", "* allows every action")])]
#[case::not_action(
    &[("/Statement/1/Action", json!(null)), ("/Statement/1/NotAction", json!("iam:*"))],
    &[("$.Statement[1].NotAction", "Allow with NotAction allows every other action of every service")]
)]
#[case::not_resource(
    &[("/Statement/1/Resource", json!(null)), ("/Statement/1/NotResource", json!("arn:aws:iam::536580886816:role/*"))],
    &[("$.Statement[1].NotResource", "Allow with NotResource allows every other resource")]
)]
#[case::any_resource_for_reading(&[("/Statement/1/Resource", json!("*"))], &[])]
#[case::any_resource_for_reads_by_pattern(
    &[("/Statement/1/Action", json!(["dynamodb:Describe*", "dynamodb:Get*", "dynamodb:List*", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "s3:HeadObject"])),
      ("/Statement/1/Resource", json!("*"))],
    &[]
)]
#[case::any_resource_for_a_change(
    &[("/Statement/1/Action", json!(["dynamodb:DescribeTable", "dynamodb:DeleteTable", "dynamodb:Put*"])), ("/Statement/1/Resource", json!(["*"]))],
    &[("$.Statement[1].Resource[0]", "Resource \"*\" for dynamodb:DeleteTable, dynamodb:Put*, which change resources")]
)]
#[case::another_account(
    &[("/Statement/1/Resource", json!(["arn:aws:dynamodb:af-south-1:111111111111:table/tenants"]))],
    &[("$.Statement[1].Resource[0]", "arn:aws:dynamodb:af-south-1:111111111111:table/tenants: account \"111111111111\" is not DEV's account 536580886816")]
)]
#[case::another_region(
    &[("/Statement/1/Resource", json!("arn:aws:dynamodb:eu-west-1:536580886816:table/tenants"))],
    &[("$.Statement[1].Resource", "arn:aws:dynamodb:eu-west-1:536580886816:table/tenants: region eu-west-1 is not DEV's region af-south-1")]
)]
#[case::any_region(&[("/Statement/1/Resource", json!("arn:aws:dynamodb:*:536580886816:table/tenants"))], &[])]
#[case::a_region_pattern(&[("/Statement/1/Resource", json!("arn:aws:dynamodb:af-*:536580886816:table/tenants"))], &[])]
#[case::a_region_pattern_elsewhere(
    &[("/Statement/1/Resource", json!("arn:aws:dynamodb:eu-*:536580886816:table/tenants"))],
    &[("$.Statement[1].Resource", "arn:aws:dynamodb:eu-*:536580886816:table/tenants: region eu-* is not DEV's region af-south-1")]
)]
#[case::iam_has_no_region(&[("/Statement/1/Resource", json!("arn:aws:iam::536580886816:role/deployer"))], &[])]
#[case::a_regionless_arn_of_another_service(
    &[("/Statement/1/Resource", json!("arn:aws:dynamodb::536580886816:table/tenants"))],
    &[("$.Statement[1].Resource", "arn:aws:dynamodb::536580886816:table/tenants: region (none) is not DEV's region af-south-1")]
)]
#[case::not_an_arn(&[("/Statement/1/Resource", json!("table/tenants"))], &[("$.Statement[1].Resource", "table/tenants is not an ARN")])]
#[case::six_parts_but_not_an_arn(
    &[("/Statement/1/Resource", json!("urn:aws:dynamodb:af-south-1:536580886816:table/tenants"))],
    &[("$.Statement[1].Resource", "urn:aws:dynamodb:af-south-1:536580886816:table/tenants is not an ARN")]
)]
#[case::a_bucket_wildcard(
    &[("/Statement/2/Resource", json!("arn:aws:s3:::bbws-templates-*"))],
    &[("$.Statement[2].Resource", "arn:aws:s3:::bbws-templates-*: the bucket name has a wildcard, so it reaches other environments' buckets")]
)]
#[case::another_environments_bucket(
    &[("/Statement/2/Resource", json!("arn:aws:s3:::bbws-templates-prod"))],
    &[("$.Statement[2].Resource", "arn:aws:s3:::bbws-templates-prod: bbws-templates-prod is not one of DEV's buckets (bbws-templates-dev, bbws-terraform-state-dev)")]
)]
#[case::the_state_bucket(&[("/Statement/2/Resource", json!("arn:aws:s3:::bbws-terraform-state-dev"))], &[])]
#[case::a_deny_is_not_a_grant(&[("/Statement/2/Effect", json!("Deny")), ("/Statement/2/Action", json!("*")), ("/Statement/2/Resource", json!("*"))], &[])]
fn each_way_a_permissions_policy_grants_too_much_is_one_problem(
    #[case] changes: &[(&str, serde_json::Value)],
    #[case] expected: &[(&str, &str)],
) {
    let doc = changed_policy("permissions-policy.json", PolicyKind::Permissions, changes);
    let dev = iam::environment_resources(&fixture("repo"), Environment::Dev).expect("the sample environment");
    assert_eq!(paths_and_messages(iam::check_least_privilege(&doc, &dev)), owned(expected));
}

#[rstest]
#[case("lld-7.5.2")]
#[case("repo")]
fn the_permissions_are_least_privilege(#[case] policies: &str) {
    for env in Environment::ALL {
        let doc = iam::load_policy(&fixture(policies), env, PolicyKind::Permissions).expect("a permissions policy");
        let resources = iam::environment_resources(&fixture("repo"), env).expect("the sample environment");
        assert_eq!(iam::check_least_privilege(&doc, &resources), vec![], "{env:?}");
    }
}

fn call(action: &str, resource: Option<&str>) -> RecordedCall {
    RecordedCall { action: action.to_owned(), resource: resource.map(str::to_owned), count: 1 }
}

#[test]
fn the_lld_permissions_miss_what_an_apply_needs() {
    let env = Environment::Dev;
    let resources = iam::environment_resources(&fixture("repo"), env).expect("DEV");
    let calls = [
        call("dynamodb:CreateTable", Some(TENANTS)),
        call("dynamodb:UpdateContinuousBackups", Some(TENANTS)),
        call("dynamodb:ListTagsOfResource", Some(TENANTS)),
        call("dynamodb:DeleteItem", Some("arn:aws:dynamodb:af-south-1:536580886816:table/terraform-state-lock-dev")),
        call("s3:PutPublicAccessBlock", Some(TEMPLATES)),
        call("s3:PutBucketEncryption", Some(TEMPLATES)),
        call("s3:PutObject", Some("arn:aws:s3:::bbws-templates-dev/welcome.html")),
        call("dynamodb:UpdateTimeToLive", None),
        call("sts:GetCallerIdentity", None),
    ];
    let lld = iam::load_policy(&fixture("lld-7.5.2"), env, PolicyKind::Permissions).expect("LLD");
    let verdict = iam::check_sufficiency(&lld, &resources, &calls);
    let missing: Vec<&str> = verdict.missing().map(|v| v.action.as_str()).collect();
    assert_eq!(
        missing,
        [
            "dynamodb:DeleteItem",
            "dynamodb:ListTagsOfResource",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:UpdateTimeToLive",
            "s3:PutEncryptionConfiguration"
        ]
    );
    let assumed = verdict.verdicts.iter().find(|v| v.action == "dynamodb:UpdateTimeToLive").expect("a verdict");
    assert!(assumed.resource_assumed);
    let sample = iam::load_policy(&fixture("repo"), env, PolicyKind::Permissions).expect("sample");
    assert!(iam::check_sufficiency(&sample, &resources, &calls).sufficient());
}

/// One verdict per IAM action: the operations it authorised, how many calls (a count of 0 is
/// one call), and where it was allowed or refused; a call without a resource is tried on each
/// of the environment's resources of its kind.
#[test]
fn a_verdict_adds_up_the_calls_of_its_action() {
    let dev = iam::environment_resources(&fixture("repo"), Environment::Dev).expect("DEV");
    let counted = |action: &str, resource: Option<&str>, count: usize| RecordedCall { count, ..call(action, resource) };
    let calls = [
        counted("s3:HeadBucket", Some(TEMPLATES), 3),
        counted("s3:ListObjectsV2", Some(TEMPLATES), 2),
        counted("s3:ListObjects", Some(TEMPLATES), 0),
        counted("s3:DeleteBucket", None, 1),
    ];
    let sample = iam::load_policy(&fixture("repo"), Environment::Dev, PolicyKind::Permissions).expect("sample");
    let verdict = iam::check_sufficiency(&sample, &dev, &calls);
    assert_eq!(verdict.environment, "DEV");
    let list = verdict.verdicts.iter().find(|v| v.action == "s3:ListBucket").expect("ListBucket");
    assert_eq!(
        list.operations.iter().map(String::as_str).collect::<Vec<_>>(),
        ["s3:HeadBucket", "s3:ListObjects", "s3:ListObjectsV2"]
    );
    assert_eq!(
        (list.calls, list.allowed_on.as_slice(), list.denied_on.len(), list.resource_assumed),
        (6, [TEMPLATES.to_owned()].as_slice(), 0, false)
    );
    let delete = verdict.verdicts.iter().find(|v| v.action == "s3:DeleteBucket").expect("DeleteBucket");
    assert_eq!(delete.denied_on, ["arn:aws:s3:::bbws-templates-dev", "arn:aws:s3:::bbws-terraform-state-dev"]);
    assert!(delete.allowed_on.is_empty() && delete.resource_assumed && !delete.allowed());
    assert_eq!(verdict.missing().map(|v| v.action.as_str()).collect::<Vec<_>>(), ["s3:DeleteBucket"]);
}

#[test]
fn a_call_on_another_environments_resource_is_not_allowed() {
    let resources = iam::environment_resources(&fixture("repo"), Environment::Prod).expect("PROD");
    let sample = iam::load_policy(&fixture("repo"), Environment::Prod, PolicyKind::Permissions).expect("sample");
    let calls = [call("s3:PutObject", Some("arn:aws:s3:::bbws-templates-dev/welcome.html"))];
    assert!(!iam::check_sufficiency(&sample, &resources, &calls).sufficient());
}

#[rstest]
#[case(r#"{"s3:PutObject": 8, "sts:GetCallerIdentity": 1}"#, 2)]
#[case(r#"[{"action": "s3:PutObject", "resource": "arn:aws:s3:::b/k"}, {"action": "s3:HeadBucket", "count": 3}]"#, 2)]
fn recorded_actions_are_read_in_both_shapes(#[case] text: &str, #[case] calls: usize) {
    assert_eq!(iam::parse_recorded_actions("actions.json", text).expect("readable").len(), calls);
}

#[rstest]
#[case(r#"{"s3:PutObject": "eight"}"#)]
#[case("[1, 2]")]
#[case("\"s3:PutObject\"")]
#[case("{")]
fn unreadable_recorded_actions_name_their_file(#[case] text: &str) {
    let err = iam::parse_recorded_actions("actions.json", text).unwrap_err();
    assert!(err.to_string().starts_with("actions.json: "), "{err}");
}

fn literal() -> impl Strategy<Value = String> {
    "[A-Za-z0-9:/_.-]{0,24}"
}

proptest! {
    #[test]
    fn a_pattern_without_wildcards_matches_only_itself(p in literal(), t in literal()) {
        prop_assert!(wildcard_match(&p, &p, false));
        prop_assert_eq!(wildcard_match(&p, &t, false), p == t);
    }

    #[test]
    fn a_star_after_a_prefix_matches_every_extension(p in literal(), rest in "[ -~]{0,24}") {
        let pattern = format!("{p}*");
        let text = format!("{p}{rest}");
        prop_assert!(wildcard_match(&pattern, &text, false));
    }

    #[test]
    fn a_question_mark_stands_for_exactly_one_character(p in "[a-z]{1,16}", i in 0usize..16) {
        let i = i % p.len();
        let pattern = format!("{}?{}", &p[..i], &p[i + 1..]);
        prop_assert!(wildcard_match(&pattern, &p, false));
        let longer = format!("{p}x");
        prop_assert!(!wildcard_match(&pattern, &longer, false));
    }

    #[test]
    fn actions_match_whatever_their_case(service in "[a-z0-9]{1,10}", name in "[A-Za-z]{1,20}") {
        let action = format!("{service}:{name}");
        prop_assert!(action_matches(&action.to_uppercase(), &action.to_lowercase()));
    }

    #[test]
    fn a_deny_wins_wherever_it_stands(action in "(s3|dynamodb):[A-Za-z]{1,12}", deny_first in any::<bool>()) {
        let allow = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
        let deny = json!({"Effect": "Deny", "Action": action.clone(), "Resource": "*"});
        let statements = if deny_first { json!([deny, allow]) } else { json!([allow, deny]) };
        let doc = policy(json!({"Version": "2012-10-17", "Statement": statements}));
        prop_assert_eq!(decide(&doc, &action, TENANTS), Decision::ExplicitlyDenied);
    }

    #[test]
    fn without_an_allow_nothing_is_allowed(action in "(s3|dynamodb):[A-Za-z*]{1,12}", resource in literal()) {
        let doc = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}));
        prop_assert!(!decide(&doc, &action, &resource).allowed());
    }

    #[test]
    fn the_lld_permissions_grant_nothing_outside_dev(bucket in "bbws-[a-z-]{1,20}", key in "[a-z/.]{1,20}") {
        prop_assume!(bucket != "bbws-templates-dev" && bucket != "bbws-terraform-state-dev");
        let lld = iam::load_policy(&fixture("lld-7.5.2"), Environment::Dev, PolicyKind::Permissions).unwrap();
        let (object, whole) = (format!("arn:aws:s3:::{bucket}/{key}"), format!("arn:aws:s3:::{bucket}"));
        for action in ["s3:PutObject", "s3:GetObject", "s3:PutBucketPolicy", "s3:CreateBucket"] {
            prop_assert!(!decide(&lld, action, &object).allowed());
            prop_assert!(!decide(&lld, action, &whole).allowed());
        }
    }
}

/// `stagegate scan` with the calls of a recorded DEV apply: exit code and stdout.
fn scan_cli(repo: &Path, actions: &Path, format: &str) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(["scan", "--env", "dev", "--format", format, "--repo"])
        .arg(repo)
        .arg("--actions")
        .arg(actions)
        .output()
        .expect("stagegate runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn repo_with_lld_policies() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy(&fixture("repo"), dir.path());
    copy(&fixture("lld-7.5.2"), dir.path());
    dir
}

fn copy(from: &Path, to: &Path) {
    stagegate::foundation::repo::copy_tree(from, to).expect("a copy of the fixture");
}

#[test]
fn the_cli_fails_the_lld_policies_on_a_recorded_apply_and_passes_the_sample() {
    let calls = fixture("recorded-calls/dev-apply.json");
    let lld = repo_with_lld_policies();
    let (code, out) = scan_cli(lld.path(), &calls, "json");
    assert_eq!(code, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let missing: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"]["id"] == "SG-IAM-003")
        .filter_map(|f| f["resource"].as_str()?.split('#').nth(1))
        .collect();
    for action in
        ["dynamodb:UpdateContinuousBackups", "dynamodb:DescribeContinuousBackups", "dynamodb:ListTagsOfResource"]
    {
        assert!(missing.contains(&action), "{action} not in {missing:?}");
    }
    assert!(!missing.contains(&"s3:PutBucketPublicAccessBlock"), "PutBucket* covers it: {missing:?}");
    assert_eq!(scan_cli(&fixture("repo"), &calls, "text").0, 0);
}

#[test]
fn the_cli_refuses_an_unreadable_actions_file_with_exit_2() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bad = dir.path().join("actions.json");
    std::fs::write(&bad, "{").expect("write");
    assert_eq!(scan_cli(&fixture("repo"), &bad, "text").0, 2);
    assert_eq!(scan_cli(&fixture("repo"), &dir.path().join("missing.json"), "text").0, 2);
}
