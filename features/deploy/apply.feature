Feature: Apply changes exactly what the plan showed, under the state lock
  LLD 7.3.5 applies the reviewed plan to one environment with that environment's variables.
  stagegate holds each changing component's state lock throughout, changes only what the plan
  shows, and afterwards records in the state what really exists.

  As a platform engineer
  I want an apply to do what the reviewed plan said and nothing else
  So that what reaches an environment is exactly what was approved

  Background:
    Given a working copy of the sample repo

  @R22
  Scenario Outline: the sample repo is applied to <env>
    When the working copy is applied to <env>
    Then account <account> has the tables campaigns, products and tenants, ACTIVE with every index of their definitions
    And account <account> has the bucket "<bucket>" holding the 4 templates byte for byte
    And every component's <env> state is at serial 1
    And no <env> state lock is held
    And a new plan for <env> changes nothing

    @R22
    Examples:
      | env  | account      | bucket              |
      | DEV  | 536580886816 | bbws-templates-dev  |

    @R22 @needs-backup
    Examples:
      | env  | account      | bucket              |
      | SIT  | 815856636111 | bbws-templates-sit  |
      | PROD | 093646564004 | bbws-templates-prod |

  @R22 @R28
  Scenario: applying a stored plan changes only what it shows, and only that component's state
    Given the working copy has been applied to DEV
    And the products table gains the index "sku-index" on "sku" in the working copy
    And a DEV plan of the working copy is stored
    When the stored plan is applied
    Then the apply of "products" performed exactly "UpdateTable products (create index sku-index)"
    And the other components were not applied
    And the DEV state of component "products" is at serial 2
    And the DEV states of campaigns, tenants and templates are still at serial 1

  @R22
  Scenario: the apply records every AWS operation it performs
    When the working copy is applied to DEV while recording AWS operations
    Then the recorded operations include:
      | operation                        |
      | dynamodb:CreateTable             |
      | dynamodb:UpdateContinuousBackups |
      | dynamodb:UpdateTimeToLive        |
      | s3:CreateBucket                  |
      | s3:PutPublicAccessBlock          |
      | s3:PutBucketEncryption           |
      | s3:PutObject                     |

  @R22 @R28
  Scenario: a failure midway leaves the state describing what exists, and a rerun converges
    Someone creates the tenants table by hand between the plan and the apply, so creating it
    fails while the other components are created. The tenants state then records the table as
    it really is, and the next plan and apply bring it in line with the repo.

    Given a DEV plan of the working copy is stored
    And the table "tenants" is created by hand in DEV with the repo's keys and encryption, and nothing else
    When the stored plan is applied
    Then the apply of "tenants" failed naming "CreateTable tenants"
    And the apply of "products" succeeded
    And the DEV state of "tenants" records the hand-made table
    And no DEV state lock is held
    When the working copy is applied to DEV
    Then account 536580886816 has the tables campaigns, products and tenants, ACTIVE with every index of their definitions
    And a new plan for DEV changes nothing
