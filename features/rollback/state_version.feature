@R33
Feature: Rollback to a state version
  LLD 7.3.6 can roll back by an S3 state version id instead of a tag. Behind the rollback gate,
  that version becomes the component's current state (lineage kept, serial raised above the
  current one, digest updated), then the repo is planned, previewed and exactly that plan is
  applied, so the infrastructure matches again.

  As an on-call engineer
  I want to go back to a known state version when the newest state is in doubt
  So that Terraform, stagegate and the real tables agree again

  Background:
    Given a git checkout of the sample repo with one commit on main
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And point-in-time recovery of "tenants" is switched off behind stagegate's back in DEV

  @R34
  Scenario: DEV's tenants rolled back to its first state version, then re-applied
    When DEV's "tenants" is rolled back to its state version with serial 1 by "release-bot" approved by "lead-developer", confirmed with "rollback-dev"
    Then the rollback succeeded with its post-deploy tests passed
    And the DEV state of "tenants" is at serial 3 with the lineage it had at serial 1
    And point-in-time recovery of "tenants" is on again in DEV

  @R34
  Scenario: a rollback to a state version without approvals changes nothing
    When DEV's "tenants" is rolled back to its state version with serial 1 by "release-bot" approved by nobody, confirmed with "rollback-dev"
    Then the rollback is refused by rule R16
    And the DEV state of component "tenants" is at serial 1
    And point-in-time recovery of "tenants" is still off in DEV
