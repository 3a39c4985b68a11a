//! Chapter 3 — The event loop. **Reference solution.**
//!
//! A single-threaded loop with asyncio's low-level API: a FIFO ready queue of callbacks, a heap
//! of timers ordered by deadline, a [`Clock`] it reads and idles on, and a thread-safe
//! injection queue through which wakers and other threads reach it.
//!
//! Diff this file against `exercises/ch03-event-loop/src/lib.rs` to see the lesson.
//! Later chapters build on this crate (chapter 4's tasks, chapter 5's gather, chapter 6's
//! executor offload); ARCHITECTURE.md lists the extension points they use.

// Given code: the exercise's own files, compiled here too, so the two cannot differ.
#[path = "../../../exercises/ch03-event-loop/src/clock.rs"]
mod clock;
#[path = "../../../exercises/ch03-event-loop/src/given.rs"]
mod given;
/// Your "Predict the order" answer (`cargo test -p event-loop predict`).
pub mod predict;
#[path = "../../../exercises/ch03-event-loop/src/handle.rs"]
mod handle;
mod sleep;

pub use clock::{Clock, RealClock, VirtualClock};
pub use given::{CallbackPanic, EventLoop, Handle, LoopError, RemoteHandle, Sleep, TimerHandle, sleep};

use given::{CURRENT, Callback, Main, MainWaker, Shared, Timer, discard_pending, panic_message};
use std::cmp::Ordering;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering as AtomicOrdering;
use std::task::{Context, Wake, Waker};
use std::thread;
use std::time::Duration;

// ANCHOR: timer
impl Ord for Timer {
    /// `BinaryHeap` pops its *greatest* element, so the timer that must fire first — earliest
    /// deadline, then earliest scheduled — has to compare greatest: both comparisons reversed.
    fn cmp(&self, other: &Self) -> Ordering {
        other.deadline.cmp(&self.deadline).then_with(|| other.seq.cmp(&self.seq))
    }
}
// ANCHOR_END: timer

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

// ANCHOR: main_waker
impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The flag first: the loop, once unparked, must find it raised. Only the wake that
        // raises it unparks: while it is up, the loop has not polled yet, and it looks at the
        // flag before it idles, so later wakes have nothing to add (a gather of 10,000 children
        // wakes its parent 10,000 times per round: one unpark, not 10,000).
        if !self.woken.swap(true, AtomicOrdering::SeqCst) {
            self.remote.unpark();
        }
    }
}
// ANCHOR_END: main_waker

// ANCHOR: solution_guard
/// Undoes what starting a run did, however the run ends (normally, by error, or by a panic of
/// the main future): not running, not stopping, no current loop on this thread.
struct RunGuard<'a> {
    shared: &'a Shared,
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        {
            let mut state = self.shared.state.borrow_mut();
            state.running = false;
            state.stopping = false;
        }
        *self.shared.remote.loop_thread.lock().unwrap() = None;
        CURRENT.with(|current| current.borrow_mut().take());
    }
}
// ANCHOR_END: solution_guard

impl EventLoop {
    // ANCHOR: solution_schedule
    /// The loop's time (asyncio's `loop.time()`), from its clock. Never decreases.
    pub fn time(&self) -> Duration {
        self.shared.clock.now()
    }

    /// Queues `callback` to run in a later iteration, after everything queued before it.
    pub fn call_soon<F>(&self, callback: F) -> Result<(), LoopError>
    where
        F: FnOnce() + 'static,
    {
        let mut state = self.shared.state.borrow_mut();
        if state.closed {
            return Err(LoopError::Closed);
        }
        state.ready.push_back(Box::new(callback));
        Ok(())
    }

    /// Runs `callback` once loop time reaches `deadline`. A deadline in the past is due at once.
    pub fn call_at<F>(&self, deadline: Duration, callback: F) -> Result<TimerHandle, LoopError>
    where
        F: FnOnce() + 'static,
    {
        let mut state = self.shared.state.borrow_mut();
        if state.closed {
            return Err(LoopError::Closed);
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        let (timer, handle) = Timer::new(deadline, seq, Box::new(callback));
        state.push_timer(timer);
        Ok(handle)
    }

    /// Runs `callback` once `delay` has passed on the loop's clock.
    pub fn call_later<F>(&self, delay: Duration, callback: F) -> Result<TimerHandle, LoopError>
    where
        F: FnOnce() + 'static,
    {
        self.call_at(self.time() + delay, callback)
    }
    // ANCHOR_END: solution_schedule

    // ANCHOR: solution_lifecycle
    /// Asks the running loop to return once the current iteration is finished (the callbacks
    /// that were ready when it began still run). Callbacks scheduled during this iteration stay
    /// queued for the next run. Called before a run, that run does one iteration and returns.
    pub fn stop(&self) {
        self.shared.state.borrow_mut().stopping = true;
    }

    pub fn is_running(&self) -> bool {
        self.shared.state.borrow().running
    }

    pub fn is_closed(&self) -> bool {
        self.shared.state.borrow().closed
    }

    /// Closes the loop: pending callbacks and timers are dropped without running, and every
    /// later request gets `Err(Closed)`. Closing twice is fine; closing while running is not.
    pub fn close(&self) -> Result<(), LoopError> {
        let (ready, timers) = {
            let mut state = self.shared.state.borrow_mut();
            if state.running {
                return Err(LoopError::CloseWhileRunning);
            }
            state.closed = true;
            (std::mem::take(&mut state.ready), std::mem::take(&mut state.timers))
        };
        // Dropped after the borrow ends: a callback's captures may run code that uses the loop.
        // `discard_pending`, not `drop`: it also empties each timer's callback cell, which a
        // TimerHandle still held somewhere would otherwise keep alive.
        let injected = self.shared.remote.close();
        discard_pending(ready, timers);
        drop(injected);
        Ok(())
    }

    /// The panics caught from callbacks since the last call, oldest first.
    pub fn take_panics(&self) -> Vec<CallbackPanic> {
        std::mem::take(&mut self.shared.state.borrow_mut().panics)
    }
    // ANCHOR_END: solution_lifecycle

    // ANCHOR: solution_run
    /// Runs iterations until `stop` is called.
    pub fn run_forever(&self) -> Result<(), LoopError> {
        let _guard = self.start_run()?;
        loop {
            self.run_once(None);
            if self.shared.state.borrow().stopping {
                return Ok(());
            }
        }
    }

    /// Runs the loop until `future` completes, and returns its output. The future is polled on
    /// this thread, first in the first iteration, then once each time its waker is woken.
    pub fn run_until_complete<F: Future>(&self, future: F) -> Result<F::Output, LoopError> {
        let _guard = self.start_run()?;
        let mut output = None;
        let done = {
            let slot = &mut output;
            let wrapped = pin!(async move { *slot = Some(future.await) });
            let mut main = Main {
                future: wrapped,
                // Woken from the start: the first poll happens in the first iteration.
                waker: MainWaker::new(self.shared.remote.clone(), true),
                done: false,
            };
            loop {
                self.run_once(Some(&mut main));
                if self.shared.state.borrow().stopping {
                    break main.done;
                }
            }
            // The future is dropped here: finished, or cancelled by `stop`.
        };
        match output {
            Some(value) if done => Ok(value),
            _ => Err(LoopError::StoppedBeforeComplete),
        }
    }

    /// Checks that this loop may start, and marks it running on this thread.
    fn start_run(&self) -> Result<RunGuard<'_>, LoopError> {
        {
            let mut state = self.shared.state.borrow_mut();
            if state.closed {
                return Err(LoopError::Closed);
            }
            if state.running || CURRENT.with(|c| c.borrow().is_some()) {
                return Err(LoopError::AlreadyRunning);
            }
            state.running = true;
        }
        *self.shared.remote.loop_thread.lock().unwrap() = Some(thread::current());
        CURRENT.with(|current| *current.borrow_mut() = Some(self.handle()));
        Ok(RunGuard { shared: &self.shared })
    }

    /// One iteration: take injected callbacks; run the callbacks that are ready now (not
    /// those they schedule); poll the main future if it was woken; move due timers to the
    /// ready queue; if nothing is ready, idle until the next deadline.
    fn run_once(&self, mut main: Option<&mut Main<'_>>) {
        let injected = self.shared.remote.take_injected();
        let batch = {
            let mut state = self.shared.state.borrow_mut();
            if !injected.is_empty() {
                state.ready.extend(injected.into_iter().map(|cb| cb as Callback));
            }
            state.ready.len()
        };

        for _ in 0..batch {
            // The borrow ends with this statement, before the callback runs: callbacks call
            // back into the loop (call_soon, stop, ...), which borrows the state again.
            let next = self.shared.state.borrow_mut().ready.pop_front();
            let Some(callback) = next else { break };
            self.run_callback(callback);
        }

        if let Some(main) = main.as_deref_mut()
            && !main.done
            && main.waker.woken.swap(false, AtomicOrdering::SeqCst)
        {
            let waker = Waker::from(main.waker.clone());
            let mut cx = Context::from_waker(&waker);
            if main.future.as_mut().poll(&mut cx).is_ready() {
                main.done = true;
                self.stop();
            }
        }

        let idle_deadline = {
            let mut state = self.shared.state.borrow_mut();
            // The clock is read only when there is a timer to compare with: a loop with no
            // timers (the common case for a burst of tasks) saves a clock read per iteration.
            let now = if state.timers.is_empty() { Duration::ZERO } else { self.time() };
            while let Some(top) = state.timers.peek() {
                if top.entry.is_cancelled() {
                    // Its callback was dropped by `cancel`; this is only the shell.
                    state.timers.pop();
                } else if top.deadline <= now {
                    let due = state.timers.pop().expect("peeked");
                    if let Some(callback) = due.entry.take_callback() {
                        state.ready.push_back(callback);
                    }
                } else {
                    break;
                }
            }
            let main_woken =
                main.as_ref().is_some_and(|m| !m.done && m.waker.woken.load(AtomicOrdering::SeqCst));
            let busy = !state.ready.is_empty()
                || state.stopping
                || main_woken
                || self.shared.remote.has_work();
            if busy { None } else { Some(state.timers.peek().map(|t| t.deadline)) }
        };
        if let Some(deadline) = idle_deadline {
            self.shared.clock.idle_until(deadline);
        }
    }

    /// Runs one callback; a panic is recorded, not propagated.
    fn run_callback(&self, callback: Callback) {
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(callback)) {
            let record = CallbackPanic { message: panic_message(&*payload), at: self.time() };
            self.shared.state.borrow_mut().panics.push(record);
        }
    }
    // ANCHOR_END: solution_run
}

// ANCHOR: solution_remote
impl RemoteHandle {
    /// Queues `callback` from any thread (asyncio's `call_soon_threadsafe`). The loop takes it
    /// at the start of its next iteration; an idle loop is unparked to do so.
    pub fn call_soon_threadsafe<F>(&self, callback: F) -> Result<(), LoopError>
    where
        F: FnOnce() + Send + 'static,
    {
        // The fast path: called on the thread where this very loop is running (a task woken
        // by another task, a future that wakes itself), it is a plain `call_soon`: no lock, no
        // unpark, and the callback keeps its place among the callbacks queued meanwhile, as
        // with asyncio's `call_soon` from the loop's thread. It runs in the next iteration
        // either way.
        if let Some(running) = self.running_here() {
            return running.call_soon(callback);
        }
        {
            let mut queue = self.remote.queue.lock().unwrap();
            // Checked under the lock: `close` sets the flag, then empties the queue under it.
            if self.remote.closed.load(AtomicOrdering::SeqCst) {
                return Err(LoopError::Closed);
            }
            queue.push_back(Box::new(callback));
        }
        self.remote.unpark();
        Ok(())
    }
}

impl RemoteHandle {
    /// This handle's loop, if it is the one running on the current thread (another loop may
    /// run here later, so the thread alone proves nothing: the loops are compared).
    fn running_here(&self) -> Option<EventLoop> {
        CURRENT.with(|current| {
            let current = current.borrow();
            let shared = current.as_ref()?.shared.upgrade()?;
            Arc::ptr_eq(&shared.remote, &self.remote).then_some(EventLoop { shared })
        })
    }
}
// ANCHOR_END: solution_remote

// ANCHOR: solution_run_fn
/// asyncio's `run`: a new loop on the real clock, run until `future` completes, then closed.
pub fn run<F: Future>(future: F) -> Result<F::Output, LoopError> {
    run_with_clock(RealClock::new(), future)
}

/// [`run`] on the given clock.
pub fn run_with_clock<F: Future>(clock: impl Clock + 'static, future: F) -> Result<F::Output, LoopError> {
    let event_loop = EventLoop::with_clock(clock);
    let output = event_loop.run_until_complete(future);
    event_loop.close()?;
    output
}
// ANCHOR_END: solution_run_fn

#[cfg(test)]
mod tests {
    use super::*;

    /// The heap keeps no more than about twice as many cancelled shells as it has live timers.
    /// (A unit test: the heap's size is not visible through the public API.)
    #[test]
    fn cancelled_timers_are_cleaned_out_of_the_heap() {
        let event_loop = EventLoop::with_clock(crate::VirtualClock::new());
        for _ in 0..10_000 {
            let timer = event_loop.call_later(Duration::from_secs(3600), || {}).unwrap();
            timer.cancel();
        }
        let live = event_loop.call_later(Duration::from_secs(1), || {}).unwrap();
        let len = event_loop.shared.state.borrow().timers.len();
        assert!(len <= 200, "10 000 cancelled timers left {len} shells in the heap");
        assert!(!live.is_cancelled());
    }
}
