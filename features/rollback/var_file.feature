@F15
Feature: A rollback applies the variables it previewed
  LLD 7.3.6 plans the rollback with -var-file=<env>.tfvars and then runs apply with neither that
  plan nor the var file (F15): the apply runs with other variables than the preview showed. In
  stagegate the variables are part of the previewed plan, read from the tag's own var file, and
  the post-deploy tests check the environment against that same tree.

  Background:
    Given a git checkout of the sample repo with one commit on main
    And release v1 of the checkout has been promoted to DEV

  Scenario: a var-file change on main is undone by a rollback to the tag
    Given a new commit on main sets DEV's "CostCenter" tag to "BBWS-ENG-DEV-MOVED" in its var file
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And every DEV resource is tagged "CostCenter" = "BBWS-ENG-DEV-MOVED"
    When DEV is rolled back to the tag of release v1 approved by "lead-developer", confirmed with "rollback-dev"
    Then the rollback succeeded with its post-deploy tests passed
    And the rollback's previewed plan sets "CostCenter" back to "BBWS-ENG-DEV" on every tagged resource
    And every DEV resource is tagged "CostCenter" = "BBWS-ENG-DEV"
    And DEV matches release v1
