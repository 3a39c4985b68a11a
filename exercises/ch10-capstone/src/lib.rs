//! Chapter 10 — Capstone: an async CLI agent. **Exercise.**
//!
//! The interactive agent, written ONCE against the small [`Runtime`] trait (`src/given.rs`: read
//! it, do not edit it) and run on two runtimes: the course's own stack and tokio. You write:
//!
//! 1. the two adapters: `impl Runtime for OwnRuntime` (`src/own.rs`) and
//!    `impl Runtime for TokioRuntime` (`src/tokio_rt.rs`)   `cargo test -p capstone stage1`
//! 2. [`run_tools`]: every tool at once, one overall limit, panics reported, a progress
//!    ticker                                                 `cargo test -p capstone stage2`
//! 3. [`stream_answer`]: tokens as they arrive, the stop button  `cargo test -p capstone stage3`
//! 4. [`run_session`]: the prompt loop, reads off the runtime's thread, the shared state
//!                                                           `cargo test -p capstone stage4`
//!
//! Then `cargo run -p capstone -- --runtime own` (or `tokio`) and type into it.
//! Stuck? `exercises/ch10-capstone/HINTS.md` has hints per stage. The signatures are given: do
//! not change them (the tests, the binary and the example use them).

mod given;
mod own;
mod tokio_rt;

pub use given::{
    Config, DemoModel, Interrupt, LineReader, LocalFuture, Model, Outcome, OwnRuntime, QUIT,
    Runtime, STOP, SharedState, State, TokenStream, TokioRuntime, Tool, ToolReport, ToolResult,
    Transcript, Turn, typed,
};

/// What [`stream_answer`] showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The tokens shown, joined by spaces.
    pub text: String,
    /// The stop button ended it before the stream did.
    pub interrupted: bool,
}

/// Runs every tool at once under ONE overall `config.tool_limit`, showing a progress line every
/// `config.tick_every` while any runs. Returns a report per tool, in input order: what it
/// returned, that it panicked, or that the limit cut it off (its task aborted). Results of the
/// tools that finished in time are kept.
///
/// Do not change the signature.
pub async fn run_tools<R: Runtime>(
    rt: &R,
    tools: Vec<Tool>,
    config: &Config,
    state: &SharedState,
    out: &Transcript,
) -> Vec<ToolReport> {
    // TODO(ch10) stage 2: add the names to `state.running` and `state.tool_calls` (lock, change,
    //   unlock: no `.await` while the guard lives), say `tools: a, b, c`, then `rt.spawn` every
    //   tool. Record each tool's report the moment it settles (`name: ok: ...`, `failed: ...`,
    //   `panicked: ...`, removing it from `state.running`), spawn a ticker that says
    //   `... waiting for <running>` every `config.tick_every`, and put ONE `rt.timeout` around
    //   waiting for them all. Tools not settled by then are reported `TimedOut` (say
    //   `name: timed out after N.Ns`) and must be cancelled; the ticker stops with the tools.
    let _ = (rt, tools, config, state, out);
    todo!("run_tools: spawn every tool, one overall timeout, report each tool (stage 2)")
}

/// Shows each token of `answer` as it arrives (`agent> token`). If `interrupt` fires first, stops
/// at once (`agent> [interrupted]`) and drops the stream (its producer's cleanup runs here, not at
/// the end of the session).
///
/// Do not change the signature.
pub async fn stream_answer<R: Runtime>(
    rt: &R,
    answer: TokenStream,
    interrupt: &Interrupt,
    out: &Transcript,
) -> Answer {
    // TODO(ch10) stage 3: loop over the stream's `poll_next` (through `std::future::poll_fn`),
    //   checking `interrupt.poll_fired(cx)` first at every step. `answer.as_mut().poll_next(cx)`
    //   needs no `use futures_core::Stream` (a trait object's own methods need no import).
    let _ = (rt, answer, interrupt, out);
    todo!("stream_answer: show tokens as they arrive, stop on the interrupt (stage 3)")
}

/// The interactive loop: read a line (on another thread, so the runtime keeps running), run the
/// model's tools, stream its answer, remember the turn; until [`QUIT`] or the end of input.
///
/// Do not change the signature.
pub async fn run_session<R: Runtime, M: Model<R>>(
    rt: R,
    reader: impl LineReader,
    model: M,
    interrupt: Interrupt,
    config: Config,
    state: SharedState,
    out: Transcript,
) {
    // TODO(ch10) stage 4: read each line with `rt.spawn_blocking` (move the reader in, hand it
    //   back with the line). End of input: say `(end of input)`; `/quit`: say `bye`; skip empty
    //   lines and `/stop`. Otherwise say `you> line`, run the model's tools (if any), clear the
    //   interrupt, stream the answer, and push a `Turn` onto `state.history`.
    let _ = (rt, reader, model, interrupt, config, state, out);
    todo!("run_session: the prompt loop, each read on spawn_blocking (stage 4)")
}
