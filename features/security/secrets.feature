Feature: Secrets never appear in output
  LLD 7.5.1 and 7.9.1: Slack webhook URLs, tokens and AWS credentials are secrets. GitHub masks
  them in its logs; stagegate never prints them in the first place, in output, errors, reports,
  records or notifications, on success or failure. This canary gives every secret the pipeline
  reads a recognisable value and runs stagegate's commands through the paths that touch them:
  a full rehearsal, a deployment refused for approvals whose Slack webhook cannot be reached
  (in text and JSON), a lock alert that cannot be delivered, and a webhook secret that is not a
  URL. Then it searches every output, and every file the commands wrote, for the canary.

  As a security officer
  I want secrets to stay out of every log and report
  So that a pasted incident review never leaks a credential

  Background:
    Given every secret the pipeline reads holds a canary value
    And a git checkout of the sample repo with one commit on main

  @R43
  Scenario: a full rehearsal and every notification failure path print no secret
    When "rehearse" runs in the checkout and exits 0
    And "deploy --env dev --deployer release-bot --confirm deploy-dev --branch main" runs in the checkout and exits 1
    And "--format json deploy --env dev --deployer release-bot --confirm deploy-dev --branch main" runs in the checkout and exits 1
    And "runner@gh-1234" has held the DEV lock of component "tenants" since "2026-11-26T10:00:00Z", as Terraform writes it
    And "locks --at 2026-11-26T11:00:00Z" runs in the checkout and exits 1
    Then the outputs say the "SLACK_WEBHOOK_DEV" and "SLACK_WEBHOOK_DEVOPS" webhooks could not be reached
    And no output, and no file the commands wrote, contains a canary value

  @R43 @R46
  Scenario Outline: a <secret> that is not a URL is refused by its name, without showing its value
    Given <secret> holds a canary value that is not a URL
    When "gate --env prod --deployer release-bot --branch main" runs in the checkout and exits 2
    Then the outputs name "<secret>"
    And no output, and no file the commands wrote, contains a canary value

    @R43 @R46
    Examples:
      | secret             |
      | SLACK_WEBHOOK_PROD |
      | SLACK_WEBHOOK_DEV  |
