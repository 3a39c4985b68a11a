//! Test support shared by every exercise in the course.
//!
//! Every behaviour test of learner code goes through [`watchdog`] (one likely cause) or
//! [`watchdog_causes`] (several, most likely first), so a learner whose executor hangs sees a
//! failed test that names the likely causes instead of a frozen `cargo test`.
//! The other pieces are the instruments the tests observe learner code with:
//!
//! - [`CountingWaker`]: a waker that counts how often it was woken (busy-polling detector).
//! - [`DropCounter`] / [`DropProbe`]: prove that a future, task or coroutine was dropped.
//! - [`Trace`]: an ordered, thread-safe event log, to assert interleavings.
//! - [`book_output`]: keeps program output shown in the book equal to what the program prints.
//! - [`predict`]: "Predict the order" exercises: the side-by-side diff and the rule of the first
//!   difference.
//! - [`ui`]: the compile-fail checks; an exercise's `tests/ui.rs` calls
//!   [`ui::check_compile_fail`] with its chapter.
//! - [`workspace_root`]: the root of the checkout being tested, found at run time.
//!
//! Nothing here sleeps. Time in the course's tests is virtual; the watchdog's limit is the only
//! wall-clock number, and it only decides when to give up on a hung test.

pub mod book_output;
pub mod predict;
mod root;
pub mod ui;

pub use root::{find_workspace_root, workspace_root};

use std::any::Any;
use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::thread;
use std::time::Duration;

/// How long a test may run before the watchdog fails it. Override with the environment variable
/// `COURSE_WATCHDOG_SECS` (for example under a debugger or valgrind).
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(5);

fn limit_from_env(default: Duration) -> Duration {
    std::env::var("COURSE_WATCHDOG_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(default)
}

/// Runs `body` on its own thread and fails the calling test if it has not finished within
/// [`DEFAULT_LIMIT`].
///
/// `suspect` is the most likely reason for a hang, written for the learner, e.g.
/// `"block_on never returns: is the thread parked and never unparked by the waker?"`.
/// A suspect of several lines is several causes, most likely first, and is printed numbered
/// (see [`watchdog_causes`]).
/// A panic inside `body` (including a `todo!()`) fails the test with that panic's own message.
/// A body that hangs is abandoned: its thread keeps running until the test process exits.
pub fn watchdog<T, F>(suspect: &str, body: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    watchdog_for(DEFAULT_LIMIT, suspect, body)
}

/// [`watchdog`] with several likely causes of a hang, most likely first. A hung test prints them
/// numbered:
///
/// ```text
/// watchdog: `stage2_block_on_sleeps_until_woken` did not finish within 5s.
/// likely causes, most likely first:
///   1. the waker never unparks the thread that block_on parked
///   2. block_on parks before polling, and nothing wakes it for the first poll
/// ```
///
/// ```
/// let value = course_support::watchdog_causes(
///     &[
///         "the waker never unparks the thread that block_on parked",
///         "block_on parks before polling, and nothing wakes it for the first poll",
///     ],
///     || 42,
/// );
/// assert_eq!(value, 42);
/// ```
pub fn watchdog_causes<T, F>(causes: &[&str], body: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    watchdog_causes_for(DEFAULT_LIMIT, causes, body)
}

/// [`watchdog`] with an explicit limit.
pub fn watchdog_for<T, F>(limit: Duration, suspect: &str, body: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let causes: Vec<&str> = suspect.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    watchdog_causes_for(limit, &causes, body)
}

/// [`watchdog_causes`] with an explicit limit.
pub fn watchdog_causes_for<T, F>(limit: Duration, causes: &[&str], body: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let limit = limit_from_env(limit);
    let test_name = thread::current().name().unwrap_or("test").to_owned();
    let (done_tx, done_rx) = mpsc::channel();
    // The body runs on a thread named like the test, so its panic message reads like a normal
    // test failure. The test harness's output capture is inherited by spawned threads.
    let worker = thread::Builder::new()
        .name(test_name.clone())
        .spawn(move || {
            let value = body();
            // The receiver is gone only if the watchdog already fired; nothing to report then.
            let _ = done_tx.send(value);
        })
        .expect("watchdog: could not spawn the test thread");

    match done_rx.recv_timeout(limit) {
        Ok(value) => {
            let _ = worker.join();
            value
        }
        // The sender was dropped without a value: the body panicked. Re-raise that panic.
        Err(RecvTimeoutError::Disconnected) => match worker.join() {
            Err(payload) => panic::resume_unwind(payload),
            Ok(()) => unreachable!("the body returned without sending its value"),
        },
        Err(RecvTimeoutError::Timeout) => panic!(
            "\n\nwatchdog: `{test_name}` did not finish within {limit:?}.\n\
             {}\
             (raise the limit with COURSE_WATCHDOG_SECS=<seconds> if you are debugging)\n",
            format_causes(causes)
        ),
    }
}

/// `likely cause: X` for one cause; a numbered list, most likely first, for several.
fn format_causes(causes: &[&str]) -> String {
    match causes {
        [] => String::new(),
        [one] => format!("likely cause: {one}\n"),
        many => {
            let mut text = String::from("likely causes, most likely first:\n");
            for (i, cause) in many.iter().enumerate() {
                text.push_str(&format!("  {}. {cause}\n", i + 1));
            }
            text
        }
    }
}

/// Extracts the message of a caught panic, for tests that assert a panic was reported.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// A waker that counts its wakes. Cloning the waker shares the count.
///
/// Tests use it to tell a well-behaved future (woken once per event) from one that wakes itself
/// in a loop, and a `block_on` that polls only when woken from one that spins.
#[derive(Debug, Default)]
pub struct CountingWaker {
    wakes: AtomicUsize,
}

impl CountingWaker {
    /// A new waker and the handle that reads its count.
    pub fn new() -> (Waker, Arc<CountingWaker>) {
        let counter = Arc::new(CountingWaker::default());
        (Waker::from(counter.clone()), counter)
    }

    /// How many times `wake` or `wake_by_ref` was called on any clone of the waker.
    pub fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `future` once with a [`CountingWaker`], for tests that drive a future by hand.
pub fn poll_once<F: std::future::Future + Unpin>(
    future: &mut F,
    waker: &Waker,
) -> std::task::Poll<F::Output> {
    let mut cx = Context::from_waker(waker);
    std::pin::Pin::new(future).poll(&mut cx)
}

/// Counts how many [`DropProbe`]s made from it have been dropped.
///
/// Put a probe inside a future, task or coroutine; when the container is dropped, so is the
/// probe. "Abort drops the future" and "the loop drops its pending tasks" are checked this way.
#[derive(Debug, Clone, Default)]
pub struct DropCounter {
    dropped: Arc<AtomicUsize>,
}

impl DropCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// A probe that increments this counter when it is dropped.
    pub fn probe(&self) -> DropProbe {
        DropProbe {
            dropped: self.dropped.clone(),
        }
    }

    /// How many probes have been dropped so far.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }
}

/// See [`DropCounter`]. Move it into the thing whose drop you want to observe.
#[derive(Debug)]
pub struct DropProbe {
    dropped: Arc<AtomicUsize>,
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// An ordered log of events, shared by cloning. Thread-safe, so it works inside `Send` tasks
/// and from worker threads alike.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one event.
    pub fn push(&self, line: impl Into<String>) {
        self.lines.lock().unwrap().push(line.into());
    }

    /// A copy of every event so far, in order.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// The position of the first event equal to `line`, if any.
    pub fn position(&self, line: &str) -> Option<usize> {
        self.lines.lock().unwrap().iter().position(|l| l == line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchdog_returns_the_value() {
        assert_eq!(watchdog("never hangs", || 41 + 1), 42);
    }

    #[test]
    fn watchdog_reraises_the_bodys_panic() {
        let caught = panic::catch_unwind(|| watchdog("never hangs", || -> () { todo!("write me") }));
        let payload = caught.expect_err("the body's panic must reach the test");
        assert!(panic_message(&*payload).contains("write me"));
    }

    #[test]
    fn watchdog_fails_a_hung_body_with_the_suspect() {
        let (_tx, rx) = mpsc::channel::<()>();
        let caught = panic::catch_unwind(|| {
            watchdog_for(Duration::from_millis(50), "the waker was never called", move || {
                let _ = rx.recv();
            })
        });
        let message = panic_message(&*caught.expect_err("a hung body must fail the test"));
        assert!(message.contains("the waker was never called"), "{message}");
    }

    #[test]
    fn watchdog_numbers_several_causes_most_likely_first() {
        let (_tx, rx) = mpsc::channel::<()>();
        let caught = panic::catch_unwind(|| {
            watchdog_causes_for(
                Duration::from_millis(50),
                &["the waker is never called", "block_on spins without parking"],
                move || {
                    let _ = rx.recv();
                },
            )
        });
        let message = panic_message(&*caught.expect_err("a hung body must fail the test"));
        assert!(
            message.contains(
                "likely causes, most likely first:\n  1. the waker is never called\n  2. block_on spins without parking\n"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_multi_line_suspect_is_several_causes() {
        assert_eq!(format_causes(&["only one"]), "likely cause: only one\n");
        let (_tx, rx) = mpsc::channel::<()>();
        let caught = panic::catch_unwind(|| {
            watchdog_for(Duration::from_millis(50), "first guess\n  second guess\n", move || {
                let _ = rx.recv();
            })
        });
        let message = panic_message(&*caught.expect_err("a hung body must fail the test"));
        assert!(message.contains("  1. first guess\n  2. second guess\n"), "{message}");
    }

    #[test]
    #[allow(clippy::waker_clone_wake)] // the point: a clone's wake counts on the shared counter
    fn counting_waker_counts_clones_and_refs() {
        let (waker, counter) = CountingWaker::new();
        waker.wake_by_ref();
        waker.clone().wake();
        assert_eq!(counter.wakes(), 2);
    }

    #[test]
    fn drop_counter_counts_probes() {
        let counter = DropCounter::new();
        let a = counter.probe();
        let b = counter.probe();
        drop(a);
        assert_eq!(counter.dropped(), 1);
        drop(b);
        assert_eq!(counter.dropped(), 2);
    }

    #[test]
    fn trace_keeps_order() {
        let trace = Trace::new();
        let other = trace.clone();
        trace.push("a");
        other.push("b");
        assert_eq!(trace.lines(), ["a", "b"]);
        assert_eq!(trace.position("b"), Some(1));
    }
}
