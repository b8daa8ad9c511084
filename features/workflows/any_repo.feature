Feature: The workflow lint works on any repo, with the design's matrix only where it is declared
  Beyond LLD 7.3.1's matrix, `stagegate lint-workflows` holds any repo's workflows to GitHub's
  own security rules: events that run privileged on an outsider's change (R60), token
  permissions, persisted credentials and cache poisoning (R61), and expressions GitHub rejects
  (R62). The matrix rules run only where `pipeline.yml` declares `workflows: { matrix:
  lld-7.3.1 }`; a file that cannot be parsed is reported and the others are still linted; a
  finding the team accepts is suppressed in the workflow with a written reason (R63).

  As a platform engineer
  I want the lint to be right about a repo that is not built from the design
  So that we can run it on every repo we own

  Background:
    Given the LLD's workflows

  @R63
  Scenario: without the matrix declared, only the generic rules run
    Given the repo declares no workflow matrix
    When the workflows are linted
    Then no finding is of a matrix rule
    And the lint finds SG-WF-010 at "rollback.yml:23"

  @R63
  Scenario: one workflow that is not YAML is reported and the others are still linted
    Given terraform-apply.yml indents line 30 with a tab
    When the workflows are linted
    Then the lint reports "terraform-apply.yml:30" as unreadable
    And the lint finds SG-WF-010 at "rollback.yml:23"

  @R63
  Scenario: a finding accepted with a written reason is suppressed, and no longer fails the lint
    Given the corrected workflows
    When the workflows are linted
    Then the workflows lint clean
    And the finding SG-WF-013 at "terraform-plan.yml:6" is suppressed with its reason

  @R60
  Scenario: a workflow that starts on another workflow's completion runs privileged
    When the workflows are linted
    Then the lint finds SG-WF-013 at "terraform-plan.yml:5"
    And its fix says "pull_request"

  @R61
  Scenario Outline: the design's jobs run with the default token and keep it on disk (<rule>)
    When the workflows are linted
    Then the lint finds <rule> at "<location>"
    And its fix says "<fix>"

    @R61
    Examples:
      | rule      | location               | fix                         |
      | SG-WF-016 | terraform-apply.yml:47 | contents: read              |
      | SG-WF-017 | terraform-apply.yml:54 | persist-credentials: false  |

  @R62
  Scenario: a mistyped property is rejected before the run
    Given validate-schemas.yml reads "github.event_nam ==" where it read "github.event_name =="
    When the workflows are linted
    Then the lint finds SG-WF-021 at "validate-schemas.yml:41"
    And the lint finds no SG-WF-021 in terraform-plan.yml
