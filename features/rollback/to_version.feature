@F14
Feature: A rollback to a state version returns the environment to the deployment that wrote it
  LLD 7.3.6, given only a state_version_id, downloads that version, pushes it as the current
  state and applies main's configuration over it. Terraform refreshes the restored state away,
  so the infrastructure stays as main has it and nothing goes back (F14). stagegate finds the
  deployment that wrote the version in the environment's ledger (every record keeps the state
  versions it wrote) and returns the environment to that deployment's tag: the version is
  restored first, then the tag's tree is previewed and exactly that plan applied. A version that
  no recorded deployment wrote, or that a bad deployment wrote, is refused with what to use
  instead, before anything changes.

  In this checkout each release tags the tenants table with its name, so releases v1, v2 and v3
  wrote the tenants state at serials 1, 2 and 3.

  As an on-call engineer
  I want to pick a state version and get the infrastructure that version describes
  So that a rollback by state version means what it says

  Background:
    Given a git checkout of the sample repo with one commit on main
    And releases v1, v2 and v3 of the checkout have been deployed to DEV in turn

  @R33
  Scenario: DEV's tenants rolled back to the version release v1 wrote brings release v1 back
    When DEV's "tenants" is rolled back to its state version with serial 1 by "release-bot" approved by "lead-developer", confirmed with "rollback-dev"
    Then the rollback succeeded with its post-deploy tests passed
    And DEV matches release v1, with the tenants state's serial raised and its lineage kept
    And the DEV ledger's last record is a rollback to release v1's commit

  @R32
  Scenario: the rollback command names the tag and the commit it returns DEV to
    When stagegate rolls DEV back to the tag of release v1 on the command line, approved by "lead-developer", confirmed with "rollback-dev"
    Then the command exited 0, naming DEV's tag of release v1 and its commit
    And DEV matches release v1

  @R33
  Scenario: the rollback command names the deployment that wrote the version, and returns DEV to it
    When stagegate rolls DEV's "tenants" back to its state version with serial 1 on the command line, approved by "lead-developer", confirmed with "rollback-dev"
    Then the command exited 0, naming the tag and the commit of release v1 that wrote it
    And DEV matches release v1

  @R33
  Scenario: the state versions name the deployment that wrote each one
    When the DEV state versions of "tenants" are listed
    Then they are, newest first:
      | serial | written by |
      | 3      | release v3 |
      | 2      | release v2 |
      | 1      | release v1 |

  Scenario: a version that no recorded deployment wrote is refused and changes nothing
    A state restored by hand (`stagegate state restore`) is a version no deployment wrote: it
    describes some state, but no commit says which configuration goes with it.

    Given DEV's "tenants" state version with serial 1 has been restored by hand
    When DEV's "tenants" is rolled back to its state version with serial 4 by "release-bot" approved by "lead-developer", confirmed with "rollback-dev"
    Then the rollback could not run, saying "no recorded deployment of DEV wrote this version of tenants's state"
    And it said to use "--to-tag"
    And DEV still matches release v3

  Scenario: a version that a deployment with failing post-deploy tests wrote is refused
    Given a new commit on main switches point-in-time recovery of the tenants table off
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    When DEV's "tenants" is rolled back to its state version with serial 4 by "release-bot" approved by "lead-developer", confirmed with "rollback-dev"
    Then the rollback could not run, saying "failed its post-deploy tests"
    And it said to use "--to-tag last-good"
