@R21
Feature: PROD needs an approved change ticket and deploys inside its window
  LLD 7.4.1, 7.4.3 and 7.9.2: PROD deployments need a change ticket that exists and is approved,
  and they happen inside that ticket's change window (start included, end excluded). Tickets
  come from the repo's change-tickets.yml.

  As a change manager
  I want PROD changed only under an approved ticket, inside its window
  So that every PROD change is planned, announced and reversible

  Background:
    Given the pipeline policy of the sample repo

  Scenario Outline: PROD with change ticket <ticket> at <at>: the change ticket rule <verdict>
    Given a PROD deployment by "release-bot" of commit "abcdef1" from main, confirmed, at "<at>"
    And it is approved by "tech-lead", "product-owner" and "devops-lead"
    And it names the change ticket "<ticket>"
    When the gate is evaluated
    Then rule R21 <verdict> saying "<why>"

    @R21
    Examples:
      | ticket     | at                        | verdict | why                 |
      | CHG0001234 | 2026-12-03T14:30:00+02:00 | passes  | contains            |
      | CHG0001234 | 2026-12-03T14:00:00+02:00 | passes  | contains            |
      | CHG0001234 | 2026-12-03T13:59:59+02:00 | fails   | does not contain    |
      | CHG0001234 | 2026-12-03T16:00:00+02:00 | fails   | does not contain    |
      | CHG0001240 | 2026-12-10T11:00:00+02:00 | fails   | pending             |
      | CHG0001207 | 2026-11-19T15:00:00+02:00 | fails   | rejected            |
      | CHG0001198 | 2026-12-03T14:30:00+02:00 | fails   | does not contain    |
      | CHG0009999 | 2026-12-03T14:30:00+02:00 | fails   | does not exist      |

  Scenario: PROD without a change ticket is refused
    Given a PROD deployment by "release-bot" of commit "abcdef1" from main, confirmed, at "2026-12-03T14:30:00+02:00"
    And it is approved by "tech-lead", "product-owner" and "devops-lead"
    When the gate is evaluated
    Then rule R21 fails saying "needs an approved change ticket"
    And the gate is closed

  Scenario Outline: <env> needs no change ticket
    Given a <env> deployment by "release-bot" of commit "abcdef1" from main, confirmed, inside its window
    And it is approved by every reviewer of <env> but the deployer
    When the gate is evaluated
    Then rule R21 passes

    @R21
    Examples:
      | env |
      | DEV |
      | SIT |
