Feature: Terraform's digest rules
  With the lock table in use, Terraform's S3 backend stores the MD5 of every state it writes in
  the item "{bucket}/{key}-md5" and checks the state against it when reading. A mismatch may be S3
  catching up with a write, so Terraform reads again every 2 s for 10 s before it stops with "state
  data in S3 does not have the expected content", and says which Digest to set (or to remove, when
  there is no object). A state object that is empty is no state; a Digest that is not an MD5 is not
  checked. With lock files only (use_lockfile without dynamodb_table) Terraform keeps no digest,
  so none is checked. stagegate does the same, with the same window (shortened here).

  As a platform engineer sharing states with Terraform
  I want stagegate to judge a state's digest exactly as Terraform does
  So that neither tool stops on a state the other considers sound, nor accepts one it refuses

  Background:
    Given the DEV state backend is bootstrapped
    And the DEV state of component "tenants" has been written 1 time

  @R54
  Scenario: a mismatch that S3 catches up with inside the window is read
    Given reads wait up to "5s" for the state to match its digest
    When the DEV state object of "tenants" is overwritten behind stagegate's back and put back after "400ms"
    Then the DEV state of component "tenants" is the one stagegate wrote last, at serial 1

  @R54
  Scenario: a mismatch that lasts the whole window is refused, advising the Digest to set
    Given reads wait up to "300ms" for the state to match its digest
    When the DEV state object of "tenants" is overwritten behind stagegate's back
    Then reading the DEV state of "tenants" is refused with Terraform's checksum error advising to "update the Digest value stored in the DynamoDB table to the following value: <the object's MD5>"

  @R54
  Scenario: a state object deleted while its digest remains is refused, advising to remove the Digest
    When the DEV state object of "tenants" is deleted behind stagegate's back
    Then reading the DEV state of "tenants" is refused with Terraform's checksum error advising to "remove the Digest value stored in the DynamoDB table"

  @R54
  Scenario: an empty state object whose digest remains is no state, so it does not match
    Given the DEV state object of "tenants" is an empty object
    Then reading the DEV state of "tenants" is refused with Terraform's checksum error advising to "remove the Digest value stored in the DynamoDB table"

  @R54
  Scenario: an empty state object without a digest is no state
    Given the DEV state object of "tenants" is an empty object
    And the DEV digest of "tenants" is ""
    Then the DEV state of component "tenants" does not exist

  @R54
  Scenario: a Digest that is not an MD5 is not checked
    Given the DEV digest of "tenants" is "not-an-md5"
    When the DEV state object of "tenants" is overwritten behind stagegate's back
    Then the DEV state of component "tenants" is at serial 1

  @R54
  Scenario: with lock files only, a digest left in the lock table is not checked
    Given the team moves to lock files only
    When the DEV state object of "tenants" is overwritten behind stagegate's back
    Then the DEV state of component "tenants" is at serial 1
