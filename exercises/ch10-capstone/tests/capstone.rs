//! Chapter 10 behaviour tests. The same file tests your stub (`cargo test -p capstone`) and the
//! reference solution (`cargo test -p capstone-solution`).
//!
//! Every scenario runs on BOTH runtimes: the course's own loop on a `VirtualClock`, and tokio on
//! paused time. A ten-second sleep takes no real time, so the timestamps are exact and show the
//! concurrency: tools of 1 s, 2 s and 3 s run together finish by t=3.0s, not t=6.0s. Each run is
//! inside a watchdog; scenarios return what they saw, and the assertions run afterwards, so a
//! failing assertion names the runtime and the mistake.
//!
//! Run one stage at a time: `cargo test -p capstone stage1` (then stage2, stage3, stage4).

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant as WallClock};

use capstone::{
    Answer, Config, Interrupt, LineReader, Model, Outcome, OwnRuntime, Runtime, SharedState, State,
    TokenStream, TokioRuntime, Tool, ToolReport, Transcript, run_session, run_tools, stream_answer,
    typed,
};
use course_support::{DropCounter, DropProbe, panic_message, watchdog_causes};
use event_loop::VirtualClock;
use futures_core::Stream;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A duration as seconds with one decimal, as the transcript prints it: `2.5s`.
fn s(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

#[derive(Clone, Copy, Debug)]
enum Rt {
    Own,
    Tokio,
}

const BOTH: [Rt; 2] = [Rt::Own, Rt::Tokio];

/// Runs a scenario on one runtime inside the watchdog. A panic that escapes the scenario (other
/// than a `todo!()`) is reported as one: the agent must never let a tool's panic reach it.
macro_rules! run {
    ($rt:expr, $causes:expr, $scenario:ident) => {
        run_on(
            $rt,
            $causes,
            $scenario::<OwnRuntime>,
            $scenario::<TokioRuntime>,
        )
    };
}

fn run_on<T, FO, FutO, FT, FutT>(rt: Rt, causes: &[&str], own: FO, tokio: FT) -> T
where
    T: Send + 'static,
    FO: FnOnce(OwnRuntime) -> FutO + Send + 'static,
    FutO: Future<Output = T>,
    FT: FnOnce(TokioRuntime) -> FutT + Send + 'static,
    FutT: Future<Output = T>,
{
    quiet_tool_panics();
    watchdog_causes(causes, move || {
        // The runtime runs on a thread of its own, named like the test, so that a test tool
        // that finds the state locked can raise the alarm (`raise_lock_alarm`) while that
        // thread is stuck in a second `lock()`; this thread then fails the test at once.
        let name = thread::current().name().unwrap_or("test").to_owned();
        let (done_tx, done_rx) = mpsc::channel();
        let scenario = thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(|| match rt {
                    Rt::Own => OwnRuntime::block_on(VirtualClock::new(), own),
                    Rt::Tokio => TokioRuntime::block_on(true, tokio),
                }));
                let _ = done_tx.send(result);
            })
            .expect("could not start the runtime's thread");
        let result = loop {
            match done_rx.recv_timeout(ms(10)) {
                Ok(result) => {
                    let _ = scenario.join();
                    break result;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("the runtime's thread ended without a result")
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let alarm = lock_alarms().remove(&name);
                    if let Some(alarm) = alarm {
                        panic!("on the {rt:?} runtime, {alarm}");
                    }
                }
            }
        };
        match result {
            Ok(value) => value,
            Err(payload) => {
                let message = panic_message(&*payload);
                if message.contains("not yet implemented") {
                    resume_unwind(payload);
                }
                panic!(
                    "on the {rt:?} runtime, a panic reached the code that awaited the agent: \
                     `{message}`. A task's panic is caught by its runtime (chapter 4's step, \
                     tokio's JoinError): `spawn` must hand it back as `Err(message)`, and the \
                     agent reports it (`Outcome::Panicked`) and goes on. Do not `unwrap` or \
                     `resume_unwind` a task's result"
                )
            }
        }
    })
}

/// Alarms raised by test tools, by the name of the runtime's thread (the test's name).
static LOCK_ALARMS: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

/// The alarms, readable even after a panic elsewhere poisoned their lock.
fn lock_alarms() -> std::sync::MutexGuard<'static, BTreeMap<String, String>> {
    LOCK_ALARMS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Called by a test tool that found the agent's state locked as it started. The runtime's
/// thread is about to freeze in the next `lock()` of that mutex, so the test fails now, with
/// this message, instead of at the watchdog's limit.
fn raise_lock_alarm(tool: &str) {
    let Some(name) = thread::current().name().map(str::to_owned) else {
        return;
    };
    lock_alarms().entry(name).or_insert_with(|| {
        format!(
            "tool `{tool}` found the agent's state locked when it started: a std `MutexGuard` \
             is alive across an `.await` in your code (a `let mut s = state.lock().unwrap();` \
             at the top of the function, say). The next `lock()` on this one thread never \
             returns, so the agent is frozen. Lock, change, and let the guard go in a block \
             that contains no `.await`"
        )
    });
}

/// The tests' tools panic on purpose ("... exploded"); the runtime catches those panics, so
/// their messages would only clutter a failing test's output. Every other panic prints as usual.
fn quiet_tool_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = panic_message(info.payload());
            if !(message.ends_with(" exploded") && message.starts_with(TOOL_PANIC_PREFIX)) {
                default(info);
            }
        }));
    });
}

/// What a deliberately panicking test tool's message starts with.
const TOOL_PANIC_PREFIX: &str = "tool ";

// ---------------------------------------------------------------------------------------------
// Instruments: tools that log when they started and ended and whether they were dropped.

#[derive(Clone, Debug, Default)]
struct ToolLog {
    started: Option<Duration>,
    finished: Option<Duration>,
    dropped: bool,
    /// The state's lock was held by someone else when the tool started.
    found_state_locked: bool,
}

#[derive(Clone, Default)]
struct Bench {
    logs: Arc<Mutex<BTreeMap<String, ToolLog>>>,
}

struct DropFlag(Bench, String);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.update(&self.1, |log| log.dropped = true);
    }
}

#[derive(Clone)]
enum Ending {
    Ok,
    Err,
    Panic,
    Never,
}

impl Bench {
    fn update(&self, name: &str, change: impl FnOnce(&mut ToolLog)) {
        change(
            self.logs
                .lock()
                .unwrap()
                .entry(name.to_owned())
                .or_default(),
        );
    }

    fn log(&self, name: &str) -> ToolLog {
        self.logs
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    /// A tool that works for `after` and then ends as `ending` says. It checks the agent's state
    /// lock when it starts: a session that keeps the guard across `.await` is caught here.
    fn tool<R: Runtime>(
        &self,
        rt: &R,
        state: &SharedState,
        name: &str,
        after: u64,
        ending: Ending,
    ) -> Tool {
        let (bench, rt, state, name) = (self.clone(), rt.clone(), state.clone(), name.to_owned());
        let flag = DropFlag(bench.clone(), name.clone());
        Tool::new(name.clone(), async move {
            let _flag = flag;
            let locked = state.try_lock().is_err();
            if locked {
                raise_lock_alarm(&name);
            }
            let now = rt.now();
            bench.update(&name, |log| {
                log.started = Some(now);
                log.found_state_locked = locked;
            });
            match ending {
                Ending::Never => std::future::pending::<()>().await,
                _ => rt.sleep(ms(after)).await,
            }
            let now = rt.now();
            bench.update(&name, |log| log.finished = Some(now));
            match ending {
                Ending::Ok | Ending::Never => Ok(format!("{name} done")),
                Ending::Err => Err(format!("{name} broke")),
                Ending::Panic => panic!("{TOOL_PANIC_PREFIX}{name} exploded"),
            }
        })
    }
}

fn new_state() -> SharedState {
    Arc::new(Mutex::new(State::default()))
}

fn config(limit_ms: u64) -> Config {
    Config {
        tool_limit: ms(limit_ms),
        tick_every: ms(700),
    }
}

fn no_panic_text(outcome: &Outcome) -> bool {
    !matches!(outcome, Outcome::Panicked(_))
}

// =============================================================================================
// Stage 1: the adapters.

const ADAPTER_HANGS: &[&str] = &[
    "a Runtime method blocks the thread (std::thread::sleep, or waiting on a std channel) instead \
     of returning a future that the runtime wakes",
    "`sleep` was built on the wrong clock: on the own loop use chapter 3's `event_loop::sleep`, \
     on tokio `tokio::time::sleep` (both follow the test's virtual / paused time)",
];

async fn clock_scenario<R: Runtime>(rt: R) -> (Duration, Duration, Duration) {
    let wall = WallClock::now();
    let before = rt.now();
    rt.sleep(ms(1500)).await;
    (before, rt.now(), wall.elapsed())
}

#[test]
fn stage1_now_and_sleep_follow_the_runtime_clock() {
    for rt in BOTH {
        let (before, after, wall) = run!(rt, ADAPTER_HANGS, clock_scenario);
        assert!(
            wall < Duration::from_millis(1000),
            "on the {rt:?} runtime, `sleep(1.5s)` took {wall:?} of real time: it blocked the \
             thread (std::thread::sleep?). Return the runtime's own sleep future, boxed; the \
             tests run on virtual time, where a sleep takes no real time at all"
        );
        assert_eq!(
            s(before),
            "0.0s",
            "on the {rt:?} runtime, `now()` read {} right after the runtime started: it should \
             count from the runtime's start (the loop's `time()`, or `self.start.elapsed()`)",
            s(before)
        );
        assert_eq!(
            s(after),
            "1.5s",
            "on the {rt:?} runtime, `now()` read {} after `sleep(1.5s)`: it does not follow the \
             runtime's clock. Read the loop's `Handle::time()` (own) or tokio's \
             `tokio::time::Instant` (tokio); `std::time::Instant` ignores virtual / paused time",
            s(after)
        );
    }
}

async fn spawn_scenario<R: Runtime>(rt: R) -> (Duration, Vec<u32>) {
    let mut handles = Vec::new();
    for (n, secs) in [(1u32, 3u64), (2, 1), (3, 2)] {
        let inner = rt.clone();
        handles.push(rt.spawn(async move {
            inner.sleep(Duration::from_secs(secs)).await;
            n
        }));
    }
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap_or(0));
    }
    (rt.now(), outputs)
}

#[test]
fn stage1_spawn_starts_the_task_at_once() {
    for rt in BOTH {
        let (at, outputs) = run!(rt, ADAPTER_HANGS, spawn_scenario);
        assert_eq!(
            outputs,
            [1, 2, 3],
            "on the {rt:?} runtime, three spawned tasks gave {outputs:?}: each handle must give \
             its own task's output"
        );
        assert_eq!(
            s(at),
            "3.0s",
            "on the {rt:?} runtime, three tasks of 3 s, 1 s and 2 s awaited one after another \
             were all done at {}, not 3.0s: `spawn` did not start the task, it only ran when \
             awaited (an `async move {{ future.await }}` is lazy). Start a real task in `spawn` \
             (`tasks::Builder::spawn_on`, `tokio::task::spawn_local`) and return a future over \
             its handle",
            s(at)
        );
    }
}

async fn abort_scenario<R: Runtime>(rt: R) -> (usize, usize, bool) {
    let counter = DropCounter::new();
    let probe: DropProbe = counter.probe();
    let inner = rt.clone();
    let handle = rt.spawn(async move {
        let _probe = probe;
        inner.sleep(Duration::from_secs(10)).await;
    });
    rt.sleep(ms(500)).await;
    let before = counter.dropped();
    drop(handle);
    // Give the runtime a moment to process the abort (tokio drops the future at its next turn).
    rt.sleep(ms(10)).await;
    let after = counter.dropped();
    // A task that was not aborted would now reach its end and drop the probe anyway.
    rt.sleep(Duration::from_secs(20)).await;
    (before, after, rt.now() >= Duration::from_secs(20))
}

#[test]
fn stage1_dropping_a_spawned_task_aborts_it() {
    for rt in BOTH {
        let (before, after, _) = run!(rt, ADAPTER_HANGS, abort_scenario);
        assert_eq!(
            before, 0,
            "on the {rt:?} runtime, a spawned task's future was dropped after 0.5 s although it \
             sleeps 10 s and its handle was still held"
        );
        assert_eq!(
            after, 1,
            "on the {rt:?} runtime, the task's future was still alive after its handle was \
             dropped: a plain JoinHandle (chapter 4's, and tokio's) DETACHES its task on drop. \
             Keep the handle in something that aborts it when dropped: chapter 5's \
             `gather::AbortOnDrop` (own), a small struct whose `Drop` calls \
             `JoinHandle::abort` (tokio)"
        );
    }
}

async fn panic_scenario<R: Runtime>(rt: R) -> (Result<u32, String>, Result<u32, String>) {
    let inner = rt.clone();
    let bad = rt.spawn(async move {
        inner.sleep(ms(100)).await;
        if inner.now() > Duration::ZERO {
            panic!("tool exploded");
        }
        1u32
    });
    let good = rt.spawn(async { 2u32 });
    (bad.await, good.await)
}

#[test]
fn stage1_spawn_reports_a_panic_as_err() {
    for rt in BOTH {
        let (bad, good) = run!(rt, ADAPTER_HANGS, panic_scenario);
        assert_eq!(
            bad,
            Err("tool exploded".to_owned()),
            "on the {rt:?} runtime, a task that panicked with \"tool exploded\" gave {bad:?}: \
             `spawn` returns `Err(<the panic's message>)` (own: `JoinError::Panicked {{ \
             message, .. }}`; tokio: `JoinError::into_panic()`, a `&str` or `String` payload)"
        );
        assert_eq!(
            good,
            Ok(2),
            "on the {rt:?} runtime, a task returning 2 gave {good:?}"
        );
    }
}

async fn blocking_scenario<R: Runtime>(rt: R) -> (bool, bool, Duration) {
    let runtime_thread = thread::current().id();
    // A task that can only run if the runtime's thread is free while the work blocks.
    let (tx, rx) = mpsc::channel::<()>();
    let _alive = rt.spawn(async move {
        let _ = tx.send(());
    });
    let (off_thread, loop_ran) = rt
        .spawn_blocking(move || {
            if thread::current().id() == runtime_thread {
                return (false, false);
            }
            (true, rx.recv_timeout(Duration::from_secs(2)).is_ok())
        })
        .await;
    (off_thread, loop_ran, rt.now())
}

#[test]
fn stage1_spawn_blocking_runs_off_the_runtime_thread() {
    for rt in BOTH {
        let (off_thread, loop_ran, _) = run!(rt, ADAPTER_HANGS, blocking_scenario);
        assert!(
            off_thread,
            "on the {rt:?} runtime, `spawn_blocking` ran the work on the runtime's own thread, \
             which then runs nothing else until the work returns: send it to the pool \
             (`self.pool.spawn_blocking`, chapter 6) or `tokio::task::spawn_blocking`"
        );
        assert!(
            loop_ran,
            "on the {rt:?} runtime, a task spawned before `spawn_blocking` did not run while \
             the blocking work waited for it: the runtime's thread was not free. Do not wait \
             for the work on the runtime's thread (no `recv`, no `join`): await its future"
        );
    }
}

async fn timeout_scenario<R: Runtime>(
    rt: R,
) -> (Option<u32>, Duration, usize, Option<u32>, Duration) {
    let counter = DropCounter::new();
    let probe = counter.probe();
    let inner = rt.clone();
    let slow = rt
        .timeout(Duration::from_secs(1), async move {
            let _probe = probe;
            inner.sleep(Duration::from_secs(5)).await;
            1u32
        })
        .await;
    let cut_at = rt.now();
    let dropped = counter.dropped();
    let inner = rt.clone();
    let quick = rt
        .timeout(Duration::from_secs(2), async move {
            inner.sleep(Duration::from_secs(1)).await;
            7u32
        })
        .await;
    (slow, cut_at, dropped, quick, rt.now())
}

#[test]
fn stage1_timeout_cuts_off_and_drops_the_future() {
    for rt in BOTH {
        let (slow, cut_at, dropped, quick, end) = run!(rt, ADAPTER_HANGS, timeout_scenario);
        assert_eq!(
            (slow, s(cut_at)),
            (None, "1.0s".to_owned()),
            "on the {rt:?} runtime, `timeout(1s, <5 s of work>)` gave {slow:?} at {}: it must \
             give None at 1.0s (`gather::timeout` / `tokio::time::timeout`, `.ok()`)",
            s(cut_at)
        );
        assert_eq!(
            dropped, 1,
            "on the {rt:?} runtime, the future cut off by `timeout` was not dropped when \
             `timeout` returned"
        );
        assert_eq!(
            (quick, s(end)),
            (Some(7), "2.0s".to_owned()),
            "on the {rt:?} runtime, `timeout(2s, <1 s of work giving 7>)` gave {quick:?}, \
             finishing at {} (expected Some(7) at 2.0s)",
            s(end)
        );
    }
}

// =============================================================================================
// Stage 2: run_tools.

const TOOLS_HANG: &[&str] = &[
    "`run_tools` holds the state's std Mutex guard across an `.await`: the next `lock()` on the \
     same thread never returns (lock, change, drop the guard; then await)",
    "`run_tools` waits for a tool that never finishes: put ONE `rt.timeout(config.tool_limit, ..)` \
     around waiting for all of them",
    "the progress ticker is awaited instead of spawned (it never ends)",
];

struct ToolRun {
    reports: Vec<ToolReport>,
    returned_at: Duration,
    lines: Vec<String>,
    bench: Bench,
    state_after: (Vec<String>, u64),
    /// What the state said about running tools at 1.5 s, read by a probe task.
    running_at_1_5: Option<Vec<String>>,
    /// The tools whose futures had been dropped 5 s after `run_tools` returned, while the
    /// runtime still ran (when it shuts down, it drops every task, even a detached one).
    dropped_before_shutdown: Vec<String>,
}

/// Runs `tools` (name, ms, ending) through `run_tools` with `limit_ms`, then lets 5 more seconds
/// pass so a tool or ticker that was not stopped shows itself.
async fn tool_run<R: Runtime>(
    rt: R,
    tools: Vec<(&'static str, u64, Ending)>,
    limit_ms: u64,
) -> ToolRun {
    let bench = Bench::default();
    let state = new_state();
    let out = Transcript::new();
    let tools: Vec<Tool> = tools
        .into_iter()
        .map(|(name, after, ending)| bench.tool(&rt, &state, name, after, ending))
        .collect();
    let probe = rt.spawn({
        let (rt, state) = (rt.clone(), state.clone());
        async move {
            rt.sleep(ms(1500)).await;
            state.try_lock().ok().map(|state| state.running.clone())
        }
    });
    let reports = run_tools(&rt, tools, &config(limit_ms), &state, &out).await;
    let returned_at = rt.now();
    let running_at_1_5 = probe.await.ok().flatten();
    rt.sleep(Duration::from_secs(5)).await;
    let dropped_before_shutdown = bench
        .logs
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, log)| log.dropped)
        .map(|(name, _)| name.clone())
        .collect();
    let state_after = {
        let state = state.lock().unwrap();
        (state.running.clone(), state.tool_calls)
    };
    ToolRun {
        reports,
        returned_at,
        lines: out.lines(),
        bench,
        state_after,
        running_at_1_5,
        dropped_before_shutdown,
    }
}

fn outcomes(reports: &[ToolReport]) -> Vec<(String, Outcome)> {
    reports
        .iter()
        .map(|r| (r.name.clone(), r.outcome.clone()))
        .collect()
}

fn check_lock(rt: Rt, run: &ToolRun, names: &[&str]) {
    for name in names {
        assert!(
            !run.bench.log(name).found_state_locked,
            "on the {rt:?} runtime, tool `{name}` found the agent's state locked when it \
             started: a `MutexGuard` is alive across an `.await` in your code. Lock, change, \
             and let the guard go in a block that contains no `.await`"
        );
    }
}

/// Every tool must start at 0.0s: spawned first, waited for afterwards.
fn check_started_together(rt: Rt, run: &ToolRun, names: &[&str]) {
    let starts: Vec<String> = names
        .iter()
        .map(|n| {
            run.bench
                .log(n)
                .started
                .map(s)
                .unwrap_or_else(|| "never".into())
        })
        .collect();
    assert!(
        starts.iter().all(|t| t == "0.0s"),
        "on the {rt:?} runtime, the tools {names:?} started at {starts:?} and `run_tools` \
         returned at {}: they ran one after another. `rt.spawn` every tool first (spawning \
         starts it), and only then wait for them",
        s(run.returned_at)
    );
}

async fn three_tools<R: Runtime>(rt: R) -> ToolRun {
    let tools = vec![
        ("search", 2000, Ending::Ok),
        ("calc", 1000, Ending::Ok),
        ("code", 3000, Ending::Ok),
    ];
    tool_run(rt, tools, 10_000).await
}

#[test]
fn stage2_tools_run_concurrently_with_reports_in_input_order() {
    let mut transcripts = Vec::new();
    for rt in BOTH {
        let run = run!(rt, TOOLS_HANG, three_tools);
        check_lock(rt, &run, &["search", "calc", "code"]);
        check_started_together(rt, &run, &["search", "calc", "code"]);
        assert_eq!(
            s(run.returned_at),
            "3.0s",
            "on the {rt:?} runtime, tools of 2 s, 1 s and 3 s run together should all be done \
             at 3.0s; `run_tools` returned at {}",
            s(run.returned_at)
        );
        let names: Vec<&str> = run.reports.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["search", "calc", "code"],
            "on the {rt:?} runtime, reports came as {names:?}: one report per tool, in the order \
             the tools were given (not the order they finished); keep each tool's index"
        );
        let times: Vec<String> = run.reports.iter().map(|r| s(r.at)).collect();
        assert_eq!(
            (outcomes(&run.reports), times.clone()),
            (
                vec![
                    ("search".into(), Outcome::Ok("search done".into())),
                    ("calc".into(), Outcome::Ok("calc done".into())),
                    ("code".into(), Outcome::Ok("code done".into())),
                ],
                vec!["2.0s".into(), "1.0s".into(), "3.0s".into()]
            ),
            "on the {rt:?} runtime, each report carries the tool's output and the time it \
             settled (`rt.now()` when its task finished)"
        );
        assert!(
            run.lines
                .iter()
                .any(|l| l == "[  1.0s] calc: ok: calc done"),
            "on the {rt:?} runtime, the transcript has no `[  1.0s] calc: ok: calc done`: say \
             each tool's result the moment it settles, not all at the end. Transcript:\n{}",
            run.lines.join("\n")
        );
        assert_eq!(
            run.state_after,
            (Vec::<String>::new(), 3),
            "on the {rt:?} runtime, after the tools the state had (running, tool_calls) = {:?}: \
             add every tool to `running` and `tool_calls` before starting them, and remove each \
             from `running` when it settles",
            run.state_after
        );
        assert_eq!(
            run.running_at_1_5,
            Some(vec!["search".to_owned(), "code".to_owned()]),
            "on the {rt:?} runtime, at 1.5 s (calc done, search and code running) the state's \
             `running` was {:?} (None: it was locked)",
            run.running_at_1_5
        );
        transcripts.push(run.lines);
    }
    let late_ticks = transcripts
        .iter()
        .any(|lines| lines.iter().any(|l| l.ends_with("... waiting for ")));
    assert_eq!(
        transcripts[0],
        transcripts[1],
        "the two runtimes said different things for the same tools (own first, tokio second){}",
        if late_ticks {
            ": one ticker kept saying `... waiting for` after the tools were done, so its handle \
             detached it instead of aborting it (stage 1's `spawn` on that runtime)"
        } else {
            ""
        }
    );
}

async fn with_a_hanging_tool<R: Runtime>(rt: R) -> ToolRun {
    let tools = vec![
        ("search", 1000, Ending::Ok),
        ("stuck", 0, Ending::Never),
        ("calc", 2000, Ending::Ok),
    ];
    tool_run(rt, tools, 3000).await
}

#[test]
fn stage2_a_hanging_tool_is_cut_off_by_the_overall_limit() {
    for rt in BOTH {
        let run = run!(rt, TOOLS_HANG, with_a_hanging_tool);
        check_started_together(rt, &run, &["search", "stuck", "calc"]);
        assert_eq!(
            s(run.returned_at),
            "3.0s",
            "on the {rt:?} runtime, with a 3 s limit and a tool that never answers, `run_tools` \
             returned at {}: the limit is ONE `rt.timeout(config.tool_limit, ..)` around waiting \
             for all the tools, which returns at 3.0s",
            s(run.returned_at)
        );
        assert_eq!(
            outcomes(&run.reports),
            vec![
                ("search".into(), Outcome::Ok("search done".into())),
                ("stuck".into(), Outcome::TimedOut),
                ("calc".into(), Outcome::Ok("calc done".into())),
            ],
            "on the {rt:?} runtime, when the limit passes, the tools that finished in time keep \
             their results (record each as it settles) and only the unfinished one is \
             `TimedOut`"
        );
        assert!(
            run.dropped_before_shutdown.iter().any(|n| n == "stuck"),
            "on the {rt:?} runtime, the timed-out tool's future was still alive 5 s after \
             `run_tools` returned{}: its task kept running. {}",
            if run.bench.log("stuck").dropped {
                " (it was dropped only when the runtime shut down)"
            } else {
                ""
            },
            "Most likely its handle DETACHED the task when it was dropped: a plain JoinHandle \
             (chapter 4's, and tokio's) does. Stage 1's `spawn` must hold the handle in \
             something whose `Drop` aborts it (`gather::AbortOnDrop`; for tokio a struct whose \
             `Drop` calls `JoinHandle::abort`). Otherwise, whatever holds the tools' handles \
             (the watchers) was not dropped when the timeout fired"
        );
        assert!(
            run.lines
                .iter()
                .any(|l| l == "[  3.0s] stuck: timed out after 3.0s"),
            "on the {rt:?} runtime, the transcript does not say `[  3.0s] stuck: timed out \
             after 3.0s`. Transcript:\n{}",
            run.lines.join("\n")
        );
        assert_eq!(
            run.state_after.0,
            Vec::<String>::new(),
            "on the {rt:?} runtime, the timed-out tool stayed in `state.running`"
        );
    }
}

async fn with_a_panicking_tool<R: Runtime>(rt: R) -> ToolRun {
    let tools = vec![
        ("flaky", 500, Ending::Panic),
        ("search", 1000, Ending::Ok),
        ("lookup", 800, Ending::Err),
    ];
    tool_run(rt, tools, 3000).await
}

#[test]
fn stage2_a_panicking_tool_is_reported_and_the_others_finish() {
    for rt in BOTH {
        let run = run!(rt, TOOLS_HANG, with_a_panicking_tool);
        check_started_together(rt, &run, &["flaky", "search", "lookup"]);
        assert_eq!(
            outcomes(&run.reports),
            vec![
                (
                    "flaky".into(),
                    Outcome::Panicked("tool flaky exploded".into())
                ),
                ("search".into(), Outcome::Ok("search done".into())),
                ("lookup".into(), Outcome::Failed("lookup broke".into())),
            ],
            "on the {rt:?} runtime, a tool that panics is `Panicked(<message>)`, one that \
             returns `Err(e)` is `Failed(e)`, and neither stops the others"
        );
        assert!(
            run.reports
                .iter()
                .skip(1)
                .all(|r| no_panic_text(&r.outcome)),
            "on the {rt:?} runtime, only the panicking tool is `Panicked`"
        );
        assert_eq!(
            s(run.returned_at),
            "1.0s",
            "on the {rt:?} runtime, `run_tools` returned at {} though every tool had settled by \
             1.0s",
            s(run.returned_at)
        );
    }
}

async fn ticking_tools<R: Runtime>(rt: R) -> ToolRun {
    let tools = vec![("search", 1000, Ending::Ok), ("calc", 2000, Ending::Ok)];
    tool_run(rt, tools, 10_000).await
}

#[test]
fn stage2_progress_ticks_while_tools_run_and_stops_after() {
    for rt in BOTH {
        let run = run!(rt, TOOLS_HANG, ticking_tools);
        check_started_together(rt, &run, &["search", "calc"]);
        let ticks: Vec<&String> = run
            .lines
            .iter()
            .filter(|l| l.contains("... waiting for"))
            .collect();
        assert!(
            !ticks.is_empty(),
            "on the {rt:?} runtime, no progress line while tools ran for 2 s (tick every 0.7 s): \
             spawn a ticker task that sleeps `config.tick_every` and says `... waiting for \
             <running tools>`. Transcript:\n{}",
            run.lines.join("\n")
        );
        assert!(
            ticks.len() <= 2,
            "on the {rt:?} runtime, the progress ticker kept ticking after the tools were done \
             ({} ticks for 2 s of tools at one per 0.7 s; the test waited 5 s more): dropping a \
             plain handle detaches the ticker. Keep it in stage 1's abort-on-drop handle and \
             drop it when `run_tools` returns. Ticks:\n{}",
            ticks.len(),
            ticks
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(
            ticks,
            [
                "[  0.7s] ... waiting for search, calc",
                "[  1.4s] ... waiting for calc"
            ],
            "on the {rt:?} runtime, the progress lines should come every 0.7 s and name the tools \
             still running (from `state.running`)"
        );
    }
}

// =============================================================================================
// Stage 3: stream_answer.

const STREAM_HANGS: &[&str] = &[
    "`stream_answer` waits for the stop button alone (or for the stream alone): poll both in one \
     `poll_fn`, the button first",
    "`stream_answer` never stops at the end of the stream (`poll_next` gives `Ready(None)`)",
];

/// Passes a stream through, counting how many items were asked for, dropping a probe with it,
/// and optionally pressing the stop button after the `press_after`-th token.
struct Watched {
    inner: TokenStream,
    _probe: DropProbe,
    given: Arc<Mutex<usize>>,
    press_after: Option<(usize, Interrupt)>,
}

impl Stream for Watched {
    type Item = String;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<String>> {
        let next = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(_)) = &next {
            let given = {
                let mut given = self.given.lock().unwrap();
                *given += 1;
                *given
            };
            if let Some((after, interrupt)) = &self.press_after {
                if given == *after {
                    interrupt.fire();
                }
            }
        }
        next
    }
}

struct StreamRun {
    answer: Answer,
    lines: Vec<String>,
    returned_at: Duration,
    dropped_on_return: usize,
    tokens_given: usize,
}

async fn stream_run<R: Runtime>(
    rt: R,
    press_after: Option<usize>,
    press_at: Option<u64>,
) -> StreamRun {
    let counter = DropCounter::new();
    let given = Arc::new(Mutex::new(0));
    let interrupt = Interrupt::new();
    let stream: TokenStream = Box::pin(Watched {
        inner: typed(&rt, "one two three four five", ms(100)),
        _probe: counter.probe(),
        given: given.clone(),
        press_after: press_after.map(|n| (n, interrupt.clone())),
    });
    let _presser = press_at.map(|at| {
        let (inner, interrupt) = (rt.clone(), interrupt.clone());
        rt.spawn(async move {
            inner.sleep(ms(at)).await;
            interrupt.fire();
        })
    });
    let out = Transcript::new();
    let answer = stream_answer(&rt, stream, &interrupt, &out).await;
    let returned_at = rt.now();
    let dropped_on_return = counter.dropped();
    let tokens_given = *given.lock().unwrap();
    StreamRun {
        answer,
        lines: out.lines(),
        returned_at,
        dropped_on_return,
        tokens_given,
    }
}

async fn whole_answer<R: Runtime>(rt: R) -> StreamRun {
    stream_run(rt, None, None).await
}

#[test]
fn stage3_tokens_are_shown_as_they_arrive() {
    for rt in BOTH {
        let run = run!(rt, STREAM_HANGS, whole_answer);
        assert_eq!(
            run.answer,
            Answer {
                text: "one two three four five".into(),
                interrupted: false
            },
            "on the {rt:?} runtime, the answer should be every token, joined by spaces"
        );
        assert_eq!(
            run.lines,
            [
                "[  0.1s] agent> one",
                "[  0.2s] agent> two",
                "[  0.3s] agent> three",
                "[  0.4s] agent> four",
                "[  0.5s] agent> five",
            ],
            "on the {rt:?} runtime, each token is said the moment it arrives (one every 0.1 s), \
             not collected and shown at the end"
        );
    }
}

async fn stopped_after_two<R: Runtime>(rt: R) -> StreamRun {
    stream_run(rt, Some(2), None).await
}

#[test]
fn stage3_the_stop_button_ends_the_stream_and_drops_it() {
    for rt in BOTH {
        let run = run!(rt, STREAM_HANGS, stopped_after_two);
        assert!(
            run.answer.interrupted,
            "on the {rt:?} runtime, the stop button was pressed after the 2nd of 5 tokens, yet \
             the answer ran to its end ({:?}): check `interrupt.poll_fired(cx)` before every \
             `poll_next`",
            run.answer.text
        );
        assert!(
            run.answer.text != "one",
            "on the {rt:?} runtime, the press came after token 2, and token 2 was taken from \
             the stream but never shown: the button was looked at after `poll_next` gave a \
             token, and that token was thrown away. Look at the button BEFORE asking the stream \
             for the next token"
        );
        assert_eq!(
            (
                run.answer.text.as_str(),
                run.tokens_given,
                s(run.returned_at)
            ),
            ("one two", 2, "0.2s".to_owned()),
            "on the {rt:?} runtime, after a press following token 2, `stream_answer` should \
             stop at once, at 0.2s, without asking the stream for another token (asked for {}, \
             returned at {})",
            run.tokens_given,
            s(run.returned_at)
        );
        assert_eq!(
            run.dropped_on_return, 1,
            "on the {rt:?} runtime, the interrupted stream was still alive when `stream_answer` \
             returned: drop it (its producer's cleanup runs at once, like `aclose()`), do not \
             keep it for later"
        );
        assert_eq!(
            run.lines.last().map(String::as_str),
            Some("[  0.2s] agent> [interrupted]"),
            "on the {rt:?} runtime, the transcript should end with `agent> [interrupted]`"
        );
    }
}

async fn stopped_between_tokens<R: Runtime>(rt: R) -> StreamRun {
    stream_run(rt, None, Some(250)).await
}

#[test]
fn stage3_the_stop_button_interrupts_the_wait_for_a_token() {
    for rt in BOTH {
        let run = run!(rt, STREAM_HANGS, stopped_between_tokens);
        assert_eq!(
            (
                s(run.returned_at),
                run.answer.text.as_str(),
                run.answer.interrupted
            ),
            ("0.2s".to_owned(), "one two", true),
            "on the {rt:?} runtime, the button was pressed at 0.25 s, between tokens 2 and 3; \
             `stream_answer` returned at {} with {:?}. It must wake for the button, not only \
             look at it when the next token comes: poll the button AND the stream in the same \
             `poll_fn`, so both register the task's waker",
            s(run.returned_at),
            run.answer
        );
    }
}

// =============================================================================================
// Stage 4: run_session.

const SESSION_HANGS: &[&str] = &[
    "the prompt read blocks the runtime's only thread: read with `rt.spawn_blocking`, moving the \
     reader in and handing it back with the line",
    "the session never ends: stop at `/quit` and at the end of input (`None`)",
    "a `MutexGuard` on the state is alive across an `.await`",
];

/// The test's model: `crash` calls a tool that panics; `stop` presses the stop button after the
/// 2nd token; every prompt calls `search` (1 s), `calc` (2 s) and `code` (3 s).
struct TestModel {
    bench: Bench,
    state: SharedState,
    interrupt: Interrupt,
    answer_probes: DropCounter,
}

impl<R: Runtime> Model<R> for TestModel {
    fn plan(&mut self, rt: &R, prompt: &str) -> Vec<Tool> {
        let mut tools = vec![
            self.bench.tool(rt, &self.state, "search", 1000, Ending::Ok),
            self.bench.tool(rt, &self.state, "calc", 2000, Ending::Ok),
            self.bench.tool(rt, &self.state, "code", 3000, Ending::Ok),
        ];
        if prompt.contains("crash") {
            tools.push(
                self.bench
                    .tool(rt, &self.state, "flaky", 500, Ending::Panic),
            );
        }
        tools
    }

    fn answer(&mut self, rt: &R, prompt: &str, tools: &[ToolReport]) -> TokenStream {
        let ok = tools
            .iter()
            .filter(|t| matches!(t.outcome, Outcome::Ok(_)))
            .count();
        Box::pin(Watched {
            inner: typed(rt, &format!("{ok} tools say {prompt}"), ms(100)),
            _probe: self.answer_probes.probe(),
            given: Arc::default(),
            press_after: prompt.contains("stop").then(|| (2, self.interrupt.clone())),
        })
    }
}

/// A scripted terminal: lines from a channel (blocking `recv`), noting the thread of each read.
/// A read on the runtime's own thread ends the input at once instead of blocking it.
struct Script {
    lines: mpsc::Receiver<String>,
    runtime_thread: ThreadId,
    reads: Arc<Mutex<Vec<&'static str>>>,
    /// The runtime says it is alive (a task sends on it) before the first line is typed.
    alive: Option<mpsc::Receiver<()>>,
}

impl LineReader for Script {
    fn read_line(&mut self) -> Option<String> {
        if thread::current().id() == self.runtime_thread {
            self.reads.lock().unwrap().push("on the runtime thread");
            return None;
        }
        if let Some(alive) = self.alive.take() {
            if alive.recv_timeout(Duration::from_secs(2)).is_err() {
                self.reads
                    .lock()
                    .unwrap()
                    .push("while the runtime was stuck");
                return None;
            }
        }
        self.reads.lock().unwrap().push("off the runtime thread");
        self.lines.recv().ok()
    }
}

struct SessionRun {
    lines: Vec<String>,
    reads: Vec<&'static str>,
    history: Vec<(String, String, bool)>,
    tool_calls: u64,
    bench: Bench,
    answers_dropped: usize,
}

async fn session_run<R: Runtime>(rt: R, script: &'static [&'static str]) -> SessionRun {
    let (typist, lines) = mpsc::channel();
    for line in script {
        typist.send(line.to_string()).unwrap();
    }
    drop(typist);
    let (alive_tx, alive_rx) = mpsc::channel();
    let _alive = rt.spawn(async move {
        let _ = alive_tx.send(());
    });
    let reads = Arc::new(Mutex::new(Vec::new()));
    let reader = Script {
        lines,
        runtime_thread: thread::current().id(),
        reads: reads.clone(),
        alive: Some(alive_rx),
    };
    let state = new_state();
    let interrupt = Interrupt::new();
    let bench = Bench::default();
    let answer_probes = DropCounter::new();
    let model = TestModel {
        bench: bench.clone(),
        state: state.clone(),
        interrupt: interrupt.clone(),
        answer_probes: answer_probes.clone(),
    };
    let out = Transcript::new();
    let config = Config {
        tool_limit: ms(5000),
        tick_every: ms(700),
    };
    run_session(
        rt,
        reader,
        model,
        interrupt,
        config,
        state.clone(),
        out.clone(),
    )
    .await;
    let state = state.lock().unwrap();
    SessionRun {
        lines: out.lines(),
        reads: reads.lock().unwrap().clone(),
        history: state
            .history
            .iter()
            .map(|t| (t.prompt.clone(), t.answer.clone(), t.interrupted))
            .collect(),
        tool_calls: state.tool_calls,
        bench,
        answers_dropped: answer_probes.dropped(),
    }
}

fn check_reads(rt: Rt, run: &SessionRun) {
    assert!(
        !run.reads.contains(&"on the runtime thread"),
        "on the {rt:?} runtime, `read_line` was called on the runtime's own thread: a blocking \
         read there freezes every task until the user presses Enter. Read with \
         `rt.spawn_blocking(move || {{ let line = reader.read_line(); (reader, line) }})`"
    );
    assert!(
        !run.reads.contains(&"while the runtime was stuck"),
        "on the {rt:?} runtime, while the first read waited, a task spawned before the session \
         never ran: the runtime's thread was blocked during the read"
    );
}

async fn main_script<R: Runtime>(rt: R) -> SessionRun {
    session_run(
        rt,
        &[
            "hello",
            "crash me",
            "please stop",
            "",
            "again",
            "/quit",
            "never read",
        ],
    )
    .await
}

#[test]
fn stage4_both_runtimes_give_the_same_transcript() {
    let mut transcripts = Vec::new();
    for rt in BOTH {
        let run = run!(rt, SESSION_HANGS, main_script);
        check_reads(rt, &run);
        let first_answer = run.lines.iter().position(|l| l.contains("agent> 3"));
        assert!(
            run.lines
                .iter()
                .any(|l| l == "[  3.0s] code: ok: code done")
                && first_answer.is_some_and(|i| run.lines[i].starts_with("[  3.1s]")),
            "on the {rt:?} runtime, the first prompt's tools (1 s, 2 s, 3 s) should finish by \
             3.0s and the answer's first token come at 3.1s. Transcript:\n{}",
            run.lines.join("\n")
        );
        assert_eq!(
            run.lines.last().map(String::as_str),
            Some("[ 13.5s] bye"),
            "on the {rt:?} runtime, the session should end with `bye` at 13.5s after `/quit`. \
             Transcript:\n{}",
            run.lines.join("\n")
        );
        transcripts.push(run.lines);
    }
    let (own, tokio) = (&transcripts[0], &transcripts[1]);
    let first_difference = own.iter().zip(tokio).position(|(a, b)| a != b);
    assert!(
        own == tokio,
        "the same scripted session gave different transcripts: own has {} lines, tokio {}; \
         first difference at line {:?}: own {:?}, tokio {:?}. The agent is written once; \
         a difference means one adapter differs (its clock, or when it starts tasks)",
        own.len(),
        tokio.len(),
        first_difference,
        first_difference.map(|i| &own[i]),
        first_difference.map(|i| &tokio[i]),
    );
}

#[test]
fn stage4_the_prompt_is_read_off_the_runtime_thread() {
    for rt in BOTH {
        let run = run!(rt, SESSION_HANGS, main_script);
        check_reads(rt, &run);
        assert_eq!(
            run.reads.len(),
            6,
            "on the {rt:?} runtime, the script had 6 lines up to `/quit` and the session read \
             {}: it must read one line per turn and stop reading at `/quit`",
            run.reads.len()
        );
    }
}

#[test]
fn stage4_a_panicking_tool_does_not_end_the_session() {
    for rt in BOTH {
        let run = run!(rt, SESSION_HANGS, main_script);
        check_reads(rt, &run);
        assert!(
            run.lines
                .iter()
                .any(|l| l.ends_with("flaky: panicked: tool flaky exploded")),
            "on the {rt:?} runtime, the transcript does not report the panicking tool. \
             Transcript:\n{}",
            run.lines.join("\n")
        );
        let prompts: Vec<&str> = run.history.iter().map(|(p, _, _)| p.as_str()).collect();
        assert_eq!(
            prompts,
            ["hello", "crash me", "please stop", "again"],
            "on the {rt:?} runtime, the session should remember every turn in `state.history` \
             (empty lines skipped, `/quit` ends it) and go on after a tool panics"
        );
        assert_eq!(
            run.tool_calls, 13,
            "on the {rt:?} runtime, `state.tool_calls` should count the 3 + 4 + 3 + 3 tools \
             started"
        );
    }
}

#[test]
fn stage4_an_interrupted_answer_is_remembered_as_such_and_dropped() {
    for rt in BOTH {
        let run = run!(rt, SESSION_HANGS, main_script);
        check_reads(rt, &run);
        assert_eq!(
            run.history.get(2),
            Some(&("please stop".to_owned(), "3 tools".to_owned(), true)),
            "on the {rt:?} runtime, the third turn was stopped after 2 tokens: its `Turn` holds \
             the tokens shown and `interrupted: true`"
        );
        assert_eq!(
            run.history.get(3),
            Some(&("again".to_owned(), "3 tools say again".to_owned(), false)),
            "on the {rt:?} runtime, the turn after the interrupted one was cut short too: the \
             stop button was still pressed from the turn before. Call `interrupt.clear()` before \
             each answer starts"
        );
        assert_eq!(
            run.answers_dropped, 4,
            "on the {rt:?} runtime, the session's four answer streams were not all dropped"
        );
        assert!(
            !run.bench.log("code").found_state_locked,
            "on the {rt:?} runtime, a tool found the state locked when it started: a guard lives \
             across an `.await` in `run_session`"
        );
    }
}

async fn ends_without_quit<R: Runtime>(rt: R) -> SessionRun {
    session_run(rt, &["hello"]).await
}

#[test]
fn stage4_the_end_of_input_ends_the_session() {
    for rt in BOTH {
        let run = run!(rt, SESSION_HANGS, ends_without_quit);
        check_reads(rt, &run);
        assert_eq!(
            run.lines.last().map(String::as_str),
            Some("[  3.4s] (end of input)"),
            "on the {rt:?} runtime, when the input ends (`read_line` gives None) the session \
             says `(end of input)` and returns. Transcript:\n{}",
            run.lines.join("\n")
        );
    }
}
