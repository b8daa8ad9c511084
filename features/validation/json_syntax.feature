@R01
Feature: Every JSON file under schemas/ parses, and a broken one is reported where it breaks
  LLD 7.3.2 (validate-schemas.yml, job validate-json-syntax) runs `jq empty` on each file under
  schemas/. stagegate is that check, stricter: a byte order mark, a duplicate key, nesting
  beyond 128 levels, a file over 1 MiB and bytes that are not UTF-8 are findings too, each
  with its file, line and column, and none of them stops the other files from being checked.

  As a platform engineer
  I want a broken schema file named with the position of the problem
  So that I fix it before any plan runs

  Scenario: the sample repo's JSON files all parse
    Given the sample repo
    When the repo is validated
    Then the check passes with no findings

  Scenario Outline: a bad JSON file is reported at its position (<input>)
    Given the broken input "<input>"
    When the repo is validated
    Then the check fails with <rule> at "<location>"

    @R01
    Examples:
      | input               | rule              | location                          |
      | json-syntax         | R01/syntax        | schemas/orders/table.json:3:3     |
      | json-trailing-comma | R01/syntax        | schemas/orders/table.json:3:1     |
      | json-bom            | R01/bom           | schemas/orders/table.json:1:1     |
      | json-duplicate-key  | R01/duplicate-key | schemas/orders/table.json:16:3    |
      | json-deeply-nested  | R01/too-deep      | schemas/orders/nested.json:1:128  |
      | json-5mb            | R01/too-large     | schemas/orders/huge.json          |
      | json-invalid-utf8   | R01/not-utf8      | schemas/orders/table.json:2:20    |

  Scenario: a directory that is not an infra repo is refused as unusable input
    Given the broken input "not-a-repo"
    When the repo is validated
    Then the input is refused as unusable
