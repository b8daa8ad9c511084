Feature: Sharing the state bucket with Terraform 1.10+ and OpenTofu: lock files and mixed locking
  Terraform 1.10 added S3-native locking (use_lockfile = true): the lock is the object
  <key>.tflock beside the state, written with If-None-Match: * and holding the LockInfo JSON;
  1.11 deprecated the lock table (dynamodb_table). With both settings Terraform takes the lock
  file first, then the lock item, and needs both; when the lock item is refused it releases the
  lock file again. pipeline.yml's state.locking (dynamodb, s3 or both; dynamodb by default)
  makes stagegate lock exactly where the team's Terraform does, so either one refuses the other,
  the lock monitor sees Terraform's locks and force-unlock releases them by ID.

  As a platform engineer whose team also runs Terraform on these states
  I want stagegate to lock where Terraform locks
  So that following Terraform's migration to lock files never lets two writers in at once

  @R53
  Scenario Outline: a lock Terraform took refuses stagegate's apply; the monitor shows it; force-unlock releases it (<mode>)
    Given pipeline.yml locks the state with "<mode>"
    And the DEV state backend is bootstrapped
    And Terraform, as "terraform@laptop", holds the DEV lock of component "tenants" since "2026-11-26T11:10:00.123456789Z"
    When stagegate applies the checkout to DEV
    Then it is refused with "Error acquiring the state lock: <refusal>", naming "terraform@laptop" and its lock ID
    When the lock monitor runs at "2026-11-26T11:22:30.123456789Z"
    Then the monitor lists these locks:
      | env | path                                                                         | held by          | operation          | age     | over limit |
      | DEV | bbws-terraform-state-dev/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate | terraform@laptop | OperationTypeApply | 12m 30s | no         |
    When the DEV lock of "tenants" is force-unlocked on the command line with the lock ID "terraform@laptop" holds
    Then the command exits 0
    And nobody holds the DEV lock of component "tenants"
    And no lock file and no lock item of "tenants" remain in DEV

    @R53
    Examples:
      | mode     | refusal                                                                          |
      | dynamodb | ConditionalCheckFailedException: The conditional request failed                  |
      | s3       | PreconditionFailed: At least one of the pre-conditions you specified did not hold |
      | both     | PreconditionFailed: At least one of the pre-conditions you specified did not hold |

  @R53
  Scenario Outline: stagegate's lock refuses a writer that follows Terraform's protocol (<mode>)
    Given pipeline.yml locks the state with "<mode>"
    And the DEV state backend is bootstrapped
    And "alice@ci" holds the DEV lock of component "tenants"
    When Terraform, as "terraform@laptop", tries to lock the DEV component "tenants"
    Then Terraform is refused and shown the lock held by "alice@ci"
    And "alice@ci" holds the DEV lock of component "tenants"

    @R53
    Examples:
      | mode     |
      | dynamodb |
      | s3       |
      | both     |

  @R53
  Scenario: the lock file is Terraform's LockInfo, in Go's encoding
    Given pipeline.yml locks the state with "s3"
    And the DEV state backend is bootstrapped
    When "ci <bot> & co@runner" locks the DEV component "tenants"
    Then the DEV lock file of "tenants" is "ci <bot> & co@runner"'s lock in Go's encoding

  @R53
  Scenario: with both, a lock table refusal releases the lock file stagegate had taken
    Given pipeline.yml locks the state with "both"
    And the DEV state backend is bootstrapped
    And Terraform with only the lock table, as "old-terraform@laptop", holds the DEV lock of component "tenants"
    When "alice@ci" locks the DEV component "tenants"
    Then the lock is refused with "ConditionalCheckFailedException", naming "old-terraform@laptop"
    And the DEV state bucket has no lock file of "tenants"
    And the DEV lock item of "tenants" is "old-terraform@laptop"'s lock

  @R53
  Scenario: with both, a lock file and a lock item of two different holders on one state are two locks
    Given pipeline.yml locks the state with "both"
    And the DEV state backend is bootstrapped
    And Terraform with only the lock table, as "old-terraform@laptop", holds the DEV lock of component "tenants"
    And Terraform with only the lock file, as "new-terraform@laptop", holds the DEV lock of component "tenants"
    When the lock monitor runs at "2026-11-26T11:22:30.123456789Z"
    Then the monitor lists these locks:
      | env | path                                                                         | held by              | operation          | age     | over limit |
      | DEV | bbws-terraform-state-dev/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate | old-terraform@laptop | OperationTypeApply | 12m 30s | no         |
      | DEV | bbws-terraform-state-dev/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate | new-terraform@laptop | OperationTypeApply | 7m 30s  | no         |

  @R53
  Scenario: with lock files only, bootstrap makes no lock table and writes keep no digest
    Given pipeline.yml locks the state with "s3"
    When the DEV state backend is bootstrapped
    And the DEV state of component "tenants" has been written 2 times
    Then the DEV lock table does not exist
    And the DEV state of component "tenants" is at serial 2
    And nobody holds the DEV lock of component "tenants"

  @R53
  Scenario: with both, every write keeps the digest Terraform checks
    Given pipeline.yml locks the state with "both"
    When the DEV state backend is bootstrapped
    And the DEV state of component "tenants" has been written 1 time
    Then the DEV state object of "tenants" matches its digest
    And no lock file and no lock item of "tenants" remain in DEV

  @R53
  Scenario: the rollback drill deploys, rolls back and verifies with lock files only, leaving no lock behind
    Given pipeline.yml locks the state with "s3"
    When a rollback drill of SIT is run
    Then the drill rolled SIT back to its first deployment tag
    And the SIT lock table does not exist
    And no lock file and no lock item of "tenants" remain in SIT

  @R53
  Scenario: the rehearsal runs with both locks, its rival refused
    Given a git checkout of the sample repo with one commit on main
    And pipeline.yml locks the state with "both"
    When "rehearse" runs in the checkout and exits 0
    Then the outputs name "(*.tflock) and terraform-state-lock-prod"

  @R53
  Scenario: with lock files, a state bucket that is gone is a backend to bootstrap again, not S3's error
    Given pipeline.yml locks the state with "s3"
    And the DEV state backend is bootstrapped
    And the DEV state bucket has been deleted
    When "alice@ci" locks the DEV component "tenants"
    Then the lock is refused because the DEV state backend does not exist, telling to bootstrap it
    And reading the DEV lock of "tenants" is refused because that state backend does not exist, telling to bootstrap it
