Feature: Rollback to the last good deployment tag
  LLD 7.3.6, 7.7.2 and 7.11.2: a rollback selects a deployment tag, needs the same approvals as
  a deployment plus the confirmation rollback-{env}, and restores that tag's configuration.
  "Last known good" is the newest deploy-{env}-* tag whose post-deploy tests passed. stagegate
  previews the rollback's plan and applies exactly that plan, never a fresh auto-approved one.

  As an on-call engineer
  I want to return an environment to its last good deployment in one step
  So that a bad deployment is undone quickly and exactly

  Background:
    Given a git checkout of the sample repo with one commit on main
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And a new commit on main switches point-in-time recovery of the tenants table off
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"

  @R24 @R36
  Scenario: the bad deployment fails its post-deploy tests and is not last good
    Then the last deployment failed its post-deploy tests naming "point-in-time recovery of tenants"
    And it was not tagged
    And DEV's last good deployment is "deploy-dev-20261203-123000", on the first commit

  @R36
  Scenario: a deployment tag made by hand on the bad commit is not last good
    A tag that matches deploy-dev-* but has no record of passing post-deploy tests in the DEV
    ledger is newer than the good one, yet last good still skips it.

    Given the bad commit was tagged "deploy-dev-20261203-130000" by hand, outside any deployment
    Then the newest DEV deployment tag is "deploy-dev-20261203-130000"
    And DEV's last good deployment is "deploy-dev-20261203-123000", on the first commit

  @R32 @R34 @R36
  Scenario: DEV rolled back to its last good tag has that configuration again
    When DEV is rolled back to "last-good" by "release-bot" approved by "lead-developer", confirmed with "rollback-dev"
    Then the rollback succeeded with its post-deploy tests passed
    And every post-deploy check of DEV passes against the first commit's configuration
    And the DEV ledger's last record is a rollback of the first commit, tagged "deploy-dev-20261203-123000-01"

  @R34
  Scenario Outline: a rollback approved by <approvers> and confirmed with "<typed>" is refused by <rule>
    When DEV is rolled back to "last-good" by "release-bot" approved by <approvers>, confirmed with "<typed>"
    Then the rollback is refused by rule <rule>
    And point-in-time recovery of "tenants" is still off in DEV

    @R34
    Examples:
      | approvers        | typed        | rule |
      | nobody           | rollback-dev | R16  |
      | "lead-developer" | deploy-dev   | R15  |

  @F09
  Scenario: the rollback applies exactly the plan it previewed
    Given the rollback of DEV to "last-good" has been previewed
    And the tenants state changed after the preview
    When the previewed rollback is applied
    Then the rollback fails with "Saved plan is stale" and changes nothing
    And point-in-time recovery of "tenants" is still off in DEV

  @R59
  Scenario: the preview of a rollback projects its AWS operations on AWS before anything changes
    The projection of `stagegate rollback --dry-run`: the operations the previewed plan will
    perform, named as apply names them, each with its projected time on AWS.

    Given the rollback of DEV to "last-good" has been previewed
    Then the preview projects "UpdateContinuousBackups tenants (point-in-time recovery on)" at 10.0 s, and nothing else
    And the preview's projection meets DEV's target "best effort"
    And point-in-time recovery of "tenants" is still off in DEV
