//! Chapter 10 — Capstone: an async CLI agent. **Reference solution.**
//!
//! The agent is written once, generically over [`Runtime`], and runs on the course's own stack
//! ([`OwnRuntime`]) and on tokio ([`TokioRuntime`]). The given types are the exercise's own file,
//! compiled here by path, so the two crates cannot drift apart.

#[path = "../../../exercises/ch10-capstone/src/given.rs"]
mod given;
mod own;
mod tokio_rt;

pub use given::{
    Config, DemoModel, Interrupt, LineReader, LocalFuture, Model, Outcome, OwnRuntime, QUIT,
    Runtime, STOP, SharedState, State, TokenStream, TokioRuntime, Tool, ToolReport, ToolResult,
    Transcript, Turn, typed,
};

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

// ANCHOR: run_tools
/// Runs every tool at once under ONE overall `config.tool_limit`, showing a progress line every
/// `config.tick_every` while any runs. Returns a report per tool, in input order: what it
/// returned, that it panicked, or that the limit cut it off (its task aborted). Results of the
/// tools that finished in time are kept.
pub async fn run_tools<R: Runtime>(
    rt: &R,
    tools: Vec<Tool>,
    config: &Config,
    state: &SharedState,
    out: &Transcript,
) -> Vec<ToolReport> {
    let names: Vec<String> = tools.iter().map(|tool| tool.name.clone()).collect();
    {
        // A short critical section: no .await inside.
        let mut state = state.lock().unwrap();
        state.running.extend(names.iter().cloned());
        state.tool_calls += names.len() as u64;
    }
    out.say(rt.now(), format!("tools: {}", names.join(", ")));

    let reports: Rc<RefCell<Vec<Option<ToolReport>>>> =
        Rc::new(RefCell::new(vec![None; names.len()]));
    // One watcher task per tool: it awaits the tool's own task (so a panic arrives as an Err,
    // not in the watcher) and records the report the moment the tool settles.
    let mut watchers = Vec::new();
    for (index, tool) in tools.into_iter().enumerate() {
        let task = rt.spawn(tool.call);
        let (rt2, state, out, reports) = (rt.clone(), state.clone(), out.clone(), reports.clone());
        let name = tool.name;
        watchers.push(rt.spawn(async move {
            let outcome = match task.await {
                Ok(Ok(text)) => Outcome::Ok(text),
                Ok(Err(error)) => Outcome::Failed(error),
                Err(message) => Outcome::Panicked(message),
            };
            let at = rt2.now();
            out.say(at, format!("{name}: {}", describe(&outcome)));
            state.lock().unwrap().running.retain(|n| *n != name);
            reports.borrow_mut()[index] = Some(ToolReport { name, outcome, at });
        }));
    }

    // The progress indicator: a task of its own, dropped (so aborted) when the tools are done.
    let ticker = rt.spawn({
        let (rt, state, out, every) = (rt.clone(), state.clone(), out.clone(), config.tick_every);
        async move {
            loop {
                rt.sleep(every).await;
                let running = state.lock().unwrap().running.join(", ");
                out.say(rt.now(), format!("... waiting for {running}"));
            }
        }
    });

    // Every watcher is already running; awaiting them in order only waits for the last one.
    let all = async move {
        for watcher in watchers {
            let _ = watcher.await;
        }
    };
    // A timeout drops `all`, and with it the unfinished watchers, which abort their tools.
    let finished = rt.timeout(config.tool_limit, all).await.is_some();
    drop(ticker);

    let at = rt.now();
    let mut settled = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let report = reports.borrow_mut()[index].take();
        settled.push(report.unwrap_or_else(|| {
            out.say(
                at,
                format!(
                    "{name}: timed out after {:.1}s",
                    config.tool_limit.as_secs_f64()
                ),
            );
            ToolReport {
                name: name.clone(),
                outcome: Outcome::TimedOut,
                at,
            }
        }));
    }
    if !finished {
        state.lock().unwrap().running.clear();
    }
    settled
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok(text) => format!("ok: {text}"),
        Outcome::Failed(error) => format!("failed: {error}"),
        Outcome::Panicked(message) => format!("panicked: {message}"),
        Outcome::TimedOut => "timed out".to_owned(),
    }
}
// ANCHOR_END: run_tools

// ANCHOR: stream_answer
/// What [`stream_answer`] showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The tokens shown, joined by spaces.
    pub text: String,
    /// The stop button ended it before the stream did.
    pub interrupted: bool,
}

/// Shows each token of `answer` as it arrives. If `interrupt` fires first, stops at once and
/// drops the stream (its producer's cleanup runs here, not at the end of the session).
pub async fn stream_answer<R: Runtime>(
    rt: &R,
    mut answer: TokenStream,
    interrupt: &Interrupt,
    out: &Transcript,
) -> Answer {
    let mut tokens = Vec::new();
    loop {
        // Race the stop button against the next token; the button is checked first.
        let next = poll_fn(|cx| {
            if interrupt.poll_fired(cx).is_ready() {
                return Poll::Ready(Err(()));
            }
            Pin::new(&mut answer).poll_next(cx).map(Ok)
        })
        .await;
        match next {
            Ok(Some(token)) => {
                out.say(rt.now(), format!("agent> {token}"));
                tokens.push(token);
            }
            Ok(None) => break,
            Err(()) => {
                drop(answer);
                out.say(rt.now(), "agent> [interrupted]");
                return Answer {
                    text: tokens.join(" "),
                    interrupted: true,
                };
            }
        }
    }
    Answer {
        text: tokens.join(" "),
        interrupted: false,
    }
}
// ANCHOR_END: stream_answer

use futures_core::Stream;

// ANCHOR: run_session
/// The interactive loop: read a line (on another thread, so the runtime keeps running), run the
/// model's tools, stream its answer, remember the turn; until [`QUIT`] or the end of input.
pub async fn run_session<R: Runtime, M: Model<R>>(
    rt: R,
    reader: impl LineReader,
    mut model: M,
    interrupt: Interrupt,
    config: Config,
    state: SharedState,
    out: Transcript,
) {
    let mut reader = reader;
    loop {
        // The reader travels to a blocking thread and back with the line: moved into the
        // closure, it is gone from this function until the assignment below puts it back.
        let (back, line) = rt
            .spawn_blocking(move || {
                let line = reader.read_line();
                (reader, line)
            })
            .await;
        reader = back;
        let Some(line) = line else {
            out.say(rt.now(), "(end of input)");
            break;
        };
        let line = line.trim().to_owned();
        if line == QUIT {
            out.say(rt.now(), "bye");
            break;
        }
        if line.is_empty() || line == given::STOP {
            continue;
        }
        out.say(rt.now(), format!("you> {line}"));
        let tools = model.plan(&rt, &line);
        let reports = if tools.is_empty() {
            Vec::new()
        } else {
            run_tools(&rt, tools, &config, &state, &out).await
        };
        interrupt.clear();
        let stream = model.answer(&rt, &line, &reports);
        let answer = stream_answer(&rt, stream, &interrupt, &out).await;
        state.lock().unwrap().history.push(Turn {
            prompt: line,
            answer: answer.text,
            interrupted: answer.interrupted,
        });
    }
}
// ANCHOR_END: run_session
