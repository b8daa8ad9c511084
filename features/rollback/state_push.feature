@F03
Feature: Restoring a state version the LLD's way leaves the lock table's digest wrong
  LLD 7.3.6 restores a state version by downloading it and running `terraform state push`.
  Without -force, Terraform refuses a state whose serial is lower than the current one; and a
  plain copy of the old object over the current one, which is what the push amounts to, leaves
  the lock table's -md5 digest describing the newer state, so every later read is refused.
  stagegate's restore keeps the lineage, raises the serial and rewrites the digest.

  As an on-call engineer
  I want a state restore that Terraform and stagegate both accept afterwards
  So that a rollback does not leave the state unreadable in the middle of an incident

  Background:
    Given the DEV state backend is bootstrapped
    And the DEV state of component "tenants" has been written 3 times

  Scenario: a plain copy of the oldest version is refused by its digest and is behind the serial
    When the oldest DEV state version of "tenants" is copied over the current state
    Then reading the DEV state of "tenants" is refused because its checksum does not match the stored digest
    And the current DEV state object of "tenants" has serial 1, below the serial 3 last written

  Scenario: stagegate's restore of the same version is accepted
    When the DEV state version with serial 1 of "tenants" is restored
    Then the DEV state of component "tenants" is at serial 4
    And its Digest is the MD5 of the DEV state object stored for "tenants"
