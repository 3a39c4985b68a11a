//! The agent you can type into, on real time:
//!
//! ```text
//! cargo run -p capstone -- --runtime own      # the course's own stack (chapters 3-6)
//! cargo run -p capstone -- --runtime tokio    # tokio (chapter 7)
//! ```
//!
//! Type a prompt and press Enter. A prompt containing "hang" calls a tool that never answers (the
//! 5 s limit cuts it off); one containing "crash" calls a tool that panics. Type `/stop` while
//! an answer is streaming to interrupt it, `/quit` (or end the input) to leave.
//!
//! This file is given; it runs once the stages pass.

use std::io::BufRead;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use capstone::{
    Config, DemoModel, Interrupt, OwnRuntime, STOP, State, TokioRuntime, Transcript, run_session,
};
use event_loop::RealClock;

const USAGE: &str = "usage: agent --runtime own|tokio";

fn main() {
    // A tool's panic is caught by its runtime and reported in the transcript; one line on stderr
    // is enough (the default hook prints a backtrace when RUST_BACKTRACE is set).
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = (payload.downcast_ref::<&str>().copied())
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a non-string panic payload");
        let place = info.location().map(|l| format!(" at {l}")).unwrap_or_default();
        eprintln!("(panic{place}: {message})");
    }));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--runtime", name] | [name] if *name == "own" || *name == "tokio" => name.to_string(),
        [] => "own".to_owned(),
        ["--runtime", other] | [other] if !other.starts_with("--") => {
            eprintln!("agent: unknown runtime `{other}`: choose `own` or `tokio`\n{USAGE}");
            std::process::exit(2);
        }
        other => {
            eprintln!("agent: unexpected arguments {other:?}\n{USAGE}");
            std::process::exit(2);
        }
    };

    // ANCHOR: stdin_thread
    // A thread of our own owns the terminal: it forwards typed lines to the session, except
    // `/stop`, which presses the stop button at once, even while an answer is streaming.
    let interrupt = Interrupt::new();
    let (lines, reader) = mpsc::channel::<String>();
    {
        let interrupt = interrupt.clone();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if line.trim() == STOP {
                    interrupt.fire();
                } else if lines.send(line).is_err() {
                    break;
                }
            }
        });
    }
    // ANCHOR_END: stdin_thread

    let config = Config {
        tool_limit: Duration::from_secs(5),
        tick_every: Duration::from_millis(700),
    };
    let state = Arc::new(Mutex::new(State::default()));
    println!("agent on the {runtime} runtime; type a prompt, /stop, or /quit");
    let out = Transcript::echoing();
    let shared = state.clone();
    if runtime == "own" {
        OwnRuntime::block_on(RealClock::new(), move |rt| {
            run_session(rt, reader, DemoModel, interrupt, config, shared, out)
        });
    } else {
        TokioRuntime::block_on(false, move |rt| {
            run_session(rt, reader, DemoModel, interrupt, config, shared, out)
        });
    }
    let state = state.lock().unwrap();
    println!(
        "{} turns, {} tool calls",
        state.history.len(),
        state.tool_calls
    );
}
