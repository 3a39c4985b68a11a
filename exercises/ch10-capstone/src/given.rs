//! Given code for chapter 10: the vocabulary the agent is written in. You read this file; you do
//! not edit it (the reference solution compiles this very file).
//!
//! The agent is written ONCE, generically over [`Runtime`], and run on two runtimes: the course's
//! own stack (chapters 3-6: `event_loop`, `tasks`, `gather`, `offload`) and tokio (chapter 7).
//! Each runtime is a thin adapter, [`OwnRuntime`] and [`TokioRuntime`], whose `Runtime` impls you
//! write in `own.rs` and `tokio_rt.rs`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use event_loop::{Clock, EventLoop, Handle};
use futures_core::Stream;
use offload::ThreadPool;

// ANCHOR: runtime
/// A boxed future that stays on the runtime's thread (it need not be `Send`).
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T> + 'static>>;

/// What the agent needs from a runtime, and nothing more. Both runtimes run the agent on ONE
/// thread (the own loop always; tokio on a current-thread runtime with a `LocalSet`), so the
/// futures here need not be `Send`; only work sent to another thread (`spawn_blocking`) must be.
pub trait Runtime: Clone + 'static {
    /// `"own"` or `"tokio"`, for messages.
    fn name(&self) -> &'static str;

    /// Time since the runtime started, on the runtime's clock (virtual or paused in tests).
    fn now(&self) -> Duration;

    /// A future that completes `duration` after its first poll, on the runtime's clock. Dropping
    /// it cancels the timer.
    fn sleep(&self, duration: Duration) -> LocalFuture<()>;

    /// Starts `future` as a task now; it runs whether or not the returned future is polled. The
    /// returned future gives the task's output, or `Err(message)` if the task panicked (the
    /// panic is caught by the runtime, never reaching the caller). **Dropping the returned future
    /// aborts the task**: its future is dropped, so a task never outlives its handle.
    fn spawn<T: 'static>(
        &self,
        future: impl Future<Output = T> + 'static,
    ) -> LocalFuture<Result<T, String>>;

    /// Runs blocking `work` on another thread (never the runtime's own) and gives its result; the
    /// runtime keeps running other tasks meanwhile. A panic in `work` is resumed in the caller.
    fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> LocalFuture<T>;

    /// `Some(output)` if `future` finishes within `limit` (from the first poll), else `None`, with
    /// `future` dropped at the deadline.
    fn timeout<T: 'static>(
        &self,
        limit: Duration,
        future: impl Future<Output = T> + 'static,
    ) -> LocalFuture<Option<T>>;
}
// ANCHOR_END: runtime

// ANCHOR: adapters
/// The course's own stack: the chapter 3 loop, chapter 4 tasks, chapter 5 `timeout` and
/// `AbortOnDrop`, and a chapter 6 thread pool for blocking reads.
#[derive(Clone)]
pub struct OwnRuntime {
    /// The loop this runtime runs on (a `Weak` inside: it does not keep the loop alive).
    #[allow(dead_code)] // read by your adapter, `own.rs`
    pub(crate) handle: Handle,
    /// Where `spawn_blocking` sends work.
    #[allow(dead_code)] // read by your adapter, `own.rs`
    pub(crate) pool: Rc<ThreadPool>,
}

impl OwnRuntime {
    /// Runs `make(runtime)` to completion on a new chapter 3 loop with `clock` (a
    /// `VirtualClock` in tests, a `RealClock` for a person at a terminal) and a pool of two
    /// workers.
    pub fn block_on<F, Fut>(clock: impl Clock + 'static, make: F) -> Fut::Output
    where
        F: FnOnce(OwnRuntime) -> Fut,
        Fut: Future,
    {
        let event_loop = EventLoop::with_clock(clock);
        let pool = Rc::new(ThreadPool::new(2).expect("two workers"));
        let result = event_loop.run_until_complete(async move {
            let handle = Handle::current().expect("inside run_until_complete");
            make(OwnRuntime { handle, pool }).await
        });
        result.expect("the loop ran the agent to completion")
    }
}

/// Tokio on one thread: a current-thread runtime and a `LocalSet`, so tasks may hold `Rc` and
/// are started with `tokio::task::spawn_local` (plain `tokio::spawn` wants `Send` futures).
#[derive(Clone)]
pub struct TokioRuntime {
    /// When the runtime started (tokio's `Instant` follows paused time).
    #[allow(dead_code)] // read by your adapter, `tokio_rt.rs`
    pub(crate) start: tokio::time::Instant,
}

impl TokioRuntime {
    /// Runs `make(runtime)` to completion on a new current-thread tokio runtime inside a
    /// `LocalSet`; `paused` starts it with paused time (tests, generated output).
    pub fn block_on<F, Fut>(paused: bool, make: F) -> Fut::Output
    where
        F: FnOnce(TokioRuntime) -> Fut,
        Fut: Future,
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(paused)
            .build()
            .expect("a current-thread tokio runtime");
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async move {
            let start = tokio::time::Instant::now();
            make(TokioRuntime { start }).await
        })
    }
}
// ANCHOR_END: adapters

// ANCHOR: tools
/// What a tool's future resolves to: its output text, or an error text.
pub type ToolResult = Result<String, String>;

/// A tool call that has not started: a name and the future that does the work.
pub struct Tool {
    pub name: String,
    pub call: LocalFuture<ToolResult>,
}

impl Tool {
    pub fn new(name: impl Into<String>, call: impl Future<Output = ToolResult> + 'static) -> Tool {
        Tool {
            name: name.into(),
            call: Box::pin(call),
        }
    }
}

/// How one tool call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok(String),
    Failed(String),
    /// The tool's task panicked with this message; the session goes on.
    Panicked(String),
    /// The overall limit passed before it finished; it was cancelled (its future dropped).
    TimedOut,
}

/// One tool's result, with the runtime time at which it was settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolReport {
    pub name: String,
    pub outcome: Outcome,
    pub at: Duration,
}
// ANCHOR_END: tools

// ANCHOR: state
/// The agent's memory, shared by the session, the tool tasks and the progress ticker.
#[derive(Debug, Default)]
pub struct State {
    /// Tools started and not yet settled, in start order (the progress ticker shows them).
    pub running: Vec<String>,
    /// How many tools have been started in the whole session.
    pub tool_calls: u64,
    /// Every finished turn.
    pub history: Vec<Turn>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    pub prompt: String,
    pub answer: String,
    pub interrupted: bool,
}

/// `Arc<Mutex<_>>`: a std mutex, locked only in short blocks that never contain an `.await`.
pub type SharedState = Arc<Mutex<State>>;
// ANCHOR_END: state

// ANCHOR: interrupt
/// The "stop" button: another thread (or a test) fires it; the streaming answer notices it at
/// its next step. Cloning shares one button.
#[derive(Clone, Default)]
pub struct Interrupt {
    shared: Arc<Mutex<InterruptState>>,
}

#[derive(Default)]
struct InterruptState {
    fired: bool,
    waker: Option<Waker>,
}

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Presses the button: wakes whoever last polled [`Interrupt::poll_fired`].
    pub fn fire(&self) {
        let waker = {
            let mut state = self.shared.lock().unwrap();
            state.fired = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Forgets an earlier press (the session calls this before each answer).
    pub fn clear(&self) {
        self.shared.lock().unwrap().fired = false;
    }

    /// `Ready` once the button has been pressed (and then it stays pressed until `clear`);
    /// otherwise stores the waker and is `Pending`.
    pub fn poll_fired(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.shared.lock().unwrap();
        if state.fired {
            Poll::Ready(())
        } else {
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
// ANCHOR_END: interrupt

// ANCHOR: model
/// The streamed answer: a `futures_core::Stream` of tokens (chapter 9).
pub type TokenStream = Pin<Box<dyn Stream<Item = String>>>;

/// The pretend language model: which tools a prompt needs, and the answer it streams back.
pub trait Model<R: Runtime> {
    fn plan(&mut self, rt: &R, prompt: &str) -> Vec<Tool>;
    fn answer(&mut self, rt: &R, prompt: &str, tools: &[ToolReport]) -> TokenStream;
}

/// Timing knobs of a session.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// One limit for all the tools of a turn together.
    pub tool_limit: Duration,
    /// How often the progress line appears while tools run.
    pub tick_every: Duration,
}
// ANCHOR_END: model

// ANCHOR: reader
/// A *blocking* source of typed lines (Python's `input()`); `None` at the end of the input.
/// `Send + 'static`: the session moves it to another thread for every read.
pub trait LineReader: Send + 'static {
    fn read_line(&mut self) -> Option<String>;
}

/// A script, or the binary's stdin thread: each line sent is one line typed; `recv` blocks.
impl LineReader for mpsc::Receiver<String> {
    fn read_line(&mut self) -> Option<String> {
        self.recv().ok()
    }
}

/// The line that ends a session.
pub const QUIT: &str = "/quit";
/// The line that presses the stop button (the binary's stdin thread handles it).
pub const STOP: &str = "/stop";
// ANCHOR_END: reader

// ANCHOR: transcript
/// What the session shows, one timestamped line at a time; `echo` also prints each line as it
/// is said (the binary). Clones share one transcript.
#[derive(Clone, Default)]
pub struct Transcript {
    lines: Rc<RefCell<Vec<String>>>,
    echo: bool,
}

impl Transcript {
    pub fn new() -> Transcript {
        Transcript::default()
    }

    pub fn echoing() -> Transcript {
        Transcript {
            echo: true,
            ..Transcript::default()
        }
    }

    /// Adds `[  t.ts] text`.
    pub fn say(&self, at: Duration, text: impl fmt::Display) {
        let line = format!("[{:>5.1}s] {text}", at.as_secs_f64());
        if self.echo {
            println!("{line}");
        }
        self.lines.borrow_mut().push(line);
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.borrow().clone()
    }
}
// ANCHOR_END: transcript

// ANCHOR: typed
/// A stream that yields `text`'s words one at a time, each `every` after the previous one, on
/// `rt`'s timers: how a language model's answer arrives.
pub fn typed<R: Runtime>(rt: &R, text: &str, every: Duration) -> TokenStream {
    Box::pin(Typed {
        rt: rt.clone(),
        words: text.split_whitespace().map(str::to_owned).collect(),
        every,
        timer: None,
    })
}

struct Typed<R> {
    rt: R,
    words: VecDeque<String>,
    every: Duration,
    /// The timer for the next word, armed at the first poll after the previous word.
    timer: Option<LocalFuture<()>>,
}

// Nothing in `Typed` is pinned in place (the timer is boxed), so it may move even if `R` may not.
impl<R> Unpin for Typed<R> {}

impl<R: Runtime> Stream for Typed<R> {
    type Item = String;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<String>> {
        if self.words.is_empty() {
            return Poll::Ready(None);
        }
        let every = self.every;
        let rt = self.rt.clone();
        let timer = self.timer.get_or_insert_with(|| rt.sleep(every));
        match timer.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.timer = None;
                Poll::Ready(self.words.pop_front())
            }
        }
    }
}
// ANCHOR_END: typed

// ANCHOR: demo_model
/// The binary's model: every prompt calls `search` (1 s), `calc` (2 s) and `code` (3 s); a
/// prompt containing "hang" also calls `slow_api`, which never answers, and one containing
/// "crash" calls `flaky`, which panics after 0.5 s. The answer is typed at 10 words a second.
pub struct DemoModel;

impl<R: Runtime> Model<R> for DemoModel {
    fn plan(&mut self, rt: &R, prompt: &str) -> Vec<Tool> {
        let pretend = |name: &'static str, ms: u64| {
            let rt = rt.clone();
            Tool::new(name, async move {
                rt.sleep(Duration::from_millis(ms)).await;
                Ok(format!("{name} result"))
            })
        };
        let mut tools = vec![
            pretend("search", 1000),
            pretend("calc", 2000),
            pretend("code", 3000),
        ];
        if prompt.contains("hang") {
            tools.push(Tool::new("slow_api", std::future::pending()));
        }
        if prompt.contains("crash") {
            let rt = rt.clone();
            tools.push(Tool::new("flaky", async move {
                rt.sleep(Duration::from_millis(500)).await;
                panic!("flaky: connection reset")
            }));
        }
        tools
    }

    fn answer(&mut self, rt: &R, prompt: &str, tools: &[ToolReport]) -> TokenStream {
        let ok = tools
            .iter()
            .filter(|t| matches!(t.outcome, Outcome::Ok(_)))
            .count();
        let text = format!(
            "You asked \"{prompt}\" and {ok} of {} tools answered.",
            tools.len()
        );
        typed(rt, &text, Duration::from_millis(100))
    }
}
// ANCHOR_END: demo_model
