Feature: The 30-day deployment dashboard
  LLD 7.10.2 draws the dashboard: success rate, deployments by environment, average
  deployment time per environment and rollbacks per environment over the last 30 days. This
  feature pins down that drawing in the terminal (box and bars, each bar scaled to the busiest
  environment) and the same dashboard as one self-contained HTML page (inline style and SVG
  charts, nothing fetched, no scripts) that a team can publish or attach to a review. Text
  taken from the records is escaped in the page.

  As an engineering manager
  I want the month's deployments at a glance, in the terminal and as a page I can share
  So that I can talk about delivery with figures rather than impressions

  Background:
    Given these deployments are recorded:
      | environment | kind     | started          | minutes | result       | merged | detected         |
      | DEV         | deploy   | 2026-11-10 10:00 | 6       | succeeded    |        |                  |
      | DEV         | deploy   | 2026-11-12 10:00 | 6       | succeeded    |        |                  |
      | DEV         | deploy   | 2026-11-17 10:00 | 7       | succeeded    |        |                  |
      | DEV         | deploy   | 2026-11-24 10:00 | 7       | succeeded    |        |                  |
      | DEV         | rollback | 2026-11-25 11:00 | 2       | succeeded    |        | 2026-11-25 10:50 |
      | SIT         | deploy   | 2026-11-12 11:00 | 8       | succeeded    |        |                  |
      | SIT         | deploy   | 2026-11-24 11:00 | 9       | tests failed |        |                  |
      | PROD        | deploy   | 2026-11-25 10:00 | 12      | succeeded    |        |                  |

  @R50
  Scenario: the terminal dashboard draws 7.10.2's panels, bars scaled to the busiest environment
    When the report of the last 30 days is made at 2026-12-03 14:00 SAST
    Then the terminal dashboard shows these lines inside its box:
      | line                                        |
      | DEPLOYMENT DASHBOARD (Last 30 Days)         |
      | Success Rate: █████████████████░░░ 85.7%    |
      | DEV:  ████████████████████ 4                |
      | SIT:  ██████████ 2                          |
      | PROD: █████ 1                               |
      | DEV:  6m 30s                                |
      | SIT:  8m 30s                                |
      | PROD: 12m  (over target)                    |
      | Rollbacks: 1 (12.5%)                        |
      | DEV: 1, SIT: 0, PROD: 0                     |
    And every line of the box has the same width
    And the KPI table follows the box with a verdict for each of the 7 KPIs

  @R50
  Scenario: the HTML report is one valid, self-contained page with its charts
    When the report of the last 30 days is made at 2026-12-03 14:00 SAST
    Then the HTML page parses as HTML without an error
    And the page loads nothing from elsewhere and runs no script
    And the page draws 3 bar charts: deployments, average deployment time and rollbacks by environment
    And the page lists the 7 KPIs with their verdicts

  @R50
  Scenario: text from the records is escaped in the HTML page
    Given a DEV deployment by "<b>mallory</b> & co" is recorded
    When the report of the last 30 days is made at 2026-12-03 14:00 SAST
    Then the HTML page parses as HTML without an error
    And the page shows the deployer "&lt;b&gt;mallory&lt;/b&gt; &amp; co" and never the raw markup
