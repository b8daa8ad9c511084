@R04
Feature: Environment files and schema JSON are in canonical format
  LLD 7.3.2 runs `terraform fmt -check -recursive` and 7.11.1 fixes failures with
  `terraform fmt -recursive`. stagegate does the same for what this repo holds: `fmt --check`
  lists the files that differ (tfvars in terraform fmt style, JSON with 2-space indentation,
  LF line ends, no BOM, a final newline) and `fmt` rewrites them without changing their meaning.

  As a developer
  I want formatting drift caught and fixed by one command
  So that reviews show only real changes

  Scenario: the sample repo is formatted
    Given the sample repo
    When formatting is checked
    Then the check passes with no findings

  Scenario Outline: a file out of format is listed (<input>)
    Given the broken input "<input>"
    When formatting is checked
    Then the check fails with R04/not-canonical at "<location>"

    @R04
    Examples:
      | input                | location                    |
      | fmt-tfvars-unaligned | environments/dev.tfvars:1   |
      | fmt-json-crlf        | schemas/orders/table.json:1 |
      | fmt-json-compact     | schemas/orders/table.json:1 |

  Scenario: formatting rewrites the files, and the check then passes
    Given the broken input "fmt-tfvars-unaligned"
    When formatting is applied
    And formatting is checked
    Then the check passes with no findings
