Feature: Automated rollback in DEV, on every backend
  LLD 7.12.1 item 3 and 7.10.1, as features/rollback/automated.feature states the rule for
  PROD: DEV's gate needs one approval and allows self-review, so one pre-approval from the
  deployment's approver lets the watch roll DEV back without waiting for people. DEV needs no
  AWS Backup, so these scenarios run on every emulator. The deployments run on Thursday
  3 December 2026 at 14:30 SAST; their approvals are given two hours before.

  As a developer
  I want a DEV deployment that trips its alarm undone at once when I agreed to that in advance
  So that DEV is usable again without anyone on call

  Background:
    Given a git checkout of the sample repo with one commit on main
    And the alarms pipeline.yml names for DEV exist in its account, all OK
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And a new commit on main gives the products table the index "by-sku" on "sku"

  @R55
  Scenario: a critical alarm after a pre-approved DEV deployment is rolled back without waiting for people
    Given the new commit has been deployed to DEV, its rollback pre-approved by "lead-developer"
    When the alarm "bbws-dev-dynamodb-throttled-requests" is set to ALARM by hand in DEV
    And DEV is watched for 24 hours from 10 minutes after the deployment, looking every 60 minutes
    Then the watch found "critical alarm bbws-dev-dynamodb-throttled-requests" failing at its first look
    And the watch rolled DEV back to its first deployment tag without waiting for people
    And the products table in DEV has no index "by-sku"
    And DEV's ledger ends with a green rollback detected when the watch saw the alarm
    And the DEV watch recorded the MTTR from the alarm to passing tests after the rollback, pre-approved by "lead-developer"
    And the dashboard counts 1 automated rollback with its MTTR and 0 not rolled back

  @R55
  Scenario: the same alarm without a pre-approval changes nothing
    Given the new commit has been deployed to DEV without a rollback pre-approval
    When the alarm "bbws-dev-dynamodb-throttled-requests" is set to ALARM by hand in DEV
    And DEV is watched for 24 hours from 10 minutes after the deployment, looking every 60 minutes
    Then the watch refused to roll back by rule R55 saying "nobody pre-approved"
    And nothing changed in DEV: the same states, ledger and tags, and the products table's indexes
    And the products table in DEV still has the index "by-sku"
    And the dashboard counts 0 automated rollbacks with its MTTR and 1 not rolled back

  @R55
  Scenario: an alarm pipeline.yml names that does not exist stops the watch: it could not look
    Given the new commit has been deployed to DEV, its rollback pre-approved by "lead-developer"
    And the alarm "bbws-dev-dynamodb-throttled-requests" has been deleted from DEV's account
    When DEV is watched for 24 hours from 10 minutes after the deployment
    Then the watch could not look, exit 3, naming "bbws-dev-dynamodb-throttled-requests"
