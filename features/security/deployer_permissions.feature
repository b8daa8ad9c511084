@R42 @F06
Feature: The deployer role may do everything an apply does
  LLD 7.5.2 summarises the deployer's permissions (DynamoDB CreateTable, UpdateTable,
  DeleteTable, DescribeTable, TagResource; S3 CreateBucket, PutBucket*, GetBucket*, ListBucket,
  PutObject, GetObject; the state bucket's objects and the lock table's items). stagegate records
  every AWS call a real apply makes, with the resource it touched, and checks each against the
  environment's permissions policy with IAM's own evaluation: the LLD's summary misses actions
  the apply needs (F06), the sample repo's policy allows all of them.

  As a platform engineer
  I want the deployer's permissions proven against a real apply
  So that the first deployment through the pipeline does not stop on AccessDenied

  Scenario: an apply needs actions LLD 7.5.2 does not grant, and the sample repo's policy grants them all
    Given a working copy of the sample repo
    When the working copy is applied to DEV by its deployer, recording every AWS call
    Then the permissions of LLD 7.5.2 do not allow exactly:
      | action                             | resource                       |
      | dynamodb:DeleteItem                | table/terraform-state-lock-dev |
      | dynamodb:DescribeContinuousBackups | table/campaigns                |
      | dynamodb:DescribeContinuousBackups | table/products                 |
      | dynamodb:DescribeContinuousBackups | table/tenants                  |
      | dynamodb:DescribeTimeToLive        | table/campaigns                |
      | dynamodb:DescribeTimeToLive        | table/products                 |
      | dynamodb:DescribeTimeToLive        | table/tenants                  |
      | dynamodb:ListTagsOfResource        | table/campaigns                |
      | dynamodb:ListTagsOfResource        | table/products                 |
      | dynamodb:ListTagsOfResource        | table/tenants                  |
      | dynamodb:UpdateContinuousBackups   | table/campaigns                |
      | dynamodb:UpdateContinuousBackups   | table/products                 |
      | dynamodb:UpdateContinuousBackups   | table/tenants                  |
      | dynamodb:UpdateTimeToLive          | table/campaigns                |
      | s3:GetEncryptionConfiguration      | bbws-templates-dev             |
      | s3:PutEncryptionConfiguration      | bbws-templates-dev             |
    And the permissions of the sample repo allow every recorded call

  Scenario Outline: the sample repo's deployer role allows a whole apply to <env>
    Given a working copy of the sample repo
    When the working copy is applied to <env> by its deployer, recording every AWS call
    Then the permissions of the sample repo allow every recorded call
    But the permissions of LLD 7.5.2 lack dynamodb:UpdateContinuousBackups

    @R42 @F06 @needs-backup
    Examples:
      | env  |
      | SIT  |
      | PROD |

  Scenario: a summary of operations without resources is checked against the environment's resources
    Given the sample repo with the deployer policies of LLD 7.5.2
    And the operations recorded by a DEV apply, without their resources:
      | operation                        | count |
      | dynamodb:CreateTable             | 3     |
      | dynamodb:UpdateContinuousBackups | 3     |
      | s3:PutPublicAccessBlock          | 1     |
      | s3:PutBucketEncryption           | 1     |
      | sts:GetCallerIdentity            | 1     |
    When the repo is scanned against those operations
    Then the check fails with SG-IAM-003 in the DEV permissions policy, saying "dynamodb:UpdateContinuousBackups is not allowed on any of DEV's resources"
    And the check fails with SG-IAM-003 in the DEV permissions policy, saying "s3:PutEncryptionConfiguration is not allowed"
    And no SG-IAM-003 finding names "CreateTable"
    And no SG-IAM-003 finding names "PutBucketPublicAccessBlock"
    And no SG-IAM-003 finding names "GetCallerIdentity"

  Scenario: the sample repo's policy allows the same summary
    Given the sample repo
    And the operations recorded by a DEV apply, without their resources:
      | operation                        | count |
      | dynamodb:UpdateContinuousBackups | 3     |
      | s3:PutBucketEncryption           | 1     |
    When the repo is scanned against those operations
    Then the check passes
    And no deployer role finding is reported
