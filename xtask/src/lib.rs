//! The course's tooling, as a library so that `tests/book.rs` can build the book the same way
//! `cargo xtask book` does. The command line is in `main.rs`.

pub mod bench;
pub mod book;
pub mod cjk_search;
pub mod doctor;
pub mod links;
pub mod pages;
pub mod progress;
pub mod serve;

use std::path::PathBuf;

/// What every fallible step returns; messages are written for the author who has to fix them.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The workspace root (this package lives in `xtask/`). From the run-time `CARGO_MANIFEST_DIR`
/// (cargo sets it for `cargo run` and `cargo test`) when there is one: with a `CARGO_TARGET_DIR`
/// shared by two checkouts, the compile-time path may name the other checkout.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.join("src/book.rs").is_file())
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask sits one level below the workspace root")
        .to_path_buf()
}

/// Prints one step the way every task does, so a reader of CI logs sees what ran.
pub fn step(what: impl std::fmt::Display) {
    println!("==> {what}");
}
