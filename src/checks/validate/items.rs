//! R02's item half: a table's JSON Schema for its items compiles, and the sample items beside
//! the definition validate against it with the key attributes typed as declared.

use super::json::{JsonDocument, JsonPath};
use super::source::{self, Source};
use super::table::{Check, SAMPLE_ITEMS, rule};
use std::collections::BTreeMap;
use std::path::Path;

/// The item schema compiles (draft 2020-12) and the sample items beside the table validate
/// against it and carry the key attributes with their declared types.
pub(super) fn item_schema(
    c: &mut Check<'_, '_>,
    root: &Path,
    file: &str,
    at: &JsonPath,
    declared: &BTreeMap<String, (String, JsonPath)>,
    keys: &[(String, JsonPath)],
) {
    let dir = c.rel.rsplit_once('/').map_or("", |(d, _)| d);
    let join = |name: &str| if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") };
    let schema_rel = join(file);
    if file.contains("..") || file.starts_with('/') || !root.join(&schema_rel).is_file() {
        c.push(
            rule::ITEM_SCHEMA,
            at,
            format!("item schema {schema_rel} does not exist"),
            "write it beside table.json, or fix the path",
        );
        return;
    }
    let source = match Source::read(root, &schema_rel, source::JSON_FILE) {
        Ok(s) => s,
        Err(d) => {
            c.findings.push(*d);
            return;
        }
    };
    // Syntax problems of the schema file are reported when it is checked as a JSON file itself.
    let Some(schema) = JsonDocument::parse(&source, &mut Vec::new()) else { return };
    let validator = match jsonschema::draft202012::new(&schema.value) {
        Ok(v) => v,
        Err(e) => {
            let path = pointer_path(e.instance_path().as_str());
            c.findings.push(schema.finding(
                &schema_rel,
                rule::ITEM_SCHEMA,
                &path,
                format!("the item schema does not compile as draft 2020-12: {e}"),
                "fix the schema keyword at that path",
            ));
            return;
        }
    };
    let items_rel = join(SAMPLE_ITEMS);
    if !root.join(&items_rel).is_file() {
        c.push(
            rule::SAMPLE_ITEM,
            at,
            format!("no {items_rel} to test the item schema with"),
            "add a JSON array of sample items",
        );
        return;
    }
    let items_source = match Source::read(root, &items_rel, source::JSON_FILE) {
        Ok(s) => s,
        Err(_) => return, // reported when the file is checked as JSON
    };
    let Some(items) = JsonDocument::parse(&items_source, &mut Vec::new()) else { return };
    let Some(list) = items.value.as_array() else {
        c.findings.push(items.finding(
            &items_rel,
            rule::SAMPLE_ITEM,
            &JsonPath::root(),
            "sample items must be a JSON array",
            "wrap the items in [ ]",
        ));
        return;
    };
    for (i, item) in list.iter().enumerate() {
        let ip = JsonPath::root().index(i);
        for error in validator.iter_errors(item) {
            let path = ip.clone().join(&pointer_path(error.instance_path().as_str()));
            c.findings.push(items.finding(
                &items_rel,
                rule::SAMPLE_ITEM,
                &path,
                format!("item {i} does not match {schema_rel}: {error}"),
                "fix the item or the schema",
            ));
        }
        for (name, _) in keys {
            let expected = declared.get(name).map_or("", |(t, _)| t.as_str());
            let ok = match (item.get(name), expected) {
                (None, _) => false,
                (Some(v), "N") => v.is_number(),
                (Some(v), _) => v.is_string(),
            };
            if !ok {
                c.findings.push(items.finding(
                    &items_rel,
                    rule::SAMPLE_ITEM,
                    &ip.key(name),
                    format!("item {i} lacks key attribute {name:?} of type {expected}"),
                    "every item carries the table's and its indexes' key attributes",
                ));
            }
        }
    }
}

/// `/properties/a/0` as a JSON path.
fn pointer_path(pointer: &str) -> JsonPath {
    let mut path = JsonPath::root();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        path = match part.parse::<usize>() {
            Ok(i) => path.index(i),
            Err(_) => path.key(&part),
        };
    }
    path
}
