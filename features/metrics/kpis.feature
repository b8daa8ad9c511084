Feature: KPIs measured from the deployment records
  LLD 7.10.1 names seven KPIs and their targets; this feature pins down how each is measured.
  Every deploy and rollback leaves a record in its environment's state bucket (R26); runs of
  Stage 1 (validation, security scan) leave a record under checks/ in DEV's state bucket
  (rehearse writes them, and so do validate and scan with --record). The report reads every
  environment's records, keeps those that started in the last 30 days of the report's clock,
  and measures:
  - success rate: deployments that succeeded with their post-deploy tests passed, of all
    deployments (rollbacks are not deployments here);
  - average deployment time: each record's duration, trigger to completion, averaged per
    environment; the slowest environment decides the verdict;
  - rollback rate: rollbacks, of all deployments and rollbacks;
  - merge to PROD: from the commit's date on main (kept in the record) to the end of the
    commit's first successful PROD deployment;
  - time to rollback: from the detection time a rollback record carries (the drill records
    it) to the end of the successful rollback; a rollback without one is counted, not timed;
  - validation and security scan pass rates: passed runs, of all recorded runs.
  A KPI with nothing to measure in the window shows no value and the verdict "no data".

  As a head of platform engineering
  I want the pipeline's KPIs measured against their targets
  So that I see where delivery is slipping before it hurts

  @R49
  Scenario: a month of records, each KPI against its target
    Given these deployments are recorded:
      | environment | kind     | started          | minutes | result       | merged           | detected         |
      | DEV         | deploy   | 2026-10-01 10:00 | 6       | failed       |                  |                  |
      | DEV         | deploy   | 2026-11-10 10:00 | 6       | succeeded    |                  |                  |
      | DEV         | deploy   | 2026-11-12 10:00 | 6       | succeeded    |                  |                  |
      | DEV         | deploy   | 2026-11-17 10:00 | 6       | succeeded    |                  |                  |
      | DEV         | deploy   | 2026-11-24 10:00 | 6       | succeeded    |                  |                  |
      | DEV         | rollback | 2026-11-25 11:00 | 2       | succeeded    |                  | 2026-11-25 10:50 |
      | SIT         | deploy   | 2026-11-12 11:00 | 8       | succeeded    |                  |                  |
      | SIT         | deploy   | 2026-11-17 11:00 | 9       | tests failed |                  |                  |
      | SIT         | deploy   | 2026-11-24 11:00 | 10      | succeeded    |                  |                  |
      | PROD        | deploy   | 2026-11-25 10:00 | 12      | succeeded    | 2026-11-24 16:00 |                  |
      | PROD        | deploy   | 2026-11-27 10:00 | 12      | failed       | 2026-11-27 08:00 |                  |
    And these Stage 1 runs are recorded:
      | check         | at               | result |
      | validation    | 2026-11-24 09:00 | passed |
      | validation    | 2026-11-26 09:00 | failed |
      | security scan | 2026-11-24 09:00 | passed |
    When the report of the last 30 days is made at 2026-12-03 14:00 SAST
    Then the KPIs are:
      | KPI                                 | target | value   | verdict |
      | Deployment Success Rate             | > 95%  | 77.8%   | MISSED  |
      | Average Deployment Time             | < 10m  | 12m     | MISSED  |
      | Rollback Rate                       | < 5%   | 10.0%   | MISSED  |
      | Mean Time to Deploy (merge to PROD) | < 1d   | 18h 12m | met     |
      | Mean Time to Rollback               | < 15m  | 12m     | met     |
      | Validation Pass Rate                | 100%   | 50.0%   | MISSED  |
      | Security Scan Pass Rate             | 100%   | 100.0%  | met     |

  @R49
  Scenario: with no records every KPI says "no data", never 100%
    When the report of the last 30 days is made at 2026-12-03 14:00 SAST
    Then every KPI has no value and the verdict "no data"

  @R49
  Scenario Outline: a deployment that started at <started> is <counted> in the last 30 days
    Given a DEV deployment is recorded as started at <started>
    When the report of the last 30 days is made at 2026-12-03 14:00 SAST
    Then the report counts <n> DEV deployments

    @R49
    Examples:
      | started          | counted               | n |
      | 2026-11-03 14:00 | counted, 30 days back | 1 |
      | 2026-11-03 13:59 | not counted           | 0 |
      | 2026-12-03 14:00 | counted               | 1 |
      | 2026-12-03 14:01 | not counted (later)   | 0 |

  @R49 @R26 @needs-backup
  Scenario: a promotion DEV → SIT → PROD is measured from the commit's merge to the end of PROD's deployment
    Given a git checkout of the sample repo with one commit on main
    And the checkout's commit was merged to main at 2026-12-03 09:30 SAST
    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    And the checkout's commit is deployed to SIT by "release-bot" approved by "tech-lead" and "qa-lead"
    And the checkout's commit is deployed to PROD by "release-bot" approved by "tech-lead", "product-owner" and "devops-lead"
    And the report of the last 30 days is made at 2026-12-04 10:00 SAST
    Then the report counts 1 DEV deployments
    And the report counts 1 PROD deployments
    And the KPI "Deployment Success Rate" is 100.0%, met
    And the KPI "Mean Time to Deploy (merge to PROD)" is 5h, met

  @R49 @R35 @needs-backup
  Scenario: the rollback drill records when the breakage was detected, so the time to rollback is measured
    Given a working copy of the sample repo
    When a rollback drill of SIT is run at 2026-12-03 10:00 SAST
    And the report of the last 30 days is made at 2026-12-03 14:00 SAST
    Then the report counts 1 SIT rollback timed from detection to recovery, under 15 minutes
