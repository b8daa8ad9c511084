//! git, run as a subprocess without a shell: every command stagegate gives it goes through
//! here, so arguments are never interpreted and failures always name the repo and command.

use std::path::Path;
use std::process::Command;

/// The identity stagegate commits with in its own scratch checkouts.
const BOT_IDENTITY: [&str; 6] =
    ["-c", "user.name=stagegate", "-c", "user.email=stagegate@localhost", "-c", "commit.gpgsign=false"];

#[derive(Debug, thiserror::Error)]
#[error("{repo}: git {args} failed: {detail}")]
pub struct GitError {
    pub repo: String,
    pub args: String,
    pub detail: String,
}

/// Runs `git -C repo args...` and returns its standard output.
pub fn run(repo: &Path, args: &[&str]) -> Result<String, GitError> {
    run_with(Command::new("git"), repo, args)
}

/// [`run`] with `who` as the committer (and so the author of an annotated tag).
pub fn run_as(repo: &Path, args: &[&str], who: &str) -> Result<String, GitError> {
    let mut cmd = Command::new("git");
    cmd.env("GIT_COMMITTER_NAME", who).env("GIT_COMMITTER_EMAIL", format!("{who}@users.noreply.github.com"));
    run_with(cmd, repo, args)
}

/// [`run`] as stagegate's own identity, for commits in scratch checkouts.
pub fn run_as_bot(repo: &Path, args: &[&str]) -> Result<String, GitError> {
    let mut cmd = Command::new("git");
    cmd.args(BOT_IDENTITY);
    run_with(cmd, repo, args)
}

fn run_with(mut cmd: Command, repo: &Path, args: &[&str]) -> Result<String, GitError> {
    let fail = |detail: String| GitError { repo: repo.display().to_string(), args: args.join(" "), detail };
    let out = cmd.arg("-C").arg(repo).args(args).output().map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The commit checked out in a repo (`git rev-parse HEAD`); none outside a git repo.
pub fn current_commit(repo: &Path) -> Option<String> {
    run(repo, &["rev-parse", "HEAD"]).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// When `commit` landed: git's committer date (the merge commit's, for a merge).
pub fn committed_at(repo: &Path, commit: &str) -> Option<jiff::Timestamp> {
    if commit.is_empty() {
        return None;
    }
    run(repo, &["show", "--no-patch", "--format=%cI", commit, "--"]).ok()?.trim().parse().ok()
}

/// The commit a tag points at.
pub fn tag_commit(repo: &Path, tag: &str) -> Result<String, GitError> {
    Ok(run(repo, &["rev-list", "-n", "1", tag])?.trim().to_owned())
}

/// Commits every change in the working tree as stagegate; returns the new commit.
pub fn commit_all(repo: &Path, message: &str) -> Result<String, GitError> {
    run_as_bot(repo, &["commit", "--quiet", "--all", "--no-verify", "--message", message])?;
    Ok(current_commit(repo).unwrap_or_default())
}

/// Makes `dir` a new repo on `main` whose one commit holds every file already in it.
pub fn init_with_everything(dir: &Path, message: &str) -> Result<(), GitError> {
    run_as_bot(dir, &["init", "--quiet", "--initial-branch=main"])?;
    run_as_bot(dir, &["add", "--all"])?;
    run_as_bot(dir, &["commit", "--quiet", "--no-verify", "--message", message])?;
    Ok(())
}

/// A detached worktree of `repo` at `commit`, removed (with its directory) on drop.
#[derive(Debug)]
pub struct Worktree {
    repo: std::path::PathBuf,
    dir: tempfile::TempDir,
}

impl Worktree {
    pub fn add(repo: &Path, commit: &str) -> Result<Worktree, GitError> {
        let dir = tempfile::tempdir().map_err(|e| GitError {
            repo: repo.display().to_string(),
            args: "worktree add".into(),
            detail: format!("a scratch directory: {e}"),
        })?;
        let path = dir.path().join("tree");
        let path_text = path.display().to_string();
        run(repo, &["worktree", "add", "--detach", "--quiet", &path_text, commit])?;
        Ok(Worktree { repo: repo.to_path_buf(), dir })
    }

    pub fn root(&self) -> std::path::PathBuf {
        self.dir.path().join("tree")
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let root = self.root().display().to_string();
        let _ = run(&self.repo, &["worktree", "remove", "--force", &root]);
    }
}
