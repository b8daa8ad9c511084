@R27
Feature: One versioned, encrypted state bucket per environment
  LLD 7.2.2 keeps each environment's Terraform state in a bucket of its own, in that
  environment's own account, versioned so that any earlier state can be restored.

  As a platform engineer
  I want every environment's state in a versioned, encrypted, private bucket of its own
  So that a mistake in one environment cannot reach another and any earlier state can come back

  Scenario Outline: the <env> state backend is versioned, encrypted and private
    When the <env> state backend is bootstrapped
    Then account <account> has the state bucket "<bucket>"
    And that bucket keeps every version of every object
    And that bucket encrypts objects at rest by default
    And that bucket blocks all four kinds of public access
    And account <account> has the lock table "<table>" keyed by LockID

    @R27
    Examples:
      | env  | account      | bucket                    | table                     |
      | DEV  | 536580886816 | bbws-terraform-state-dev  | terraform-state-lock-dev  |
      | SIT  | 815856636111 | bbws-terraform-state-sit  | terraform-state-lock-sit  |
      | PROD | 093646564004 | bbws-terraform-state-prod | terraform-state-lock-prod |

  Scenario: bootstrapping an environment again changes nothing
    Given the DEV state backend is bootstrapped
    And the DEV state of component "tenants" has been written 1 time
    When the DEV state backend is bootstrapped
    Then the DEV state of component "tenants" is at serial 1

  Scenario: every state write keeps the one before it as an S3 version
    Given the DEV state backend is bootstrapped
    When the DEV state of component "tenants" has been written 3 times
    Then the DEV state of component "tenants" has these versions, newest first:
      | serial |
      | 3      |
      | 2      |
      | 1      |
