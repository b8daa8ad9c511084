@any-repo @R66
Feature: The workflows of the repo under test conform
  `stagegate lint-workflows` on the repo's .github/workflows: GitHub's own security rules
  (R60-R62) always, and LLD 7.3.1's workflow matrix where pipeline.yml declares it.

  As a platform team
  I want our workflows linted by the same suite
  So that a workflow change that breaks the pipeline fails CI

  Scenario: the repo's workflows lint clean
    Given the workflows of the repo under test
    When the workflows are linted
    Then the workflows lint clean
