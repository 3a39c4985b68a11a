//! Chapter 5, "Predict the order". The program is in `tests/predict.rs` (and on the chapter's
//! page): `join_all` of three children and `gather` of one, on the virtual clock. Predict the
//! lines it prints, in order, then check with `cargo test -p gather predict` (after stages 1
//! and 2 pass: the program runs on your `join_all` and `gather`).
//!
//! The program prints these ten lines (sorted alphabetically here, not in their order):
//!
//! ```text
//! g1: done
//! g1: start, sleeps 1.5 s
//! j1: done
//! j1: start, sleeps 2 s
//! j2: done
//! j2: start, sleeps 1 s
//! j3: no sleep, done at once
//! main: built join_all and gather
//! main: gather gave g1
//! main: join_all gave j1, j2, j3
//! ```

// TODO(ch05): predict. List the ten lines in the order you expect the program to print them.
/// Your prediction: every line the program prints, in the order it prints them.
pub const PREDICTION: &[&str] = &[];
