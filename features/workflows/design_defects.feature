Feature: The design's own workflow defects are found, with a fix
  The workflows of LLD 7.3 and 7.4.3 interpolate dispatch inputs into shell scripts (F02), test
  a boolean input as a string (F04), use retired and unpinned actions (F05) and push tags without
  `contents: write` (F10); their OIDC jobs never get `id-token: write` (R52). `stagegate
  lint-workflows` finds each at its file and line, says how to fix it, and stops finding it once
  it is fixed.

  As a security reviewer
  I want each defect of the design's workflows named where it is, with its fix
  So that the pipeline we build from the LLD does not inherit them

  Background:
    Given the LLD's workflows

  @F02
  Scenario Outline: a free-text input pasted into a shell script is command injection (<location>)
    When the workflows are linted
    Then the lint finds SG-WF-010 at "<location>"
    And its message says "input <input>"
    And its fix says "pass it through env:"

    @F02
    Examples:
      | location                | input            |
      | terraform-apply.yml:25  | confirmation     |
      | terraform-apply.yml:41  | change_ticket    |
      | terraform-apply.yml:45  | change_ticket    |
      | rollback.yml:23         | confirmation     |
      | rollback.yml:48         | deployment_tag   |
      | rollback.yml:54         | state_version_id |

  @F02
  Scenario: the change ticket read through env is no longer injectable
    Given the change ticket check of terraform-apply.yml reads the input through env
    When the workflows are linted
    Then the lint finds no SG-WF-010 at "terraform-apply.yml:43"
    And the lint finds no SG-WF-010 at "terraform-apply.yml:47"

  @F02
  Scenario: a choice input is checked by GitHub before the run, so it is not injectable
    When the workflows are linted
    Then the lint finds no SG-WF-010 at "terraform-apply.yml:67"

  @F04
  Scenario: the stored-plan condition is true even when use_stored_plan is false
    When the workflows are linted
    Then the lint finds SG-WF-011 at "terraform-apply.yml:61"
    And its message says "'false' is truthy"
    And its fix says "inputs.use_stored_plan"

  @F04
  Scenario Outline: the stored-plan condition written as <condition> reads the boolean correctly
    Given the stored-plan condition of terraform-apply.yml reads <condition>
    When the workflows are linted
    Then the lint finds no SG-WF-011 in terraform-apply.yml

    @F04
    Examples:
      | condition                                       |
      | inputs.use_stored_plan                          |
      | github.event.inputs.use_stored_plan == 'true'   |

  @F05
  Scenario Outline: <action> is retired and fails the run
    When the workflows are linted
    Then the lint finds SG-WF-009 at "<location>"
    And its fix says "v4"

    @F05
    Examples:
      | action                       | location               |
      | actions/upload-artifact@v3   | terraform-plan.yml:32  |
      | actions/download-artifact@v3 | terraform-apply.yml:62 |

  @F05
  Scenario: no action of the design is pinned to a commit
    When the workflows are linted
    Then every `uses:` line of the workflows is reported as not pinned to a commit (SG-WF-008)

  @F10
  Scenario: the deployment tag is pushed without contents: write
    When the workflows are linted
    Then the lint finds SG-WF-007 at "terraform-apply.yml:69"
    And its fix says "contents: write"

  @F10
  Scenario: granted contents: write, the deploy job may push its tag
    Given the deploy job of terraform-apply.yml is granted contents: write and id-token: write
    When the workflows are linted
    Then the lint finds no SG-WF-007 in terraform-apply.yml

  @R52
  Scenario Outline: a job that assumes an AWS role through OIDC is granted id-token: write (<workflow>)
    When the workflows are linted
    Then the lint finds SG-WF-006 at "<workflow>:<line>"
    And its fix says "id-token: write"

    @R52
    Examples:
      | workflow              | line |
      | terraform-plan.yml    | 20   |
      | terraform-apply.yml   | 55   |
      | terraform-apply.yml   | 96   |
      | rollback.yml          | 36   |
      | post-deploy-tests.yml | 18   |
