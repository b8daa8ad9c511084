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
  Scenario: an earlier deployment whose tag was deleted is no rollback target
    The last known good deployment is one whose tests passed and whose tag is still in the repo.

    Given the new commit has been deployed to DEV, its rollback pre-approved by "lead-developer"
    And the tag of DEV's first deployment has been deleted from the repo
    When the alarm "bbws-dev-dynamodb-throttled-requests" is set to ALARM by hand in DEV
    And DEV is watched for 24 hours from 10 minutes after the deployment, looking every 60 minutes
    Then the watch did not roll back, saying "DEV has no earlier deployment whose tests passed and whose tag is in the repo"
    And the products table in DEV still has the index "by-sku"

  @R55
  Scenario: a watch asked to look every 0 minutes is refused as bad input
    Given the new commit has been deployed to DEV, its rollback pre-approved by "lead-developer"
    When DEV is watched for 180 minutes from 10 minutes after the deployment, looking every 0 minutes
    Then the watch could not look, exit 2, naming "must be positive"

  @R55
  Scenario: an alarm pipeline.yml names that does not exist stops the watch: it could not look
    Given the new commit has been deployed to DEV, its rollback pre-approved by "lead-developer"
    And the alarm "bbws-dev-dynamodb-throttled-requests" has been deleted from DEV's account
    When DEV is watched for 24 hours from 10 minutes after the deployment
    Then the watch could not look, exit 3, naming "bbws-dev-dynamodb-throttled-requests"

  @R55
  Scenario: stagegate watch on the command line rolls DEV back, and exits 1 for the deployment that failed
    Given the new commit has been deployed to DEV, its rollback pre-approved by "lead-developer"
    When the alarm "bbws-dev-dynamodb-throttled-requests" is set to ALARM by hand in DEV
    And "stagegate watch --env dev --for 24h --poll 60m --at 2026-12-03T14:40:00+02:00" is run in the checkout
    Then the command exited 1, saying "critical alarm bbws-dev-dynamodb-throttled-requests"
    And the command's output says "MTTR "
    And the products table in DEV has no index "by-sku"

  @R55
  Scenario: stagegate watch on the command line exits 0 for a healthy deployment, and changes nothing
    Given the new commit has been deployed to DEV, its rollback pre-approved by "lead-developer"
    And what DEV holds is noted: its states, ledger, tags and the products table's indexes
    When "stagegate watch --env dev --for 3h --poll 60m --at 2026-12-03T14:40:00+02:00" is run in the checkout
    Then the command exited 0, saying "healthy: 4 looks, the last at 2026-12-03T15:40:00Z, no critical alarm, post-deploy tests passing"
    And nothing changed in DEV: the same states, ledger and tags, and the products table's indexes

  @R55
  Scenario: stagegate deploy --watch on the command line deploys, watches, and rolls DEV back at its first look
    An alarm already firing when the deployment lands is a failure at the watch's first look.

    When the alarm "bbws-dev-dynamodb-throttled-requests" is set to ALARM by hand in DEV
    And "stagegate deploy --env dev --deployer release-bot --branch main --at 2026-12-03T14:30:00+02:00 --approve lead-developer@2026-12-03T12:30:00+02:00 --confirm deploy-dev --pre-approve-rollback lead-developer --watch --for 2h --poll 60m" is run in the checkout
    Then the command exited 1, saying "critical alarm bbws-dev-dynamodb-throttled-requests"
    And the command's output says "MTTR "
    And the products table in DEV has no index "by-sku"
