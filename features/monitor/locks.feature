Feature: State lock monitor
  LLD 7.8.1 and 7.8.3: a state lock held for more than 30 minutes means a stuck or crashed
  apply; the monitor lists the active locks of every environment's lock table with who holds
  them, for which operation and for how long, and alerts #devops-alerts and pages on-call for
  locks held longer than pipeline.yml's notifications.lock_alert_after (30m). It reads the lock
  tables in Terraform's own format, so it also watches locks taken by real Terraform. A lock
  held exactly as long as the limit is not yet over it. Digest items (-md5) are not locks; an
  item that is not Terraform's LockInfo is reported and alerted, since nothing but a broken
  tool writes one. An environment whose backend was never bootstrapped has no locks to watch.

  As a platform engineer on call
  I want to hear about a state lock nobody released
  So that a crashed apply does not block every deployment after it

  Background:
    Given a Slack sink on this machine holds the webhook of every channel
    And the DEV state backend is bootstrapped
    And the PROD state backend is bootstrapped

  @R48
  Scenario: active locks are listed with holder, operation and age, and a young lock raises no alert
    Given "runner@gh-1234" has held the PROD lock of component "tenants" since "2026-11-26T11:10:00Z", as Terraform writes it
    When the lock monitor runs at "2026-11-26T11:22:30Z"
    Then the monitor lists these locks:
      | env  | path                                                                   | held by        | operation          | age     | over limit |
      | PROD | bbws-terraform-state-prod/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate | runner@gh-1234 | OperationTypeApply | 12m 30s | no         |
    And the monitor raises no alert
    And "#devops-alerts" received nothing
    And the monitor reports SIT's lock table as not bootstrapped

  @R48 @R47
  Scenario: a lock held over 30 minutes alerts #devops-alerts and pages on-call
    Given "runner@gh-1234" has held the PROD lock of component "tenants" since "2026-11-26T11:10:00Z", as Terraform writes it
    And "laptop@dev" has held the DEV lock of component "products" since "2026-11-26T11:40:00Z", as Terraform writes it
    When the lock monitor runs at "2026-11-26T11:45:00Z"
    Then the monitor lists these locks:
      | env  | path                                                                   | held by        | operation          | age    | over limit |
      | DEV  | bbws-terraform-state-dev/2_1_bbws_dynamodb_schemas/products/terraform.tfstate | laptop@dev     | OperationTypeApply | 5m     | no         |
      | PROD | bbws-terraform-state-prod/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate | runner@gh-1234 | OperationTypeApply | 35m    | yes        |
    And the monitor raises an alert
    And "#devops-alerts" received, in order:
      | message                              |
      | 🔒 PROD state lock held for 35m      |
    And the "🔒 PROD state lock held for 35m" message in "#devops-alerts" shows:
      | text                                                                          |
      | *Held by:*\nrunner@gh-1234                                                    |
      | bbws-terraform-state-prod/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate |
    And the monitor's alerts were:
      | alert                |
      | Slack #devops-alerts |
      | page on-call         |

  @R48
  Scenario Outline: a lock held for <age> against a limit of <limit> <verdict>
    Given "runner@gh-1234" has held the DEV lock of component "campaigns" since "2026-11-26T10:00:00Z", as Terraform writes it
    When the lock monitor runs at "<at>" with a limit of "<limit>"
    Then the monitor <verdict>

    @R48
    Examples:
      | age     | limit | at                   | verdict          |
      | 29m 59s | 30m   | 2026-11-26T10:29:59Z | raises no alert  |
      | 30m     | 30m   | 2026-11-26T10:30:00Z | raises no alert  |
      | 30m 1s  | 30m   | 2026-11-26T10:30:01Z | raises an alert  |
      | 50m     | 1h    | 2026-11-26T10:50:00Z | raises no alert  |
      | 1h 1m   | 1h    | 2026-11-26T11:01:00Z | raises an alert  |

  @R48
  Scenario: digest items are not locks, and a lock item without Terraform's LockInfo is alerted
    Given the DEV state of every component of the sample repo has been written once
    And the DEV lock table holds an item "bbws-terraform-state-dev/stray/terraform.tfstate" whose Info is "{not json"
    And the DEV lock table holds an item "bbws-terraform-state-dev/bare/terraform.tfstate" without Info
    When the lock monitor runs at "2026-11-26T11:45:00Z"
    Then the monitor lists no locks
    And the monitor reports these items, and no others, as not locks:
      | bbws-terraform-state-dev/bare/terraform.tfstate  |
      | bbws-terraform-state-dev/stray/terraform.tfstate |
    And the monitor raises an alert

  @R48 @R53
  Scenario: with lock files, an environment whose state bucket is gone is not bootstrapped, not unreadable
    Given pipeline.yml locks the state with "s3"
    And the DEV state bucket has been deleted
    When the lock monitor runs at "2026-11-26T11:45:00Z"
    Then the monitor reports DEV's state bucket as not bootstrapped
    And the monitor raises no alert
