//! `aws_s3_object`: the templates (`templates/*.html`) uploaded to the templates bucket. Their
//! desired form carries the body and its MD5 (compared as the ETag); apply checks the body
//! is still the one planned; the invariant reads each back byte for byte (R39).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use md5::{Digest, Md5};
use serde_json::{Value, json};

use crate::aws::AwsClients;
use crate::aws::describe_sdk;
use crate::foundation::config::ConfigError;
use crate::resources::vocabulary::{Action, Check, DesiredError, LiveError, Resource, ResourceChange, check, live_err};
use crate::resources::{sdk, status_is};

pub const OBJECT: &str = "aws_s3_object";
pub const KINDS: [&str; 1] = [OBJECT];

/// Every template of the repo, as an object of `bucket`.
pub fn desired(root: &Path, bucket: &str) -> Result<Vec<Resource>, DesiredError> {
    let dir = root.join("templates");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map_err(|e| {
            DesiredError::Config(ConfigError::Unreadable { path: dir.display().to_string(), reason: e.to_string() })
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    files.sort();
    let mut resources = Vec::new();
    for path in files {
        let body = fs::read(&path).map_err(|e| {
            DesiredError::Config(ConfigError::Unreadable { path: path.display().to_string(), reason: e.to_string() })
        })?;
        let key = path.file_name().expect("a file").to_string_lossy().into_owned();
        resources.push(Resource {
            kind: OBJECT,
            name: key.clone(),
            attributes: BTreeMap::from([
                ("bucket".into(), json!(bucket)),
                ("key".into(), json!(key)),
                ("content_type".into(), json!("text/html; charset=utf-8")),
                ("etag".into(), json!(hex::encode(Md5::digest(&body)))),
            ]),
            body: Some(body),
        });
    }
    Ok(resources)
}

/// A template object as stored, or `None`.
pub async fn read(clients: &AwsClients, bucket: &str, key: &str) -> Result<Option<Resource>, LiveError> {
    let head = match clients.s3.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => out,
        Err(e) if status_is(&e, 404) => return Ok(None),
        Err(e) => return Err(live_err(key, "HeadObject", describe_sdk(&e))),
    };
    let etag = head.e_tag().unwrap_or_default().trim_matches('"').to_owned();
    Ok(Some(Resource {
        kind: OBJECT,
        name: key.to_owned(),
        attributes: BTreeMap::from([
            ("bucket".into(), json!(bucket)),
            ("key".into(), json!(key)),
            ("content_type".into(), json!(head.content_type().unwrap_or_default())),
            ("etag".into(), json!(etag)),
        ]),
        body: None,
    }))
}

/// Why a planned template body cannot be uploaded.
#[derive(Debug)]
pub enum BodyError {
    Unreadable {
        path: String,
        reason: String,
    },
    /// The file changed since the plan was made.
    Changed {
        path: String,
        actual: String,
        planned: String,
    },
}

/// The body a planned create or update uploads, read from the repo and checked against the
/// planned MD5; `None` for any other change.
pub fn planned_body(r: &ResourceChange, repo_root: &Path) -> Result<Option<Vec<u8>>, BodyError> {
    if r.kind != OBJECT || !matches!(r.action, Action::Create | Action::Update) {
        return Ok(None);
    }
    let path = repo_root.join("templates").join(&r.name);
    let body = fs::read(&path)
        .map_err(|e| BodyError::Unreadable { path: path.display().to_string(), reason: e.to_string() })?;
    let actual = hex::encode(Md5::digest(&body));
    let planned = r.after.get("etag").and_then(Value::as_str).unwrap_or_default().to_owned();
    if actual != planned {
        return Err(BodyError::Changed { path: path.display().to_string(), actual, planned });
    }
    Ok(Some(body))
}

/// Carries out one planned change of a template; `bodies` holds the planned bodies by key.
pub async fn apply(
    clients: &AwsClients,
    r: &ResourceChange,
    bodies: &BTreeMap<String, Vec<u8>>,
    ops: &mut crate::resources::OpLog,
) -> Result<(), String> {
    let bucket = r.after.get("bucket").and_then(Value::as_str).unwrap_or_default();
    let key = &r.name;
    match r.action {
        Action::Create | Action::Update | Action::Replace => {
            let body = bodies.get(key).ok_or_else(|| format!("{}: no body planned", r.address))?;
            let content_type = r.after.get("content_type").and_then(Value::as_str).unwrap_or("text/html");
            clients
                .s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type(content_type)
                .body(ByteStream::from(body.clone()))
                .send()
                .await
                .map_err(sdk("PutObject", key))?;
            ops.push(format!("PutObject {key}"));
        }
        Action::Delete => {
            clients.s3.delete_object().bucket(bucket).key(key).send().await.map_err(sdk("DeleteObject", key))?;
            ops.push(format!("DeleteObject {key}"));
        }
        Action::NoOp => {}
    }
    Ok(())
}

/// The invariant of a deployed template (R39): it reads back byte-identical to the repo's.
pub async fn invariants(clients: &AwsClients, want: &Resource, got: Option<&Resource>) -> Check {
    let key = &want.name;
    let bucket = want.attributes["bucket"].as_str().unwrap_or_default();
    let same = match (got, &want.body) {
        (Some(_), Some(body)) => matches(clients, bucket, key, body).await,
        _ => Err("missing".to_owned()),
    };
    match same {
        Ok(()) => check("R39", format!("template {key}"), true, "uploaded and reads back byte-identical"),
        Err(why) => check("R39", format!("template {key}"), false, why),
    }
}

async fn matches(clients: &AwsClients, bucket: &str, key: &str, body: &[u8]) -> Result<(), String> {
    let got = clients.s3.get_object().bucket(bucket).key(key).send().await.map_err(|e| describe_sdk(&e))?;
    let bytes = got.body.collect().await.map_err(|e| e.to_string())?.into_bytes();
    if bytes.as_ref() == body {
        Ok(())
    } else {
        Err(format!("reads back {} bytes that differ from the repo's {}", bytes.len(), body.len()))
    }
}
