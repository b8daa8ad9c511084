Feature: Secrets never appear in output
  LLD 7.5.1 and 7.9.1: Slack webhook URLs, tokens and AWS credentials are secrets. GitHub masks
  them in its logs; stagegate never prints them in the first place, in output, errors, reports,
  records or notifications, on success or failure. This canary gives every secret the pipeline
  reads a recognisable value and runs stagegate's commands through the paths that touch them:
  a full rehearsal, a deployment refused for approvals whose Slack webhook cannot be reached
  (in text and JSON), one whose webhook takes the approval request, a lock alert that cannot be
  delivered, AWS's own credential chain signing with the canary secret key and session token,
  and a webhook secret that is not a URL. Then it searches every output, every file the commands
  wrote, every object and version in every account's buckets (states and deployment records),
  every lock item, and every Slack message that arrived. The DEV and DevOps webhooks lead
  nowhere; the others reach a Slack sink on this machine. stagegate never reads GITHUB_TOKEN
  (the workflows push the tags with it), so it is not part of the canary.

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
    And "deploy --env dev --deployer release-bot --approve lead-developer --confirm deploy-dev --branch main" runs in the checkout and exits 0
    And "deploy --env sit --deployer release-bot --confirm deploy-sit --branch main --at 2026-12-03T10:30:00Z" runs in the checkout and exits 1
    And "runner@gh-1234" has held the DEV lock of component "tenants" since "2026-11-26T10:00:00Z", as Terraform writes it
    And "locks --at 2026-11-26T11:00:00Z" runs in the checkout and exits 1
    And "state bootstrap --env prod" runs in the checkout with AWS's own credential chain and exits 1
    Then the outputs say the "SLACK_WEBHOOK_DEV" and "SLACK_WEBHOOK_DEVOPS" webhooks could not be reached
    And the outputs name "the credentials belong to account"
    And "#sit-alerts" received, in order:
      | message                              |
      | ⏳ Approval Required: SIT Deployment |
    And no output, and no file the commands wrote, contains a canary value
    And no state, deployment record or lock item in any account, and no Slack message, contains a canary value

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
