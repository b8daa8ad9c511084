//! A user's infra repo: where the components (and later the schemas, templates, environment
//! files and pipeline policy) come from.

use std::fs;
use std::path::{Path, PathBuf};

use crate::foundation::component::Component;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("--repo {path}: cannot read the directory: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("--repo {path}: not an infra repo (no pipeline.yml and no schemas/ directory)")]
    NotARepo { path: String },
    #[error("{path}: {reason}")]
    BadComponent { path: String, reason: String },
}

/// R66: names the infra repo the conformance suite's repo-agnostic scenarios (tagged
/// `@any-repo`) run on, in place of the sample repo; the other scenarios pin stagegate's own
/// behaviour on the sample and are left out (and counted) while it is set.
pub const REPO_UNDER_TEST_VAR: &str = "STAGEGATE_REPO";

/// An infra repo on disk.
#[derive(Debug, Clone)]
pub struct Repo {
    root: PathBuf,
}

impl Repo {
    /// Opens `dir`, refusing what is not a readable infra repo.
    pub fn open(dir: &Path) -> Result<Repo, RepoError> {
        let unreadable = |reason: String| RepoError::Unreadable { path: dir.display().to_string(), reason };
        let meta = fs::metadata(dir).map_err(|e| unreadable(e.to_string()))?;
        if !meta.is_dir() {
            return Err(unreadable("not a directory".into()));
        }
        fs::read_dir(dir).map_err(|e| unreadable(e.to_string()))?;
        if !dir.join("pipeline.yml").is_file() && !dir.join("schemas").is_dir() {
            return Err(RepoError::NotARepo { path: dir.display().to_string() });
        }
        Ok(Repo { root: dir.to_path_buf() })
    }

    /// The repo [`REPO_UNDER_TEST_VAR`] names (`None` when it is unset or empty), opened, its
    /// path made absolute and its `pipeline.yml` loaded, or why it cannot be used.
    pub fn under_test() -> Result<Option<Repo>, String> {
        let Some(value) = std::env::var_os(REPO_UNDER_TEST_VAR).filter(|v| !v.is_empty()) else { return Ok(None) };
        let named = PathBuf::from(&value);
        let refused = |reason: String| format!("{REPO_UNDER_TEST_VAR}={}: {reason}", named.display());
        let dir = fs::canonicalize(&named).map_err(|e| refused(e.to_string()))?;
        let repo = Repo::open(&dir).map_err(|e| refused(e.to_string()))?;
        crate::foundation::policy::Pipeline::load(&dir).map_err(|e| refused(e.to_string()))?;
        Ok(Some(repo))
    }

    /// The sample repo shipped with stagegate (`fixtures/repo`).
    pub fn sample_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("repo")
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// One component per table definition directory under `schemas/`, plus the templates
    /// bucket when `templates/` exists (LLD 7.2.2: one state file per component).
    pub fn components(&self) -> Result<Vec<Component>, RepoError> {
        let schemas = self.root.join("schemas");
        let mut components = Vec::new();
        if schemas.is_dir() {
            let entries = fs::read_dir(&schemas)
                .map_err(|e| RepoError::Unreadable { path: schemas.display().to_string(), reason: e.to_string() })?;
            for entry in entries.flatten() {
                if entry.path().is_dir() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let component = Component::table(&name).map_err(|e| RepoError::BadComponent {
                        path: entry.path().display().to_string(),
                        reason: e.to_string(),
                    })?;
                    components.push(component);
                }
            }
        }
        components.sort();
        if self.root.join("templates").is_dir() {
            components.push(Component::templates());
        }
        Ok(components)
    }
}

/// Copies a working tree (without its `.git`) to `to`, creating it.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_name() == ".git" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
