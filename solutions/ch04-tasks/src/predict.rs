//! Chapter 4, "Predict the order". The program is in `tests/predict.rs` (and on the chapter's
//! page): a main future and three tasks on the virtual clock. Predict the lines it prints, in
//! order, then check with `cargo test -p tasks predict` (after stage 1 passes: the program runs
//! on your `spawn` and `JoinHandle`).
//!
//! The program prints these ten lines (sorted alphabetically here, not in their order):
//!
//! ```text
//! a: first step
//! a: inside an awaited async fn
//! a: woke after 1 s
//! b: its whole body, no await
//! c: its whole body
//! main: a joined
//! main: b joined
//! main: c joined
//! main: spawned, awaiting a
//! main: spawning a and b
//! ```

// The reference answer; the rule behind each line is in the test's RULES table.
/// Your prediction: every line the program prints, in the order it prints them.
pub const PREDICTION: &[&str] = &[
    "main: spawning a and b",
    "main: spawned, awaiting a",
    "a: first step",
    "a: inside an awaited async fn",
    "b: its whole body, no await",
    "a: woke after 1 s",
    "main: a joined",
    "main: b joined",
    "c: its whole body",
    "main: c joined",
];
