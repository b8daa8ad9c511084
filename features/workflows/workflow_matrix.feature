@R52
Feature: The GitHub Actions workflows follow the workflow matrix
  LLD 7.3.1's workflow matrix says how each workflow starts and which ones need approval, and
  7.3.5 and 7.3.6 give the dispatch inputs of apply and rollback. `stagegate lint-workflows`
  checks a repo's .github/workflows against it and names the file and line of every deviation.

  As a platform engineer
  I want a workflow that drifts from the matrix caught before it is merged
  So that no push, schedule or unprotected job can change an environment

  Background:
    Given the corrected workflows

  Scenario: the corrected workflows follow the matrix and lint clean
    When the workflows are linted
    Then the workflows lint clean

  Scenario Outline: <workflow> starts only by manual dispatch, never on <trigger>
    Given <workflow> also starts on <trigger>
    When the workflows are linted
    Then the lint finds SG-WF-001 at "<workflow>:<line>"
    And its fix says "remove `<trigger>` from `on:`"

    @R52
    Examples:
      | workflow            | trigger      | line |
      | terraform-apply.yml | push         | 8    |
      | terraform-apply.yml | pull_request | 8    |
      | terraform-apply.yml | schedule     | 8    |
      | rollback.yml        | push         | 5    |
      | rollback.yml        | schedule     | 5    |

  Scenario: a validation workflow may also start on a schedule
    Given validate-schemas.yml also starts on schedule
    When the workflows are linted
    Then the workflows lint clean

  Scenario Outline: <workflow> no longer starts on <trigger>, as the matrix says it does
    Given <workflow> no longer starts on <trigger>
    When the workflows are linted
    Then the lint finds SG-WF-002 at "<workflow>:<line>"

    @R52
    Examples:
      | workflow               | trigger      | line |
      | validate-schemas.yml   | pull_request | 4    |
      | validate-templates.yml | push         | 4    |
      | terraform-plan.yml     | workflow_run | 4    |

  Scenario Outline: the <input> input of <workflow> <deviation>
    Given the <input> input of <workflow> <deviation>
    When the workflows are linted
    Then the lint finds SG-WF-003 at "<workflow>:<line>"
    And its fix says "<fix>"

    @R52
    Examples:
      | workflow            | input           | deviation                | line | fix                                      |
      | terraform-apply.yml | environment     | is free text             | 10   | type: choice                             |
      | terraform-apply.yml | environment     | offers only dev and prod | 10   | options: [dev, sit, prod]                |
      | terraform-apply.yml | confirmation    | is not required          | 14   | required: true                           |
      | terraform-apply.yml | use_stored_plan | is missing               | 9    | declare `use_stored_plan`                |
      | rollback.yml        | environment     | is not required          | 7    | required: true                           |
      | rollback.yml        | confirmation    | is missing               | 6    | declare `confirmation`                   |

  Scenario: an input that is read but never declared is always empty
    Given the change_ticket input of terraform-apply.yml is missing
    When the workflows are linted
    Then the lint finds SG-WF-004 at "terraform-apply.yml:36"
    And its message says "always empty"

  Scenario Outline: the <job> job of <workflow> changes infrastructure only behind its GitHub environment
    Given the <job> job of <workflow> declares no environment
    When the workflows are linted
    Then the lint finds SG-WF-005 at "<workflow>:<line>"
    And its message says "<command>"

    @R52
    Examples:
      | workflow            | job      | line | command                    |
      | terraform-apply.yml | deploy   | 68   | terraform apply            |
      | rollback.yml        | rollback | 43   | terraform state push       |

  Scenario: a workflow of the matrix that is missing is reported
    Given rollback.yml is missing
    When the workflows are linted
    Then the lint finds SG-WF-012 at "rollback.yml:1"
