//! Program output shown in the book is generated, never typed.
//!
//! A program whose output the book shows is a `[[bin]]` of a workspace package. That package has
//! a test which runs the binary (via `CARGO_BIN_EXE_<name>`) and calls [`check`]: the file under
//! `book/src/generated/` must equal `$ <command>` followed by the program's output. With
//! `UPDATE_BOOK_OUTPUT=1` (what `cargo xtask outputs` sets) the file is rewritten instead.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root, found from this crate's own location (`tests/support`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support sits two levels below the workspace root")
        .to_path_buf()
}

/// Runs `binary` with `args`, and checks (or, when updating, writes) `book/src/generated/<file>`.
///
/// `command` is what a reader types to get the same output, e.g.
/// `cargo run -p intro --bin timelines -- --virtual`; it becomes the file's first line.
pub fn check(binary: &str, args: &[&str], command: &str, file: &str) {
    let out = Command::new(binary)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not run {binary}: {e}"));
    assert!(
        out.status.success(),
        "`{command}` failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = format!("$ {command}\n{}", String::from_utf8_lossy(&out.stdout));
    let path = workspace_root().join("book/src/generated").join(file);

    if std::env::var_os("UPDATE_BOOK_OUTPUT").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == expected,
        "book/src/generated/{file} is not what `{command}` prints now.\n\
         Run `cargo xtask outputs` to regenerate it.\n--- in the book ---\n{on_disk}\n--- printed now ---\n{expected}"
    );
}
