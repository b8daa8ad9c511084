Feature: Plans for every environment from one commit
  LLD 7.3.4 plans DEV, SIT and PROD in parallel after validation and posts each plan to the
  pull request for review. stagegate compares the repo with the live resources of each
  environment's own account, resource by resource, attribute by attribute.

  As a reviewer of an infrastructure pull request
  I want one plan per environment showing exactly what would change
  So that I can approve the change knowing what every environment will get

  Background:
    Given a working copy of the sample repo

  @R10 @needs-backup
  Scenario: the three environments are planned at once from one commit
    When the working copy is planned for every environment
    Then there is one plan each for DEV, SIT and PROD, all of the same commit
    And each plan creates 11 resources: 3 tables, the templates bucket with its 3 settings, and 4 templates, and SIT's and PROD's 3 more for the backup plan

  @R10
  Scenario Outline: a configuration change in <env> is an update of that resource only
    Given the working copy has been applied to <env>
    When the products table gains the index "sku-index" on "sku" in the working copy
    And the working copy is planned for <env>
    Then the plan updates "aws_dynamodb_table.products"
    And that change sets global_secondary_indexes, caused by the configuration
    And every other resource of the plan is unchanged

    @R10
    Examples:
      | env  |
      | DEV  |

    @R10 @needs-backup
    Examples:
      | env  |
      | SIT  |
      | PROD |

  @R10
  Scenario: a key change replaces the table
    Given the working copy has been applied to DEV
    When the hash key of the tenants table becomes "id" in the working copy
    And the working copy is planned for DEV
    Then the plan replaces "aws_dynamodb_table.tenants" because "hash_key cannot change in place"

  @R10
  Scenario: a template removed from the repo is deleted, and nothing else changes
    Templates are published copies of files in the repo; a table or the templates bucket is
    never deleted by a plan, since that loses data.

    Given the working copy has been applied to DEV
    When the template "welcome.html" is removed from the working copy
    And the working copy is planned for DEV
    Then the plan deletes "aws_s3_object.welcome.html"
    And every other resource of the plan is unchanged

  @R10 @needs-backup
  Scenario: a key change of a table under deletion protection is refused at plan time
    SIT's environment file turns deletion protection on, so replacing a table there must be a
    deliberate two-step change, never a surprise during apply.

    Given the working copy has been applied to SIT
    When the hash key of the tenants table becomes "id" in the working copy
    And the working copy is planned for SIT
    Then planning is refused for "aws_dynamodb_table.tenants" because "deletion protection is on"

  @R11
  Scenario: a plan renders as the pull request comment
    Given the working copy has been applied to DEV
    When the products table gains the index "sku-index" on "sku" in the working copy
    And the working copy is planned for DEV
    Then the PR comment counts "0 to create, 1 to update, 0 to replace, 0 to delete"
    And the PR comment has a row for "aws_dynamodb_table.products" with the action "update"
    And the PR comment folds the attribute changes into a details block

  @R10 @R38
  Scenario: an environment file that loosens the templates bucket is applied as written, and verify flags it
    `stagegate scan` refuses such an override before it gets this far; applied anyway, the
    bucket is what the file says and the post-deploy check names the broken invariant.

    Given the working copy has been applied to DEV
    When the DEV environment file of the working copy sets "templates_bucket_versioning" to false
    And the working copy is planned for DEV
    Then the plan updates "aws_s3_bucket_versioning.bbws-templates-dev"
    And that change sets status, caused by the configuration
    When the working copy is applied to DEV
    And the DEV environment is verified
    Then check R38 "bucket bbws-templates-dev versioning" fails saying "not enabled"
