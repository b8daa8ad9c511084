Feature: Slack notifications and escalation
  LLD 7.6.3, 7.8.2 and 7.8.3: the pipeline announces PROD deployments when they start and when
  they complete, and tells every environment's channel about failures, approval requests and
  rollbacks; PROD failures and rollbacks escalate to on-call. Messages are Slack Block Kit with
  the fields the LLD's templates show. Each channel's incoming webhook is a secret named in
  pipeline.yml (SLACK_WEBHOOK_DEV, _SIT, _PROD, _ONCALL, _DEVOPS); stagegate sends Slack only,
  so pages and emails are listed for the on-call rota rather than sent. A notification that
  cannot be delivered is retried, then reported: it never fails a deployment that finished.
  Here a Slack sink on this machine stands in for Slack and keeps every message it receives.

  As an on-call engineer
  I want every PROD change and every failure to reach the right channel, with the right people paged
  So that nobody learns about an incident from a customer

  Background:
    Given a git checkout of the sample repo with one commit on main
    And a Slack sink on this machine holds the webhook of every channel

  @R45 @R46 @needs-backup
  Scenario: a PROD deployment is announced in #prod-alerts when it starts and when it completes
    Given the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And the checkout's commit has been deployed to SIT by "release-bot" approved by "tech-lead" and "qa-lead"
    When the checkout's commit is deployed to PROD by "release-bot" approved by "tech-lead", "product-owner" and "devops-lead"
    Then every deployment succeeded with its post-deploy tests passed
    And "#prod-alerts" received, in order:
      | message                    |
      | 🚀 PROD Deployment Started  |
      | ✅ PROD Deployment Complete |
    And the "✅ PROD Deployment Complete" message in "#prod-alerts" shows:
      | text                        |
      | *Environment:*\nprod        |
      | *Deployed by:*\n@release-bot |
      | 3 DynamoDB tables created   |
      | 1 S3 bucket configured      |
      | 4 templates uploaded        |
      | 1 backup plan configured    |
    And the "✅ PROD Deployment Complete" message in "#prod-alerts" has a duration like "5m 23s"
    And "#dev-alerts" received nothing
    And "#sit-alerts" received nothing

  @R45 @R47
  Scenario: a DEV deployment that fails its post-deploy tests alerts #dev-alerts and lists an email to its initiator
    Given the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And a new commit on main switches point-in-time recovery of the tenants table off
    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    Then the last deployment failed its post-deploy tests naming "point-in-time recovery of tenants"
    And "#dev-alerts" received, in order:
      | message                  |
      | ❌ DEV Deployment Failed |
    And the "❌ DEV Deployment Failed" message in "#dev-alerts" shows:
      | text                              |
      | *Environment:*\ndev               |
      | point-in-time recovery of tenants |
    And the last deployment's notifications were:
      | alert             | status    |
      | Slack #dev-alerts | sent in 1 |
      | email initiator   | listed    |

  @R45 @R47 @needs-backup
  Scenario: a PROD deployment that fails pages on-call and lists an email to the stakeholders
    Given the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And the checkout's commit has been deployed to SIT by "release-bot" approved by "tech-lead" and "qa-lead"
    And the PROD state backend is bootstrapped
    And "someone@ci" holds the PROD lock of component "tenants"
    When the checkout's commit is deployed to PROD by "release-bot" approved by "tech-lead", "product-owner" and "devops-lead"
    Then "#prod-alerts" received, in order:
      | message                    |
      | 🚀 PROD Deployment Started  |
      | ❌ PROD Deployment Failed   |
    And the "❌ PROD Deployment Failed" message in "#prod-alerts" shows:
      | text       |
      | someone@ci |
    And the last deployment's notifications were:
      | alert              | status    |
      | Slack #prod-alerts | sent in 1 |
      | Slack #prod-alerts | sent in 1 |
      | page on-call       | listed    |
      | email stakeholders | listed    |

  @R45 @needs-backup
  Scenario: a PROD deployment short of approvals asks for them in #prod-alerts
    Given the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And the checkout's commit has been deployed to SIT by "release-bot" approved by "tech-lead" and "qa-lead"
    When the checkout's commit is deployed to PROD by "release-bot" approved by "tech-lead"
    Then the deployment is refused by rule R16 saying "1 of 3"
    And "#prod-alerts" received, in order:
      | message                                |
      | ⏳ Approval Required: PROD Deployment   |
    And the "⏳ Approval Required: PROD Deployment" message in "#prod-alerts" shows:
      | text                      |
      | *Approval Required*       |
      | Environment: `prod`       |
      | Requested by: @release-bot |
      | Approvers needed: 3       |
      | Approved so far: @tech-lead |

  @R45 @R46
  Scenario: a DEV rollback is announced in #dev-alerts
    Given the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And a new commit on main switches point-in-time recovery of the tenants table off
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    When DEV is rolled back to "last-good" by "release-bot" approved by "lead-developer", confirmed with "rollback-dev"
    Then the rollback succeeded with its post-deploy tests passed
    And "#dev-alerts" received, in order:
      | message                  |
      | ❌ DEV Deployment Failed |
      | ⏪ DEV Rollback Executed |
    And the "⏪ DEV Rollback Executed" message in "#dev-alerts" shows:
      | text                                  |
      | *Post-deploy tests:*\npassed          |
      | *Tag:*\ndeploy-dev-20261203-123000-01 |

  @R46 @F07 @needs-backup
  Scenario: a PROD deployment without SLACK_WEBHOOK_PROD is refused before anything changes
    Given the webhook of "SLACK_WEBHOOK_PROD" is not configured
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And the checkout's commit has been deployed to SIT by "release-bot" approved by "tech-lead" and "qa-lead"
    When the checkout's commit is deployed to PROD by "release-bot" approved by "tech-lead", "product-owner" and "devops-lead"
    Then the deployment is refused by rule F07 saying "SLACK_WEBHOOK_PROD"
    And nothing was deployed to PROD: no state backend, no tables, no tag, no record

  @R45
  Scenario: a webhook that fails twice is retried until Slack takes the message
    Given the webhook of "#dev-alerts" answers HTTP 500 to its first 2 requests
    When the checkout's commit is deployed to DEV by "release-bot" approved by nobody
    Then the deployment is refused by rule R16 saying "0 of 1"
    And "#dev-alerts" received, in order:
      | message                               |
      | ⏳ Approval Required: DEV Deployment   |
    And the last deployment's notifications were:
      | alert             | status    |
      | Slack #dev-alerts | sent in 3 |

  @R45 @R43 @needs-backup
  Scenario: a webhook that never answers does not fail the deployment, and its address is never printed
    Given the webhook of "#prod-alerts" never answers in time
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And the checkout's commit has been deployed to SIT by "release-bot" approved by "tech-lead" and "qa-lead"
    When the checkout's commit is deployed to PROD by "release-bot" approved by "tech-lead", "product-owner" and "devops-lead"
    Then every deployment succeeded with its post-deploy tests passed
    And the last deployment's notifications, its start's then its completion's, were:
      | alert              | status |
      | Slack #prod-alerts | failed |
      | Slack #prod-alerts | failed |
    And the failed notification's report does not contain the webhook's address

  @R46 @R47
  Scenario Outline: <event> in <env> goes to <alerts>
    When <event> is routed for <env>
    Then the alerts are "<alerts>"

    @R46 @R47
    Examples:
      | event                           | env  | alerts                                                                    |
      | deployment started              | DEV  | none                                                                      |
      | deployment started              | PROD | Slack #prod-alerts                                                        |
      | deployment completed            | SIT  | none                                                                      |
      | deployment completed            | PROD | Slack #prod-alerts                                                        |
      | deployment failed               | DEV  | Slack #dev-alerts, email initiator                                        |
      | deployment failed               | SIT  | Slack #sit-alerts, Slack #dev-alerts, email initiator                     |
      | deployment failed               | PROD | Slack #prod-alerts, page on-call, email stakeholders                      |
      | approval required               | DEV  | Slack #dev-alerts                                                         |
      | approval required               | SIT  | Slack #sit-alerts                                                         |
      | approval required               | PROD | Slack #prod-alerts                                                        |
      | rollback executed               | DEV  | Slack #dev-alerts                                                         |
      | rollback executed               | PROD | Slack #prod-alerts, Slack #oncall-alerts, page on-call, executive notification |
      | a state lock held too long      | SIT  | Slack #devops-alerts, page on-call                                        |
