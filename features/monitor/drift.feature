Feature: Scheduled drift detection over every environment
  LLD 7.12.1 item 1 (Level 4, automated drift detection). `stagegate drift` plans each
  environment against its live resources and reports what was changed outside the pipeline, by
  R51's rule: a live value that differs from the recorded state where the repo did not change
  it. Each environment with drift is alerted in its own Slack channel. It exits 0 when no
  environment drifted, 1 on drift, and 3 when an environment could not be looked at, so a
  scheduled workflow fails loudly either way.

  As an on-call engineer
  I want every environment checked for hand-made changes on a schedule
  So that a change made in the console is found the same day, not at the next deployment

  Background:
    Given a working copy of the sample repo
    And the working copy has been applied to DEV

  @R56 @needs-backup
  Scenario: a hand-made change in each environment is found and alerted
    Given the working copy has been applied to SIT
    And the working copy has been applied to PROD
    When point-in-time recovery of "tenants" is switched off behind stagegate's back in DEV
    And point-in-time recovery of "campaigns" is switched off behind stagegate's back in SIT
    And point-in-time recovery of "products" is switched off behind stagegate's back in PROD
    And drift detection runs over every environment
    Then drift detection exits 1
    And it reports drift in DEV on "aws_dynamodb_table.tenants" attribute "point_in_time_recovery"
    And it reports drift in SIT on "aws_dynamodb_table.campaigns" attribute "point_in_time_recovery"
    And it reports drift in PROD on "aws_dynamodb_table.products" attribute "point_in_time_recovery"
    And "#dev-alerts" received a "Drift Detected" message saying "aws_dynamodb_table.tenants"
    And "#sit-alerts" received a "Drift Detected" message saying "aws_dynamodb_table.campaigns"
    And "#prod-alerts" received a "Drift Detected" message saying "aws_dynamodb_table.products"
    And PROD's drift was recorded in its state bucket
    And the dashboard counts 3 drift alerts

  @R56
  Scenario: a clean environment exits 0 and alerts nobody
    When drift detection runs over DEV
    Then drift detection exits 0
    And it reports no drift in DEV
    And the dashboard counts 0 drift alerts

  @R56 @needs-backup
  Scenario: environments with nothing deployed have nothing to drift
    When drift detection runs over every environment
    Then drift detection exits 0
    And it reports no drift in DEV
    And it reports SIT and PROD as not deployed

  @R56 @needs-backup
  Scenario: clean environments exit 0 and alert nobody
    Given the working copy has been applied to SIT
    And the working copy has been applied to PROD
    When drift detection runs over every environment
    Then drift detection exits 0
    And it reports no drift in DEV
    And it reports no drift in SIT
    And it reports no drift in PROD

  @R56
  Scenario: the drift command exits 1 on a hand-made change, and 0 once the change is undone
    When point-in-time recovery of "tenants" is switched off behind stagegate's back in DEV
    And stagegate runs "drift --env dev" in the checkout
    Then the command exited 1, saying "aws_dynamodb_table.tenants"
    When the working copy is applied to DEV
    And stagegate runs "drift --env dev" in the checkout
    Then the command exited 0, saying "DEV"

  @R56
  Scenario: a backend that does not answer exits 3
    When drift detection runs over DEV against a backend that does not answer
    Then drift detection exits 3
    And it could not look at DEV, naming the endpoint
