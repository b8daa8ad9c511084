Feature: Promotion DEV → SIT → PROD, tagged and recorded
  LLD 7.2.1 and 7.7.1: a commit merged to main is deployed to DEV, then promoted to SIT, then
  to PROD, each time behind that environment's gate. SIT needs a successful DEV deployment of
  the same commit with passing post-deploy tests, PROD the same of SIT (7.6.2). Every
  successful deployment is tagged deploy-{env}-{YYYYMMDD-HHMMSS} (UTC) on the deployed commit
  (7.3.5) and every deployment is recorded in the environment's ledger, beside its state.

  As a release manager
  I want a commit to reach PROD only after it went green through DEV and SIT
  So that PROD only ever gets what was tested twice

  Background:
    Given a git checkout of the sample repo with one commit on main

  @R25 @R23 @R26 @needs-backup
  Scenario: the checkout's commit is promoted DEV → SIT → PROD with the right approvals
    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    And the checkout's commit is deployed to SIT by "release-bot" approved by "tech-lead" and "qa-lead"
    And the checkout's commit is deployed to PROD by "release-bot" approved by "tech-lead", "product-owner" and "devops-lead"
    Then every deployment succeeded with its post-deploy tests passed
    And the checkout has these tags on its commit:
      | tag                        |
      | deploy-dev-20261203-123000  |
      | deploy-prod-20261203-123000 |
      | deploy-sit-20261203-123000  |
    And each environment's ledger holds one record of the deployment with its commit, deployer, approvers, trigger, start, duration, result and tests

  @R25
  Scenario: SIT refuses a commit DEV has not deployed, and changes nothing
    When the checkout's commit is deployed to SIT by "release-bot" approved by "tech-lead" and "qa-lead"
    Then the deployment is refused by rule R25 saying "no successful DEV deployment"
    And nothing was deployed to SIT: no state backend, no tables, no tag, no record

  @R25
  Scenario Outline: SIT refuses a commit when DEV's only record is <evidence>
    Only a DEV deployment of the same commit that succeeded with passing post-deploy tests
    opens SIT's gate; a green record of another commit or a red one of this commit does not.

    Given DEV's only deployment record is <evidence>
    When the checkout's commit is deployed to SIT by "release-bot" approved by "tech-lead" and "qa-lead"
    Then the deployment is refused by rule R25 saying "no successful DEV deployment"
    And nothing was deployed to SIT: no state backend, no tables, no tag, no record

    @R25
    Examples:
      | evidence                                                                |
      | a green deployment of the previous commit                               |
      | a deployment of the checkout's commit that failed its post-deploy tests |

  @R25
  Scenario: a DEV record another tool wrote stops SIT's promotion check, named, not ignored
    A record that cannot be read is not "no record": SIT's gate would say DEV never deployed
    the commit, and hide the object that needs a look.

    Given the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    And DEV's ledger also holds "2026-12-01-handwritten.json", written by another tool, that is not JSON
    When "gate --env sit --deployer release-bot --branch main --check-promotion" runs in the checkout and exits 2
    Then the outputs name "/deployments/dev/2026-12-01-handwritten.json: not a stagegate record"

  @R25
  Scenario: PROD refuses a commit that reached DEV but not SIT
    Given the checkout's commit has been deployed to DEV by "release-bot" approved by "lead-developer"
    When the checkout's commit is deployed to PROD by "release-bot" approved by "tech-lead", "product-owner" and "devops-lead"
    Then the deployment is refused by rule R25 saying "no successful SIT deployment"

  @R14 @R26
  Scenario: a deployment refused at the gate changes nothing and records nothing
    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer", triggered by "push"
    Then the deployment is refused by rule R14 saying "not a manual dispatch"
    And nothing was deployed to DEV: no state backend, no tables, no tag, no record

  @R18
  Scenario: a deployment whose only approval is 25 hours old is refused and changes nothing
    Every deployment and rollback in this suite carries approvals given two hours before it, as
    GitHub records them; this one's approval has outlived the policy's 24 hours.

    When the checkout's commit is deployed to DEV by "release-bot" with approvals from "lead-developer" given 25 hours before
    Then the deployment is refused by rule R18 and rule R16 saying "not counted: lead-developer"
    And nothing was deployed to DEV: no state backend, no tables, no tag, no record

  @R23 @F10
  Scenario: two deployments to one environment in the same second get distinct tags that still sort
    The LLD tags to the second, so a second deployment in the same second would collide. The
    rule: the first gets deploy-dev-YYYYMMDD-HHMMSS, the next ones -01, -02 ... -99 appended,
    and an existing tag is never moved.

    When the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    And the checkout's commit is deployed to DEV by "release-bot" approved by "lead-developer"
    Then the checkout has these tags on its commit:
      | tag                           |
      | deploy-dev-20261203-123000    |
      | deploy-dev-20261203-123000-01 |
    And the DEV ledger holds 2 records, each naming its own tag
