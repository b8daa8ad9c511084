@F07
Feature: Which environments need a Slack webhook
  LLD 7.4.1 says DEV gets no Slack notifications, SIT optional and PROD required, while 7.8.2
  sends "deployment failed", "approval required" and "rollback executed" for all environments.
  The rule stagegate follows: a webhook is needed only where the policy requires one (PROD);
  in DEV and SIT, failures, approval requests and rollbacks go to #dev-alerts / #sit-alerts when
  that environment's webhook is configured, and a missing webhook never blocks a deployment.
  A PROD deployment without SLACK_WEBHOOK_PROD is refused before anything changes.

  As an on-call engineer
  I want PROD never changed without its alert channel, and DEV never blocked by Slack
  So that PROD changes are always announced and DEV stays quick

  Background:
    Given the pipeline policy of the sample repo

  Scenario Outline: a <env> deployment whose Slack webhook <configured> configured: the Slack rule <verdict>
    Given a <env> deployment by "release-bot" of commit "abcdef1" from main, confirmed, inside its window
    And it is approved by every reviewer of <env> but the deployer
    And its Slack webhook <configured> configured
    When the gate is evaluated
    Then rule F07 <verdict>
    And the gate is <state>

    @F07
    Examples:
      | env  | configured | verdict | state  |
      | DEV  | is not     | passes  | open   |
      | DEV  | is         | passes  | open   |
      | SIT  | is not     | passes  | open   |
      | PROD | is not     | fails   | closed |
      | PROD | is         | passes  | open   |
