Feature: Stored plans expire and go stale
  LLD 7.2.1 keeps plan artifacts for 30 days and 7.3.5 applies a stored plan. A stored plan
  is only safe to apply while the state it was made against is still the current state, and
  within its 30 days. (The LLD's own stored-plan defect, F08, follows from this.)

  As a release manager
  I want an old or overtaken plan refused with a clear reason
  So that nobody applies a change that was reviewed against a different reality

  Background:
    Given a working copy of the sample repo
    And the working copy has been applied to DEV
    And the products table gains the index "sku-index" on "sku" in the working copy

  @R12
  Scenario: a stored plan records what it was made against
    When a DEV plan of the working copy is stored at "2026-11-26T10:00:00+02:00"
    Then the stored plan is for environment dev and the working copy's commit
    And the stored plan records, for each component, its state lineage and serial 1
    And the stored plan was created at "2026-11-26T08:00:00Z" and expires at "2026-12-26T08:00:00Z"

  @R12
  Scenario Outline: a stored plan is applied within 30 days and refused after
    Given a DEV plan of the working copy is stored at "2026-11-26T10:00:00+02:00"
    When the stored plan is applied at "<at>"
    Then the apply <outcome>

    @R12
    Examples:
      | at                        | outcome                                          |
      | 2026-12-26T09:59:59+02:00 | succeeds                                         |
      | 2026-12-26T10:00:00+02:00 | is refused with "Saved plan has expired"         |
      | 2027-03-01T12:00:00+02:00 | is refused with "Saved plan has expired"         |

  @R13 @F08
  Scenario: a stored plan is refused when the state changed after it was made
    This is the LLD's F08: a plan stored at pull-request time goes stale as soon as anything
    else is applied to that component, so "use_stored_plan" must fail (or re-plan and review).

    Given a DEV plan of the working copy is stored
    And the products component was applied again since, by another change
    When the stored plan is applied
    Then the apply is refused with "Saved plan is stale"
    And the products table in account 536580886816 has no index "sku-index"
    And the DEV state of component "products" is at serial 2
    And no DEV state lock is held

  @R13
  Scenario: a stored plan is refused when the state was replaced by another lineage, even at its serial
    A state pushed from elsewhere (another Terraform working directory, a restore from a backup)
    can have the very serial the plan was made against: the lineage still tells it apart.

    Given a DEV plan of the working copy is stored
    And the DEV state of "products" was replaced by a state of another lineage at the serial the plan was made against
    When the stored plan is applied
    Then the apply is refused with "Saved plan is stale"
    And the products table in account 536580886816 has no index "sku-index"
