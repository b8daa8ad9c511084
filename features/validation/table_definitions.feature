@R02
Feature: Table definitions are valid for DynamoDB before they reach a plan
  LLD 7.3.2 (validate-schemas.yml) validates "DynamoDB schemas" but only checks JSON syntax.
  stagegate checks each table definition the way CreateTable would refuse it, with one finding
  per problem naming the file, the JSON path and the rule; the items' JSON Schemas (draft
  2020-12) must compile and the sample items must validate against them.

  As a platform engineer
  I want every table definition problem reported at once, with where it is
  So that a pull request never reaches terraform plan with a table DynamoDB would reject

  Scenario: an attribute no key uses is reported at its JSON path
    Given the sample repo
    And table "tenants" declares attribute "nickname" of type S that no key uses
    When the repo is validated
    Then the check fails with R02/attribute-unused at "schemas/tenants/table.json:19:5", JSON path "$.AttributeDefinitions[4]"

  Scenario Outline: a table DynamoDB would reject (<input>)
    Given the broken input "<input>"
    When the repo is validated
    Then the check fails with <rule> at "<location>"

    @R02
    Examples: key attributes
      | input                  | rule                 | location                        |
      | table-attribute-unused | R02/attribute-unused | schemas/orders/table.json:8:5   |
      | table-key-undeclared   | R02/key-undeclared   | schemas/orders/table.json:15:7  |
      | table-attribute-type   | R02/attribute-type   | schemas/orders/table.json:6:7   |
      | table-key-schema-order | R02/key-schema       | schemas/orders/table.json:13:3  |

    @R02
    Examples: billing, names, indexes
      | input                                | rule              | location                         |
      | table-provisioned-without-throughput | R02/billing       | schemas/orders/table.json:1:1    |
      | table-on-demand-with-throughput      | R02/billing       | schemas/orders/table.json:16:3   |
      | table-name-too-short                 | R02/name          | schemas/orders/table.json:2:3    |
      | table-too-many-gsis                  | R02/index-limit   | schemas/orders/table.json:100:3  |
      | table-projection-type                | R02/projection    | schemas/orders/table.json:30:9   |
      | table-lsi-other-hash                 | R02/lsi-key       | schemas/orders/table.json:31:7   |
      | table-unknown-parameter              | R02/unknown-field | schemas/orders/table.json:15:3   |
      | table-unknown-nested-member          | R02/unknown-field | schemas/orders/table.json:31:9   |
      | table-lsi-without-range-key          | R02/lsi-key       | schemas/orders/table.json:20:3   |
      | table-stream-without-view            | R02/stream        | schemas/orders/table.json:16:3   |

    @R02
    Examples: item schemas and sample items
      | input               | rule            | location                               |
      | item-schema-invalid | R02/item-schema | schemas/orders/item.schema.json:6:7    |
      | sample-item-invalid | R02/sample-item | schemas/orders/sample-items.json:8:5   |
