//! Reading one input file: too large, unreadable and non-UTF-8 files are findings, not errors.

use std::fs;
use std::io::Read;
use std::path::Path;

use super::diagnostic::{Diagnostic, LineIndex, RuleId};

/// Larger inputs are refused unread: a table definition, an item schema, an environment file
/// or an email template is a few kilobytes, and SES refuses messages over 10 MB anyway.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The rule IDs a kind of file reports its reading problems under.
#[derive(Debug, Clone, Copy)]
pub struct FileRules {
    pub unreadable: RuleId,
    pub too_large: RuleId,
    pub not_utf8: RuleId,
}

pub const JSON_FILE: FileRules =
    FileRules { unreadable: "R01/unreadable", too_large: "R01/too-large", not_utf8: "R01/not-utf8" };
pub const ENVIRONMENT_FILE: FileRules =
    FileRules { unreadable: "R03/unreadable", too_large: "R03/too-large", not_utf8: "R03/not-utf8" };
pub const TEMPLATE_FILE: FileRules =
    FileRules { unreadable: "R07/unreadable", too_large: "R07/too-large", not_utf8: "R07/not-utf8" };

/// One file's text, and its path relative to the repo root.
#[derive(Debug, Clone)]
pub struct Source {
    pub rel: String,
    pub text: String,
}

impl Source {
    /// Reads `root/rel`.
    pub fn read(root: &Path, rel: &str, rules: FileRules) -> Result<Source, Box<Diagnostic>> {
        let path = root.join(rel);
        let unreadable = |e: std::io::Error| {
            Box::new(Diagnostic::new(
                rel,
                rules.unreadable,
                format!("cannot read the file: {e}"),
                "check its permissions",
            ))
        };
        // A FIFO or device would block or never end; only regular files are read.
        if !fs::metadata(&path).map_err(unreadable)?.is_file() {
            return Err(Box::new(Diagnostic::new(
                rel,
                rules.unreadable,
                "not a regular file",
                "replace it with a file",
            )));
        }
        let file = fs::File::open(&path).map_err(unreadable)?;
        let mut bytes = Vec::new();
        // Read one byte past the limit, so a file growing while read is still caught.
        file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(unreadable)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            let size = fs::metadata(&path).map(|m| m.len()).unwrap_or(bytes.len() as u64);
            return Err(Box::new(Diagnostic::new(
                rel,
                rules.too_large,
                format!("the file is {size} bytes, over the limit of {MAX_FILE_BYTES}"),
                "split it or remove generated content; inputs this large are not hand-written configuration",
            )));
        }
        Self::from_bytes(rel, bytes, rules)
    }

    /// Decodes bytes read from `rel`.
    pub fn from_bytes(rel: &str, bytes: Vec<u8>, rules: FileRules) -> Result<Source, Box<Diagnostic>> {
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Source { rel: rel.to_owned(), text }),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                // Everything before the bad byte is valid UTF-8, so its position is exact.
                let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
                let (line, column) = LineIndex::new(prefix).position(valid);
                Err(Box::new(
                    Diagnostic::new(
                        rel,
                        rules.not_utf8,
                        format!("byte 0x{:02X} at offset {valid} is not UTF-8", bytes[valid]),
                        "save the file as UTF-8",
                    )
                    .at(line, column),
                ))
            }
        }
    }

    pub fn has_bom(&self) -> bool {
        self.text.starts_with('\u{feff}')
    }

    /// The text without a leading byte order mark.
    pub fn body(&self) -> &str {
        self.text.strip_prefix('\u{feff}').unwrap_or(&self.text)
    }
}
