//! Chapter 1, "Predict the order". The program is in `tests/predict.rs` (and on the chapter's
//! page): three tasks that print a line per step, on the round-robin scheduler. Predict the
//! lines it prints, in order, then check with `cargo test -p generators predict` (after stage 3
//! passes: the program runs on your scheduler).
//!
//! The program prints these eight lines (sorted alphabetically here, not in their order):
//!
//! ```text
//! a: step 1
//! a: step 2
//! a: step 3
//! b: its only step
//! c: step 1
//! c: step 2
//! main: run returned
//! main: spawned a and b
//! ```

// TODO(ch01): predict. List the eight lines in the order you expect the program to print them.
/// Your prediction: every line the program prints, in the order it prints them.
pub const PREDICTION: &[&str] = &[];
