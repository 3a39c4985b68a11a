//! Chapter 0: three timelines of one example. Jobs A, B and C wait 2, 1 and 3 seconds; we run them
//! blocking one after another, awaited one after another, and concurrently, and draw when each
//! one ran.
//!
//! In real mode a "second" is [`REAL_SECOND`] of wall time, so the demo takes about three
//! seconds. In virtual mode the blocking clock is a counter and tokio's clock is paused, so the
//! output is exact and the same on every machine; that is the output the book shows.

use std::cell::Cell;
use std::fmt::Write;
use std::time::{Duration, Instant};

/// How long one notional second lasts when the demo runs in real time.
pub const REAL_SECOND: Duration = Duration::from_millis(200);

/// The example's jobs: a name and how many seconds it waits.
pub const JOBS: [(&str, u64); 3] = [("A", 2), ("B", 1), ("C", 3)];

/// When one job ran, in notional seconds since its timeline began.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub job: &'static str,
    pub start: f64,
    pub end: f64,
}

/// A clock for the blocking timeline: blocking really sleeps in real mode and only moves a
/// counter in virtual mode.
pub enum BlockingClock {
    Real(Instant),
    Virtual(Cell<Duration>),
}

impl BlockingClock {
    fn now(&self) -> f64 {
        match self {
            BlockingClock::Real(start) => start.elapsed().as_secs_f64() / REAL_SECOND.as_secs_f64(),
            BlockingClock::Virtual(t) => t.get().as_secs_f64(),
        }
    }

    /// Blocks the calling thread for `seconds` notional seconds.
    fn block_for(&self, seconds: u64) {
        match self {
            BlockingClock::Real(_) => std::thread::sleep(REAL_SECOND * seconds as u32),
            BlockingClock::Virtual(t) => t.set(t.get() + Duration::from_secs(seconds)),
        }
    }
}

// ANCHOR: blocking
/// A job that blocks its thread while it waits, like `time.sleep` in Python.
fn blocking_job(clock: &BlockingClock, job: &'static str, seconds: u64) -> Span {
    let start = clock.now();
    clock.block_for(seconds); // nothing else can run on this thread meanwhile
    Span { job, start, end: clock.now() }
}

/// Timeline 1: `a(); b(); c()` with blocking jobs.
pub fn blocking(clock: &BlockingClock) -> Vec<Span> {
    JOBS.iter().map(|&(job, seconds)| blocking_job(clock, job, seconds)).collect()
}
// ANCHOR_END: blocking

/// The unit of tokio time one notional second takes: a real fraction of a second, or exactly
/// one second of paused (virtual) time.
#[derive(Clone, Copy)]
pub struct Unit(pub Duration);

// ANCHOR: job
/// A job that waits without blocking, like `await asyncio.sleep(seconds)`: while it waits, the
/// runtime is free to run other jobs on the same thread.
async fn job(unit: Unit, origin: tokio::time::Instant, job: &'static str, seconds: u64) -> Span {
    let now = || origin.elapsed().as_secs_f64() / unit.0.as_secs_f64();
    let start = now();
    tokio::time::sleep(unit.0 * seconds as u32).await;
    Span { job, start, end: now() }
}
// ANCHOR_END: job

// ANCHOR: one_by_one
/// Timeline 2: `await a(); await b(); await c()`. Each `.await` waits for its job to finish
/// before the next job is even created, so nothing overlaps.
pub async fn awaited_one_by_one(unit: Unit) -> Vec<Span> {
    let origin = tokio::time::Instant::now();
    let a = job(unit, origin, "A", 2).await;
    let b = job(unit, origin, "B", 1).await;
    let c = job(unit, origin, "C", 3).await;
    vec![a, b, c]
}
// ANCHOR_END: one_by_one

// ANCHOR: concurrent
/// Timeline 3: `asyncio.gather(a(), b(), c())`. `join!` polls all three jobs, so their waits
/// overlap and the whole takes as long as the longest.
pub async fn concurrent(unit: Unit) -> Vec<Span> {
    let origin = tokio::time::Instant::now();
    let (a, b, c) = tokio::join!(
        job(unit, origin, "A", 2),
        job(unit, origin, "B", 1),
        job(unit, origin, "C", 3),
    );
    vec![a, b, c]
}
// ANCHOR_END: concurrent

/// Columns per notional second in the drawing.
const COLS: usize = 6;

/// Draws one timeline: a ruler, one bar per job, and the total.
///
/// The ruler ends at the total *rounded*, not rounded up: a real run finishes a few milliseconds
/// late (6.02 notional seconds, say), and must draw the same 6 s ruler as the exact virtual run
/// the book shows, not a 7 s one with an empty second.
pub fn render(title: &str, spans: &[Span]) -> String {
    let total = spans.iter().map(|s| s.end).fold(0.0, f64::max);
    let seconds = total.round() as usize;
    let mut out = String::new();
    writeln!(out, "{title}").unwrap();
    let ruler: String = (0..=seconds).map(|s| format!("{:<COLS$}", format!("{s}s"))).collect();
    writeln!(out, "     {}", ruler.trim_end()).unwrap();
    writeln!(out, "     {}|", "|-----".repeat(seconds)).unwrap();
    for span in spans {
        let from = (span.start * COLS as f64).round() as usize;
        let to = (span.end * COLS as f64).round() as usize;
        let bar = format!("{}{}", " ".repeat(from), "#".repeat(to.saturating_sub(from)));
        writeln!(
            out,
            "  {}  {:<width$}  {:.1}s -> {:.1}s",
            span.job,
            bar,
            span.start,
            span.end,
            width = seconds * COLS + 1
        )
        .unwrap();
    }
    writeln!(out, "  total: {total:.1}s").unwrap();
    out
}

/// Runs the three timelines and draws them. `virtual_time` makes every number exact.
pub fn all_timelines(virtual_time: bool) -> String {
    let clock = if virtual_time {
        BlockingClock::Virtual(Cell::new(Duration::ZERO))
    } else {
        BlockingClock::Real(Instant::now())
    };
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_time().start_paused(virtual_time);
    let runtime = builder.build().expect("a current-thread runtime");
    let unit = Unit(if virtual_time { Duration::from_secs(1) } else { REAL_SECOND });

    let mut out = String::new();
    out += &render("1. blocking, one after another:   a(); b(); c()", &blocking(&clock));
    out += "\n";
    out += &render(
        "2. async, awaited one by one:     a().await; b().await; c().await",
        &runtime.block_on(awaited_one_by_one(unit)),
    );
    out += "\n";
    out += &render(
        "3. async, concurrent:             join!(a(), b(), c())",
        &runtime.block_on(concurrent(unit)),
    );
    out
}
