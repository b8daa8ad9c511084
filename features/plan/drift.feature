@R51
Feature: Drift: changes made behind stagegate's back
  LLD 7.12.1 plans drift detection for later; stagegate has it now. A plan compares the repo,
  the recorded state and the live resources, so a live change the repo never asked for is shown
  as drift, apart from configuration changes.

  As an on-call engineer
  I want every plan to tell me what was changed by hand in an environment
  So that a hand-made change is either written into the repo or undone, never lost

  Background:
    Given a working copy of the sample repo
    And the working copy has been applied to DEV

  Scenario Outline: <what> shows as drift
    When <what> behind stagegate's back in DEV
    And the working copy is planned for DEV
    Then the plan <action> "<address>"
    And that change sets <attribute>, caused by drift

    @R51
    Examples:
      | what                                                       | action  | address                                                 | attribute                |
      | point-in-time recovery of "tenants" is switched off        | updates | aws_dynamodb_table.tenants                              | point_in_time_recovery   |
      | the tag "Environment" is removed from "products"           | updates | aws_dynamodb_table.products                             | tags                     |
      | the index "status-startDate-index" of "campaigns" is deleted | updates | aws_dynamodb_table.campaigns                          | global_secondary_indexes |
      | the public access block of "bbws-templates-dev" is loosened | updates | aws_s3_bucket_public_access_block.bbws-templates-dev   | block_public_policy      |
      | the tags of the bucket "bbws-templates-dev" are removed      | updates | aws_s3_bucket.bbws-templates-dev                        | tags                     |

  Scenario: a resource deleted by hand is created again, as drift
    When the template "welcome.html" is deleted from "bbws-templates-dev" behind stagegate's back in DEV
    And the working copy is planned for DEV
    Then the plan creates "aws_s3_object.welcome.html"
    And that resource is marked as drift

  Scenario: a bucket setting deleted by hand is created again, as drift
    S3 answers 404 for a public access block that is not there: that is an absent setting,
    not an error.

    When the public access block of "bbws-templates-dev" is deleted behind stagegate's back in DEV
    And the working copy is planned for DEV
    Then the plan creates "aws_s3_bucket_public_access_block.bbws-templates-dev"
    And that resource is marked as drift

  Scenario: applying again undoes the drift
    When point-in-time recovery of "tenants" is switched off behind stagegate's back in DEV
    And the working copy is applied to DEV
    Then a new plan for DEV changes nothing
