Feature: Post-deploy invariants
  LLD 7.3.7 and 7.9.3 check after every apply that every table exists and is ACTIVE with its
  indexes and required tags, that point-in-time recovery is on, that every bucket blocks all
  public access and is versioned and encrypted, and that every template was uploaded and reads
  back unchanged. stagegate checks each against the live resources, one line per check, and
  each check fails for its own reason when the invariant is broken behind stagegate's back.

  As an on-call engineer
  I want each broken invariant named after a deployment
  So that I know what to fix, or that it is time to roll back

  Background:
    Given a working copy of the sample repo
    And the working copy has been applied to DEV

  @R37 @R38 @R39 @R40
  Scenario: after an apply every invariant holds
    When the DEV environment is verified
    Then every check passes
    And there are checks for the 3 tables, their 6 indexes, their tags, their point-in-time recovery, the bucket's 4 settings and the 4 templates

  @R37 @R38 @R39 @R40
  Scenario Outline: <what> behind stagegate's back: verify fails <requirement> for <subject>
    When <what> behind stagegate's back in DEV
    And the DEV environment is verified
    Then check <requirement> "<subject>" fails saying "<why>"
    And every other check passes

    @R37
    Examples: tables
      | what                                                         | requirement | subject                                       | why                 |
      | the tag "Environment" is removed from "products"             | R37         | tags of products                              | missing Environment |
      | the index "status-startDate-index" of "campaigns" is deleted | R37         | index campaigns.status-startDate-index        | missing             |
      | the table "tenants" is deleted                               | R37         | table tenants                                 | missing             |

    @R40
    Examples: backups
      | what                                                | requirement | subject                          | why      |
      | point-in-time recovery of "tenants" is switched off | R40         | point-in-time recovery of tenants | disabled |

    @R38
    Examples: buckets
      | what                                                        | requirement | subject                                          | why                      |
      | the public access block of "bbws-templates-dev" is loosened | R38         | bucket bbws-templates-dev public access block     | not all four flags on    |
      | versioning of "bbws-templates-dev" is suspended             | R38         | bucket bbws-templates-dev versioning              | not enabled              |
      | default encryption of "bbws-templates-dev" is removed       | R38         | bucket bbws-templates-dev default encryption      | not on                   |

    @R39
    Examples: templates
      | what                                                              | requirement | subject                | why      |
      | the template "welcome.html" is deleted from "bbws-templates-dev"  | R39         | template welcome.html  | missing  |
      | the template "invoice.html" in "bbws-templates-dev" is overwritten | R39        | template invoice.html  | differ   |

  @R38
  Scenario Outline: the public access block flag <flag> alone switched off: verify fails R38
    Every one of the four flags counts; switching off any single one through S3 is enough.

    When the public access block flag <flag> of "bbws-templates-dev" is switched off behind stagegate's back in DEV
    And the DEV environment is verified
    Then check R38 "bucket bbws-templates-dev public access block" fails saying "not all four flags on"
    And every other check passes

    @R38
    Examples:
      | flag                  |
      | BlockPublicAcls       |
      | IgnorePublicAcls      |
      | BlockPublicPolicy     |
      | RestrictPublicBuckets |
