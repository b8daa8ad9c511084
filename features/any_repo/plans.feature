@any-repo @R66
Feature: The repo under test plans, applies and converges in every environment
  The three plans at once, each in its own account, then an apply per environment after which a
  new plan finds nothing left to do and every post-deploy invariant of the repo holds (LLD
  7.3.3, 7.6.1, 7.7.1). Counts and names come from the repo, never from the sample.

  As a platform team
  I want our plans and applies proven on an emulator on every pull request
  So that a change that cannot converge never reaches an approver

  Background:
    Given a working copy of the repo under test

  @needs-backup
  Scenario: DEV, SIT and PROD are planned at once, each creating every table and template of the repo
    When the working copy is planned for every environment
    Then there is one plan each for DEV, SIT and PROD, all of the same commit
    And each plan creates every table and every template of the repo, and the templates bucket

  Scenario Outline: after the apply to <env>, a new plan changes nothing and every invariant holds
    When the working copy is applied to <env>
    Then a new plan for <env> changes nothing
    When the <env> environment is verified
    Then every check passes

    Examples:
      | env |
      | DEV |

    @needs-backup
    Examples:
      | env  |
      | SIT  |
      | PROD |
