Feature: Locks another tool wrote are read and released by their ID
  Terraform writes LockInfo with Go's encoder: compact, and with <, > and & escaped as \u003c,
  \u003e and \u0026. Other tools write the same fields with other spacing. Go reads field names
  without regard to case. stagegate reads any of them, names the holder, and releases the lock
  whose ID matches by deleting exactly the text it read, in every locking mode.

  As a platform engineer
  I want force-unlock to release the lock it shows me, whoever wrote it
  So that a crashed Terraform or script never leaves a lock only the AWS console can remove

  @R54
  Scenario Outline: a lock written with other spacing and Go's escapes is released by its ID (<mode>)
    Given pipeline.yml locks the state with "<mode>"
    And the DEV state backend is bootstrapped
    And another tool holds the DEV lock of component "tenants" for "<who>", its Info written as:
      """
      {"ID": "2b6a3c8e-1f0d-4c6e-9a51-7d2f8e4b9c10", "Operation": "OperationTypeApply", "Info": "",
       "Who": "ops \u003cnight\u003e \u0026 day@box", "Version": "1.11.4",
       "Created": "2026-11-26T11:10:00.5Z", "Path": "{path}"}
      """
    When stagegate applies the checkout to DEV
    Then it is refused with "Error acquiring the state lock", naming "<who>" and its lock ID
    When the DEV lock of "tenants" is force-unlocked on the command line with the lock ID "<who>" holds
    Then the command exits 0
    And no lock file and no lock item of "tenants" remain in DEV

    @R54
    Examples:
      | mode     | who                   |
      | dynamodb | ops <night> & day@box |
      | s3       | ops <night> & day@box |
      | both     | ops <night> & day@box |

  @R54
  Scenario: field names in another case, and fields Terraform does not know, are read as Go reads them
    Given pipeline.yml locks the state with "dynamodb"
    And the DEV state backend is bootstrapped
    And another tool holds the DEV lock of component "tenants" for "script@box", its Info written as:
      """
      {"id":"6f1d0c1e-0000-4000-8000-00000000abcd","operation":"OperationTypeApply","who":"script@box","created":"2026-11-26T11:10:00Z","path":"{path}","pid":4242}
      """
    When the DEV lock of "tenants" is force-unlocked on the command line with the lock ID "script@box" holds
    Then the command exits 0
    And no lock file and no lock item of "tenants" remain in DEV
