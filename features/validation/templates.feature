Feature: Email templates are complete HTML, declare their variables and render safely
  LLD 7.3.3 (validate-templates.yml) runs html-tidy, "validates {{variable}} placeholders" and
  "tests rendering with sample data". stagegate pins down each job: html5ever parses the
  template (errors with their line; doctype, html, head, title and body written out; no
  script, no on*= handler, placeholders only in text or double-quoted attribute values); every
  placeholder is declared by templates/NAME.sample.json, sections balance, declared variables
  are used, unescaped output needs an allow-list entry with a reason; and ramhorns renders the
  sample data into valid HTML in which data can never become markup.

  As a template author
  I want every template problem reported with its line before the template is uploaded
  So that no customer receives a broken or injectable email

  @R07 @R08 @R09
  Scenario: the sample templates are valid, declared and render cleanly
    Given the sample repo
    When the repo is validated
    Then the check passes with no findings

  @R07
  Scenario Outline: a template that is not clean HTML (<input>)
    Given the broken input "<input>"
    When the repo is validated
    Then the check fails with <rule> at "<location>"

    @R07
    Examples:
      | input                          | rule                       | location                     |
      | html-stray-end-tag             | R07/parse-error            | templates/shipped.html:8     |
      | html-entity-without-semicolon  | R07/parse-error            | templates/shipped.html:8     |
      | html-no-doctype                | R07/doctype                | templates/shipped.html:1:1   |
      | html-no-title                  | R07/missing-element        | templates/shipped.html:1     |
      | html-script                    | R07/script                 | templates/shipped.html:9     |
      | html-event-handler             | R07/event-handler          | templates/shipped.html:8     |
      | html-javascript-url            | R07/javascript-url         | templates/shipped.html:8     |
      | html-placeholder-as-attribute  | R07/placeholder-in-tag     | templates/shipped.html:8     |
      | html-single-quoted-placeholder | R07/unquoted-placeholder   | templates/shipped.html:8:11  |

  @R08
  Scenario: a section closed under another name is reported at the closing tag
    Given the sample repo
    And the "welcome" template has "{{/isTrial}}" replaced by "{{/trial}}"
    When the repo is validated
    Then the check fails with R08/section-mismatch at "templates/welcome.html:23:13"

  @R08
  Scenario Outline: a placeholder problem (<input>)
    Given the broken input "<input>"
    When the repo is validated
    Then the check fails with <rule> at "<location>"

    @R08
    Examples:
      | input                          | rule                     | location                          |
      | mustache-unterminated          | R08/unterminated-tag     | templates/shipped.html:8:28       |
      | mustache-mismatched-section    | R08/section-mismatch     | templates/shipped.html:8:66       |
      | mustache-unclosed-section-crlf | R08/section-unclosed     | templates/shipped.html:8:1        |
      | mustache-undeclared            | R08/undeclared           | templates/shipped.html:8:28       |
      | mustache-unused                | R08/unused               | templates/shipped.sample.json:4:3 |
      | mustache-triple-stache         | R08/unescaped            | templates/shipped.html:8:28       |
      | mustache-ampersand             | R08/unescaped            | templates/shipped.html:8:28       |
      | mustache-allow-without-reason  | R08/allow-without-reason | templates/shipped.html:8:28       |
      | mustache-partial               | R08/partial              | templates/shipped.html:9:1        |
      | mustache-bad-name              | R08/bad-name             | templates/shipped.html:8:28       |
      | mustache-no-sample-data        | R08/no-declaration       | templates/shipped.html            |

  @R09
  Scenario: a script in the data comes out escaped
    Given the sample repo
    And the "welcome" template's sample data sets firstName to "<script>alert(1)</script>"
    When the "welcome" template is rendered with its sample data
    Then the rendered output contains "Welcome aboard, &lt;script&gt;alert(1)&lt;/script&gt;!"
    And the rendered output does not contain "<script>"

  @R09
  Scenario Outline: a render that does not produce clean HTML (<input>)
    Given the broken input "<input>"
    When the repo is validated
    Then the check fails with <rule> at "templates/shipped.html"

    @R09
    Examples:
      | input                 | rule               |
      | render-breaks-markup  | R09/output-invalid |
      | render-braces-in-data | R09/unrendered     |
