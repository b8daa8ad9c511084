@R44
Feature: One environment's credentials cannot touch another environment's state
  LLD 7.2.2 and 7.5.1 give DEV, SIT and PROD separate AWS accounts and deployer roles. On the
  emulator each environment is a real, separate account. stagegate checks whose credentials it
  holds (STS GetCallerIdentity) before it locks or writes any state.

  As a security reviewer
  I want DEV's deployer unable to change SIT's or PROD's state
  So that a mistake or a compromised DEV pipeline stays in DEV

  Scenario Outline: each environment's credentials act as that environment's account
    Then the <env> credentials act as account <account>

    @R44
    Examples:
      | env  | account      |
      | DEV  | 536580886816 |
      | SIT  | 815856636111 |
      | PROD | 093646564004 |

  Scenario: DEV's credentials cannot lock or write SIT's state
    Given the SIT state backend is bootstrapped
    And the SIT state of component "tenants" has been written 1 time
    When DEV's credentials try to lock SIT's component "tenants"
    Then it is refused because the credentials belong to account 536580886816 (DEV), not SIT's account 815856636111
    And the SIT state of component "tenants" is at serial 1
    And nobody holds the SIT lock of component "tenants"

  Scenario: SIT's lock table is not in DEV's account
    Given the SIT state backend is bootstrapped
    Then the lock table "terraform-state-lock-sit" does not exist as seen with DEV's credentials
    And account 815856636111 has the lock table "terraform-state-lock-sit" keyed by LockID
