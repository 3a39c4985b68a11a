//! The chapter's given code: the data structures and the small functions around them. You
//! write the behaviour in `lib.rs` (the pool), `blocking.rs`, `threadsafe.rs` and `slow.rs`.
//!
//! This file is given, in the exercise and in the solution alike (the solution compiles this very
//! file). Fields are `pub(crate)` so your code in the other files can use them.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::task::Waker;
use std::thread;
use std::time::Duration;

use event_loop::{Handle, LoopError};
use tasks::{JoinError, JoinHandle};

use crate::{BlockingError, PoolError};

// ANCHOR: pool
/// One piece of work for the pool. The pool calls it exactly once: with `Ok(())` on a worker,
/// to run it, or with `Err(PoolError::ShutDown)` if the pool shut down before a worker took it,
/// so that whoever waits for it hears why it never ran.
pub(crate) type Job = Box<dyn FnOnce(Result<(), PoolError>) + Send + 'static>;

/// A fixed number of worker threads taking jobs from one queue, oldest first (asyncio's
/// `ThreadPoolExecutor`). The queue is unbounded: `spawn_blocking` is called from the loop,
/// which must never wait, so a full queue would have nowhere to put the caller.
pub struct ThreadPool {
    pub(crate) shared: Arc<PoolShared>,
    /// The workers, joined by `shutdown` (taken out, so a second shutdown joins nothing).
    pub(crate) workers: Mutex<Vec<thread::JoinHandle<()>>>,
    pub(crate) size: usize,
}

/// What the pool and its workers share.
pub(crate) struct PoolShared {
    pub(crate) queue: Mutex<Queue>,
    /// Signalled when a job is queued (one worker) and at shutdown (all of them).
    pub(crate) available: Condvar,
}

pub(crate) struct Queue {
    pub(crate) jobs: VecDeque<Job>,
    pub(crate) shut_down: bool,
}

impl ThreadPool {
    /// How many workers the pool has.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Runs `job` on a worker (fire and forget). A job that panics is caught; its worker lives
    /// on. After `shutdown`, refused with `Err(PoolError::ShutDown)`; a job still queued when the
    /// pool shuts down is dropped without running (and counted in `shutdown`'s result).
    pub fn execute<F>(&self, job: F) -> Result<(), PoolError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.submit(Box::new(move |fate| {
            if fate.is_ok() {
                job();
            }
        }))
    }
}

impl Drop for ThreadPool {
    /// Dropping the pool shuts it down: no worker thread outlives it.
    fn drop(&mut self) {
        self.shutdown();
    }
}
// ANCHOR_END: pool

// ANCHOR: slot
/// What a worker and a [`Blocking`] future share: the result once there is one, and the waker of
/// the latest poll. A `Mutex`, not a `RefCell`: the worker writes it from another thread.
pub(crate) struct Slot<T> {
    pub(crate) state: Mutex<SlotState<T>>,
}

pub(crate) struct SlotState<T> {
    pub(crate) result: Option<Result<T, BlockingError>>,
    pub(crate) waker: Option<Waker>,
    /// The future returned the result already.
    pub(crate) taken: bool,
}

/// The future of a closure running on the pool (asyncio's `await loop.run_in_executor(pool, f)`).
/// It is `Send` if `T` is: it holds no part of the loop. Dropping it does not stop the closure
/// (a thread cannot be interrupted); the result is then dropped as soon as it is stored.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Blocking<T> {
    pub(crate) slot: Arc<Slot<T>>,
}

/// The worker's end of a `Slot`: completes it exactly once. If it is dropped without completing
/// (its worker died in the middle of the job), the future gets `Err(BlockingError::Lost)`
/// instead of waiting forever.
pub(crate) struct Completer<T> {
    pub(crate) slot: Option<Arc<Slot<T>>>,
}

impl<T> Completer<T> {
    pub(crate) fn complete(mut self, result: Result<T, BlockingError>) {
        if let Some(slot) = self.slot.take() {
            crate::blocking::fill(&slot, result);
        }
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            crate::blocking::fill(&slot, Err(BlockingError::Lost));
        }
    }
}

impl<T> Slot<T> {
    pub(crate) fn new() -> Self {
        Slot {
            state: Mutex::new(SlotState {
                result: None,
                waker: None,
                taken: false,
            }),
        }
    }
}
// ANCHOR_END: slot

// ANCHOR: concurrent_future
/// The other thread's end of `run_coroutine_threadsafe` (asyncio returns a
/// `concurrent.futures.Future`): a blocking `wait` for the task's result.
#[must_use = "wait() for the result, or drop it to ignore the result"]
pub struct ConcurrentFuture<T> {
    pub(crate) result: mpsc::Receiver<Result<T, JoinError>>,
}
// ANCHOR_END: concurrent_future

// ANCHOR: slow
/// asyncio's default `slow_callback_duration`: 100 ms.
pub const DEFAULT_SLOW_THRESHOLD: Duration = Duration::from_millis(100);

/// One callback or task poll that held the loop for at least the threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowReport {
    /// The task's name, or the callback's label.
    pub name: String,
    /// How long that single callback or poll ran, on the loop's clock.
    pub took: Duration,
    /// The loop time at which it started.
    pub started: Duration,
}

impl fmt::Display for SlowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Executing `{}` took {:.3} seconds (started at t={:.3}s)",
            self.name,
            self.took.as_secs_f64(),
            self.started.as_secs_f64()
        )
    }
}

/// The loop's detector, in its local storage: created on first use, dropped with the loop.
#[derive(Default)]
pub(crate) struct Detector {
    /// `None`: the default threshold.
    pub(crate) threshold: Cell<Option<Duration>>,
    pub(crate) reports: RefCell<Vec<SlowReport>>,
}

/// Sets the loop's slow threshold (asyncio's `loop.slow_callback_duration = ...`).
pub fn set_slow_threshold(handle: &Handle, threshold: Duration) -> Result<(), LoopError> {
    handle.local::<Detector>()?.threshold.set(Some(threshold));
    Ok(())
}

/// The slow callbacks and polls reported since the last call, oldest first. Empty for a
/// dropped loop.
pub fn take_slow_reports(handle: &Handle) -> Vec<SlowReport> {
    match handle.local::<Detector>() {
        Ok(detector) => detector.reports.take(),
        Err(_) => Vec::new(),
    }
}

/// A future whose every poll is timed. Boxed, so that `Timed` is `Unpin` and its `poll` can
/// reach the inner future without pin projection.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timed<F> {
    pub(crate) future: Pin<Box<F>>,
}

/// Wraps `future` so that each of its polls that takes the threshold or longer is reported,
/// named after the task polling it (`tasks::current_name()`), or `<main>` outside a task.
pub fn timed<F: Future>(future: F) -> Timed<F> {
    Timed {
        future: Box::pin(future),
    }
}

/// `spawn_named(name, timed(future))`: a task whose slow polls are reported under its name.
pub fn spawn_timed<F>(name: impl Into<String>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    tasks::spawn_named(name, timed(future))
}
// ANCHOR_END: slow
