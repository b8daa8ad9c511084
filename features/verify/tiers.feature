@R24 @needs-backup
Feature: Post-deploy tests tiered by environment
  LLD 7.3.5 and 7.4.1 run post-deploy tests after every apply: basic validation in DEV,
  integration tests in SIT, smoke tests and validation in PROD. Every tier checks the
  invariants; SIT also writes a sample item to each table, reads it back, finds it through an
  index and removes it; PROD only reads, so nothing is ever written to PROD's data.

  As a QA lead
  I want each environment tested as deeply as its role asks
  So that SIT proves the tables work and PROD is never written to by a test

  Background:
    Given a git checkout of the sample repo with one commit on main
    And the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And the checkout's commit has been deployed to SIT by "release-bot" approved by "tech-lead" and "qa-lead"
    And the checkout's commit has been deployed to PROD by "release-bot" approved by "tech-lead", "product-owner" and "devops-lead"

  Scenario: every deployment passed the post-deploy tests of its tier
    Then every deployment succeeded with its post-deploy tests passed

  Scenario Outline: <env> runs the <tier> tier
    When the post-deploy tests of <env> run
    Then they include <n> <tier> checks, all passing, saying "<says>"
    And on each table of <env> they performed exactly the item operations "<operations>"
    And every table of <env> is empty afterwards

    @R24
    Examples:
      | env  | tier        | n | says                                   | operations                         |
      | DEV  | basic       | 0 | -                                      | none                               |
      | SIT  | integration | 3 | written, read back and found through   | PutItem, GetItem, Query, DeleteItem |
      | PROD | smoke       | 3 | the read path answers; nothing written | GetItem                            |
