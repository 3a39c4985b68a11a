//! Finding the workspace root while a test runs.
//!
//! Not from this crate's compile-time `CARGO_MANIFEST_DIR`: with one `CARGO_TARGET_DIR` shared by
//! two checkouts, a course-support built for checkout A would read checkout A's files while
//! testing checkout B. Cargo runs every test with its package directory as the current directory
//! and with `CARGO_MANIFEST_DIR` set in the environment, so the run-time values name the tree
//! being tested.

use std::path::{Path, PathBuf};

/// The root of the workspace that the running test belongs to: the nearest directory, from the
/// run-time `CARGO_MANIFEST_DIR` (or the current directory when that is unset) upwards, whose
/// `Cargo.toml` has a `[workspace]` table.
///
/// Panics with the directory it started from if there is none.
pub fn workspace_root() -> PathBuf {
    let start = match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_dir()
            .unwrap_or_else(|e| panic!("cannot read the current directory: {e}")),
    };
    find_workspace_root(&start).unwrap_or_else(|e| panic!("{e}"))
}

/// [`workspace_root`] without the panic, for messages that only want to shorten a path.
pub(crate) fn try_workspace_root() -> Option<PathBuf> {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())?;
    find_workspace_root(&start).ok()
}

/// The nearest ancestor of `start` (itself included) whose `Cargo.toml` declares `[workspace]`.
pub fn find_workspace_root(start: &Path) -> Result<PathBuf, String> {
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        match std::fs::read_to_string(&manifest) {
            Ok(text) if declares_workspace(&text) => return Ok(dir.to_path_buf()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {}: {e}", manifest.display())),
        }
    }
    Err(format!(
        "no Cargo.toml with a [workspace] table in {} or any directory above it: \
         run the tests with cargo from inside the course's checkout",
        start.display()
    ))
}

/// Whether a manifest has a `[workspace]` table (or one of its sub-tables, which imply it).
fn declares_workspace(manifest: &str) -> bool {
    manifest.lines().map(str::trim).any(|line| {
        line.strip_prefix("[workspace")
            .is_some_and(|rest| rest.starts_with(']') || rest.starts_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempTree(PathBuf);

    impl TempTree {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("course-support-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempTree(dir)
        }

        fn write(&self, rel: &str, text: &str) {
            let path = self.0.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    impl Drop for TempTree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn finds_the_workspace_manifest_above_a_package() {
        let tree = TempTree::new("root-finder");
        tree.write("Cargo.toml", "[workspace]\nmembers = [\"a/b\"]\n");
        tree.write("a/b/Cargo.toml", "[package]\nname = \"b\"\n");
        let found = find_workspace_root(&tree.0.join("a/b/tests")).unwrap();
        assert_eq!(found, tree.0, "the package's own Cargo.toml has no [workspace]; its parent's has");
    }

    #[test]
    fn a_workspace_sub_table_counts_and_a_lookalike_does_not() {
        assert!(declares_workspace("[package]\nname = \"x\"\n\n[workspace.dependencies]\n"));
        assert!(declares_workspace("  [workspace]  \n"));
        assert!(!declares_workspace("[package]\nname = \"workspace\"\n[workspaces]\n"));
    }

    #[test]
    fn no_workspace_names_the_start_directory() {
        let tree = TempTree::new("no-root");
        tree.write("pkg/Cargo.toml", "[package]\nname = \"pkg\"\n");
        // The temp dir's ancestors have no workspace manifest on any sane machine.
        let err = find_workspace_root(&tree.0.join("pkg")).unwrap_err();
        assert!(err.contains(&tree.0.join("pkg").display().to_string()), "{err}");
    }

    #[test]
    fn the_running_test_finds_this_checkout() {
        let root = workspace_root();
        assert!(
            root.join("tests/support/Cargo.toml").is_file(),
            "{} is not the course's workspace root",
            root.display()
        );
    }
}
