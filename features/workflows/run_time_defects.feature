Feature: The design's workflows fail when GitHub runs them, and the lint says where
  Read step by step as GitHub runs them, the workflows of LLD 7.3.4–7.3.7 stop before they do
  their work: `upper()` is no expression function, so no role secret is resolved (F11); every
  component shares one state key and the rollback cannot name a component (F12, against 7.2.2);
  the state restore calls `aws s3api get-object` without `--key` (F13); the apply job never runs
  `terraform init` (F16) and downloads a plan that only another run holds (F17); the post-deploy
  tests read a dispatch input that is empty when the apply's completion starts them (F18); and
  the workflows that follow another run go ahead even when that run failed (F19); the JSON check
  of 7.3.2 globs `schemas/**/*.json` in a bash that reads `**` as `*` (F20); and the deployment
  tag is annotated on a runner with no git identity (F21). Each is found
  at its line with a fix, and the corrected workflows (fixtures/workflows-fixed) lint clean.

  As a platform engineer
  I want each way the design's workflows break at run time named before they run
  So that the first deployment does not find them for us

  Background:
    Given the LLD's workflows

  @F11
  Scenario Outline: upper() is no GitHub Actions function, so the role secret of <workflow> is never resolved
    When the workflows are linted
    Then the lint finds SG-WF-020 at "<workflow>:<line>"
    And its message says "upper() is not a GitHub Actions expression function"
    And its fix says "not case-sensitive"

    @F11
    Examples:
      | workflow              | line |
      | terraform-plan.yml    | 22   |
      | terraform-apply.yml   | 57   |
      | terraform-apply.yml   | 98   |
      | rollback.yml          | 38   |
      | post-deploy-tests.yml | 20   |

  @F11
  Scenario: with the secret named through format() alone, the expression is valid
    Given terraform-plan.yml reads "format('AWS_ROLE_{0}', matrix.environment)" where it read "format('AWS_ROLE_{0}', upper(matrix.environment))"
    When the workflows are linted
    Then the lint finds no SG-WF-020 in terraform-plan.yml

  @F12
  Scenario Outline: <workflow> keeps every component in one state file
    When the workflows are linted
    Then the lint finds SG-WF-022 at "<workflow>:<line>"
    And its message says "no component's state file"

    @F12
    Examples:
      | workflow           | line |
      | terraform-plan.yml | 29   |
      | rollback.yml       | 45   |

  @F12
  Scenario: the rollback cannot say which component's state to restore
    When the workflows are linted
    Then the lint finds SG-WF-022 at "rollback.yml:6"
    And its message says "no component input"

  @F12
  Scenario: a state key of one component is accepted
    Given rollback.yml reads "key=2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate" where it read "key=2_1_bbws_dynamodb_schemas/terraform.tfstate"
    When the workflows are linted
    Then the lint finds no SG-WF-022 at "rollback.yml:45"

  @F13
  Scenario: the state restore cannot run: get-object has no --key
    When the workflows are linted
    Then the lint finds SG-WF-023 at "rollback.yml:52"
    And its message says "has no --key"

  @F13
  Scenario: given the state's key, get-object can run
    Given rollback.yml reads "--key 2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate --version-id" where it read "--version-id"
    When the workflows are linted
    Then the lint finds no SG-WF-023 in rollback.yml

  @F16
  Scenario: the apply job applies without terraform init
    When the workflows are linted
    Then the lint finds SG-WF-024 at "terraform-apply.yml:64"
    And its message says "Backend initialization required"

  @F17
  Scenario: the stored plan is downloaded from a run that never uploaded it
    When the workflows are linted
    Then the lint finds SG-WF-025 at "terraform-apply.yml:62"
    And its fix says "run-id:"

  @F18
  Scenario: after an apply, the post-deploy tests read an empty environment
    When the workflows are linted
    Then the lint finds SG-WF-026 at "post-deploy-tests.yml:20"
    And its message says "also starts on workflow_run"

  @F19
  Scenario Outline: <workflow> runs after the run it follows even when that run failed
    When the workflows are linted
    Then the lint finds SG-WF-027 at "<workflow>:<line>"

    @F19
    Examples:
      | workflow              | line |
      | terraform-plan.yml    | 13   |
      | post-deploy-tests.yml | 15   |

  @F20
  Scenario: the JSON syntax check never sees a schema two directories down
    When the workflows are linted
    Then the lint finds SG-WF-028 at "validate-schemas.yml:16"
    And its message says "only files exactly one directory down"
    And its fix says "shopt -s globstar"

  @F21
  Scenario: the deployment tag cannot be annotated: the runner has no git identity
    When the workflows are linted
    Then the lint finds SG-WF-029 at "terraform-apply.yml:68"
    And its fix says "git config user.email"

  @F21
  Scenario: with a git identity configured first, the tag can be annotated
    Given terraform-apply.yml reads "git config user.email bot@example.org && git tag -a" where it read "git tag -a"
    When the workflows are linted
    Then the lint finds no SG-WF-029 in terraform-apply.yml

  @F11 @F12 @F13 @F16 @F17 @F18 @F19 @F20 @F21
  Scenario: the corrected workflows run as written
    Given the corrected workflows
    When the workflows are linted
    Then the workflows lint clean
