//! Chapter 3 — The event loop. **Exercise.**
//!
//! Build asyncio's low-level loop: a FIFO ready queue of callbacks, a heap of timers ordered by
//! deadline, a [`Clock`] the loop reads and idles on, `sleep` as a timer behind a waker, and a
//! thread-safe injection queue for wakers and other threads.
//!
//! The data structures and the plumbing are given (`given.rs`, `clock.rs`, `handle.rs`: you do
//! not edit them); you write the behaviour, here and in `sleep.rs`, in four stages:
//!
//! 1. the ready queue, `stop` and `run_forever`   `cargo test -p event-loop stage1`
//! 2. timers and the clock                        `cargo test -p event-loop stage2`
//! 3. `sleep`, `MainWaker`, `run_until_complete`  `cargo test -p event-loop stage3`
//! 4. other threads, `close`, nesting, `run`      `cargo test -p event-loop stage4`
//!
//! Each `TODO(ch03)` says which stage it belongs to. Stuck? `exercises/ch03-event-loop/HINTS.md`
//! has hints per stage, from gentle questions to specifics. Signatures marked "do not change"
//! carry bounds that the compile-fail checks depend on.

mod clock;
// Spelled the way the solution crate spells it, so that compiler messages pointing into this
// file (the compile-fail checks' blessed output) read the same for both crates.
#[path = "../../../exercises/ch03-event-loop/src/given.rs"]
mod given;
/// Your "Predict the order" answer (`cargo test -p event-loop predict`).
pub mod predict;
mod handle;
mod sleep;

pub use clock::{Clock, RealClock, VirtualClock};
pub use given::{CallbackPanic, EventLoop, Handle, LoopError, RemoteHandle, Sleep, TimerHandle, sleep};

// Some of these are for the code you will write.
#[allow(unused_imports)]
use given::{CURRENT, Callback, Main, MainWaker, RemoteCallback, Shared, Timer, discard_pending, panic_message};
#[allow(unused_imports)]
use std::cmp::Ordering;
#[allow(unused_imports)]
use std::future::Future;
#[allow(unused_imports)]
use std::panic::{self, AssertUnwindSafe};
#[allow(unused_imports)]
use std::pin::pin;
#[allow(unused_imports)]
use std::sync::Arc;
#[allow(unused_imports)]
use std::sync::atomic::Ordering as AtomicOrdering;
#[allow(unused_imports)]
use std::task::{Context, Wake, Waker};
#[allow(unused_imports)]
use std::thread;
use std::time::Duration;

// ------------------------------------------------------------------ stage 2: timer order

impl Ord for Timer {
    /// Decides which timer a `BinaryHeap<Timer>` hands out first: the one that compares greatest.
    fn cmp(&self, other: &Self) -> Ordering {
        let _ = other;
        // TODO(ch03) stage 2: which timer must fire first, and what must it compare as?
        todo!("Timer::cmp: earliest deadline first, equal deadlines in scheduling order")
    }
}

impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Timer {}

// ------------------------------------------------------------------ stage 3: the main waker

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // TODO(ch03) stage 3: this may run on any thread, while the loop idles in `idle_until`.
        todo!("MainWaker::wake_by_ref: raise the flag, then wake the loop's thread")
    }
}

// ------------------------------------------------------------------ stage 1: the run guard

/// Undoes what starting a run did, however the run ends: normally, by an error, or by a
/// panic unwinding through `run_forever` / `run_until_complete`.
#[allow(dead_code)] // built by the code you write
struct RunGuard<'a> {
    shared: &'a Shared,
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        // TODO(ch03) stage 1: not running, not stopping, no loop thread, no current loop.
        // (No todo!() here: a panic inside a Drop that runs during another panic aborts.)
    }
}

impl EventLoop {
    /// The loop's time (asyncio's `loop.time()`), from its clock. Never decreases.
    pub fn time(&self) -> Duration {
        todo!("EventLoop::time: ask the clock (stage 1)")
    }

    /// Queues `callback` to run in a later iteration, after everything queued before it.
    /// The `'static` bound is part of the exercise: do not change it.
    pub fn call_soon<F>(&self, callback: F) -> Result<(), LoopError>
    where
        F: FnOnce() + 'static,
    {
        let _ = callback;
        // TODO(ch03) stage 1 (the `closed` check can wait for stage 4).
        todo!("EventLoop::call_soon: queue the callback at the back, unless the loop is closed")
    }

    /// Runs `callback` once loop time reaches `deadline`. A deadline in the past is due at once.
    pub fn call_at<F>(&self, deadline: Duration, callback: F) -> Result<TimerHandle, LoopError>
    where
        F: FnOnce() + 'static,
    {
        let _ = (deadline, callback);
        // TODO(ch03) stage 2: `Timer::new` with the next sequence number, onto the heap
        // with `state.push_timer` (it also cleans out cancelled timers now and then).
        todo!("EventLoop::call_at: push a Timer onto the heap, unless the loop is closed")
    }

    /// Runs `callback` once `delay` has passed on the loop's clock.
    pub fn call_later<F>(&self, delay: Duration, callback: F) -> Result<TimerHandle, LoopError>
    where
        F: FnOnce() + 'static,
    {
        let _ = (delay, callback);
        todo!("EventLoop::call_later: a call_at relative to the loop's time (stage 2)")
    }

    /// Asks the running loop to return once the current iteration is finished (the callbacks
    /// that were ready when it began still run). Callbacks scheduled during this iteration stay
    /// queued for the next run. Called before a run, that run does one iteration and returns.
    pub fn stop(&self) {
        // TODO(ch03) stage 1.
        todo!("EventLoop::stop: ask the loop to return after this iteration")
    }

    pub fn is_running(&self) -> bool {
        todo!("EventLoop::is_running (stage 1)")
    }

    pub fn is_closed(&self) -> bool {
        todo!("EventLoop::is_closed (stage 4)")
    }

    /// Closes the loop: pending callbacks and timers are dropped without running, and every
    /// later request gets `Err(Closed)`. Closing twice is fine; closing while running is not.
    pub fn close(&self) -> Result<(), LoopError> {
        // TODO(ch03) stage 4: take the queues out inside the borrow, drop them after it, with
        // `discard_pending` (given.rs): a timer's callback is shared with its TimerHandle.
        todo!("EventLoop::close: refuse while running; otherwise drop everything pending")
    }

    /// The panics caught from callbacks since the last call, oldest first.
    pub fn take_panics(&self) -> Vec<CallbackPanic> {
        todo!("EventLoop::take_panics: hand out the recorded panics and forget them (stage 1)")
    }

    /// Runs iterations until `stop` is called.
    ///
    /// Refuses with `Closed` on a closed loop, and with `AlreadyRunning` while any loop is
    /// running on this thread (this one included). While it runs, `Handle::current()` returns
    /// this loop, and other threads can unpark this thread.
    pub fn run_forever(&self) -> Result<(), LoopError> {
        // TODO(ch03) stage 1: start (`start_run`), then `run_once` until `stop()` was called.
        todo!("EventLoop::run_forever: start, run iterations until stopped, clean up")
    }

    /// Runs the loop until `future` completes, and returns its output. The future is polled on
    /// this thread, first in the first iteration, then once each time its waker is woken.
    /// A `stop()` before it completes ends the run with `Err(StoppedBeforeComplete)`.
    pub fn run_until_complete<F: Future>(&self, future: F) -> Result<F::Output, LoopError> {
        drop(future);
        // TODO(ch03) stage 3: wrap the future (the chapter shows how), then the same
        // iterations as run_forever, passing `Some(&mut main)` to `run_once`.
        todo!("EventLoop::run_until_complete: run iterations until the future is done")
    }

    /// Checks that this loop may start, marks it running on this thread, and returns the guard
    /// that undoes it.
    #[allow(dead_code)]
    fn start_run(&self) -> Result<RunGuard<'_>, LoopError> {
        // TODO(ch03) stage 1: set `running`, `remote.loop_thread` and `CURRENT`.
        // Stage 4 adds the refusals: `Closed`, and `AlreadyRunning` (this loop or any loop
        // current on this thread).
        todo!("EventLoop::start_run: mark the loop running, return a RunGuard")
    }

    /// One iteration, as the chapter's diagram draws it.
    #[allow(dead_code)]
    fn run_once(&self, main: Option<&mut Main<'_>>) {
        let _ = main;
        // TODO(ch03):
        //   1. (stage 4) move what other threads injected to the back of the ready queue
        //   2. (stage 1) run the callbacks that were ready when the iteration began, each under
        //      catch_unwind, with no RefCell borrow held while one runs
        //      (stage 3) then poll the main future, if its waker was woken
        //   3. (stage 2) move due timers to the ready queue; discard cancelled ones
        //   4. (stage 1) idle: `clock.idle_until(next deadline or None)`, but only if nothing
        //      is ready, stop() was not called, (stage 3) the main waker was not woken and
        //      (stage 4) nothing was injected
        todo!("EventLoop::run_once: one iteration of the loop")
    }
}

impl RemoteHandle {
    /// Queues `callback` from any thread (asyncio's `call_soon_threadsafe`). The loop takes it
    /// at the start of its next iteration; an idle loop is unparked to do so.
    /// The `Send` bound is part of the exercise: do not change it.
    pub fn call_soon_threadsafe<F>(&self, callback: F) -> Result<(), LoopError>
    where
        F: FnOnce() + Send + 'static,
    {
        let _ = (callback, &self.remote);
        // TODO(ch03) stage 4.
        todo!("RemoteHandle::call_soon_threadsafe: push to the injection queue, unpark the loop")
    }
}

/// asyncio's `run`: a new loop on the real clock, run until `future` completes, then closed.
pub fn run<F: Future>(future: F) -> Result<F::Output, LoopError> {
    drop(future);
    // TODO(ch03) stage 4.
    todo!("run: a new loop on the real clock, run_until_complete, close")
}

/// [`run`] on the given clock.
pub fn run_with_clock<F: Future>(clock: impl Clock + 'static, future: F) -> Result<F::Output, LoopError> {
    let _ = (clock, future);
    // TODO(ch03) stage 4.
    todo!("run_with_clock: a new loop on this clock, run_until_complete, close")
}
