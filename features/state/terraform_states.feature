Feature: States Terraform and OpenTofu wrote survive stagegate
  A component's state may hold more than stagegate manages: resources of other types, data
  sources, modules, count and for_each instances, and on each instance the fields Terraform keeps
  (private, dependencies, index_key, sensitive_attributes, create_before_destroy, identity,
  schema_version). stagegate plans only its own resources (managed, in the root module, one
  instance) and keeps the rest: a no-op apply leaves the object as Terraform wrote it, byte for
  byte, and an apply that changes stagegate's table rewrites only that table's attributes, the
  serial and the Terraform version. The states are written in the shape of Terraform's and
  OpenTofu's own state fixtures (fixtures/terraform/README.md names each one's origin).

  As a platform engineer whose team also runs Terraform on these states
  I want stagegate to keep what it does not manage
  So that a stagegate apply never costs Terraform a resource, a dependency or a provider's private data

  @R54
  Scenario Outline: a Terraform-written state round-trips through plan, a no-op apply and a real apply (<fixture>)
    Given a working copy of the sample repo
    And the working copy has been applied to DEV
    And Terraform has rewritten the DEV state of "tenants" as the fixture "<fixture>"
    Then a new plan for DEV changes nothing
    When the working copy is applied to DEV
    Then the DEV state object of "tenants" is byte for byte what Terraform wrote
    When point-in-time recovery of "tenants" is switched off behind stagegate's back in DEV
    And the working copy is applied to DEV
    Then the DEV state of "tenants" keeps all Terraform wrote but stagegate's attributes, a serial one higher and the Terraform version
    And a new plan for DEV changes nothing

    @R54
    Examples:
      | fixture                         |
      | v4-aws-beside-stagegate.tfstate |
      | v4-simple.tfstate               |
      | v4-cbd.tfstate                  |
      | v4-modules.tfstate              |
      | v4-foreach.tfstate              |
      | v4-future.tfstate               |

  @R54
  Scenario: an OpenTofu encrypted state is refused as bad input, saying what to do
    Given pipeline.yml locks the state with "dynamodb"
    And the DEV state backend is bootstrapped
    And OpenTofu has written the DEV state of "tenants" encrypted, as the fixture "tofu-encrypted.tfstate"
    Then reading the DEV state of "tenants" is refused as an OpenTofu encrypted state
    When stagegate runs "state show --env dev --component tenants" in the checkout
    Then the command exits 2
    And the command says "an OpenTofu encrypted state (encryption_version v0)"

  @R54
  Scenario: a state in another Terraform workspace is named, not taken for the component's
    Given pipeline.yml locks the state with "s3"
    And the DEV state backend is bootstrapped
    And Terraform's workspace "blue" holds a state of "tenants" in DEV
    When stagegate runs "state show --env dev --component tenants" in the checkout
    Then the command exits 1
    And the command says "Terraform workspaces blue hold states of tenants (env:/NAME/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate); stagegate manages the default workspace only"

  @R54
  Scenario Outline: a lock in another Terraform workspace is released with --workspace (<mode>)
    Given pipeline.yml locks the state with "<mode>"
    And the DEV state backend is bootstrapped
    And Terraform, as "blue-team@laptop", holds the DEV lock of component "tenants" in its workspace "blue"
    When stagegate runs "state show --env dev --component tenants --workspace blue" in the checkout
    Then the command says "bbws-terraform-state-dev/env:/blue/2_1_bbws_dynamodb_schemas/tenants/terraform.tfstate has no state yet"
    When the DEV lock of "tenants" in workspace "blue" is force-unlocked on the command line with the lock ID "blue-team@laptop" holds
    Then the command exits 0
    And no lock of "tenants" remains in DEV's workspace "blue"

    @R54
    Examples:
      | mode     |
      | dynamodb |
      | s3       |

  @R54
  Scenario: states and locks carry the Terraform release pipeline.yml names
    Given pipeline.yml locks the state with "both"
    And pipeline.yml writes states as Terraform "1.11.4"
    And the DEV state backend is bootstrapped
    When the DEV state of component "tenants" has been written 1 time
    And "alice@ci" locks the DEV component "tenants"
    Then the DEV lock of "tenants" held by "alice@ci" says Version "1.11.4"
    And the DEV state object of "tenants" says terraform_version "1.11.4"
