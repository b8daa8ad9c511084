Feature: The DR region in the cost estimate
  LLD 7.12.1 item 5 adds eu-west-1 as a DR region; item 4 asks for an alert when a deployment
  raises costs. stagegate prices what the DR region holds at that region's prices from the
  repo's price list: each table's replica (its replicated writes and its storage) and the DR
  copy of the templates bucket, each by its own address in the usage file. So adding the DR
  region shows up in the plan's monthly cost change, and a price list without the DR region is
  refused naming the region.

  As a budget owner
  I want the DR region's cost in the estimate before it is deployed
  So that the cost alert sees what disaster recovery adds to the bill

  Background:
    Given a working copy of the sample repo
    And the working copy names eu-west-1 as the DR region of DEV, with usage for it

  @R58 @R06
  Scenario: the replicas and the DR copy of the bucket are priced at the DR region's prices
    When the cost of DEV is estimated
    Then the estimate is $3.83 per month
    And the estimate prices these resources:
      | resource                                    | monthly |
      | aws_dynamodb_table.campaigns                | $0.76   |
      | aws_dynamodb_table_replica.campaigns        | $0.35   |
      | aws_dynamodb_table.products                 | $0.98   |
      | aws_dynamodb_table_replica.products         | $0.42   |
      | aws_dynamodb_table.tenants                  | $0.83   |
      | aws_dynamodb_table_replica.tenants          | $0.42   |
      | aws_s3_bucket.bbws-templates-dev            | $0.04   |
      | aws_s3_bucket.bbws-templates-dev-eu-west-1  | $0.02   |

  @R58 @R06
  Scenario: a price list without the DR region is refused naming it
    Given the price list of the working copy has no eu-west-1 prices
    When the cost of DEV is estimated
    Then the estimate is refused with "cost/prices.yml: no prices for region eu-west-1"
