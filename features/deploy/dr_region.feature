Feature: The DR region
  LLD 7.12.1 item 5 extends the pipeline to eu-west-1 for disaster recovery, with automated
  replication validation. pipeline.yml's dr section names the DR region, the environments
  replicated to it and the IAM role S3 replication assumes. In each of those environments every
  table gains a replica there (DynamoDB global tables, version 2019.11.21) and the templates
  bucket a copy there, named after it with the region appended, versioned and locked down as the
  bucket itself is, with a replication rule sending every object to it. Plan, apply, state,
  post-deploy verification and rollback cover each of them: the replica must be ACTIVE, the rule
  present, and where the tier writes an item written in the primary region must be readable in
  the DR region. A rollback to a configuration without the DR region removes the replicas, the
  rule and the DR copy, which hold only copies of what stays in the primary region.
  What an emulator does not do is listed as not run on it, never passed: moto 5.2.5 has no
  global tables (it accepts the replica update and ignores it), and neither moto nor
  LocalStack 4.5.0 copies an object to the destination of a replication rule.

  As a platform team
  I want the tables and templates replicated to the DR region by the same pipeline
  So that a regional outage leaves a copy that the pipeline itself has verified

  Background:
    Given a git checkout of the sample repo with one commit on main
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And a new commit on main names eu-west-1 as the DR region of DEV

  @R58 @needs-dynamodb-global-tables
  Scenario: the replicas, the DR copy of the bucket and the replication rule are planned
    When the working copy is planned for DEV
    Then the plan creates "aws_dynamodb_table_replica.tenants"
    And the plan creates "aws_s3_bucket.bbws-templates-dev-eu-west-1"
    And the plan creates "aws_s3_bucket_versioning.bbws-templates-dev-eu-west-1"
    And the plan creates "aws_s3_bucket_replication_configuration.bbws-templates-dev"

  @R58 @needs-dynamodb-global-tables
  Scenario: the DR region is applied, verified and rolled back
    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    Then every deployment succeeded with its post-deploy tests passed
    And every table of DEV has a replica ACTIVE in eu-west-1
    And the templates bucket of DEV has a replication rule to "bbws-templates-dev-eu-west-1", which is versioned in eu-west-1
    And a new plan for DEV changes nothing
    When DEV is rolled back to its deployment before the DR region, approved by "lead-developer"
    Then the rollback succeeded with its post-deploy tests passed
    And no table of DEV has a replica in eu-west-1
    And the templates bucket of DEV has no replication rule and eu-west-1 has no bucket bbws-templates-dev-eu-west-1

  @R58 @needs-dynamodb-global-tables @needs-dynamodb-item-replication
  Scenario: an item written in the primary region is read back from the DR replica
    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    Then every deployment succeeded with its post-deploy tests passed
    And an item written to "tenants" in DEV's region is readable in eu-west-1

  @R58 @needs-dynamodb-global-tables
  Scenario: where the backend does not replicate items, the item check through the replica is not proven, never passed
    LocalStack answers every replica region from one table, so an item written in DEV's region
    reads back in eu-west-1 with nothing replicated. The integration tier's check that an item
    reaches the replica is then listed as not proven on this backend and counted neither way.

    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    And the integration-tier post-deploy tests of DEV run
    Then the item check of "tenants" in eu-west-1 is made only where the backend replicates items, and otherwise listed as not proven

  @R58 @needs-dynamodb-global-tables @needs-s3-object-replication
  Scenario: a template published in the primary region reaches the DR copy
    S3 replicates objects written after the rule exists, so the template is edited first.

    Given the template "welcome.html" is edited in the working copy
    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    Then the template "welcome.html" is readable from "bbws-templates-dev-eu-west-1" in eu-west-1
