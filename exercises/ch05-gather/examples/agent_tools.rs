//! An agent calls three tools at once, on the virtual clock, three ways: `gather` (all
//! succeed), a `TaskGroup` in which one tool fails (its siblings are cancelled), and a
//! `TaskGroup` under an overall `timeout`. Every tool records when it started and how it ended,
//! read from the loop's clock; the program draws each run as a timeline from those records.
//!
//! Run it against your own chapter 5 code with `cargo run -p gather --example agent_tools`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use event_loop::{Handle, VirtualClock, run_with_clock, sleep};
use gather::{TaskGroup, gather, timeout};

/// How one tool call went, as the loop's clock saw it.
#[derive(Clone, Debug)]
struct Span {
    tool: &'static str,
    start: Duration,
    end: Option<Duration>,
    outcome: &'static str,
}

type Log = Rc<RefCell<Vec<Span>>>;

fn now() -> Duration {
    Handle::current().expect("runs on the loop").time().expect("the loop is alive")
}

// ANCHOR: tool
/// Ends a tool's span when dropped: if the tool did not finish, it was cancelled, and this is
/// the moment its future was dropped (no code of the tool runs after that).
struct Recorder {
    log: Log,
    index: usize,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let mut log = self.log.borrow_mut();
        let span = &mut log[self.index];
        if span.end.is_none() {
            span.end = Some(now());
            span.outcome = "cancelled";
        }
    }
}

/// A tool call: "works" for `millis` on the loop, then answers (or fails, if `fails`).
async fn tool(log: Log, name: &'static str, millis: u64, fails: bool) -> Result<String, String> {
    let index = {
        let mut spans = log.borrow_mut();
        spans.push(Span { tool: name, start: now(), end: None, outcome: "running" });
        spans.len() - 1
    };
    let recorder = Recorder { log: log.clone(), index };
    sleep(Duration::from_millis(millis)).await;
    let mut spans = recorder.log.borrow_mut();
    spans[index].end = Some(now());
    spans[index].outcome = if fails { "failed" } else { "ok" };
    if fails { Err(format!("{name} failed")) } else { Ok(format!("{name} answer")) }
}
// ANCHOR_END: tool

// ANCHOR: runs
/// The agent's step with asyncio's `gather`: three tools at once, every answer in order.
async fn with_gather(log: Log) -> String {
    let calls = vec![
        tool(log.clone(), "search", 2000, false),
        tool(log.clone(), "calculator", 1000, false),
        tool(log.clone(), "code", 3000, false),
    ];
    match gather(calls).await {
        Ok(answers) => format!("{} answers", answers.len()),
        Err(error) => format!("a tool task failed: {error}"),
    }
}

/// The same step in a task group, where the calculator fails at 1.5 s.
async fn with_group(log: Log) -> String {
    let mut group = TaskGroup::new();
    group.spawn(tool(log.clone(), "search", 2000, false));
    group.spawn(tool(log.clone(), "calculator", 1500, true));
    group.spawn(tool(log.clone(), "code", 3000, false));
    match group.join().await {
        Ok(answers) => format!("{} answers", answers.len()),
        Err(error) => format!("{error}"),
    }
}

/// The task group under an overall deadline of 2.5 s.
async fn with_deadline(log: Log) -> String {
    let mut group = TaskGroup::new();
    group.spawn(tool(log.clone(), "search", 2000, false));
    group.spawn(tool(log.clone(), "calculator", 1000, false));
    group.spawn(tool(log.clone(), "code", 3000, false));
    match timeout(Duration::from_millis(2500), group.join()).await {
        Ok(Ok(answers)) => format!("{} answers", answers.len()),
        Ok(Err(error)) => format!("{error}"),
        Err(elapsed) => format!("{elapsed}"),
    }
}
// ANCHOR_END: runs

/// Runs `step` on a fresh loop on the virtual clock and draws its timeline.
fn show<F: Future<Output = String>>(title: &str, step: impl FnOnce(Log) -> F) {
    let log: Log = Rc::default();
    let (result, end) = run_with_clock(VirtualClock::new(), {
        let log = log.clone();
        async move {
            let result = step(log).await;
            (result, now())
        }
    })
    .expect("the loop ran the agent's step");
    println!("{title}");
    print!("{}", timeline(&log.borrow(), end));
    println!("{:<11} returned at {:.1}s: {result}", "agent", end.as_secs_f64());
    println!();
}

/// Ten columns per second; `=` while a tool runs, then `|` (ok), `X` (failed) or `x` (cancelled).
fn timeline(spans: &[Span], end: Duration) -> String {
    let column = |t: Duration| (t.as_millis() / 100) as usize;
    let seconds = end.as_secs() as usize + 1;
    let mut out = format!("{:<11} ", "");
    for s in 0..seconds {
        out.push_str(&format!("{:<10}", format!("{s}s")));
    }
    let mut out = out.trim_end().to_owned();
    out.push('\n');
    for span in spans {
        let stop = span.end.unwrap_or(end);
        let mut bar = " ".repeat(column(span.start));
        bar.push_str(&"=".repeat(column(stop) - column(span.start)));
        bar.push(match span.outcome {
            "ok" => '|',
            "failed" => 'X',
            "cancelled" => 'x',
            _ => '>',
        });
        out.push_str(&format!(
            "{:<11} {:<w$} {:.1}s -> {:.1}s {}\n",
            span.tool,
            bar,
            span.start.as_secs_f64(),
            stop.as_secs_f64(),
            span.outcome,
            w = seconds * 10
        ));
    }
    out
}

fn main() {
    show("gather: three tools at once", with_gather);
    show("TaskGroup: the calculator fails at 1.5 s", with_group);
    show("TaskGroup under timeout(2.5 s)", with_deadline);
}
