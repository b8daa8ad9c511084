@R05
Feature: The security scan fails on HIGH and CRITICAL findings
  LLD 7.3.2 runs tfsec and fails on HIGH/CRITICAL; 7.9.3 asks that buckets block public
  access and tables are encrypted. stagegate scans the desired configuration (table
  definitions, environment files, pipeline.yml) with rules that keep stable IDs and name their
  Trivy and Checkov equivalents. A suppression counts only with a written reason.

  As a security reviewer
  I want each finding with its severity and the tfsec/Checkov rule I already know
  So that accepted risks are written down and everything else blocks the merge

  Scenario: the sample repo passes the scan with only LOW findings
    Given the sample repo
    When the repo is scanned
    Then the check passes
    And SG-DDB-002 is reported as LOW, like Trivy AVD-AWS-0025 and Checkov CKV_AWS_119

  Scenario Outline: a weakened setting is found with its severity (<rule>)
    Given the broken input "<input>"
    When the repo is scanned
    Then the check fails with <rule> at "<location>"
    And <rule> is reported as <severity>, like Trivy <trivy> and Checkov <checkov>

    @R05
    Examples:
      | input                     | rule         | location                   | severity | trivy        | checkov    |
      | scan-public-acls-allowed  | SG-S3-001    | environments/dev.tfvars:20 | HIGH     | AVD-AWS-0086 | CKV_AWS_53 |
      | scan-bucket-unencrypted   | SG-S3-005    | environments/sit.tfvars:19 | HIGH     | AVD-AWS-0088 | CKV_AWS_19 |
      | scan-state-versioning-off | SG-STATE-002 | pipeline.yml:5             | HIGH     | AVD-AWS-0090 | CKV_AWS_21 |

  @R05
  Scenario Outline: <setting> switched off in the sample repo is reported as <rule>
    Given the sample repo
    And <setting> is switched off in the sample repo
    When the repo is scanned
    Then <rule> is reported as <severity>, like Trivy <trivy> and Checkov <checkov>
    And the scan <verdict>

    @R05
    Examples:
      | setting                                                           | rule       | severity | trivy        | checkov    | verdict |
      | point-in-time recovery of the tenants table                       | SG-DDB-001 | MEDIUM   | AVD-AWS-0024 | CKV_AWS_28 | passes  |
      | the DEV bucket's public access block flag block_public_policy     | SG-S3-002  | HIGH     | AVD-AWS-0087 | CKV_AWS_54 | fails   |
      | the DEV bucket's public access block flag ignore_public_acls      | SG-S3-003  | HIGH     | AVD-AWS-0091 | CKV_AWS_55 | fails   |
      | the DEV bucket's public access block flag restrict_public_buckets | SG-S3-004  | HIGH     | AVD-AWS-0093 | CKV_AWS_56 | fails   |

  Scenario: a MEDIUM finding is reported but does not fail the scan
    Given the sample repo
    And the DEV environment file sets templates_bucket_versioning to false
    When the repo is scanned
    Then the check passes
    And SG-S3-006 is reported as MEDIUM, like Trivy AVD-AWS-0090 and Checkov CKV_AWS_21

  Scenario: a suppression with a written reason silences its finding
    Given the broken input "scan-bucket-unencrypted"
    And the scan suppressions accept SG-S3-005 for "s3/bbws-templates-sit" because "SIT holds synthetic templates only (SEC-42)"
    When the repo is scanned
    Then the check passes
    And SG-S3-005 is suppressed because "SIT holds synthetic templates only (SEC-42)"

  Scenario: an inline suppression with a written reason silences its finding
    Given the sample repo
    And the PROD environment file sets templates_bucket_versioning to false
    And the PROD environment file has an inline suppression of SG-S3-006 reading "templates are rebuilt from git on every deploy"
    When the repo is scanned
    Then SG-S3-006 is suppressed because "templates are rebuilt from git on every deploy"

  Scenario Outline: a suppression without a reason fails the scan (<input>)
    Given the broken input "<input>"
    When the repo is scanned
    Then the check fails with SG-SUP-001 at "<location>"

    @R05
    Examples:
      | input                           | location                    |
      | scan-suppression-without-reason | environments/prod.tfvars:19 |
      | scan-pitr-off                   | scan-suppressions.yml:2     |

  Scenario: the report is SARIF 2.1.0 that code scanning accepts
    Given the broken input "scan-suppression-without-reason"
    When the repo is scanned
    Then the SARIF report conforms to SARIF 2.1.0
