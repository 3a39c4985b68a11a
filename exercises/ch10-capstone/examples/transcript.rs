//! The same scripted session on both runtimes, on virtual (own) and paused (tokio) time, so the
//! timestamps are exact and the two transcripts can be compared line by line.
//!
//! `cargo run -p capstone --example transcript` runs it on your code once stage 4 passes.

use std::pin::Pin;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll};
use std::time::Duration;

use capstone::{
    Config, DemoModel, Interrupt, Model, OwnRuntime, Runtime, State, TokenStream, TokioRuntime,
    Tool, ToolReport, Transcript, run_session,
};
use event_loop::VirtualClock;
use futures_core::Stream;

/// The demo model, except that the user presses stop during the third answer, right after its
/// third word (a person at the terminal would type `/stop`).
struct StopsThirdAnswer {
    answers: usize,
    interrupt: Interrupt,
}

impl<R: Runtime> Model<R> for StopsThirdAnswer {
    fn plan(&mut self, rt: &R, prompt: &str) -> Vec<Tool> {
        DemoModel.plan(rt, prompt)
    }

    fn answer(&mut self, rt: &R, prompt: &str, tools: &[ToolReport]) -> TokenStream {
        self.answers += 1;
        let words = DemoModel.answer(rt, prompt, tools);
        if self.answers != 3 {
            return words;
        }
        Box::pin(PressStopAfter {
            inner: words,
            interrupt: self.interrupt.clone(),
            left: 3,
        })
    }
}

/// Passes tokens through and presses the stop button after the `left`-th one.
struct PressStopAfter {
    inner: TokenStream,
    interrupt: Interrupt,
    left: usize,
}

impl Stream for PressStopAfter {
    type Item = String;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<String>> {
        let next = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(_)) = &next {
            self.left -= 1;
            if self.left == 0 {
                self.interrupt.fire();
            }
        }
        next
    }
}

/// Runs the script on one runtime and returns its transcript.
fn session<R: Runtime>(rt: R) -> impl Future<Output = Vec<String>> {
    let script = [
        "hello",
        "check the weather, it may hang",
        "crash test",
        "/quit",
    ];
    let (typist, reader) = mpsc::channel();
    for line in script {
        typist.send(line.to_owned()).unwrap();
    }
    let config = Config {
        tool_limit: Duration::from_millis(3500),
        tick_every: Duration::from_millis(700),
    };
    let interrupt = Interrupt::new();
    let model = StopsThirdAnswer {
        answers: 0,
        interrupt: interrupt.clone(),
    };
    let state = Arc::new(Mutex::new(State::default()));
    let out = Transcript::new();
    async move {
        run_session(rt, reader, model, interrupt, config, state, out.clone()).await;
        out.lines()
    }
}

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
    let own = OwnRuntime::block_on(VirtualClock::new(), session);
    let tokio = TokioRuntime::block_on(true, session);
    for (name, lines) in [("own", &own), ("tokio", &tokio)] {
        println!("--- --runtime {name}");
        for line in lines {
            println!("{line}");
        }
    }
    if own == tokio {
        println!(
            "--- the two transcripts are identical ({} lines)",
            own.len()
        );
    } else {
        println!("--- the transcripts differ");
    }
}
