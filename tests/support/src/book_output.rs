//! Program output shown in the book is generated, never typed.
//!
//! A program whose output the book shows is a `[[bin]]` of a workspace package. That package has
//! a test which runs the binary (via `CARGO_BIN_EXE_<name>`) and calls [`check`]: the file under
//! `book/src/generated/` must equal `$ <command>` followed by the program's output. With
//! `UPDATE_BOOK_OUTPUT=1` (what `cargo xtask outputs` sets) the file is rewritten instead.

use std::path::PathBuf;
use std::process::Command;

/// The workspace root of the checkout being tested, found at run time; see
/// [`crate::workspace_root`].
pub fn workspace_root() -> PathBuf {
    crate::workspace_root()
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
        let dir = path.parent().unwrap();
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        std::fs::write(&path, &expected)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nRun `cargo xtask outputs` to generate it.",
            path.display()
        )
    });
    assert!(
        on_disk == expected,
        "book/src/generated/{file} is not what `{command}` prints now.\n\
         Run `cargo xtask outputs` to regenerate it.\n--- in the book ---\n{on_disk}\n--- printed now ---\n{expected}"
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_generated_file_is_named_with_the_error() {
        if std::env::var_os("UPDATE_BOOK_OUTPUT").is_some() {
            return; // would write the file instead of reading it
        }
        let caught = std::panic::catch_unwind(|| {
            super::check("true", &[], "true", "no-such-output-for-this-test.txt")
        });
        let message = crate::panic_message(&*caught.expect_err("a missing file must fail"));
        let path = super::workspace_root().join("book/src/generated/no-such-output-for-this-test.txt");
        assert!(
            message.starts_with(&format!("cannot read {}: ", path.display())) && message.contains("No such file"),
            "{message}"
        );
    }
}
