//! Chapter 3, "Predict the order". The program is in `tests/predict.rs` (and on the chapter's
//! page): callbacks queued with `call_soon` and `call_later`, on the virtual clock. Predict the
//! lines it prints, in order, then check with `cargo test -p event-loop predict` (after stages 1
//! and 2 pass: the program runs on your loop).
//!
//! The program prints these nine lines (sorted alphabetically here, not in their order):
//!
//! ```text
//! 1 s timer: first
//! 1 s timer: second
//! 2 s timer: stops the loop
//! later(0): B
//! main: all scheduled
//! main: run_forever returned
//! soon: A
//! soon: C
//! soon: D, queued by the first 1 s timer
//! ```

// TODO(ch03): predict. List the nine lines in the order you expect the program to print them.
/// Your prediction: every line the program prints, in the order it prints them.
pub const PREDICTION: &[&str] = &[];
