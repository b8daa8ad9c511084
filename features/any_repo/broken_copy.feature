@R66
Feature: The suite on a broken copy of a team's repo fails the scenario that names the breakage
  STAGEGATE_REPO points this suite at a repo; a defect in that repo must fail the scenario
  about it, and only that one, and the scenarios left out because they pin the sample repo
  are counted, never passed. The suite is run here on a broken copy of fixtures/repo-ledger.

  As a platform team
  I want a broken table in our repo to fail our CI job in the scenario that names it
  So that the job's red is a finding, not noise

  Scenario: a table whose sort key has no attribute definition fails Stage 1's validation, and only it
    Given a copy of the ledger repo whose table "journal" has the attribute definition of its sort key removed
    When the suite is run on that copy with STAGEGATE_REPO, over the feature files `any_repo/stage1.feature` and `validation/json_syntax.feature`
    Then the run fails, in the scenario "every file of the repo validates" only
    And the run says it left out the 9 scenarios of "validation/json_syntax.feature", which pin the sample repo
