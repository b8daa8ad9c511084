Feature: Cost estimate in the plan comment
  LLD 7.3.2 runs a cost estimate (infracost) on every plan and 7.7.1 has reviewers read it in
  the PR. stagegate prices each environment's desired resources from the repo's price list
  (cost/prices.yml, per region) and the environment's usage file (cost/usage-{env}.yml, in
  infracost's usage-file format, keyed by the addresses the plan shows), and adds the
  estimate to the plan's PR comment. A cost that depends on usage the usage file does not give
  is listed as such, never guessed; point-in-time recovery is priced only where it is on.

  As a reviewer of an infrastructure PR
  I want to see what each environment will cost per month
  So that a change that multiplies the bill is caught before it is merged

  Background:
    Given a working copy of the sample repo

  @R06
  Scenario Outline: the <env> estimate prices every table and the templates bucket
    When the cost of <env> is estimated
    Then the estimate is <total> per month
    And the estimate prices these resources:
      | resource                          | monthly     |
      | aws_dynamodb_table.campaigns      | <campaigns> |
      | aws_dynamodb_table.products       | <products>  |
      | aws_dynamodb_table.tenants        | <tenants>   |
      | aws_s3_bucket.bbws-templates-<b>  | <bucket>    |

    @R06
    Examples:
      | env  | total   | campaigns | products | tenants | bucket | b    |
      | DEV  | $2.61   | $0.76     | $0.98    | $0.83   | $0.04  | dev  |
      | SIT  | $12.94  | $3.79     | $4.90    | $4.16   | $0.08  | sit  |
      | PROD | $192.21 | $50.37    | $79.33   | $61.51  | $0.99  | prod |

  @R06 @R11 @needs-backup
  Scenario: the plan's PR comment carries the estimate
    When the working copy is planned for PROD
    And the PR comment of that plan is written with its cost estimate
    Then the PR comment says "#### Cost estimate: `prod` (af-south-1)"
    And the PR comment says "**$192.21 per month** (USD, prices as of 2026-11-01)."
    And the PR comment says "| `aws_dynamodb_table.tenants` | $61.51 |"

  @R06
  Scenario: point-in-time recovery is priced only where it is on
    Given point-in-time recovery is switched off for DEV in the working copy
    When the cost of DEV is estimated
    Then the estimate is $1.90 per month
    And no resource of the estimate has a "Point-in-time recovery" line

  @R06
  Scenario: without a usage file, usage-based costs are listed as depending on usage
    Given the working copy has no usage file for SIT
    When the cost of SIT is estimated
    Then the estimate is $0.00 per month
    And every table of the estimate depends on usage not in the usage file

  @R06
  Scenario Outline: a usage file that <problem> is refused naming the file
    Given the SIT usage file of the working copy <change>
    When the cost of SIT is estimated
    Then the estimate is refused with "<message>"

    @R06
    Examples:
      | problem                                   | change                                                       | message                                                                   |
      | names a resource SIT does not have        | also prices "aws_dynamodb_table.orders"                      | cost/usage-sit.yml: aws_dynamodb_table.orders is not a resource of the SIT configuration |
      | is not YAML                               | is replaced by "resource_usage: [unclosed"                   | cost/usage-sit.yml:1                                                      |
      | misspells a usage key                     | has "monthly_writes: 5" for "aws_dynamodb_table.tenants"      | unknown field `monthly_writes`                                            |
