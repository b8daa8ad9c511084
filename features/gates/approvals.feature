Feature: Approvals from each environment's reviewers
  LLD 7.4.1, 7.4.2 and 7.9.2: DEV needs 1 approval (lead developer), SIT 2 (tech lead and QA
  lead), PROD 3 (tech lead, product owner and DevOps lead) and in PROD the deployer cannot
  approve their own deployment. Approvals time out after 24 hours. Handles are counted once,
  whatever their case, and only reviewers of that environment count.

  As a release manager
  I want each environment's approvals counted the way the policy says
  So that nothing reaches an environment with fewer or weaker approvals than it requires

  Background:
    Given the pipeline policy of the sample repo

  @R16
  Scenario Outline: <env> approved by <approvers>: the approvals rule <verdict>
    Given a <env> deployment by "release-bot" of commit "abcdef1" from main, confirmed, inside its window
    And it is approved by <approvers>
    When the gate is evaluated
    Then rule R16 <verdict>

    @R16
    Examples:
      | env  | approvers                                      | verdict |
      | DEV  | "lead-developer"                               | passes  |
      | DEV  | nobody                                         | fails   |
      | DEV  | "tech-lead"                                    | fails   |
      | SIT  | "tech-lead" and "qa-lead"                      | passes  |
      | SIT  | "tech-lead" and "TECH-LEAD"                    | fails   |
      | SIT  | "tech-lead" and "product-owner"                | fails   |
      | PROD | "tech-lead", "product-owner" and "devops-lead" | passes  |
      | PROD | "tech-lead" and "devops-lead"                  | fails   |

  @R17
  Scenario: in PROD the deployer's own approval is refused
    Given a PROD deployment by "tech-lead" of commit "abcdef1" from main, confirmed, inside its window
    And it is approved by "tech-lead", "product-owner" and "devops-lead"
    When the gate is evaluated
    Then rule R17 fails saying "tech-lead approved their own deployment"
    And rule R16 fails saying "2 of 3 required approvals"
    And the gate is closed

  @R17
  Scenario: in SIT, where the policy does not prevent self-review, the deployer's approval counts
    Given a SIT deployment by "tech-lead" of commit "abcdef1" from main, confirmed, inside its window
    And it is approved by "tech-lead" and "qa-lead"
    When the gate is evaluated
    Then rule R17 passes
    And rule R16 passes

  @R18
  Scenario Outline: an approval given <minutes> minutes before the deployment: the approvals rule <verdict>
    Given a DEV deployment by "release-bot" of commit "abcdef1" from main, confirmed, inside its window
    And it was approved by "lead-developer" <minutes> minutes before the deployment
    When the gate is evaluated
    Then rule R16 <verdict>
    And rule R18 <verdict>

    @R18
    Examples:
      | minutes | verdict |
      | 60      | passes  |
      | 1439    | passes  |
      | 1440    | passes  |
      | 1441    | fails   |
      | 4320    | fails   |
