Feature: Rollback in every environment, to any recent release
  LLD 7.3.6 and 7.7.2 roll an environment back either to a deployment tag or to an S3 state
  version, behind the same approvals as a deployment to that environment plus the confirmation
  rollback-{env}. This feature pins down that DEV, SIT and PROD roll back alike, each behind its
  own gate (DEV 1 approval; SIT 2; PROD 3 and an approved change ticket whose window is open),
  that any of the last releases can be returned to, one after another, and that a refused
  rollback changes nothing. Every rollback here runs on a Thursday at 14:30 SAST: inside SIT's
  deployment hours and inside the window of PROD's change ticket CHG0001234.

  Each release tags the tenants table with its name and marks the welcome template, so every
  release's configuration differs from the others'. An environment matches a release when a
  plan of that release's configuration changes nothing and every post-deploy check passes.

  As an on-call engineer
  I want to return any environment to any of its recent releases
  So that a bad release is undone the same way wherever it landed

  Background:
    Given a git checkout of the sample repo with one commit on main

  @R32 @R34
  Scenario Outline: <env> rolled back to the tag of its previous release matches that release again
    Given release v1 of the checkout has been promoted to <env>
    And release v2 of the checkout has been promoted to <env>
    When <env> is rolled back to the tag of release v1 approved by <approvers>, confirmed with "rollback-<name>"
    Then the rollback succeeded with its post-deploy tests passed
    And <env> matches release v1

    @R32 @R34
    Examples:
      | env  | name | approvers                                      |
      | DEV  | dev  | "lead-developer"                               |

    @R32 @R34 @needs-backup
    Examples:
      | env  | name | approvers                                      |
      | SIT  | sit  | "tech-lead" and "qa-lead"                      |
      | PROD | prod | "tech-lead", "product-owner" and "devops-lead" |

  @R33 @R34
  Scenario Outline: <env>'s tenants rolled back to its first state version, then re-applied
    Given release v1 of the checkout has been promoted to <env>
    And point-in-time recovery of "tenants" is switched off behind stagegate's back in <env>
    When <env>'s "tenants" is rolled back to its state version with serial 1 by "release-bot" approved by <approvers>, confirmed with "rollback-<name>"
    Then the rollback succeeded with its post-deploy tests passed
    And the <env> state of "tenants" is at serial 3 with the lineage it had at serial 1
    And point-in-time recovery of "tenants" is on again in <env>
    And <env> matches release v1

    @R33 @R34
    Examples:
      | env  | name | approvers                                      |
      | DEV  | dev  | "lead-developer"                               |

    @R33 @R34 @needs-backup
    Examples:
      | env  | name | approvers                                      |
      | SIT  | sit  | "tech-lead" and "qa-lead"                      |
      | PROD | prod | "tech-lead", "product-owner" and "devops-lead" |

  @R32 @R33
  Scenario: DEV rolled back from release v4 to v3, v2 and v1 in turn
    Each rollback applies that release's configuration as a new state of the same lineage, so
    the serial only ever rises.

    Given releases v1, v2, v3 and v4 of the checkout have been deployed to DEV in turn
    When DEV is rolled back to the tag of release v3 approved by "lead-developer", confirmed with "rollback-dev"
    Then DEV matches release v3, with the tenants state's serial raised and its lineage kept
    When DEV is rolled back to the tag of release v2 approved by "lead-developer", confirmed with "rollback-dev"
    Then DEV matches release v2, with the tenants state's serial raised and its lineage kept
    When DEV is rolled back to the tag of release v1 approved by "lead-developer", confirmed with "rollback-dev"
    Then DEV matches release v1, with the tenants state's serial raised and its lineage kept

  @R34
  Scenario Outline: a <env> rollback approved by <approvers> with <ticket> is refused by <rule> and changes nothing
    Given release v1 of the checkout has been promoted to <env>
    And release v2 of the checkout has been promoted to <env>
    When <env> is rolled back to the tag of release v1 approved by <approvers>, confirmed with "rollback-<name>" and <ticket>
    Then the rollback is refused by rule <rule>
    And <env> still matches release v2
    And the <env> state of component "tenants" is at serial 2

    @R34
    Examples:
      | env  | name | approvers                                      | ticket                   | rule |
      | DEV  | dev  | nobody                                         | no change ticket         | R16  |

    @R34 @needs-backup
    Examples:
      | env  | name | approvers                                      | ticket                   | rule |
      | SIT  | sit  | "tech-lead"                                    | no change ticket         | R16  |
      | PROD | prod | "tech-lead" and "product-owner"                | change ticket CHG0001234 | R16  |
      | PROD | prod | "tech-lead", "product-owner" and "devops-lead" | no change ticket         | R21  |
