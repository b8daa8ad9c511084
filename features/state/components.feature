@R28
Feature: One state file per component
  LLD 7.2.2 splits the state by component (each table, and the templates bucket) to reduce
  the blast radius: deploying one component reads and writes only that component's state.
  Here a locked state write stands in for an apply.

  As a platform engineer
  I want each component's state apart from the others
  So that a change to one table cannot disturb another table or the templates bucket

  Background:
    Given the DEV state backend is bootstrapped
    And the DEV state of every component of the sample repo has been written once

  Scenario: each component of the sample repo has its own state key
    Then the DEV state bucket holds exactly these state keys:
      | key                                                   |
      | 2_1_bbws_dynamodb_schemas/campaigns/terraform.tfstate |
      | 2_1_bbws_dynamodb_schemas/products/terraform.tfstate  |
      | 2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate   |
      | 2_1_bbws_s3_schemas/templates/terraform.tfstate       |

  Scenario: writing one component's state leaves the others untouched
    Given the DEV states of every component are remembered
    When the DEV state of component "tenants" has been written 1 time
    Then the DEV state of component "tenants" is at serial 2
    And the DEV states of these components are exactly as remembered:
      | component |
      | products  |
      | campaigns |
      | templates |

  Scenario: a lock on one component does not block another
    Given "alice@ci" holds the DEV lock of component "tenants"
    When "bob@ci" locks the DEV component "products"
    Then "bob@ci" holds the DEV lock of component "products"
    And "alice@ci" holds the DEV lock of component "tenants"
