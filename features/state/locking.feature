Feature: Terraform's S3-backend locking protocol
  LLD 7.2.2 and 7.11.1 lock each state with a DynamoDB table per environment. stagegate writes
  exactly what Terraform's S3 backend writes, so Terraform, stagegate and `aws dynamodb scan`
  all read the same locks and digests.

  As a platform engineer
  I want stagegate's locks and digests to be Terraform's own
  So that stagegate and real Terraform can never change one state at the same time

  Background:
    Given the DEV state backend is bootstrapped

  @R29
  Scenario: a lock is the LockID item Terraform writes, with its LockInfo
    When "alice@ci" locks the DEV component "tenants"
    Then the DEV lock table holds the item "bbws-terraform-state-dev/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate"
    And its Info is JSON with exactly the fields ID, Operation, Info, Who, Version, Created and Path
    And its Info says Who "alice@ci", Operation "OperationTypeApply" and Path "bbws-terraform-state-dev/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate"

  @R29
  Scenario: every state write stores the MD5 digest Terraform checks, beside the lock
    When the DEV state of component "tenants" has been written 1 time
    Then the DEV lock table holds the item "bbws-terraform-state-dev/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate-md5"
    And its Digest is the MD5 of the DEV state object stored for "tenants"
    And the DEV state object stored for "tenants" is a Terraform state of version 4 with serial 1

  @R29
  Scenario: a state that no longer matches its digest is refused
    Given the DEV state of component "tenants" has been written 1 time
    When the DEV state object of "tenants" is overwritten behind stagegate's back
    Then reading the DEV state of "tenants" is refused because its checksum does not match the stored digest

  @R30
  Scenario: two concurrent lock attempts on one component: exactly one wins
    When "alice@ci" and "bob@ci" try to lock the DEV component "tenants" at the same moment
    Then exactly one of them holds the DEV lock of component "tenants"
    And the other is refused with "Error acquiring the state lock", naming the holder and the lock ID

  @R30
  Scenario: a state write by someone who does not hold the lock is refused
    Given "alice@ci" holds the DEV lock of component "tenants"
    When "bob@ci" tries to write the DEV state of "tenants" without holding its lock
    Then the write is refused because the writer does not hold the lock
    And the DEV state of component "tenants" does not exist

  @R31
  Scenario: force-unlock with a wrong lock ID is refused
    Given "alice@ci" holds the DEV lock of component "tenants"
    When the DEV lock of "tenants" is force-unlocked with the ID "6f1d0c1e-0000-4000-8000-000000000000"
    Then the force-unlock is refused, naming the lock ID that is held
    And "alice@ci" holds the DEV lock of component "tenants"
    And the only DEV lock listed is the one "alice@ci" holds

  @R31
  Scenario: force-unlock with the holder's lock ID releases the lock
    Given "alice@ci" holds the DEV lock of component "tenants"
    When the DEV lock of "tenants" is force-unlocked with the lock ID "alice@ci" holds
    Then nobody holds the DEV lock of component "tenants"
    When "bob@ci" locks the DEV component "tenants"
    Then "bob@ci" holds the DEV lock of component "tenants"

  @R30
  Scenario: a lock table keyed otherwise than Terraform's is DynamoDB's refusal, not a held lock
    A table someone made by hand with the key "LockId" refuses every put. That is DynamoDB
    saying no, not a rival holding the lock, and not a backend that was never bootstrapped.
    Given the DEV lock table has been replaced by one keyed by "LockId"
    When "alice@ci" locks the DEV component "tenants"
    Then the lock is refused with DynamoDB's answer to PutItem on the DEV lock table
    And reading the DEV lock of "tenants" is refused with DynamoDB's answer to GetItem on that lock table

  @R30
  Scenario: a lock table that is gone is a backend to bootstrap again, not DynamoDB's error
    Given the DEV lock table has been deleted
    When "alice@ci" locks the DEV component "tenants"
    Then the lock is refused because the DEV state backend does not exist, telling to bootstrap it
    And reading the DEV lock of "tenants" is refused because that state backend does not exist, telling to bootstrap it

  @R30
  Scenario: with a lock timeout, a rival waits for the holder to release and then takes the lock
    Terraform's -lock-timeout: the refusal is retried until the timeout, not given at once.
    Given "alice@ci" holds the DEV lock of component "tenants"
    When "bob@ci" locks the DEV component "tenants" waiting up to 60 seconds, while "alice@ci" releases it after 1 second
    Then "bob@ci" holds the DEV lock of component "tenants"
