@R33
Feature: Restoring an earlier state version
  LLD 7.3.6 rolls back by restoring a state's S3 version. Done right, that is what
  `terraform state push -force` does: the old document becomes current with its lineage kept,
  its serial raised above the current one, and the lock table's digest updated to match.
  (Planning and applying the restored state belong to the rollback features.)

  As an on-call engineer
  I want to make any earlier state version current again
  So that Terraform and stagegate both accept it as the newest state

  Background:
    Given the DEV state backend is bootstrapped
    And the DEV state of component "tenants" has been written 3 times

  Scenario: restoring the oldest version keeps the lineage, raises the serial and updates the digest
    When the DEV state version with serial 1 of "tenants" is restored
    Then the DEV state of component "tenants" is at serial 4
    And the DEV state of "tenants" has the lineage and resources of the version with serial 1
    And its Digest is the MD5 of the DEV state object stored for "tenants"
    And the DEV state of component "tenants" has these versions, newest first:
      | serial |
      | 4      |
      | 3      |
      | 2      |
      | 1      |

  Scenario: a version of another lineage is refused
    Given the DEV state of component "tenants" has been replaced by a state of a new lineage
    When the DEV state version with serial 1 of "tenants" is restored
    Then the restore is refused because the lineages differ
    And the DEV state of component "tenants" is at serial 1

  Scenario: a version id that does not exist is refused
    When the DEV state version "no-such-version" of "tenants" is restored
    Then the restore is refused because there is no such version
