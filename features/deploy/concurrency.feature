Feature: One apply at a time per component
  LLD 7.2.2 and 7.11.1: the DynamoDB lock stops two applies from changing one state at once;
  a lock left behind by a crashed run is released only with its own lock ID.

  As a platform engineer
  I want a second apply of a component refused while the first holds it
  So that two pipelines can never interleave their changes to one table

  Background:
    Given a working copy of the sample repo
    And the working copy has been applied to DEV
    And the products table gains the index "sku-index" on "sku" in the working copy

  @R30 @R22
  Scenario: an apply of a component another run holds fails, naming the holder
    Given "alice@ci" holds the DEV lock of component "products"
    When the working copy is applied to DEV
    Then the apply is refused with "Error acquiring the state lock" naming "alice@ci"
    And the products table in account 536580886816 has no index "sku-index"

  @R30 @R22
  Scenario: two applies of one component at the same moment: exactly one changes it
    When two runs apply the working copy to DEV at the same moment
    Then exactly one apply changed "products"
    And the other was refused by the lock, naming the winner as its holder

  @R31 @R22
  Scenario: a crashed apply leaves its lock; force-unlock with its ID, then the rerun converges
    The crashed run is a real `stagegate apply` process, killed while it held the products lock
    and waited for the templates lock.

    Given the template "welcome.html" is edited in the working copy
    And "alice@ci" holds the DEV lock of component "templates"
    And a stagegate apply to DEV was killed while it held the lock of "products"
    When the DEV lock of "templates" is force-unlocked with the lock ID "alice@ci" holds
    And the working copy is applied to DEV
    Then the apply is refused with "Error acquiring the state lock" naming the killed run's lock ID
    When the DEV lock of "products" is force-unlocked with the killed run's lock ID
    And the working copy is applied to DEV
    Then the products table in account 536580886816 has the index "sku-index"
    And a new plan for DEV changes nothing
