Feature: Automated rollback after a deployment, under a written pre-approval rule
  LLD 7.12.1 item 3 (Level 4, automated rollback on failure) and 7.10.1 (mean time to
  recovery). After a deployment `stagegate watch` (or `deploy --watch`) follows the
  environment's health for the watch window, 24 hours from the deployment: the critical
  CloudWatch alarms pipeline.yml names for it, read with DescribeAlarms in the environment's own
  account, and its post-deploy tests. Time is the pipeline's clock: each look comes one poll
  interval (1 minute in PROD) after the last. Deployments here run on Thursday 3 December 2026
  at 12:30 UTC (14:30 SAST), inside change ticket CHG0001234's window (14:00-16:00 SAST), and
  their approvals are given two hours before.

  Rule: the watch rolls a failing deployment back to the last known good deployment without
  waiting for people only when the deployment's own approvers pre-approved it when they approved
  it — as many of them as the environment's gate requires, never the deployer in PROD, each
  pre-approval recorded with who gave it and when — and when the failure is found the rollback
  passes the environment's rollback gate with those pre-approvals as its approvals: each younger
  than the approval timeout (24 hours), from main, inside the window and the change ticket's
  window. Otherwise the watch alerts the environment's channel and changes nothing.

  As the on-call engineer
  I want a failing PROD deployment undone at once when its approvers agreed to that in advance
  So that the outage lasts minutes, and nobody rolls PROD back on their own authority

  Background:
    Given a git checkout of the sample repo with one commit on main
    And the alarms pipeline.yml names for PROD exist in its account, all OK
    And the checkout's commit has been promoted to PROD
    And a new commit on main gives the products table the index "by-sku" on "sku"

  @R55 @needs-backup
  Scenario: a critical alarm after a pre-approved PROD deployment is rolled back without waiting for people
    Given the new commit has been promoted to PROD, its rollback pre-approved by "tech-lead", "product-owner" and "devops-lead"
    When the alarm "bbws-prod-dynamodb-throttled-requests" is set to ALARM by hand in PROD
    And PROD is watched for 24 hours from 10 minutes after the deployment
    Then the watch found "critical alarm bbws-prod-dynamodb-throttled-requests" failing at its first look
    And the watch rolled PROD back to its first deployment tag without waiting for people
    And the products table in PROD has no index "by-sku"
    And PROD's ledger ends with a green rollback detected when the watch saw the alarm
    And the watch recorded the MTTR from the alarm to passing tests after the rollback, pre-approved by "tech-lead", "product-owner" and "devops-lead"
    And "#prod-alerts" received a "Health Check Failed" message saying "rolled back automatically to deploy-prod-20261203-123000"

  @R55 @needs-backup
  Scenario: the same alarm without a pre-approval is alerted and changes nothing
    Given the new commit has been promoted to PROD without a rollback pre-approval
    When the alarm "bbws-prod-dynamodb-throttled-requests" is set to ALARM by hand in PROD
    And PROD is watched for 24 hours from 10 minutes after the deployment
    Then the watch refused to roll back by rule R55 saying "nobody pre-approved"
    And nothing changed in PROD: the same states, ledger and tags, and the products table's indexes
    And the products table in PROD still has the index "by-sku"
    And "#prod-alerts" received a "Health Check Failed" message saying "not rolled back"

  @R55 @needs-backup
  Scenario: a pre-approval older than the approval timeout no longer counts
    Given the new commit has been promoted to PROD, its rollback pre-approved by "tech-lead", "product-owner" and "devops-lead"
    When the alarm "bbws-prod-dynamodb-throttled-requests" is set to ALARM by hand in PROD
    And PROD is watched for 24 hours from 1440 minutes after the deployment
    Then the watch refused to roll back by rule R18 and rule R21 saying "older than 24h"
    And nothing changed in PROD: the same states, ledger and tags, and the products table's indexes

  @R55 @needs-backup
  Scenario: too few pre-approvals are not enough for PROD's gate
    Given the new commit has been promoted to PROD, its rollback pre-approved by "tech-lead"
    When the alarm "bbws-prod-dynamodb-throttled-requests" is set to ALARM by hand in PROD
    And PROD is watched for 24 hours from 10 minutes after the deployment
    Then the watch refused to roll back by rule R16 saying "1 of 3 required approvals"
    And nothing changed in PROD: the same states, ledger and tags, and the products table's indexes

  @R55 @needs-backup
  Scenario Outline: <who> may not pre-approve the rollback of a PROD deployment
    When the new commit is deployed to PROD after DEV and SIT with its rollback pre-approved by "<who>"
    Then the deployment was refused before anything changed, naming "<why>"

    @R55
    Examples:
      | who         | why                                              |
      | release-bot | the deployer may not pre-approve the rollback    |
      | qa-lead     | qa-lead did not approve this deployment          |

  @R55 @needs-backup
  Scenario: a healthy deployment is watched for its whole window on the pipeline's clock
    Given the new commit has been promoted to PROD, its rollback pre-approved by "tech-lead", "product-owner" and "devops-lead"
    When PROD is watched for 24 hours from 10 minutes after the deployment, looking every 60 minutes
    Then the watch found PROD healthy after 25 looks, and changed nothing

  @R55 @needs-backup
  Scenario: a window that is no whole number of polls ends with a look at its end
    Given the new commit has been promoted to PROD, its rollback pre-approved by "tech-lead", "product-owner" and "devops-lead"
    When PROD is watched for 90 minutes from 10 minutes after the deployment, looking every 60 minutes
    Then the watch found PROD healthy after 3 looks, and changed nothing
    And its last look was 100 minutes after the deployment, at the window's end

  @R55 @needs-backup
  Scenario: a warning alarm in ALARM is reported once, and fails nothing
    Given the new commit has been promoted to PROD, its rollback pre-approved by "tech-lead", "product-owner" and "devops-lead"
    When the alarm "bbws-prod-templates-4xx" is set to ALARM by hand in PROD
    And PROD is watched for 3 hours from 10 minutes after the deployment, looking every 60 minutes
    Then the watch found PROD healthy after 4 looks, and changed nothing
    And the watch's only warning is "warning alarm bbws-prod-templates-4xx is in ALARM: Threshold Crossed: raised by hand"
