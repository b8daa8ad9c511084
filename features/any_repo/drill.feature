@any-repo @R66
Feature: The rollback drill of the repo under test meets its pipeline.yml targets
  The drill of R35 on the repo under test: a bad commit (point-in-time recovery off) is promoted
  after a good one, detected, rolled back to the last good tag behind the rollback gate and
  verified; its projected time on AWS (R59) is held against the target pipeline.yml sets.

  As a platform team
  I want our SIT and PROD rollbacks drilled on every pull request
  So that a change that would make a rollback miss its target is found in review

  @needs-backup
  Scenario Outline: the <env> rollback drill recovers within the pipeline's target
    Given a working copy of the repo under test
    When a rollback drill of <env> is run
    Then the drill detected "point-in-time recovery of"
    And the drill rolled <env> back to its first deployment tag
    And the drill meets the target pipeline.yml sets for <env>, on its projection

    Examples:
      | env  |
      | SIT  |
      | PROD |
