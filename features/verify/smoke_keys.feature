Feature: The smoke tier reads keys of the types the table declares
  PROD's smoke test (LLD 7.4.1, R24) reads a key that cannot exist, so that nothing is written
  to PROD's data. DynamoDB refuses a key value of another type than the one the table declares
  (ValidationException), so each key attribute is given a value of its own type: a string, a
  number or a binary. moto 5.2.5 does not check a key's type in an item read: it answers a
  number key given as a string with no item, as if the read were right, so on moto this
  scenario is listed as not run, never passed.

  As a QA lead
  I want the smoke test to read every table the way DynamoDB accepts
  So that a PROD table keyed by a number is tested, not refused

  @R24 @needs-dynamodb-key-types
  Scenario: the smoke tier reads a number hash key and a binary sort key
    Given a working copy of the sample repo
    And the products table is keyed by its number "price" and a new binary sort key "variant" in the working copy
    And the working copy has been applied to DEV
    When the smoke-tier post-deploy tests of DEV run
    Then they include 3 smoke checks, all passing, saying "the read path answers; nothing written"
