//! Chapter 7 — Tokio. **Exercise.**
//!
//! The agent from the asyncio world, on tokio: a tool executor that runs every tool at once under
//! one overall time limit and cancels the rest on the first failure, and an interactive prompt
//! loop whose blocking reads run on tokio's blocking pool while a ticker keeps ticking.
//!
//! The types are given (`src/given.rs`: read it, do not edit it). You write the two function
//! bodies marked `TODO(ch07)`, in four stages:
//!
//! 1. `execute_tools`: all tools at once, outputs in input order, each tool's own time
//!    `cargo test -p hand-tokio stage1`
//! 2. `execute_tools`: the first failure (an `Err` or a panic) is returned at once and
//!    cancels the others                                  `cargo test -p hand-tokio stage2`
//! 3. `execute_tools`: one overall limit                  `cargo test -p hand-tokio stage3`
//! 4. `prompt_loop`: reads on `spawn_blocking`, a ticker  `cargo test -p hand-tokio stage4`
//!
//! Stuck? `exercises/ch07-tokio/HINTS.md` has hints per stage, from gentle questions to
//! specifics. The signatures are given: do not change them (the tests and the example use them).
//! Writing `mut` before a parameter's name (`mut reader: R`) is not a change: it only makes the
//! binding inside the body mutable, and callers see the same signature.

mod given;

pub use given::{ExecError, LineReader, QUIT, Session, StdinLines, Tool, ToolOutput, ToolResult};

use std::future::Future;
use std::time::Duration;

/// Runs every tool at once and returns their outputs in input order, or the first failure, or
/// `TimedOut` if `limit` passes first. Whatever the outcome, no tool is left running.
///
/// Do not change the signature.
pub async fn execute_tools(
    tools: Vec<Tool>,
    limit: Duration,
) -> Result<Vec<ToolOutput>, ExecError> {
    // TODO(ch07) stage 1: spawn every tool's future onto a `tokio::task::JoinSet`, wrapped so the
    //   task returns (its index, its result, how long it took), timed with
    //   `tokio::time::Instant` (it follows the paused test clock; `std::time::Instant` does not).
    //   Take results with `join_next` as they complete, and put each output at its index.
    // TODO(ch07) stage 2: on the first `Err` (or a `JoinError` from a panicking tool), return
    //   `ExecError::Failed` / `ExecError::Panicked` at once, and make sure every other tool is
    //   cancelled: a tokio task whose handle is dropped keeps running; a dropped JoinSet aborts
    //   its tasks.
    // TODO(ch07) stage 3: put ONE `tokio::time::timeout(limit, ...)` around the whole collection;
    //   when it elapses, return `ExecError::TimedOut` naming the unfinished tools in input order.
    let _ = (tools, limit);
    todo!("execute_tools: run every tool at once on a JoinSet, results in input order (stage 1)")
}

/// Reads lines until the input ends or the user types [`QUIT`], answering each line with
/// `answer`; a ticker ticks every `tick_every` for the whole session. Each read runs on tokio's
/// blocking pool, so the runtime thread (and the ticker) stays free while the user types.
///
/// Do not change the signature.
pub async fn prompt_loop<R, A, Fut>(reader: R, tick_every: Duration, answer: A) -> Session
where
    R: LineReader,
    A: FnMut(String) -> Fut,
    Fut: Future<Output = String>,
{
    // TODO(ch07) stage 4: spawn a ticker task that adds one to a shared counter every
    //   `tick_every` (the first tick one period after the start), and stop it when the session
    //   ends, however it ends. Read each line with `tokio::task::spawn_blocking`: move the reader
    //   into the closure and hand it back with the line. Answer every line but `QUIT`, in order.
    let _ = (reader, tick_every, answer);
    todo!("prompt_loop: read lines on spawn_blocking while a ticker task ticks (stage 4)")
}
