@R64
Feature: Stage 1 checks every file the pipeline reads
  LLD 7.3.2 validates the schemas and the Terraform files only. The pipeline reads more than
  that: the gate reads pipeline.yml and change-tickets.yml, the cost estimate reads the price
  list and each environment's usage file, and the IAM check reads each deployer role's trust and
  permissions policy. stagegate's Stage 1 reads every one of them with the strictness of the
  command that uses it, unknown keys included, so a typo fails validation at its file, line and
  column instead of failing a deployment later.

  As a platform engineer
  I want a mistake in any pipeline file caught on the pull request
  So that no gate, estimate or policy check meets it for the first time during a release

  Scenario: the sample repo's pipeline files are valid
    Given the sample repo
    When the repo is validated
    Then the check passes with no findings

  Scenario Outline: <what> fails Stage 1 at its place
    Given the sample repo
    And the repo's "<file>" <edit>
    When the repo is validated
    Then the check fails with <rule> at "<location>"

    @R64
    Examples:
      | what                                     | file                           | edit                                                  | rule                | location                           |
      | an unknown key in pipeline.yml           | pipeline.yml                   | ends with the line "aproval_timeout: 24h"             | R64/pipeline        | pipeline.yml:148:1                 |
      | a PROD account that is not PROD's        | pipeline.yml                   | has "093646564004" replaced by "093646564005"         | R64/pipeline        | pipeline.yml:67:1                  |
      | a malformed change ticket id             | change-tickets.yml             | has "id: CHG0001234" replaced by "id: CHG12"          | R64/change-tickets  | change-tickets.yml:6:9             |
      | an unknown key in a change ticket        | change-tickets.yml             | has "    state: approved" replaced by "    stat: approved" | R64/change-tickets  | change-tickets.yml:8:5      |
      | an unknown key in a usage file           | cost/usage-dev.yml             | ends with the line "resource_usages: {}"              | R64/cost            | cost/usage-dev.yml:22:1            |
      | a usage file naming no resource          | cost/usage-sit.yml             | has "aws_dynamodb_table.tenants" replaced by "aws_dynamodb_table.tenant" | R64/cost | cost/usage-sit.yml |
      | a price list without the region          | cost/prices.yml                | has "af-south-1:" replaced by "eu-west-1:"            | R64/cost            | cost/prices.yml                    |
      | a permissions policy that is not JSON    | iam/dev/permissions-policy.json | has "[" replaced by "[,"                             | R64/iam-policy      | iam/dev/permissions-policy.json:3:17 |
      | a trust policy of another version        | iam/prod/trust-policy.json     | has "2012-10-17" replaced by "2008-10-17"             | R64/iam-policy      | iam/prod/trust-policy.json         |

  @R59
  Scenario: a timings file that is not what --record-timings writes fails Stage 1 at its place
    The drill's projection reads the AWS times in timings/aws.yml; a misspelt key there would
    otherwise only be met by the next drill.

    Given the sample repo
    And the repo's "timings/aws.yml" holds:
      """
      version: 1
      samples:
      - operation: CreateTable tenants
        seconds: 41.5
        enviroment: prod
        region: af-south-1
        at: 2026-11-30T09:00:00Z
      """
    When the repo is validated
    Then the check fails with R64/timings at "timings/aws.yml:5:3"
