Feature: Each environment's deployer role trusts only main and stays inside its environment
  LLD 7.5.2 gives each environment a deployer role that GitHub Actions assumes through OIDC,
  with a trust policy and a permissions policy. The repo keeps both for every environment
  under iam/; the security scan checks that the trust lets in only the repository's main branch
  through the OIDC provider of that environment's own account (SG-IAM-001), and that the
  permissions name their actions and stay on that environment's tables and buckets (SG-IAM-002).

  As a security reviewer
  I want the deployer roles checked with the rest of the security scan
  So that no other branch, repository or account can deploy, and a role cannot reach beyond its environment

  @R41 @R42
  Scenario: the sample repo's deployer roles pass
    Given the sample repo
    When the repo is scanned
    Then the check passes
    And no deployer role finding is reported

  @R41 @R42
  Scenario: the deployer roles as LLD 7.5.2 writes them are trusted and scoped correctly
    Given the sample repo with the deployer policies of LLD 7.5.2
    When the repo is scanned
    Then no deployer role finding is reported

  @R41
  Scenario Outline: a trust policy that lets in other tokens fails the scan (<env>: <says>)
    Given the sample repo
    And the <env> trust policy <defect>
    When the repo is scanned
    Then the check fails with SG-IAM-001 in the <env> trust policy, saying "<says>"
    And SG-IAM-001 is reported as CRITICAL, like Trivy - and Checkov CKV_AWS_358

    @R41
    Examples:
      | env  | defect                                                                       | says                                           |
      | PROD | matches the subject "repo:org/2_1_bbws_dynamodb_schemas:*" with StringLike    | lets in any subject that matches the wildcard  |
      | DEV  | has no subject condition                                                     | a workflow of any repository and branch        |
      | SIT  | pins the subject "repo:org/2_1_bbws_dynamodb_schemas:pull_request"            | is not a deployment branch (main)              |
      | SIT  | pins the subject "repo:org/2_1_bbws_dynamodb_schemas:ref:refs/heads/develop"  | is not a deployment branch (main)              |
      | DEV  | accepts the audience "sigstore"                                              | the audience must equal                        |

    @R44
    Examples: another environment's account
      | env  | defect                                                                       | says                                           |
      | PROD | trusts the OIDC provider of account 536580886816                             | not this environment's account 093646564004    |

  @R42
  Scenario Outline: permissions wider than the environment fail the scan (<env>: <action> on <resource>)
    Given the sample repo
    And the <env> permissions policy also allows "<action>" on "<resource>"
    When the repo is scanned
    Then the check fails with SG-IAM-002 in the <env> permissions policy, saying "<says>"
    And SG-IAM-002 is reported as HIGH, like Trivy AVD-AWS-0057 and Checkov CKV_AWS_355

    @R42
    Examples:
      | env  | action           | resource                                                | says                                   |
      | DEV  | *                | arn:aws:dynamodb:af-south-1:536580886816:table/tenants  | * allows every action                  |
      | DEV  | dynamodb:*       | arn:aws:dynamodb:af-south-1:536580886816:table/tenants  | allows every action of the service     |
      | SIT  | s3:PutObject     | *                                                       | for s3:PutObject, which change resources |
      | DEV  | s3:ListBucket    | arn:aws:s3:::bbws-*                                     | the bucket name has a wildcard         |

    @R44
    Examples: another environment's resources
      | env  | action           | resource                                                | says                                   |
      | PROD | s3:GetObject     | arn:aws:s3:::bbws-templates-sit/*                       | is not one of PROD's buckets           |
      | PROD | dynamodb:PutItem | arn:aws:dynamodb:af-south-1:815856636111:table/tenants  | is not PROD's account 093646564004     |

  @R42
  Scenario: an action that only reads may name every resource
    Given the sample repo
    And the DEV permissions policy also allows "s3:ListAllMyBuckets" on "*"
    When the repo is scanned
    Then no deployer role finding is reported
