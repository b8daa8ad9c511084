Feature: Manual trigger, exact confirmation, main only
  LLD 7.1.1 allows no auto-deploy: apply and rollback run on a manual dispatch only. 7.3.5 and
  7.3.6 ask for a typed confirmation, and 7.4.2 deploys only from main. Every input is data:
  anything that does not match its strict pattern is refused as bad input, naming the flag,
  before any rule runs and without ever reaching a shell. A confirmation a person mistyped
  (another case, a space for the dash) is not bad input: it is the confirmation rule failing.

  As a platform engineer
  I want a deployment started only on purpose, for the environment it names, from main
  So that no push, schedule or typo can change an environment

  Background:
    Given the pipeline policy of the sample repo

  @R14
  Scenario Outline: a run triggered by <trigger>: the manual trigger rule <verdict>
    Given a DEV deployment by "release-bot" of commit "abcdef1" from main, confirmed, inside its window
    And it is approved by "lead-developer"
    And it was triggered by "<trigger>"
    When the gate is evaluated
    Then rule R14 <verdict>
    And the gate is <state>

    @R14
    Examples:
      | trigger           | verdict | state  |
      | manual            | passes  | open   |
      | workflow_dispatch | passes  | open   |
      | push              | fails   | closed |
      | schedule          | fails   | closed |
      | pull_request      | fails   | closed |
      | workflow_run      | fails   | closed |

  @R15
  Scenario Outline: a <kind> of <env> confirmed with "<typed>": the confirmation rule <verdict>
    Given a <env> <kind> by "release-bot" of commit "abcdef1" from main, inside its window
    And it is approved by every reviewer of <env> but the deployer
    And it is confirmed with "<typed>"
    When the gate is evaluated
    Then rule R15 <verdict>

    @R15
    Examples:
      | env  | kind       | typed         | verdict |
      | DEV  | deployment | deploy-dev    | passes  |
      | DEV  | deployment | deploy-prod   | fails   |
      | PROD | deployment | deploy-dev    | fails   |
      | SIT  | rollback   | rollback-sit  | passes  |
      | SIT  | rollback   | deploy-sit    | fails   |
      | PROD | rollback   | rollback-prod | passes  |
      | DEV  | deployment | Deploy-dev    | fails   |
      | DEV  | deployment | DEPLOY-DEV    | fails   |
      | DEV  | deployment | deploy dev    | fails   |
      | SIT  | rollback   | rollback-sit. | fails   |

  @R15
  Scenario: a deployment nobody confirmed is refused
    Given a DEV deployment by "release-bot" of commit "abcdef1" from main, inside its window
    And it is approved by "lead-developer"
    When the gate is evaluated
    Then rule R15 fails saying "no confirmation"

  @R19
  Scenario Outline: a commit from <branch>: the branch rule <verdict>
    Given a DEV deployment by "release-bot" of commit "abcdef1" from main, confirmed, inside its window
    And it is approved by "lead-developer"
    And the commit is on branch "<branch>"
    When the gate is evaluated
    Then rule R19 <verdict>

    @R19
    Examples:
      | branch          | verdict |
      | main            | passes  |
      | refs/heads/main | passes  |
      | develop         | fails   |
      | feature/x       | fails   |
      | mainline        | fails   |

  @R65
  Scenario Outline: <flag> given "<value>" is refused as bad input
    When a gate request is made with <flag> "<value>"
    Then it is refused as bad input naming "<flag>"

    @R65
    Examples:
      | flag            | value               |
      | --change-ticket | CHG1; rm -rf /      |
      | --change-ticket | $(id)               |
      | --change-ticket | CHG0001234\n        |
      | --confirm       | deploy-dev; reboot  |
      | --confirm       | `id`                |
      | --deployer      | alice;reboot        |
      | --approve       | bob@yesterday       |
      | --branch        | main && curl x      |
      | --commit        | HEAD~1              |
      | --trigger       | manual\|push        |
