//! Helpers for the workspace checks in `tests/`: where the workspace is, and what its
//! exercises are. The checks themselves are integration tests, so root `cargo test` runs them.

use std::fs;
use std::path::PathBuf;

/// The workspace root (this crate sits at `tests/check`). Found from the run-time
/// `CARGO_MANIFEST_DIR` that cargo gives each test, not the compile-time one: with a
/// `CARGO_TARGET_DIR` shared by two checkouts, the compile-time path may name the other tree.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("tests/check sits two levels below the root")
        .to_path_buf()
}

/// One chapter's exercise: its directory name (`ch01-generators`) and package name.
#[derive(Debug, Clone)]
pub struct Exercise {
    pub dir: String,
    pub package: String,
}

impl Exercise {
    /// The library name both the stub and the solution must have.
    pub fn lib_name(&self) -> String {
        self.package.replace('-', "_")
    }

    pub fn stub_dir(&self) -> PathBuf {
        root().join("exercises").join(&self.dir)
    }

    pub fn solution_dir(&self) -> PathBuf {
        root().join("solutions").join(&self.dir)
    }
}

/// Every directory under `exercises/` that holds a Cargo package, in chapter order.
pub fn exercises() -> Vec<Exercise> {
    let mut found: Vec<Exercise> = fs::read_dir(root().join("exercises"))
        .expect("exercises/ exists")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let manifest = fs::read_to_string(path.join("Cargo.toml")).ok()?;
            Some(Exercise {
                dir: path.file_name()?.to_str()?.to_owned(),
                package: package_name(&manifest)?,
            })
        })
        .collect();
    found.sort_by(|a, b| a.dir.cmp(&b.dir));
    found
}

/// The `name` in a manifest's `[package]` table. A line scan is enough for our own manifests.
pub fn package_name(manifest: &str) -> Option<String> {
    let package = manifest.split("[package]").nth(1)?;
    package.lines().find_map(|line| {
        let value = line.trim().strip_prefix("name")?.trim_start().strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_owned())
    })
}
