Feature: Deployment windows in Africa/Johannesburg time
  LLD 7.4.1: SIT deploys in business hours, Monday to Friday 08:00-17:00 SAST; PROD only inside
  its change ticket's window. stagegate reads the wall clock in Africa/Johannesburg whatever the
  machine's zone, with 17:00 itself outside.

  The LLD's own check (7.4.3) runs `date +%H` on the runner, which is UTC on hosted runners, and
  refuses only when the hour is greater than 17 (F01). Each example shows what that check
  says on a UTC runner next to the rule.

  As a QA lead
  I want SIT deployments only while the team is at work in Johannesburg
  So that someone is there to test and, if needed, roll back

  Background:
    Given the pipeline policy of the sample repo

  @R20 @F01
  Scenario Outline: a SIT deployment at <utc> (<sast> SAST): the LLD's check <lld>, the window rule <rule>
    Given a SIT deployment by "release-bot" of commit "abcdef1" from main, confirmed, at "<utc>"
    And it is approved by "tech-lead" and "qa-lead"
    When the gate is evaluated
    Then rule R20 <rule>
    And the LLD's window check on a UTC runner at "<utc>" <lld>

    @R20 @F01
    Examples:
      | utc                  | sast          | lld     | rule   |
      | 2026-11-30T05:59:00Z | Monday 07:59  | refuses | fails  |
      | 2026-11-30T06:00:00Z | Monday 08:00  | refuses | passes |
      | 2026-12-04T14:59:00Z | Friday 16:59  | allows  | passes |
      | 2026-12-04T15:00:00Z | Friday 17:00  | allows  | fails  |
      | 2026-12-04T15:30:00Z | Friday 17:30  | allows  | fails  |
      | 2026-12-05T08:00:00Z | Saturday 10:00 | refuses | fails |

  @R20
  Scenario Outline: DEV deploys at any time: <sast> SAST
    Given a DEV deployment by "release-bot" of commit "abcdef1" from main, confirmed, at "<utc>"
    And it is approved by "lead-developer"
    When the gate is evaluated
    Then rule R20 passes

    @R20
    Examples:
      | utc                  | sast           |
      | 2026-12-05T22:00:00Z | Sunday 00:00   |
      | 2026-12-02T01:30:00Z | Wednesday 03:30 |
