//! A tiny executor that prints each poll and each wake: the poll/wake cycle made visible.
//! Its waker sends a message on a channel; the executor sleeps on the channel between polls.

// The code lives in examples/executor.rs, a whole std-only program (with a worker thread to wake
// the future), because the book's run button sends that file to the playground; the library
// compiles the same file as a module, so `ch02-poll-trace` runs the one copy the book shows.
#[allow(dead_code, reason = "the program's `main` is for the playground and `cargo run`")]
#[path = "../examples/executor.rs"]
mod program;
pub use program::{ChannelWaker, run_traced};
