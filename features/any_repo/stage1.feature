@any-repo @R66
Feature: Stage 1 passes on every file of the repo under test
  The checks a change meets before it is deployed (LLD 7.3.2), on the repo the suite runs on:
  the one STAGEGATE_REPO names, else fixtures/repo-ledger. Every table definition, item schema,
  sample item, environment file, template and pipeline file validates, every file is formatted,
  and the security scan finds nothing HIGH or CRITICAL.

  As a platform team
  I want our own repo held to Stage 1 by the conformance suite
  So that a pull request that breaks any of our files fails CI

  Background:
    Given a copy of the repo under test

  Scenario: every file of the repo validates
    When the repo is validated
    Then the check passes with no findings

  Scenario: every file of the repo is formatted
    When formatting is checked
    Then the check passes

  Scenario: the security scan of the repo passes
    When the repo is scanned
    Then the scan passes
