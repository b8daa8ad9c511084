Feature: Cost alerts on a plan's monthly cost change
  LLD 7.12.1 item 4 plans to "alert if deployment increases costs". stagegate shows each plan's
  monthly cost change in its PR comment: R06's estimate of the state the plan leads to minus the
  same estimate of what exists now, from the same price list and usage file. pipeline.yml's
  cost_alert section sets a threshold (an amount per month, in the price list's currency) and
  the cost approvers. The rule QA can read: a deployment whose plan raises the environment's
  monthly cost by more than the threshold needs one approval more than the environment
  requires, and one of its approvals from a cost approver; at or under the threshold nothing
  changes. A rollback is not held to the threshold: it returns to a configuration the
  environment already ran. A threshold that is not an amount is refused naming its file, line
  and column, with exit code 2.

  As a budget owner
  I want a change that raises the monthly bill beyond what we agreed to wait for my approval
  So that no deployment multiplies the bill without someone accountable for it saying yes

  Background:
    Given a git checkout of the sample repo with one commit on main

  @R57
  Scenario: the PR comment shows the monthly cost change of the plan
    DEV has nothing yet, so the whole estimate of the repo is the change.

    Given pipeline.yml of the checkout raises a cost alert above $5.00 a month, approved by "finance-lead"
    When the working copy is planned for DEV
    And the PR comment of that plan is written with its cost change
    Then the PR comment shows "**Monthly cost change: +$2.61** ($0.00 now, $2.61 once applied; USD)."
    And the PR comment shows "Within the $5.00 cost alert threshold."

  @R57
  Scenario: a deployment that changes nothing costs nothing more
    Given the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    When the working copy is planned for DEV
    And the PR comment of that plan is written with its cost change
    Then the PR comment shows "**Monthly cost change: +$0.00** ($2.61 now, $2.61 once applied; USD)."

  @R57
  Scenario: a change under the threshold passes the cost alert
    Given pipeline.yml of the checkout raises a cost alert above $5.00 a month, approved by "finance-lead"
    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    Then every deployment succeeded with its post-deploy tests passed
    And the gate's rule R57 passed saying "+$2.61 a month, within the $5.00 threshold"

  @R57
  Scenario: a change over the threshold waits for a cost approval
    Given pipeline.yml of the checkout raises a cost alert above $1.00 a month, approved by "finance-lead"
    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    Then the deployment is refused by rule R57 saying "+$2.61 a month is above the $1.00 threshold: 1 of 2 approvals, and none from a cost approver (finance-lead)"
    And nothing was deployed to DEV: no state backend, no tables, no tag, no record

  @R57
  Scenario: a change over the threshold deploys with the extra approval of a cost approver
    Given pipeline.yml of the checkout raises a cost alert above $1.00 a month, approved by "finance-lead"
    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer" and "finance-lead"
    Then every deployment succeeded with its post-deploy tests passed
    And the gate's rule R57 passed saying "2 of 2 approvals, the cost approval by finance-lead"

  @R57
  Scenario: a cost approval alone is not the extra approval
    Given pipeline.yml of the checkout raises a cost alert above $1.00 a month, approved by "finance-lead"
    When the checkout's commit is deployed to DEV by "release-bot" approved by "finance-lead"
    Then the deployment is refused by rule R57 and rule R16 saying "1 of 2 approvals, the cost approval by finance-lead"

  @R57 @R16
  Scenario: without a cost alert the gate comes before the plan
    Only the cost alert is judged on the plan, so only a deployment under one plans before its
    gate. Otherwise the gate comes first, as an environment's approval comes before the deploy
    job runs: here the tenants definition is not even JSON, and the refusal is the gate's.

    Given the working copy's "schemas/tenants/table.json" holds:
      """
      { "TableName":
      """
    When the checkout's commit is deployed to DEV by "release-bot" approved by nobody
    Then the deployment is refused by rule R16 saying "0 of 1 required approvals"

  @R57
  Scenario Outline: a cost alert threshold of <value> is refused naming its place
    Given pipeline.yml of the checkout sets the cost alert threshold to "<value>"
    When "gate --env dev --deployer release-bot --branch main" runs in the checkout and exits 2
    Then the outputs name "pipeline.yml:150:3: cost_alert: monthly_increase <value> is not an amount per month"

    @R57
    Examples:
      | value |
      | lots  |
      | -5    |
      | 2.555 |
