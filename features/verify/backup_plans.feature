@R40 @needs-backup
Feature: Backup plans where the environment requires them
  LLD 7.3.7 verifies after every deployment that point-in-time recovery is on and that backup
  plans are configured; this feature pins down the backup plan half. Each environment file says
  whether the environment needs one (backup_plan_required: SIT and PROD do, DEV does not).
  The LLD names no schedule or retention, so stagegate backs every table up once a day at 01:00
  Johannesburg time, outside every change window, into the vault of the same name, and keeps
  each backup 35 days, as long as point-in-time recovery reaches back (an environment file may
  set backup_retention_days instead). The vault, the plan bbws-dynamodb-{env} and a selection of
  every table are planned, applied and recorded in the state like Terraform's aws_backup_vault,
  aws_backup_plan and aws_backup_selection.

  The local emulator (moto 5.2.5) has no backup selections: there stagegate records the tables
  a plan covers as tags on the plan and verify reads them back from there; against AWS it
  creates and reads a real selection.

  As an on-call engineer
  I want every SIT and PROD table covered by a daily backup plan, checked after each deployment
  So that a table can be restored even when point-in-time recovery cannot help

  Background:
    Given a working copy of the sample repo

  Scenario Outline: <env>'s plan shows the backup plan before anything exists
    When the working copy is planned for <env>
    Then the plan creates "aws_backup_vault.bbws-dynamodb-<name>"
    And the plan creates "aws_backup_plan.bbws-dynamodb-<name>"
    And the plan creates "aws_backup_selection.bbws-dynamodb-<name>"

    @R40
    Examples:
      | env  | name |
      | SIT  | sit  |
      | PROD | prod |

  Scenario Outline: after an apply to <env> verify finds a daily plan covering every table
    Given the working copy has been applied to <env>
    When the <env> environment is verified
    Then every check passes
    And check R40 "backup plan bbws-dynamodb-<name>" passes saying "daily at 01:00 Africa/Johannesburg, kept 35 days"
    And check R40 "backup selection bbws-dynamodb-<name>" passes saying "covers every table (3)"
    And AWS Backup holds <env>'s selection of the tables campaigns, products and tenants, read with its own API
    And the <env> state of component "backup" records aws_backup_vault, aws_backup_plan and aws_backup_selection "bbws-dynamodb-<name>"
    And a new plan for <env> changes nothing

    @R40
    Examples:
      | env  | name |
      | SIT  | sit  |
      | PROD | prod |

  Scenario: another team's backup plan in the account is not taken for the environment's
    Given another team's backup plan "team-x-nightly" exists in SIT's account
    And the working copy has been applied to SIT
    When the SIT environment is verified
    Then every check passes
    And check R40 "backup plan bbws-dynamodb-sit" passes saying "daily at 01:00 Africa/Johannesburg, kept 35 days"
    And a new plan for SIT changes nothing

  Scenario: an environment file may keep backups longer
    Given the SIT environment file of the working copy sets "backup_retention_days" to 90
    And the working copy has been applied to SIT
    When the SIT environment is verified
    Then check R40 "backup plan bbws-dynamodb-sit" passes saying "kept 90 days"

  Scenario: a tag dropped from the environment file is taken off the SIT vault and plan in place
    Given the working copy has been applied to SIT
    And the SIT environment file of the working copy drops the tag "CostCenter"
    When the working copy is applied to SIT while recording AWS operations
    Then the recorded operations include:
      | operation            |
      | backup:UntagResource |
      | backup:TagResource   |
    And a new plan for SIT changes nothing

  Scenario: a longer retention updates the SIT plan in place where the backend can, and is refused before anything changes where it cannot
    AWS changes a plan's rule with UpdateBackupPlan, which moto 5.2.5 does not implement: there
    the apply is refused before it changes anything, naming what it lacks.

    Given the working copy has been applied to SIT
    And the SIT environment file of the working copy sets "backup_retention_days" to 90
    When the working copy is applied to SIT
    Then where the backend updates backup plans, SIT's plan now keeps backups 90 days and a new plan changes nothing; elsewhere the apply was refused before anything changed

  Scenario: a backup plan deleted behind stagegate's back fails verify and is planned again
    Given the working copy has been applied to PROD
    When the backup plan "bbws-dynamodb-prod" is deleted behind stagegate's back in PROD
    And the PROD environment is verified
    Then check R40 "backup plan bbws-dynamodb-prod" fails saying "missing"
    And check R40 "backup selection bbws-dynamodb-prod" fails saying "missing"
    And every other check passes but those 2
    When the working copy is planned for PROD
    Then the plan creates "aws_backup_plan.bbws-dynamodb-prod"
    And that resource is marked as drift

  Scenario: DEV requires no backup plan and passes without one
    Given the working copy has been applied to DEV
    When the DEV environment is verified
    Then every check passes
    And no check concerns a backup plan
    And DEV has no backup plan

  @R22
  Scenario: the apply to PROD records the AWS Backup operations it performs
    When the working copy is applied to PROD while recording AWS operations
    Then the recorded operations include:
      | operation                |
      | backup:CreateBackupVault |
      | backup:CreateBackupPlan  |
      | backup:TagResource       |
