//! Every `${{ … }}` (and every bare `if:`) parsed with the grammar of GitHub Actions
//! expressions, and checked against GitHub's documented functions, contexts and properties
//! (docs.github.com, "Evaluate expressions in workflows and actions" and "Contexts reference").
//! What GitHub rejects fails the run before any job starts, so it is an error here (SG-WF-020
//! for functions, SG-WF-021 for contexts, properties and syntax).

use std::sync::LazyLock;

use regex::Regex;
use serde_norway::Value as Yaml;

use super::checks::{Lint, job_of, strings};
use super::expressions;
use super::{Position, Segment};

/// The expression functions, with how many arguments each takes (min, max).
pub const FUNCTIONS: [(&str, usize, usize); 13] = [
    ("contains", 2, 2),
    ("startsWith", 2, 2),
    ("endsWith", 2, 2),
    ("format", 1, usize::MAX),
    ("join", 1, 2),
    ("toJSON", 1, 1),
    ("fromJSON", 1, 1),
    ("hashFiles", 1, usize::MAX),
    ("case", 3, usize::MAX),
    ("success", 0, 0),
    ("always", 0, 0),
    ("cancelled", 0, 0),
    ("failure", 0, 0),
];

/// The contexts an expression may read.
pub const CONTEXTS: [&str; 12] =
    ["github", "env", "vars", "job", "jobs", "steps", "runner", "secrets", "strategy", "matrix", "needs", "inputs"];

const GITHUB: [&str; 41] = [
    "action",
    "action_path",
    "action_ref",
    "action_repository",
    "action_status",
    "actor",
    "actor_id",
    "api_url",
    "base_ref",
    "env",
    "event",
    "event_name",
    "event_path",
    "graphql_url",
    "head_ref",
    "job",
    "path",
    "ref",
    "ref_name",
    "ref_protected",
    "ref_type",
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "repositoryurl",
    "retention_days",
    "run_id",
    "run_number",
    "run_attempt",
    "secret_source",
    "server_url",
    "sha",
    "token",
    "triggering_actor",
    "workflow",
    "workflow_ref",
    "workflow_sha",
    "workspace",
    "output",
    "state",
];
const RUNNER: [&str; 7] = ["name", "os", "arch", "temp", "tool_cache", "debug", "environment"];
const STRATEGY: [&str; 4] = ["fail-fast", "job-index", "job-total", "max-parallel"];
const JOB: [&str; 8] = [
    "container",
    "services",
    "status",
    "check_run_id",
    "workflow_ref",
    "workflow_sha",
    "workflow_repository",
    "workflow_file_path",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Number,
    Str,
    Punct(&'static str),
}

/// What is wrong with one expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A function GitHub does not have, or one called with the wrong number of arguments.
    Function { name: String, message: String },
    /// An unknown context or property, or text that is no expression.
    Context { needle: String, message: String },
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err("a string literal is not closed".to_owned()),
                    Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                    Some(b'\'') => break,
                    Some(_) => i += 1,
                }
            }
            i += 1;
            out.push(Token::Str);
        } else if c.is_ascii_digit() || (c == '-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'.' | b'+' | b'-')) {
                if matches!(b[i], b'+' | b'-') && !matches!(b[i - 1], b'e' | b'E') {
                    break;
                }
                i += 1;
            }
            out.push(Token::Number);
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'-')) {
                i += 1;
            }
            out.push(Token::Ident(text[start..i].to_owned()));
        } else {
            let two = text.get(i..i + 2).unwrap_or("");
            let p = ["==", "!=", "<=", ">=", "&&", "||"].into_iter().find(|p| *p == two);
            if let Some(p) = p {
                out.push(Token::Punct(p));
                i += 2;
                continue;
            }
            let p = ["(", ")", "[", "]", ".", ",", "!", "<", ">", "*"].into_iter().find(|p| p.as_bytes()[0] == b[i]);
            match p {
                Some(p) => out.push(Token::Punct(p)),
                None => return Err(format!("`{c}` is not part of GitHub's expression syntax")),
            }
            i += 1;
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    problems: Vec<Problem>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Token::Punct(q)) if *q == p) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn binary(&mut self, level: usize) -> Result<(), String> {
        const LEVELS: [&[&str]; 4] = [&["||"], &["&&"], &["==", "!="], &["<", "<=", ">", ">="]];
        if level == LEVELS.len() {
            return self.unary();
        }
        self.binary(level + 1)?;
        while LEVELS[level].iter().any(|p| self.eat(p)) {
            self.binary(level + 1)?;
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<(), String> {
        if self.eat("!") {
            return self.unary();
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<(), String> {
        let mut chain = self.primary()?;
        loop {
            if self.eat(".") {
                match self.peek().cloned() {
                    Some(Token::Ident(name)) => {
                        self.at += 1;
                        if let Some(c) = chain.as_mut() {
                            c.push(name);
                        }
                    }
                    Some(Token::Punct("*")) => {
                        self.at += 1;
                        chain = None;
                    }
                    _ => return Err("a property name must follow `.`".to_owned()),
                }
            } else if self.eat("[") {
                self.binary(0)?;
                if !self.eat("]") {
                    return Err("`[` is not closed".to_owned());
                }
                // An index chooses the property at run time; the chain's known part is checked.
                if let Some(c) = chain.take() {
                    self.check_context(&c);
                }
            } else {
                break;
            }
        }
        if let Some(c) = chain {
            self.check_context(&c);
        }
        Ok(())
    }

    /// A literal, a call, a context or a parenthesised expression; a context's names so far.
    fn primary(&mut self) -> Result<Option<Vec<String>>, String> {
        match self.peek().cloned() {
            Some(Token::Number | Token::Str) => {
                self.at += 1;
                Ok(None)
            }
            Some(Token::Punct("(")) => {
                self.at += 1;
                self.binary(0)?;
                if !self.eat(")") {
                    return Err("`(` is not closed".to_owned());
                }
                Ok(None)
            }
            Some(Token::Ident(name)) => {
                self.at += 1;
                if self.eat("(") {
                    let mut args = 0;
                    if !self.eat(")") {
                        loop {
                            self.binary(0)?;
                            args += 1;
                            if self.eat(")") {
                                break;
                            }
                            if !self.eat(",") {
                                return Err(format!("the arguments of {name}() are not closed"));
                            }
                        }
                    }
                    self.check_function(&name, args);
                    return Ok(None);
                }
                if matches!(name.as_str(), "true" | "false" | "null") {
                    return Ok(None);
                }
                Ok(Some(vec![name]))
            }
            Some(Token::Punct(p)) => Err(format!("`{p}` cannot start a value")),
            None => Err("the expression ends too soon".to_owned()),
        }
    }

    fn check_function(&mut self, name: &str, args: usize) {
        match FUNCTIONS.iter().find(|(f, _, _)| f.eq_ignore_ascii_case(name)) {
            None => self.problems.push(Problem::Function {
                name: name.to_owned(),
                message: format!("{name}() is not a GitHub Actions expression function"),
            }),
            Some((f, min, max)) if args < *min || args > *max => self.problems.push(Problem::Function {
                name: name.to_owned(),
                message: format!(
                    "{f}() takes {} argument{}, not {args}",
                    if min == max { min.to_string() } else { format!("at least {min}") },
                    if *min == 1 && min == max { "" } else { "s" }
                ),
            }),
            Some(_) => {}
        }
    }

    /// `names` is a context and the properties read from it.
    fn check_context(&mut self, names: &[String]) {
        let context = names[0].to_ascii_lowercase();
        let bad = |message: String| Problem::Context { needle: names.join("."), message };
        if !CONTEXTS.contains(&context.as_str()) {
            self.problems.push(bad(format!("`{}` is not a context (GitHub has {})", names[0], CONTEXTS.join(", "))));
            return;
        }
        let property = names.get(1).map(|p| p.to_ascii_lowercase());
        let known: Option<&[&str]> = match context.as_str() {
            "github" => Some(&GITHUB),
            "runner" => Some(&RUNNER),
            "strategy" => Some(&STRATEGY),
            "job" => Some(&JOB),
            _ => None,
        };
        if let (Some(known), Some(p)) = (known, &property)
            && !known.contains(&p.as_str())
        {
            self.problems.push(bad(format!("`{context}` has no property `{}`", names[1])));
            return;
        }
        let third = names.get(2).map(|p| p.to_ascii_lowercase());
        let allowed: &[&str] = match context.as_str() {
            "steps" => &["outputs", "conclusion", "outcome"],
            "needs" => &["outputs", "result"],
            _ => return,
        };
        if let Some(t) = &third
            && !allowed.contains(&t.as_str())
        {
            self.problems.push(bad(format!(
                "`{context}.{}` has no property `{}` (only {})",
                names[1],
                names[2],
                allowed.join(", ")
            )));
        }
    }
}

/// The problems of one expression (the text inside `${{ }}`, or a bare `if:`).
pub fn check_expression(expression: &str) -> Vec<Problem> {
    let tokens = match tokens(expression) {
        Ok(t) => t,
        Err(message) => return vec![Problem::Context { needle: expression.to_owned(), message }],
    };
    if tokens.is_empty() {
        return vec![Problem::Context { needle: "${{".to_owned(), message: "the expression is empty".to_owned() }];
    }
    let mut p = Parser { tokens: &tokens, at: 0, problems: Vec::new() };
    match p.binary(0) {
        Ok(()) if p.at == tokens.len() => p.problems,
        Ok(()) => {
            p.problems.push(Problem::Context {
                needle: expression.to_owned(),
                message: "the expression goes on after a complete value (an operator is missing)".to_owned(),
            });
            p.problems
        }
        Err(message) => {
            p.problems.push(Problem::Context { needle: expression.to_owned(), message });
            p.problems
        }
    }
}

static STEP_OR_JOB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^A-Za-z0-9_.])(steps|needs)\.([A-Za-z_][A-Za-z0-9_-]*)").expect("a valid pattern")
});

/// `steps.<id>` that no step of the job has, and `needs.<id>` the job does not need.
fn unknown_steps_and_needs(job: Option<&Yaml>, expression: &str) -> Vec<Problem> {
    let Some(job) = job else { return Vec::new() };
    let step_ids: Vec<&str> = job
        .get("steps")
        .and_then(Yaml::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("id").and_then(Yaml::as_str))
        .collect();
    let needs: Vec<&str> = match job.get("needs") {
        Some(Yaml::String(n)) => vec![n.as_str()],
        Some(Yaml::Sequence(seq)) => seq.iter().filter_map(Yaml::as_str).collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for c in STEP_OR_JOB.captures_iter(expression) {
        let (Some(context), Some(id)) = (c.get(1), c.get(2)) else { continue };
        let (context, id) = (context.as_str(), id.as_str());
        let known = if context == "steps" { step_ids.contains(&id) } else { needs.contains(&id) };
        if !known {
            let message = if context == "steps" {
                format!("no step of this job has `id: {id}`, so `steps.{id}` is always empty")
            } else {
                format!("the job does not list {id} in `needs:`, so `needs.{id}` is always empty")
            };
            out.push(Problem::Context { needle: format!("{context}.{id}"), message });
        }
    }
    out
}

/// SG-WF-020 and SG-WF-021 on every expression of the workflow.
pub(super) fn check_all(lint: &mut Lint) {
    let mut all = Vec::new();
    strings(&lint.w.doc, Vec::new(), &mut all);
    let mut found: Vec<(&str, Position, Option<String>, String, String)> = Vec::new();
    for (path, s) in all {
        let bare_if = matches!(path.last(), Some(Segment::Key(k)) if k == "if") && !s.contains("${{");
        let expressions: Vec<(&str, &str)> = if bare_if {
            vec![(s, s)]
        } else {
            expressions::interpolations(s).into_iter().map(|i| (i.text, i.expression)).collect()
        };
        // Only a job's steps and `if:` see its steps and needs; its outputs are read after it.
        let job = job_of(&path).and_then(|j| lint.w.doc.get("jobs").and_then(|jobs| jobs.get(j.as_str())));
        let in_scope = matches!(path.get(2), Some(Segment::Key(k)) if k == "steps" || k == "if" || k == "outputs");
        for (text, expression) in expressions {
            let mut problems = check_expression(expression);
            if in_scope && problems.is_empty() {
                problems = unknown_steps_and_needs(job, expression);
            }
            for problem in problems {
                let (id, needle, message, fix) = match problem {
                    Problem::Function { name, message } => (
                        "SG-WF-020",
                        format!("{name}("),
                        format!("{message}: GitHub rejects the workflow before the job runs"),
                        if name.eq_ignore_ascii_case("upper") || name.eq_ignore_ascii_case("lower") {
                            "GitHub has no case functions, and needs none here: secret names are not case-sensitive, so `secrets[format('AWS_ROLE_{0}', x)]` finds AWS_ROLE_DEV for dev".to_owned()
                        } else {
                            format!("use one of {}", FUNCTIONS.iter().map(|f| f.0).collect::<Vec<_>>().join(", "))
                        },
                    ),
                    Problem::Context { needle, message } => (
                        "SG-WF-021",
                        needle,
                        format!("`{text}`: {message}"),
                        "read a documented context and property, with the expression syntax of GitHub Actions"
                            .to_owned(),
                    ),
                };
                let at = lint.w.map.find(&path, &needle, 0).unwrap_or_else(|| lint.w.map.locate(&path, text, 0));
                found.push((id, at, job_of(&path), message, fix));
            }
        }
    }
    for (id, at, job, message, fix) in found {
        lint.push(id, at, job.as_deref(), message, fix);
    }
}
