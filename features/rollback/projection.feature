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
