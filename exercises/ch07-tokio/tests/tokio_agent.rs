//! Chapter 7 behaviour tests. The same file tests your stub (`cargo test -p hand-tokio`) and the
//! reference solution (`cargo test -p hand-tokio-solution`).
//!
//! Every test builds a current-thread tokio runtime with *paused time* inside a watchdog: a
//! `sleep` of ten seconds takes no real time (the runtime jumps its clock when every task is
//! waiting), and a test that hangs fails after 5 s with the likely causes instead of freezing.
//! Time is read with `tokio::time::Instant`, which follows that paused clock.
//!
//! Each test is written against a plausible wrong answer and names it when it fails. Run one
//! stage at a time: `cargo test -p hand-tokio stage1` (then stage2, stage3, stage4).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, ThreadId};
use std::time::Duration;

use course_support::watchdog_causes;
use hand_tokio::{
    ExecError, LineReader, Session, Tool, ToolOutput, ToolResult, execute_tools, prompt_loop,
};
use tokio::time::{Instant, sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A duration as seconds with one decimal, for messages: `2.5 s`.
fn s(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Builds a current-thread runtime with paused time and runs `main` on it to completion, all
/// inside the watchdog. The runtime is built inside the watchdog's body, on its thread.
fn run_paused<F, Fut>(causes: &[&str], main: F) -> Fut::Output
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future,
    Fut::Output: Send + 'static,
{
    watchdog_causes(causes, move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a current-thread runtime with paused time");
        runtime.block_on(main())
    })
}

// ---------------------------------------------------------------------------------------------
// Instruments for the executor: pretend tools that record when they started, whether they ran
// to the end, and whether their future was dropped.

#[derive(Clone, Debug, Default)]
struct ToolLog {
    /// When the tool's future was first polled, since the test began.
    started: Option<Duration>,
    /// The tool ran to its end (it was not cancelled).
    finished: bool,
    /// The tool's future was dropped (cancelled, or finished and cleaned up).
    dropped: bool,
}

/// A test bench: the test's start instant and a log per tool.
#[derive(Clone)]
struct Bench {
    t0: Instant,
    logs: Arc<Mutex<BTreeMap<String, ToolLog>>>,
}

/// Sets `dropped` when the tool's future is dropped, whether or not it was ever polled.
struct DropFlag {
    bench: Bench,
    name: String,
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.bench.update(&self.name, |log| log.dropped = true);
    }
}

enum Ending {
    Returns(ToolResult),
    Panics(&'static str),
}

impl Bench {
    /// Call inside the runtime: the bench's clock starts now.
    fn new() -> Bench {
        Bench {
            t0: Instant::now(),
            logs: Arc::default(),
        }
    }

    fn elapsed(&self) -> Duration {
        self.t0.elapsed()
    }

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

    fn tool(&self, name: &str, after_ms: u64, ending: Ending) -> Tool {
        let flag = DropFlag {
            bench: self.clone(),
            name: name.to_owned(),
        };
        let bench = self.clone();
        let name = name.to_owned();
        Tool::new(name.clone(), async move {
            let _flag = flag;
            let now = bench.elapsed();
            bench.update(&name, |log| log.started = Some(now));
            sleep(ms(after_ms)).await;
            bench.update(&name, |log| log.finished = true);
            match ending {
                Ending::Returns(result) => result,
                Ending::Panics(message) => panic!("{message}"),
            }
        })
    }

    /// A tool that succeeds with `"<name> done"` after `after_ms`.
    fn ok(&self, name: &str, after_ms: u64) -> Tool {
        self.tool(name, after_ms, Ending::Returns(Ok(format!("{name} done"))))
    }

    /// A tool that fails with `error` after `after_ms`.
    fn fails(&self, name: &str, after_ms: u64, error: &str) -> Tool {
        self.tool(name, after_ms, Ending::Returns(Err(error.to_owned())))
    }

    /// A tool that panics with `message` after `after_ms`.
    fn panics(&self, name: &str, after_ms: u64, message: &'static str) -> Tool {
        self.tool(name, after_ms, Ending::Panics(message))
    }

    /// Lets the runtime run the tasks that are ready and process aborts, then lets `extra` more
    /// paused time pass, so a tool that was not cancelled would reach its end.
    async fn let_time_pass(&self, extra: Duration) {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        sleep(extra).await;
    }

    /// Fails with the message for a tool that was not cancelled.
    fn assert_cancelled(&self, name: &str, why: &str) {
        let log = self.log(name);
        assert!(
            !log.finished,
            "tool `{name}` ran to its end although {why}: it was not cancelled. Dropping a tokio \
             `JoinHandle` does NOT stop the task (it detaches it, as chapter 4's handles do); \
             abort it, or keep the tasks in a `JoinSet`, whose drop aborts every task in it"
        );
        assert!(
            log.dropped,
            "tool `{name}` was neither finished nor dropped after {why}: its future is still held \
             somewhere, pending forever. Cancelling a tokio task (abort, or dropping its JoinSet) \
             drops its future; so does dropping a future you own"
        );
    }
}

const EXEC_HANGS: &[&str] = &[
    "execute_tools never returned: does the loop over `join_next()` stop when it returns None?",
    "a tool was awaited directly on a std channel or lock that blocks the runtime's only thread",
];

/// For the tools search (2 s), calc (1 s), code (3 s): the outputs must come in that order.
fn assert_input_order(outputs: &[ToolOutput]) {
    let got = names(outputs);
    assert!(
        got != ["calc", "search", "code"],
        "outputs came in completion order {got:?}: results arrive from join_next in the order \
         the tools finish, but the caller wants them in the order it gave the tools \
         (search, calc, code), like asyncio.gather. Carry each tool's index through its task \
         and put its output at that index"
    );
    assert_eq!(
        got,
        ["search", "calc", "code"],
        "outputs must be in input order"
    );
}

fn names(outputs: &[ToolOutput]) -> Vec<&str> {
    outputs.iter().map(|o| o.name.as_str()).collect()
}

/// Unwraps an `Ok`, or fails with what the error means for a test where every tool succeeds.
fn expect_outputs(result: Result<Vec<ToolOutput>, ExecError>, context: &str) -> Vec<ToolOutput> {
    match result {
        Ok(outputs) => outputs,
        Err(ExecError::TimedOut { limit, unfinished }) => panic!(
            "execute_tools returned TimedOut (limit {}, unfinished {unfinished:?}) {context}, where \
             every tool finishes well within the limit: is the limit applied per tool, or to \
             something other than the collection of results?",
            s(limit)
        ),
        Err(other) => {
            panic!("execute_tools returned Err({other:?}) {context}, where every tool succeeds")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Stage 1: every tool at once, outputs in input order, each tool's own time.

#[test]
fn stage1_tools_run_concurrently() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.ok("search", 2000),
            bench.ok("calc", 1000),
            bench.ok("code", 3000),
        ];
        let outputs = expect_outputs(
            execute_tools(tools, ms(60_000)).await,
            "for tools of 2 s, 1 s and 3 s",
        );
        let took = bench.elapsed();
        assert!(
            took != ms(6000),
            "execute_tools took 6.0 s of runtime time for tools of 2 s, 1 s and 3 s: that is the \
             sum, so it awaited the tools one after another. Spawn every tool first (onto a \
             JoinSet), then collect: together they take as long as the slowest, 3 s"
        );
        assert_eq!(
            took,
            ms(3000),
            "execute_tools took {} for tools of 2 s, 1 s and 3 s run at once; it should take as \
             long as the slowest tool, 3.0 s",
            s(took)
        );
        assert_eq!(
            outputs.len(),
            3,
            "three tools, three outputs; got {outputs:?}"
        );
    });
}

#[test]
fn stage1_every_tool_starts_at_once() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.ok("search", 2000),
            bench.ok("calc", 1000),
            bench.ok("code", 3000),
        ];
        expect_outputs(
            execute_tools(tools, ms(60_000)).await,
            "for tools of 2 s, 1 s and 3 s",
        );
        for name in ["search", "calc", "code"] {
            let started = bench.log(name).started;
            assert_eq!(
                started,
                Some(Duration::ZERO),
                "tool `{name}` started at {started:?}, not at 0 s with the others: a tool that \
                 starts only when the one before it ends was awaited in turn. Spawn them all \
                 before waiting for any"
            );
        }
    });
}

#[test]
fn stage1_outputs_come_in_input_order() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.ok("search", 2000),
            bench.ok("calc", 1000),
            bench.ok("code", 3000),
        ];
        let outputs = expect_outputs(
            execute_tools(tools, ms(60_000)).await,
            "for tools of 2 s, 1 s and 3 s",
        );
        assert_input_order(&outputs);
        let texts: Vec<&str> = outputs.iter().map(|o| o.output.as_str()).collect();
        assert_eq!(
            texts,
            ["search done", "calc done", "code done"],
            "each ToolOutput carries its own tool's output text"
        );
    });
}

#[test]
fn stage1_each_tool_time_is_its_own() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.ok("search", 2000),
            bench.ok("calc", 1000),
            bench.ok("code", 3000),
        ];
        let outputs = expect_outputs(
            execute_tools(tools, ms(60_000)).await,
            "for tools of 2 s, 1 s and 3 s",
        );
        assert_input_order(&outputs);
        let took: Vec<Duration> = outputs.iter().map(|o| o.took).collect();
        assert!(
            took.iter().any(|d| *d >= ms(500)),
            "every `took` is (nearly) zero, {took:?}, for tools that ran 2 s, 1 s and 3 s of paused \
             time: measure with `tokio::time::Instant`, which follows the runtime's clock; \
             `std::time::Instant` reads the real clock, which paused time does not move"
        );
        assert!(
            took != [ms(2000), ms(3000), ms(6000)],
            "`took` is {took:?}: cumulative, each measured from the start of execute_tools after \
             the tools before it ran. Measure each tool inside its own task, from its first poll \
             to its end"
        );
        assert!(
            took != [ms(2000), ms(2000), ms(3000)] && took != [ms(3000); 3],
            "`took` is {took:?}: measured when each result was *collected*, not when the tool \
             ended. Take the start instant inside the tool's task and `elapsed()` right after the \
             tool's future completes, in the same task"
        );
        assert_eq!(
            took,
            [ms(2000), ms(1000), ms(3000)],
            "each tool's `took` is its own running time (search 2 s, calc 1 s, code 3 s)"
        );
    });
}

#[test]
fn stage1_no_tools_is_an_empty_success_at_once() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let outputs = expect_outputs(
            execute_tools(Vec::new(), ms(10_000)).await,
            "for no tools at all",
        );
        assert!(outputs.is_empty(), "no tools, no outputs; got {outputs:?}");
        assert_eq!(
            bench.elapsed(),
            Duration::ZERO,
            "execute_tools with no tools took {}: with nothing to wait for it returns at once (the \
             limit is a deadline, not a delay)",
            s(bench.elapsed())
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Stage 2: the first failure is returned at once and cancels the rest.

/// Runs execute_tools in a task of its own, so that an executor which panics (say, on
/// `unwrap()` of a `JoinError`) is reported as such instead of as a test crash.
async fn execute_in_task(tools: Vec<Tool>, limit: Duration) -> Result<Vec<ToolOutput>, ExecError> {
    match tokio::spawn(execute_tools(tools, limit)).await {
        Ok(result) => result,
        Err(error) if error.to_string().contains("JoinError") => panic!(
            "execute_tools itself panicked ({error}): a tool's panic reaches the executor as \
             Err(JoinError) from join_next (tokio catches it per task); turn it into \
             ExecError::Panicked instead of unwrapping it"
        ),
        Err(error) if error.to_string().contains(TOOL_PANIC) => panic!(
            "execute_tools itself panicked with a tool's own panic ({error}): the tool's future \
             ran inside execute_tools instead of in a task of its own. Spawn each tool (on a \
             JoinSet): tokio catches a task's panic and hands it to you as Err(JoinError)"
        ),
        // Any other panic (a todo!(), say) is reported as it is.
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// The message of the panicking tool in stage 2.
const TOOL_PANIC: &str = "calc exploded";

impl Bench {
    /// Fails with the stage 1 message if the tools did not all start at 0 s: the first thing to
    /// fix, whatever else a later-stage test checks.
    fn assert_started_together(&self) {
        let logs = self.logs.lock().unwrap().clone();
        for (name, log) in &logs {
            match log.started {
                Some(at) if at == Duration::ZERO => {}
                Some(at) => panic!(
                    "tool `{name}` started at {}, not at 0 s with the others: the tools were \
                     awaited one after another (see stage 1). Spawn them all before waiting for any",
                    s(at)
                ),
                None if log.dropped => {}
                None => panic!(
                    "tool `{name}` never started, and its future was never dropped: the tools \
                     were awaited one after another (see stage 1), or a tool was not spawned"
                ),
            }
        }
    }
}

/// Checks that a failure of `failed` at `fail_at` was reported at that moment, and names the
/// usual reasons it was late.
fn assert_reported_at_failure(
    bench: &Bench,
    returned_at: Duration,
    failed: &str,
    fail_at: Duration,
) {
    if returned_at == fail_at {
        return;
    }
    bench.assert_started_together();
    let others_finished: Vec<String> = bench
        .logs
        .lock()
        .unwrap()
        .iter()
        .filter(|(name, log)| name.as_str() != failed && log.finished)
        .map(|(name, _)| name.clone())
        .collect();
    let never_started: Vec<String> = bench
        .logs
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, log)| log.started.is_none())
        .map(|(name, _)| name.clone())
        .collect();
    panic!(
        "`{failed}` failed at {} but execute_tools returned at {}. {}",
        s(fail_at),
        s(returned_at),
        if !never_started.is_empty() {
            format!(
                "Tools {never_started:?} never started: the tools ran one after another (stage 1)"
            )
        } else if others_finished.len() + 1 == bench.logs.lock().unwrap().len() {
            "Every other tool ran to its end first: the executor waited for all results (like \
             gather with return_exceptions=True) before looking at them. Return on the first Err"
                .to_owned()
        } else {
            format!(
                "Tools {others_finished:?} finished before the failure was reported: results were \
                 awaited in input order. Take them in completion order (JoinSet::join_next) so \
                 the first failure is seen when it happens"
            )
        }
    );
}

#[test]
fn stage2_a_failure_is_returned_when_it_happens() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.ok("search", 2000),
            bench.fails("calc", 1000, "division by zero"),
            bench.ok("code", 3000),
        ];
        let result = execute_in_task(tools, ms(60_000)).await;
        let returned_at = bench.elapsed();
        match result {
            Err(ExecError::Failed { tool, error }) => {
                assert_eq!(
                    (tool.as_str(), error.as_str()),
                    ("calc", "division by zero"),
                    "the failure names the tool that failed and its own error"
                );
            }
            Ok(outputs) => panic!(
                "execute_tools returned Ok({:?}) although `calc` returned Err(\"division by zero\"): \
                 a tool's Err must become ExecError::Failed",
                names(&outputs)
            ),
            Err(other) => panic!(
                "`calc` returned Err(\"division by zero\"), so expected ExecError::Failed; got {other:?}"
            ),
        }
        assert_reported_at_failure(&bench, returned_at, "calc", ms(1000));
    });
}

#[test]
fn stage2_a_failure_cancels_the_other_tools() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.ok("search", 2000),
            bench.fails("calc", 1000, "division by zero"),
            bench.ok("code", 3000),
        ];
        let result = execute_in_task(tools, ms(60_000)).await;
        let returned_at = bench.elapsed();
        assert!(
            matches!(result, Err(ExecError::Failed { .. })),
            "`calc` failed, so execute_tools must return ExecError::Failed; got {result:?}"
        );
        assert_reported_at_failure(&bench, returned_at, "calc", ms(1000));
        bench.let_time_pass(ms(10_000)).await;
        bench.assert_cancelled("search", "`calc` failed at 1 s");
        bench.assert_cancelled("code", "`calc` failed at 1 s");
    });
}

#[test]
fn stage2_the_earliest_failure_wins() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.fails("search", 2000, "rate limited"),
            bench.ok("calc", 3000),
            bench.fails("code", 1000, "syntax error"),
        ];
        let result = execute_in_task(tools, ms(60_000)).await;
        bench.assert_started_together();
        match result {
            Err(ExecError::Failed { tool, .. }) if tool == "code" => {}
            Err(ExecError::Failed { tool, .. }) if tool == "search" => panic!(
                "reported `search`'s failure (at 2 s) although `code` failed first (at 1 s): the \
                 results were looked at in input order. The first failure *in time* wins: take \
                 results as they complete (JoinSet::join_next)"
            ),
            other => panic!(
                "`code` failed first (at 1 s), so expected ExecError::Failed {{ tool: \"code\", .. }}; got {other:?}"
            ),
        }
        assert_reported_at_failure(&bench, bench.elapsed(), "code", ms(1000));
    });
}

#[test]
fn stage2_a_panicking_tool_is_a_failure_too() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.ok("search", 2000),
            bench.panics("calc", 1000, TOOL_PANIC),
            bench.ok("code", 3000),
        ];
        let result = execute_in_task(tools, ms(60_000)).await;
        match &result {
            Err(ExecError::Panicked { tool, message }) => {
                assert_eq!(
                    tool, "calc",
                    "the tool that panicked was `calc`; got {result:?}"
                );
                assert!(
                    message.contains("calc exploded"),
                    "Panicked's message is the tool's panic message (\"calc exploded\"), got \
                     {message:?}: `JoinError::into_panic()` gives the payload, a `&str` or a \
                     `String` to downcast"
                );
            }
            other => panic!(
                "`calc` panicked with \"calc exploded\", so expected ExecError::Panicked {{ tool: \
                 \"calc\", .. }}; got {other:?}. A JoinError from join_next carries the task's \
                 id (`JoinError::id`), which you can map back to the tool"
            ),
        }
        assert_reported_at_failure(&bench, bench.elapsed(), "calc", ms(1000));
        bench.let_time_pass(ms(10_000)).await;
        bench.assert_cancelled("search", "`calc` panicked at 1 s");
        bench.assert_cancelled("code", "`calc` panicked at 1 s");
    });
}

// ---------------------------------------------------------------------------------------------
// Stage 3: one overall limit.

/// Unwraps a `TimedOut` (its limit and unfinished tools), or fails with what the result means
/// in a stage 3 test where every tool succeeds on its own but the limit passes first.
fn expect_timed_out(
    result: Result<Vec<ToolOutput>, ExecError>,
    situation: &str,
) -> (Duration, Vec<String>) {
    match result {
        Err(ExecError::TimedOut { limit, unfinished }) => (limit, unfinished),
        Err(ExecError::Failed { tool, error }) => panic!(
            "{situation}, expected TimedOut; got Failed {{ tool: {tool:?}, error: {error:?} }}. \
             `{tool}` never fails by itself: that error came from a limit applied to each tool \
             on its own. Put ONE tokio::time::timeout around the whole collection of results, \
             and report TimedOut when it passes"
        ),
        other => panic!("{situation}, expected TimedOut; got {other:?}"),
    }
}

#[test]
fn stage3_one_limit_for_all_the_tools() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![bench.ok("search", 2000), bench.ok("code", 3000)];
        let result = execute_in_task(tools, ms(2500)).await;
        bench.assert_started_together();
        let returned_at = bench.elapsed();
        match result {
            Ok(_) => panic!(
                "execute_tools returned Ok after {} with a limit of 2.5 s (tools of 2 s and 3 s): \
                 either nothing applied the limit, or each tool got a limit of its own (each tool \
                 alone is under some limit, or its clock restarted when it was awaited). Put ONE \
                 tokio::time::timeout around the whole collection of results",
                s(returned_at)
            ),
            result => {
                let (limit, unfinished) =
                    expect_timed_out(result, "the 2.5 s limit passed while `code` ran");
                assert_eq!(limit, ms(2500), "TimedOut carries the limit it was given");
                assert_eq!(
                    unfinished,
                    ["code"],
                    "TimedOut names {unfinished:?} as unfinished, but `search` had finished at 2 s: \
                     only `code` (3 s) was still running at 2.5 s"
                );
            }
        }
        assert_eq!(
            returned_at,
            ms(2500),
            "execute_tools returned at {}; with a 2.5 s limit it returns when the limit passes",
            s(returned_at)
        );
    });
}

#[test]
fn stage3_the_limit_cancels_the_unfinished_tools() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.ok("search", 1000),
            bench.ok("calc", 3000),
            bench.ok("code", 4000),
        ];
        let result = execute_in_task(tools, ms(2500)).await;
        bench.assert_started_together();
        expect_timed_out(
            result,
            "the 2.5 s limit passed while `calc` (3 s) and `code` (4 s) ran",
        );
        bench.let_time_pass(ms(10_000)).await;
        bench.assert_cancelled("calc", "the 2.5 s limit passed");
        bench.assert_cancelled("code", "the 2.5 s limit passed");
    });
}

#[test]
fn stage3_unfinished_tools_are_named_in_input_order() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.ok("slow-a", 5000),
            bench.ok("fast", 1000),
            bench.ok("slow-b", 4000),
        ];
        let result = execute_in_task(tools, ms(2000)).await;
        bench.assert_started_together();
        let (_, unfinished) = expect_timed_out(
            result,
            "the 2 s limit passed while `slow-a` and `slow-b` ran",
        );
        {
            {
                assert!(
                    !unfinished.iter().any(|n| n == "fast"),
                    "`fast` finished at 1 s, before the 2 s limit, but TimedOut lists it as \
                     unfinished ({unfinished:?}): keep track of which tools already reported (does each \
                     output land in the slot of the tool that produced it?)"
                );
                assert_eq!(
                    unfinished,
                    ["slow-a", "slow-b"],
                    "TimedOut names the unfinished tools in input order"
                );
            }
        }
    });
}

#[test]
fn stage3_the_limit_is_a_deadline_not_a_delay() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![bench.ok("search", 1000), bench.ok("calc", 2000)];
        let outputs = expect_outputs(
            execute_in_task(tools, ms(10_000)).await,
            "for tools of 1 s and 2 s under a 10 s limit",
        );
        bench.assert_started_together();
        assert_eq!(
            names(&outputs),
            ["search", "calc"],
            "both tools finished within the limit"
        );
        assert_eq!(
            bench.elapsed(),
            ms(2000),
            "execute_tools returned at {} for tools of 1 s and 2 s under a 10 s limit: it returns \
             when the last tool ends (2 s), not when the limit passes",
            s(bench.elapsed())
        );
    });
}

#[test]
fn stage3_a_failure_before_the_limit_is_still_a_failure() {
    run_paused(EXEC_HANGS, || async {
        let bench = Bench::new();
        let tools = vec![
            bench.fails("search", 1000, "no network"),
            bench.ok("calc", 5000),
        ];
        let result = execute_in_task(tools, ms(2000)).await;
        bench.assert_started_together();
        match &result {
            Err(ExecError::TimedOut { .. }) => panic!(
                "`search` failed at 1 s, but execute_tools went on waiting until the 2 s limit \
                 and returned {result:?}: it waited for the other tools instead of returning at \
                 the first Err (stage 2)"
            ),
            _ => assert_eq!(
                result,
                Err(ExecError::Failed {
                    tool: "search".into(),
                    error: "no network".into()
                }),
                "`search` failed at 1 s, before the 2 s limit: the outcome is that failure, not a timeout"
            ),
        }
        assert_reported_at_failure(&bench, bench.elapsed(), "search", ms(1000));
    });
}

// ---------------------------------------------------------------------------------------------
// Stage 4: the prompt loop. A scripted reader stands for the terminal: the test sends lines on
// a std channel, and `read_line` blocks on that channel, exactly like a blocking prompt.

/// What the scripted reader saw.
#[derive(Default)]
struct ReaderLog {
    /// Calls to `read_line`.
    reads: AtomicUsize,
    /// `read_line` was called on the runtime's own thread.
    on_runtime_thread: AtomicBool,
}

struct ScriptedReader {
    lines: mpsc::Receiver<String>,
    runtime_thread: ThreadId,
    log: Arc<ReaderLog>,
}

impl LineReader for ScriptedReader {
    fn read_line(&mut self) -> Option<String> {
        self.log.reads.fetch_add(1, Ordering::SeqCst);
        if thread::current().id() == self.runtime_thread {
            // Blocking here would freeze the runtime (and this test): record it and end the input.
            self.log.on_runtime_thread.store(true, Ordering::SeqCst);
            return None;
        }
        self.lines.recv().ok()
    }
}

/// A reader fed by the returned sender; call on the runtime's thread.
fn scripted_reader() -> (mpsc::Sender<String>, ScriptedReader, Arc<ReaderLog>) {
    let (tx, rx) = mpsc::channel();
    let log = Arc::new(ReaderLog::default());
    let reader = ScriptedReader {
        lines: rx,
        runtime_thread: thread::current().id(),
        log: Arc::clone(&log),
    };
    (tx, reader, log)
}

const TICK: Duration = Duration::from_millis(1000);

/// An agent that thinks for half a second, then echoes.
async fn echo(line: String) -> String {
    sleep(ms(500)).await;
    format!("echo: {line}")
}

const PROMPT_HANGS: &[&str] = &[
    "prompt_loop never returned: does it stop at the end of input (read_line returned None) and at \"/quit\"?",
    "the session waits for the ticker task to end, but the ticker never ends: abort it instead",
    "read_line ran on the runtime's only thread and blocked it (use tokio::task::spawn_blocking)",
];

/// The message every prompt test checks first: a blocking read on the runtime thread.
fn assert_read_off_the_runtime(log: &ReaderLog) {
    assert!(
        !log.on_runtime_thread.load(Ordering::SeqCst),
        "read_line was called on the runtime's own thread. It blocks until the user types, and \
         while it blocks no other task runs (the ticker stops, like asyncio's loop stops on a \
         blocking input()). Run it with tokio::task::spawn_blocking, the counterpart of \
         run_in_executor: move the reader into the closure and return it with the line"
    );
}

async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

#[test]
fn stage4_reads_run_off_the_runtime_thread() {
    run_paused(PROMPT_HANGS, || async {
        let (tx, reader, log) = scripted_reader();
        tx.send("hello".into()).unwrap();
        drop(tx);
        let session = prompt_loop(reader, TICK, echo).await;
        assert_read_off_the_runtime(&log);
        assert_eq!(
            session.replies,
            ["echo: hello"],
            "one line typed, one reply"
        );
    });
}

#[test]
fn stage4_replies_in_typed_order_until_quit() {
    run_paused(PROMPT_HANGS, || async {
        let (tx, reader, log) = scripted_reader();
        for line in ["what is 6 * 7?", "search for tokio", "/quit", "never read"] {
            tx.send(line.into()).unwrap();
        }
        let session = prompt_loop(reader, TICK, echo).await;
        assert_read_off_the_runtime(&log);
        assert_eq!(
            session.replies,
            ["echo: what is 6 * 7?", "echo: search for tokio"],
            "each line before \"/quit\" gets its reply, in the order typed; \"/quit\" itself gets none"
        );
        let reads = log.reads.load(Ordering::SeqCst);
        assert_eq!(
            reads, 3,
            "read_line was called {reads} times for \"what is 6 * 7?\", \"search for tokio\", \
             \"/quit\": the session ends at \"/quit\" without reading another line"
        );
    });
}

#[test]
fn stage4_the_end_of_input_ends_the_session() {
    run_paused(PROMPT_HANGS, || async {
        let (tx, reader, log) = scripted_reader();
        tx.send("one".into()).unwrap();
        tx.send("  ".into()).unwrap();
        drop(tx); // the user pressed Ctrl-D
        let session = prompt_loop(reader, TICK, echo).await;
        assert_read_off_the_runtime(&log);
        assert_eq!(
            session.replies,
            ["echo: one", "echo:   "],
            "every line is answered until read_line returns None (the end of input)"
        );
    });
}

#[test]
fn stage4_the_ticker_ticks_while_a_read_blocks() {
    run_paused(PROMPT_HANGS, || async {
        let (tx, reader, log) = scripted_reader();
        let session = tokio::spawn(prompt_loop(reader, TICK, echo));
        settle().await;
        // While the first read blocks: the session's task, plus the ticker if it is alive.
        // (Blocking-pool closures are not counted among the runtime's alive tasks.)
        let alive_during_read = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        // Nobody types for three ticks. The read blocks a pool thread, and paused time does not
        // move on its own while a blocking task runs, so the test moves the clock by hand.
        for _ in 0..3 {
            tokio::time::advance(TICK).await;
            settle().await;
        }
        // (If the session already ended, nobody is listening: the assertions below say why.)
        let _ = tx.send("/quit".into());
        let session: Session = session.await.expect("prompt_loop did not panic");
        assert_read_off_the_runtime(&log);
        assert!(
            session.ticks > 0 || alive_during_read >= 2,
            "the ticker ticked 0 times while the clock moved three ticks (3 s) during a blocked \
             read, and no ticker task was alive during that read (only the session's own task). \
             Most likely it was stopped at once: `let _ = AbortOnDrop(handle);` binds nothing \
             (`_` is not a variable), so the new guard is dropped at the end of that statement \
             and its Drop aborts the ticker before the first read; bind it to a named variable \
             such as `_ticker`, which lives to the end of the function. Otherwise: is the ticker \
             a task of its own (tokio::spawn), started before the first read, not after the loop?"
        );
        assert!(
            session.ticks >= 3,
            "the ticker ticked {} times while the clock moved three ticks (3 s) during a blocked \
             read, although a ticker task was alive: does it tick every `tick_every` (the first \
             tick one period after the start, `interval_at(Instant::now() + tick_every, \
             tick_every)`), and does it count into the same shared counter (a clone of the \
             `Arc<AtomicU64>`, not a copy of the number) that `Session::ticks` is read from?",
            session.ticks
        );
    });
}

#[test]
fn stage4_the_ticker_stops_when_the_session_ends() {
    run_paused(PROMPT_HANGS, || async {
        let (tx, reader, log) = scripted_reader();
        tx.send("hi".into()).unwrap();
        tx.send("/quit".into()).unwrap();
        let session = prompt_loop(reader, TICK, echo).await;
        assert_read_off_the_runtime(&log);
        assert_eq!(
            session.replies,
            ["echo: hi"],
            "one line before \"/quit\", one reply"
        );
        settle().await;
        sleep(TICK * 3).await;
        let alive = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        assert_eq!(
            alive, 0,
            "{alive} task(s) still alive after prompt_loop returned: the ticker was left running. \
             Dropping a tokio JoinHandle detaches the task; abort it when the session ends \
             (a guard whose Drop aborts it covers every way out)"
        );
    });
}
