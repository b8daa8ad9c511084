@R03
Feature: Environment files name their own environment's account and a real region
  LLD 7.3.2 runs `terraform validate`, which cannot know that prod.tfvars must deploy to the
  PROD account of 7.4.1. stagegate reads each environments/<env>.tfvars as HCL and checks the
  required variables, that the account id is 12 digits and is that environment's account in
  pipeline.yml, and that the region exists. Files for other environment names are refused.

  As a platform engineer
  I want an environment file pointing at the wrong account caught before planning
  So that a PROD deployment can never be aimed at the DEV account

  Scenario: the sample environment files are valid
    Given the sample repo
    When the repo is validated
    Then the check passes with no findings

  Scenario: PROD pointed at the DEV account is refused
    Given the sample repo
    And the PROD environment file sets aws_account_id to "536580886816"
    When the repo is validated
    Then the check fails with R03/account-mismatch at "environments/prod.tfvars:2:18"

  Scenario Outline: a bad environment file (<input>)
    Given the broken input "<input>"
    When the repo is validated
    Then the check fails with <rule> at "<location>"

    @R03
    Examples:
      | input                              | rule                     | location                      |
      | env-missing-variable               | R03/missing-variable     | environments/sit.tfvars       |
      | env-account-of-another-environment | R03/account-mismatch     | environments/prod.tfvars:2:18 |
      | env-account-not-12-digits          | R03/account-format       | environments/dev.tfvars:2:18  |
      | env-region-unknown                 | R03/region               | environments/sit.tfvars:3:18  |
      | env-syntax                         | R03/syntax               | environments/dev.tfvars:5:26  |
      | env-unknown-environment            | R03/unknown-environment  | environments/staging.tfvars   |
      | env-name-mismatch                  | R03/environment-mismatch | environments/sit.tfvars:1:18  |
      | env-files-missing                  | R03/missing-file         | environments/prod.tfvars      |
