@R52
Feature: The workflow lint reports for people and for code scanning
  `stagegate lint-workflows` reads every .github/workflows/*.yml of LLD 7.3; a file that is not
  valid YAML is reported naming its line (the others are still linted), and the findings go to
  GitHub code scanning as SARIF.

  As a platform engineer
  I want the lint to say exactly where a workflow is broken, in the review and in code scanning
  So that a broken or defective workflow never reaches main

  Scenario: a workflow that is not valid YAML is reported, naming its file and line
    Given the corrected workflows
    And terraform-apply.yml indents line 30 with a tab
    When the workflows are linted
    Then the lint reports "terraform-apply.yml:30" as unreadable

  @F04
  Scenario: the findings are SARIF 2.1.0 that code scanning places on the line
    Given the LLD's workflows
    When the workflows are linted
    Then the workflow SARIF report conforms to SARIF 2.1.0 and places SG-WF-011 at line 61, column 17
