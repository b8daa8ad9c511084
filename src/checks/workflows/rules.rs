//! The rule catalogue of `lint-workflows` and LLD 7.3.1's workflow matrix.

use serde::Serialize;

use crate::checks::sarif::Severity;

/// One workflow rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkflowRule {
    pub id: &'static str,
    pub severity: Severity,
    /// The requirement or design defect it proves (R52, F02, ...).
    pub requirement: &'static str,
    pub title: &'static str,
    /// How to fix it, in general; each finding says it for its own case.
    pub remedy: &'static str,
    /// Whether it holds the workflows to LLD 7.3.1's matrix, and so runs only in a repo whose
    /// `pipeline.yml` declares that matrix; every other rule runs on any repo.
    pub matrix: bool,
}

pub const RULES: &[WorkflowRule] = &[
    WorkflowRule {
        id: "SG-WF-001",
        matrix: true,
        severity: Severity::High,
        requirement: "R52",
        title: "An apply or rollback workflow starts on something other than a manual dispatch",
        remedy: "start apply and rollback only with workflow_dispatch",
    },
    WorkflowRule {
        id: "SG-WF-002",
        matrix: true,
        severity: Severity::Medium,
        requirement: "R52",
        title: "A workflow does not start as the workflow matrix says",
        remedy: "add the events LLD 7.3.1 starts the workflow on",
    },
    WorkflowRule {
        id: "SG-WF-003",
        matrix: true,
        severity: Severity::Medium,
        requirement: "R52",
        title: "A dispatch input is missing or differs from the workflow matrix",
        remedy: "declare the input with the type, options and required flag of LLD 7.3.5/7.3.6",
    },
    WorkflowRule {
        id: "SG-WF-004",
        matrix: false,
        severity: Severity::High,
        requirement: "R52",
        title: "A workflow reads a dispatch input it does not declare, which is always empty",
        remedy: "declare the input, or stop reading it",
    },
    WorkflowRule {
        id: "SG-WF-005",
        matrix: true,
        severity: Severity::High,
        requirement: "R52",
        title: "A job that changes infrastructure declares no GitHub environment, so no protection rule applies",
        remedy: "add `environment: ${{ inputs.environment }}` to the job",
    },
    WorkflowRule {
        id: "SG-WF-006",
        matrix: false,
        severity: Severity::High,
        requirement: "R52",
        title: "An AWS role is assumed through OIDC without id-token: write",
        remedy: "grant `id-token: write` in the job's permissions",
    },
    WorkflowRule {
        id: "SG-WF-007",
        matrix: false,
        severity: Severity::High,
        requirement: "F10",
        title: "A tag is pushed without contents: write",
        remedy: "grant `contents: write` in the permissions of the job that pushes the tag",
    },
    WorkflowRule {
        id: "SG-WF-008",
        matrix: false,
        severity: Severity::Medium,
        requirement: "F05",
        title: "An action is not pinned to a full commit SHA",
        remedy: "pin the action to the full commit SHA of its release, with the tag as a comment",
    },
    WorkflowRule {
        id: "SG-WF-009",
        matrix: false,
        severity: Severity::High,
        requirement: "F05",
        title: "An action version GitHub has retired: the run fails",
        remedy: "move to v4 of the action, pinned to its commit SHA",
    },
    WorkflowRule {
        id: "SG-WF-010",
        matrix: false,
        severity: Severity::Critical,
        requirement: "F02",
        title: "A value the caller chooses is interpolated into a script: command injection",
        remedy: "pass the value through `env:` and use \"$VAR\" in the script",
    },
    WorkflowRule {
        id: "SG-WF-011",
        matrix: false,
        severity: Severity::High,
        requirement: "F04",
        title: "A boolean dispatch input is tested through github.event.inputs, where 'false' is truthy",
        remedy: "test `inputs.NAME` (a boolean) or compare `github.event.inputs.NAME == 'true'`",
    },
    WorkflowRule {
        id: "SG-WF-012",
        matrix: true,
        severity: Severity::Medium,
        requirement: "R52",
        title: "A workflow of the workflow matrix is missing",
        remedy: "add the workflow",
    },
    WorkflowRule {
        id: "SG-WF-013",
        matrix: false,
        severity: Severity::High,
        requirement: "R60",
        title: "A workflow starts on an event outsiders cause and runs with the repository's secrets and a write token",
        remedy: "start on pull_request (no secrets, read-only token), or keep the privileged part in a workflow that never touches the contribution",
    },
    WorkflowRule {
        id: "SG-WF-014",
        matrix: false,
        severity: Severity::Critical,
        requirement: "R60",
        title: "A privileged workflow checks out the contribution and runs it: a pwn request",
        remedy: "build the contribution in a pull_request workflow; let the privileged workflow read only its results",
    },
    WorkflowRule {
        id: "SG-WF-015",
        matrix: false,
        severity: Severity::High,
        requirement: "R61",
        title: "Write permissions granted at workflow level, to every job",
        remedy: "set `permissions: {}` (or contents: read) at workflow level and grant each write scope to the one job that needs it",
    },
    WorkflowRule {
        id: "SG-WF-016",
        matrix: false,
        severity: Severity::Medium,
        requirement: "R61",
        title: "No permissions block: the job runs with the repository's default token permissions",
        remedy: "add `permissions: { contents: read }` at workflow level and widen it per job",
    },
    WorkflowRule {
        id: "SG-WF-017",
        matrix: false,
        severity: Severity::Medium,
        requirement: "R61",
        title: "actions/checkout leaves the token in .git/config for the steps after it",
        remedy: "add `persist-credentials: false` to the checkout",
    },
    WorkflowRule {
        id: "SG-WF-018",
        matrix: false,
        severity: Severity::High,
        requirement: "R61",
        title: "A release workflow restores a cache any branch could have written: cache poisoning",
        remedy: "turn the cache off in release workflows (`cache: false`, no actions/cache)",
    },
    WorkflowRule {
        id: "SG-WF-019",
        matrix: false,
        severity: Severity::Low,
        requirement: "R60",
        title: "An output of another step or job is pasted into a script; it can carry text from the event",
        remedy: "pass it through env: and read \"$VAR\" in the script",
    },
    WorkflowRule {
        id: "SG-WF-020",
        matrix: false,
        severity: Severity::High,
        requirement: "F11",
        title: "An expression calls a function GitHub Actions does not have: the job fails before it starts",
        remedy: "use one of GitHub's expression functions (contains, startsWith, endsWith, format, join, toJSON, fromJSON, hashFiles, case, success, always, cancelled, failure)",
    },
    WorkflowRule {
        id: "SG-WF-021",
        matrix: false,
        severity: Severity::High,
        requirement: "R62",
        title: "An expression reads a context or property GitHub Actions does not have, or cannot be parsed",
        remedy: "read a documented context and property, or fix the expression's syntax",
    },
    WorkflowRule {
        id: "SG-WF-022",
        matrix: true,
        severity: Severity::High,
        requirement: "F12",
        title: "A Terraform state key is not one component's key, or a rollback cannot name the component",
        remedy: "build the key as `<component path>/terraform.tfstate` from a component input or matrix of pipeline.yml's components",
    },
    WorkflowRule {
        id: "SG-WF-023",
        matrix: false,
        severity: Severity::High,
        requirement: "F13",
        title: "An `aws s3api` command lacks an argument it requires: the step fails",
        remedy: "add the missing argument",
    },
    WorkflowRule {
        id: "SG-WF-024",
        matrix: false,
        severity: Severity::High,
        requirement: "F16",
        title: "A job runs Terraform without `terraform init` before it",
        remedy: "run `terraform init` with the backend config of the state it works on, in the same job, first",
    },
    WorkflowRule {
        id: "SG-WF-025",
        matrix: false,
        severity: Severity::High,
        requirement: "F17",
        title: "An artifact is downloaded that no job of this run uploads, and no run-id says which run holds it",
        remedy: "give download-artifact v4 `run-id:` and `github-token:` of the run that uploaded it, or upload it in this run",
    },
    WorkflowRule {
        id: "SG-WF-026",
        matrix: false,
        severity: Severity::High,
        requirement: "F18",
        title: "A workflow started by another event reads dispatch inputs, which are empty then",
        remedy: "give the value a source for every event that starts the workflow (`inputs.X || <other source>`)",
    },
    WorkflowRule {
        id: "SG-WF-027",
        matrix: false,
        severity: Severity::Medium,
        requirement: "F19",
        title: "A workflow_run job runs whatever the conclusion of the run it follows",
        remedy: "add `if: ${{ github.event_name != 'workflow_run' || github.event.workflow_run.conclusion == 'success' }}` to the job",
    },
    WorkflowRule {
        id: "SG-WF-028",
        matrix: false,
        severity: Severity::High,
        requirement: "F20",
        title: "A `**` glob in a bash script without globstar matches only one directory level",
        remedy: "add `shopt -s globstar nullglob` before the glob",
    },
    WorkflowRule {
        id: "SG-WF-029",
        matrix: false,
        severity: Severity::High,
        requirement: "F21",
        title: "A git command that records an author runs without a git identity",
        remedy: "configure user.name and user.email before it",
    },
];

pub fn rule(id: &str) -> &'static WorkflowRule {
    RULES.iter().find(|r| r.id == id).expect("a rule of RULES")
}

/// How a workflow of the matrix starts (LLD 7.3.1, "Trigger").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Trigger {
    /// Push, PR.
    PushAndPullRequest,
    /// After validation, or after apply: another workflow's completion.
    AfterWorkflow,
    /// Manual dispatch, and nothing else.
    ManualDispatch,
}

impl Trigger {
    /// The `on:` events the matrix asks for.
    pub fn events(self) -> &'static [&'static str] {
        match self {
            Trigger::PushAndPullRequest => &["push", "pull_request"],
            Trigger::AfterWorkflow => &["workflow_run"],
            Trigger::ManualDispatch => &["workflow_dispatch"],
        }
    }
}

/// The type a dispatch input must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InputKind {
    Choice(&'static [&'static str]),
    Boolean,
    Text,
}

/// One dispatch input of the matrix (LLD 7.3.5, 7.3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MatrixInput {
    pub name: &'static str,
    pub kind: InputKind,
    /// The run cannot mean anything without it: the target environment, the typed confirmation.
    pub required: bool,
}

/// One row of LLD 7.3.1's workflow matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MatrixRow {
    pub file: &'static str,
    pub trigger: Trigger,
    /// Approval: the jobs that change infrastructure run behind a GitHub environment.
    pub approval: bool,
    pub inputs: &'static [MatrixInput],
}

const ENVIRONMENTS: &[&str] = &["dev", "sit", "prod"];

pub const WORKFLOW_MATRIX: [MatrixRow; 6] = [
    MatrixRow { file: "validate-schemas.yml", trigger: Trigger::PushAndPullRequest, approval: false, inputs: &[] },
    MatrixRow { file: "validate-templates.yml", trigger: Trigger::PushAndPullRequest, approval: false, inputs: &[] },
    MatrixRow { file: "terraform-plan.yml", trigger: Trigger::AfterWorkflow, approval: false, inputs: &[] },
    MatrixRow {
        file: "terraform-apply.yml",
        trigger: Trigger::ManualDispatch,
        approval: true,
        inputs: &[
            MatrixInput { name: "environment", kind: InputKind::Choice(ENVIRONMENTS), required: true },
            MatrixInput { name: "confirmation", kind: InputKind::Text, required: true },
            MatrixInput { name: "use_stored_plan", kind: InputKind::Boolean, required: false },
        ],
    },
    MatrixRow {
        file: "rollback.yml",
        trigger: Trigger::ManualDispatch,
        approval: true,
        inputs: &[
            MatrixInput { name: "environment", kind: InputKind::Choice(ENVIRONMENTS), required: true },
            MatrixInput { name: "state_version_id", kind: InputKind::Text, required: false },
            MatrixInput { name: "deployment_tag", kind: InputKind::Text, required: false },
            MatrixInput { name: "confirmation", kind: InputKind::Text, required: true },
        ],
    },
    MatrixRow { file: "post-deploy-tests.yml", trigger: Trigger::AfterWorkflow, approval: false, inputs: &[] },
];

/// The matrix row of a workflow file name.
pub fn matrix_row(file_name: &str) -> Option<&'static MatrixRow> {
    WORKFLOW_MATRIX.iter().find(|r| r.file == file_name)
}
