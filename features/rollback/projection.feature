@R59
Feature: The drill projects the rollback's time on AWS
  The emulator creates a table, backfills an index and switches point-in-time recovery on in
  milliseconds; AWS takes seconds to hours. So each phase of the drill lists the AWS
  operations it performed and projects their time on AWS from stagegate's latency model
  (documented AWS figures, or planning figures marked as assumed, each with its source) and the
  tables' sizes in the environment's usage file. The verdict holds the projection, not the
  emulator's time, against pipeline.yml's target, and names the operation that dominates. A
  rollback that replaces a table does not bring its items back: the drill says so, with the
  restore path and its projected time.

  As a platform engineer
  I want the drill's RTO to say what AWS would take
  So that a rollback that cannot meet its target is found before the incident

  Background:
    Given a working copy of the sample repo

  @needs-backup
  Scenario: switching point-in-time recovery on again meets PROD's target on AWS
    When a rollback drill of PROD is run
    Then every drill phase shows its measured and its projected time
    And the drill's apply phase performed "UpdateContinuousBackups tenants (point-in-time recovery on)", projected at 10.0 s
    And the drill met its target "< 15m" on the projection, dominated by "UpdateContinuousBackups"
    And the rollback's preview named exactly the operations its apply performed

  @needs-backup
  Scenario: recreating an index on a large table misses PROD's target
    Given PROD's usage file gives every table 40 GB
    When a rollback drill of PROD is run with the bad commit also dropping an index
    Then the drill's apply phase performed "UpdateTable campaigns (create index status-startDate-index)", projected at 2 h 55 min
    And the drill MISSED its target "< 15m" on the projection, dominated by "UpdateTable campaigns (create index status-startDate-index)"
    And the drill's projected RTO is longer than its measured RTO
    And the rollback's preview named exactly the operations its apply performed

  @needs-backup
  Scenario: the same rollback on small tables meets it: the verdict follows the tables' sizes
    Given PROD's usage file gives every table 0.5 GB
    When a rollback drill of PROD is run with the bad commit also dropping an index
    Then the drill's apply phase performed "UpdateTable campaigns (create index status-startDate-index)", projected at 3 min 11 s
    And the drill met its target "< 15m" on the projection, dominated by "UpdateTable campaigns (create index status-startDate-index)"

  Scenario: a rollback that replaces a table says its items are not restored, and how they would be
    Given DEV's usage file gives every table 20 GB
    When a rollback drill of DEV is run with the bad commit also adding a sort key
    Then the drill flags table "campaigns" as replaced, its 20 GB of items not restored by the rollback
    And the drill gives the restore path "RestoreTableToPointInTime campaigns into a new table", projected at 58 min 00 s
    And the rollback's preview named exactly the operations its apply performed
    And the drill MISSED its target "best effort" on the projection, dominated by "CreateTable campaigns"

  Scenario: where deletion protection is on, the key change is refused before any table is replaced
    When a rollback drill of PROD is run with the bad commit also adding a sort key
    Then the drill is refused saying "deletion protection is on"

  @needs-backup
  Scenario: an operation's time measured on AWS replaces the model's planning figure
    A real apply on AWS with --record-timings adds each operation's time to the repo's
    timings/aws.yml. The drill plans for the slowest time measured of each operation, so a
    point-in-time recovery switch that AWS took 20 minutes for misses the 15-minute target.

    Given the working copy's "timings/aws.yml" holds:
      """
      version: 1
      samples:
      - operation: UpdateContinuousBackups tenants (point-in-time recovery on)
        seconds: 1200
        environment: prod
        region: af-south-1
        at: 2026-11-30T09:00:00Z
      """
    When a rollback drill of PROD is run
    Then the drill's apply phase performed "UpdateContinuousBackups tenants (point-in-time recovery on)", projected at 20 min 00 s
    And the drill projected "UpdateContinuousBackups tenants (point-in-time recovery on)" from a time measured on AWS
    And the drill MISSED its target "< 15m" on the projection, dominated by "UpdateContinuousBackups"

  @needs-backup
  Scenario Outline: an index backfill measured on AWS sets the rate: on 2 GB tables the target is <verdict>
    An index created on a 1 GB table took 1,060 s on AWS: 60 s before its backfill (the
    model's figure) and 1,000 s for 1 GB. The drill projects the index on the 2 GB campaigns
    table at that rate; without the measurement the documented 4,000 writes a second give 9 min 44 s.

    Given PROD's usage file gives every table 2 GB
    And the working copy's "timings/aws.yml" holds:
      """
      version: 1
      samples:
      - operation: UpdateTable tenants (create index domain-index)
        seconds: <seconds>
        environment: prod
        region: af-south-1
        table_gb: 1
        at: 2026-11-30T09:00:00Z
      """
    When a rollback drill of PROD is run with the bad commit also dropping an index
    Then the drill's apply phase performed "UpdateTable campaigns (create index status-startDate-index)", projected at <projected>
    And the drill projected "UpdateTable campaigns (create index status-startDate-index)" from a time measured on AWS
    And the drill <verdict> its target "< 15m" on the projection, dominated by "UpdateTable campaigns (create index status-startDate-index)"

    @R59
    Examples:
      | seconds | projected   | verdict |
      | 1060    | 34 min 20 s | MISSED  |
      | 310     | 9 min 20 s  | met     |

  Scenario: times measured on an emulator are never recorded as AWS's
    When "stagegate drill --env dev --record-timings timings/aws.yml" is run in the working copy
    Then the command exited 2, saying "only times measured on AWS calibrate the projection; add --backend aws"
    And the working copy has no "timings/aws.yml"

  Scenario: a drill whose timings file is malformed is refused, naming the file
    Given the working copy's "timings/aws.yml" holds:
      """
      version: 1
      samples:
      - operation: CreateTable tenants
        seconds: -4
        environment: dev
        region: af-south-1
        at: 2026-11-30T09:00:00Z
      """
    When "stagegate drill --env dev" is run in the working copy
    Then the command exited 2, saying "timings/aws.yml: samples[0].seconds must be a number of seconds, 0 or more"
