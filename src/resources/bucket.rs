//! `aws_s3_bucket` and its parts (`aws_s3_bucket_versioning`, `..._public_access_block`,
//! `..._server_side_encryption_configuration`, tags on the bucket itself): the templates
//! bucket's desired form from the environment file, its live read, apply, invariants (R38)
//! and price lines.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_s3::types::{Tag as S3Tag, Tagging};
use serde_json::{Value, json};

use crate::aws::describe_sdk;
use crate::aws::{AwsClients, bucket_settings, bucket_versioning_status};
use crate::foundation::config::EnvironmentFile;
use crate::resources::price::{Priced, ResourceUsage, S3Prices};
use crate::resources::vocabulary::{
    Action, Check, DesiredError, LiveError, Resource, ResourceChange, check, live_err, unsupported,
};
use crate::resources::{sdk, status_is, tags_of};

pub const BUCKET: &str = "aws_s3_bucket";
pub const BUCKET_VERSIONING: &str = "aws_s3_bucket_versioning";
pub const BUCKET_PUBLIC_ACCESS_BLOCK: &str = "aws_s3_bucket_public_access_block";
pub const BUCKET_ENCRYPTION: &str = "aws_s3_bucket_server_side_encryption_configuration";
/// The bucket first: its parts need it to exist.
pub const KINDS: [&str; 4] = [BUCKET, BUCKET_VERSIONING, BUCKET_PUBLIC_ACCESS_BLOCK, BUCKET_ENCRYPTION];

const PUBLIC_ACCESS_FLAGS: [&str; 4] =
    ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];

/// The templates bucket and its parts as the environment file asks for them.
pub fn desired(root: &Path, vars: &EnvironmentFile) -> Result<Vec<Resource>, DesiredError> {
    desired_copy(root, vars, &vars.templates_bucket_name, None)
}

/// A bucket named `bucket` with the templates bucket's settings, in `region` when that is not
/// the environment's (R58: the DR copy, which records its region).
pub fn desired_copy(
    root: &Path,
    vars: &EnvironmentFile,
    bucket: &str,
    region: Option<&str>,
) -> Result<Vec<Resource>, DesiredError> {
    let bucket = &bucket.to_owned();
    let mut tags = vars.tags.clone();
    tags.insert("Component".into(), "2_1_bbws_s3_schemas/templates".into());
    // Secure unless the environment file overrides it (and `stagegate scan` flags that).
    let versioning = if vars.templates_bucket_versioning == Some(false) { "Suspended" } else { "Enabled" };
    let algorithm = vars.templates_bucket_encryption.clone().unwrap_or_else(|| "AES256".into());
    if !matches!(algorithm.as_str(), "AES256" | "aws:kms") {
        return Err(unsupported(
            &root.join("environments"),
            format!("templates_bucket_encryption = {algorithm:?}: stagegate applies \"AES256\" or \"aws:kms\""),
        ));
    }
    let overrides = vars.templates_bucket_public_access_block.clone().unwrap_or_default();
    if let Some(unknown) = overrides.keys().find(|k| !PUBLIC_ACCESS_FLAGS.contains(&k.as_str())) {
        return Err(unsupported(
            &root.join("environments"),
            format!("templates_bucket_public_access_block: unknown flag {unknown}"),
        ));
    }
    let public_access_block: BTreeMap<String, Value> = PUBLIC_ACCESS_FLAGS
        .iter()
        .map(|f| (f.to_string(), json!(overrides.get(*f).copied().unwrap_or(true))))
        .collect();
    let part = |kind, mut attributes: BTreeMap<String, Value>| {
        if let Some(region) = region {
            attributes.insert(crate::resources::dr::REGION.into(), json!(region));
        }
        Resource { kind, name: bucket.clone(), attributes, body: None }
    };
    Ok(vec![
        part(BUCKET, BTreeMap::from([("bucket".into(), json!(bucket)), ("tags".into(), json!(tags))])),
        part(BUCKET_VERSIONING, BTreeMap::from([("status".into(), json!(versioning))])),
        part(BUCKET_PUBLIC_ACCESS_BLOCK, public_access_block),
        part(BUCKET_ENCRYPTION, BTreeMap::from([("sse_algorithm".into(), json!(algorithm))])),
    ])
}

/// One part of the templates bucket (the bucket with its tags, versioning, public access
/// block, encryption); `None` when absent. moto answers 404 for a public access block or an
/// encryption configuration never set, where AWS answers defaults: absent either way.
pub async fn read(clients: &AwsClients, kind: &'static str, bucket: &str) -> Result<Option<Resource>, LiveError> {
    let s3 = &clients.s3;
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => {}
        Err(e) if status_is(&e, 404) => return Ok(None),
        Err(e) => return Err(live_err(bucket, "HeadBucket", describe_sdk(&e))),
    }
    let resource = |attributes: BTreeMap<String, serde_json::Value>| {
        Some(Resource { kind, name: bucket.to_owned(), attributes, body: None })
    };
    Ok(match kind {
        BUCKET => {
            let tags: BTreeMap<String, String> = match s3.get_bucket_tagging().bucket(bucket).send().await {
                Ok(out) => out.tag_set().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect(),
                Err(e) if status_is(&e, 404) => BTreeMap::new(),
                Err(e) => return Err(live_err(bucket, "GetBucketTagging", describe_sdk(&e))),
            };
            resource(BTreeMap::from([("bucket".into(), json!(bucket)), ("tags".into(), json!(tags))]))
        }
        BUCKET_VERSIONING => {
            let status =
                bucket_versioning_status(s3, bucket).await.map_err(|d| live_err(bucket, "GetBucketVersioning", d))?;
            status.and_then(|s| resource(BTreeMap::from([("status".into(), json!(s))])))
        }
        BUCKET_PUBLIC_ACCESS_BLOCK => match s3.get_public_access_block().bucket(bucket).send().await {
            Ok(out) => {
                let c = out.public_access_block_configuration();
                let flag = |v: Option<bool>| json!(v == Some(true));
                resource(BTreeMap::from([
                    ("block_public_acls".into(), flag(c.and_then(|c| c.block_public_acls()))),
                    ("block_public_policy".into(), flag(c.and_then(|c| c.block_public_policy()))),
                    ("ignore_public_acls".into(), flag(c.and_then(|c| c.ignore_public_acls()))),
                    ("restrict_public_buckets".into(), flag(c.and_then(|c| c.restrict_public_buckets()))),
                ]))
            }
            Err(e) if status_is(&e, 404) => None,
            Err(e) => return Err(live_err(bucket, "GetPublicAccessBlock", describe_sdk(&e))),
        },
        BUCKET_ENCRYPTION => match s3.get_bucket_encryption().bucket(bucket).send().await {
            Ok(out) => {
                let algorithm = out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_owned());
                algorithm.and_then(|a| resource(BTreeMap::from([("sse_algorithm".into(), json!(a))])))
            }
            Err(e) if status_is(&e, 404) => None,
            Err(e) => return Err(live_err(bucket, "GetBucketEncryption", describe_sdk(&e))),
        },
        _ => None,
    })
}

/// Carries out one planned change of the bucket or one of its parts.
pub async fn apply(clients: &AwsClients, r: &ResourceChange, ops: &mut crate::resources::OpLog) -> Result<(), String> {
    let s3 = &clients.s3;
    let bucket = &r.name;
    if r.action == Action::Delete {
        // Only a DR copy is ever deleted (`removable`); its parts go with it.
        return if r.kind == BUCKET { delete(clients, bucket, ops).await } else { Ok(()) };
    }
    match r.kind.as_str() {
        BUCKET => {
            if r.action == Action::Create {
                s3.create_bucket()
                    .bucket(bucket)
                    .set_create_bucket_configuration(bucket_settings::location(&clients.region))
                    .send()
                    .await
                    .map_err(sdk("CreateBucket", bucket))?;
                ops.push(format!("CreateBucket {bucket}"));
            }
            let tags: Vec<S3Tag> = tags_of(&r.after)
                .into_iter()
                .map(|(k, v)| S3Tag::builder().key(k).value(v).build().expect("key and value set"))
                .collect();
            s3.put_bucket_tagging()
                .bucket(bucket)
                .tagging(Tagging::builder().set_tag_set(Some(tags)).build().expect("tag set"))
                .send()
                .await
                .map_err(sdk("PutBucketTagging", bucket))?;
            ops.push(format!("PutBucketTagging {bucket}"));
        }
        BUCKET_VERSIONING => {
            s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(bucket_settings::versioning(
                    r.after.get("status").and_then(Value::as_str).unwrap_or("Enabled"),
                ))
                .send()
                .await
                .map_err(sdk("PutBucketVersioning", bucket))?;
            ops.push(format!("PutBucketVersioning {bucket}"));
        }
        BUCKET_PUBLIC_ACCESS_BLOCK => {
            let on = |k: &str| r.after.get(k) == Some(&Value::Bool(true));
            let flags = [
                on("block_public_acls"),
                on("ignore_public_acls"),
                on("block_public_policy"),
                on("restrict_public_buckets"),
            ];
            s3.put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(bucket_settings::public_access_block(flags))
                .send()
                .await
                .map_err(sdk("PutPublicAccessBlock", bucket))?;
            ops.push(format!("PutPublicAccessBlock {bucket}"));
        }
        BUCKET_ENCRYPTION => {
            s3.put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(bucket_settings::encryption(
                    r.after.get("sse_algorithm").and_then(Value::as_str).unwrap_or("AES256"),
                ))
                .send()
                .await
                .map_err(sdk("PutBucketEncryption", bucket))?;
            ops.push(format!("PutBucketEncryption {bucket}"));
        }
        other => return Err(format!("{}: unknown resource type {other}", r.address)),
    }
    Ok(())
}

/// Deletes a bucket with every version of every object in it.
async fn delete(clients: &AwsClients, bucket: &str, ops: &mut crate::resources::OpLog) -> Result<(), String> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let s3 = &clients.s3;
    loop {
        let listed =
            s3.list_object_versions().bucket(bucket).send().await.map_err(sdk("ListObjectVersions", bucket))?;
        let versions = listed.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = listed.delete_markers().iter().map(|m| (m.key(), m.version_id()));
        let ids: Vec<ObjectIdentifier> = versions
            .chain(markers)
            .filter_map(|(key, version)| {
                ObjectIdentifier::builder()
                    .set_key(key.map(str::to_owned))
                    .set_version_id(version.map(str::to_owned))
                    .build()
                    .ok()
            })
            .collect();
        if ids.is_empty() {
            break;
        }
        let n = ids.len();
        let batch = Delete::builder().set_objects(Some(ids)).quiet(true).build().expect("objects set");
        s3.delete_objects().bucket(bucket).delete(batch).send().await.map_err(sdk("DeleteObjects", bucket))?;
        ops.push(format!("DeleteObjects {bucket} ({n} versions)"));
    }
    s3.delete_bucket().bucket(bucket).send().await.map_err(sdk("DeleteBucket", bucket))?;
    ops.push(format!("DeleteBucket {bucket}"));
    Ok(())
}

/// The invariants of the deployed bucket (R38): it exists, versioning is enabled, default
/// encryption is on and all four public access block flags are on.
pub fn invariants(want: &Resource, got: Option<&Resource>) -> Check {
    if want.kind == BUCKET {
        return check(
            "R38",
            format!("bucket {}", want.name),
            got.is_some(),
            if got.is_some() { "exists" } else { "missing" },
        );
    }
    let (name, ok, detail) = match want.kind {
        BUCKET_VERSIONING => (
            "versioning",
            got.is_some_and(|g| g.attributes.get("status") == Some(&Value::String("Enabled".into()))),
            "enabled",
        ),
        BUCKET_ENCRYPTION => ("default encryption", got.is_some(), "on"),
        _ => {
            let all = got
                .is_some_and(|g| PUBLIC_ACCESS_FLAGS.iter().all(|f| g.attributes.get(*f) == Some(&Value::Bool(true))));
            ("public access block", all, "all four flags on")
        }
    };
    check(
        "R38",
        format!("bucket {} {name}", want.name),
        ok,
        if ok { detail.to_owned() } else { format!("not {detail}") },
    )
}

/// The bucket's monthly price: storage and requests; uploading the `objects` templates is a
/// known number of PUTs each deployment makes, added to the usage's.
pub fn price_lines(p: &S3Prices, u: &ResourceUsage, objects: usize) -> Priced {
    let s = u.standard.clone().unwrap_or_default();
    let mut priced = Priced::default();
    priced.add("Standard storage", s.storage_gb, "GB", p.standard_storage_gb_month, 1.0);
    let puts = s.monthly_tier_1_requests.unwrap_or(0.0) + objects as f64;
    priced.add("PUT, COPY, POST, LIST requests", Some(puts), "requests", p.tier_1_requests_per_thousand, 1000.0);
    priced.add("GET and other requests", s.monthly_tier_2_requests, "requests", p.tier_2_requests_per_thousand, 1000.0);
    priced
}
