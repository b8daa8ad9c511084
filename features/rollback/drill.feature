@R35
Feature: The rollback drill measures the RTO
  LLD 7.1.1 and 7.7.2 promise a rollback in under 15 minutes in PROD (30 in SIT). The drill
  proves it on the emulator: a good commit is promoted, then a bad one that switches
  point-in-time recovery off in the drilled environment only; from the trigger, the breakage is
  detected, the rollback to the last good tag is planned, gated, applied and verified. The RTO
  runs from the trigger to the passing verify and is compared with pipeline.yml's target. The
  scenario checks that the measurement is made and compared, not how fast this machine is.

  As a platform engineer
  I want to rehearse a PROD rollback and see how long each phase takes
  So that I can trust the 15-minute promise before I need it

  Scenario Outline: a <env> rollback drill recovers and is compared with the <target> target
    Given a working copy of the sample repo
    When a rollback drill of <env> is run
    Then the drill detected "point-in-time recovery of tenants: disabled"
    And the drill rolled <env> back to its first deployment tag
    And the drill timed the phases detect, plan, gate, apply and verify, adding up to no more than its RTO
    And the drill compared its RTO with the target "<target>"

    @R35 @needs-backup
    Examples:
      | env  | target |
      | PROD | < 15m  |
      | SIT  | < 30m  |
