@any-repo @R66
Feature: The repo under test is promoted through the real gates of its own pipeline.yml
  The commit goes DEV → SIT → PROD in the order pipeline.yml gives, each environment behind its
  gate (approvals from its own reviewers, its window, its change ticket, the previous
  environment's green deployment), with its post-deploy tests, a deployment tag and a record.

  As a platform team
  I want our promotion rehearsed with our own approval rules
  So that a pipeline.yml no gate could ever pass is found before a release needs it

  @needs-backup
  Scenario: the commit is promoted through every environment, each deployment green and tagged
    Given a git checkout of the repo under test with one commit on main
    When the checkout's commit is promoted through the pipeline's environments, approved by each one's reviewers
    Then every deployment succeeded with its post-deploy tests passed
    And the checkout's commit has a deployment tag for each environment of the pipeline
