//! Chapter 3 — The event loop. **Reference solution.**
//!
//! A single-threaded loop with asyncio's low-level API: a FIFO ready queue of callbacks, a heap
//! of timers ordered by deadline, a [`Clock`] it reads and idles on, and a thread-safe
//! injection queue through which wakers and other threads reach it.
//!
//! Diff this file against `exercises/ch03-event-loop/src/lib.rs` to see the lesson.
//! Later chapters build on this crate (chapter 4's tasks, chapter 5's gather, chapter 6's
//! executor offload); ARCHITECTURE.md lists the extension points they use.

// The clock is given code: the exercise's file, compiled here too, so the two cannot differ.
#[path = "../../../exercises/ch03-event-loop/src/clock.rs"]
mod clock;
// Given code too: the exercise's file, so the two cannot differ.
#[path = "../../../exercises/ch03-event-loop/src/handle.rs"]
mod handle;
mod sleep;

pub use clock::{Clock, RealClock, VirtualClock};
pub use sleep::{Sleep, sleep};

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::{Pin, pin};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

// ANCHOR: errors
/// Why the loop refused a request. Nothing is half-done when one of these comes back: the
/// callback was not queued, the loop was not started, the loop was not closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopError {
    /// The loop was closed (or dropped): it accepts no callbacks and cannot run again.
    Closed,
    /// A loop is already running on this thread, this one or another: loops do not nest.
    AlreadyRunning,
    /// `close` was called while the loop was running; stop it first.
    CloseWhileRunning,
    /// `stop` was called before the future given to `run_until_complete` finished.
    /// The future was dropped (cancelled); the loop's other callbacks are still queued.
    StoppedBeforeComplete,
}

/// A callback that panicked. The loop caught the panic, kept running, and kept this record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackPanic {
    /// The panic's message.
    pub message: String,
    /// Loop time when the callback ran.
    pub at: Duration,
}
// ANCHOR_END: errors

impl fmt::Display for LoopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoopError::Closed => "the event loop is closed",
            LoopError::AlreadyRunning => {
                "an event loop is already running on this thread (event loops do not nest)"
            }
            LoopError::CloseWhileRunning => "cannot close a running event loop; stop it first",
            LoopError::StoppedBeforeComplete => {
                "the event loop stopped before the future completed"
            }
        })
    }
}

impl std::error::Error for LoopError {}

impl fmt::Display for CallbackPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "callback panicked at loop time {:?}: {}", self.at, self.message)
    }
}

/// A callback queued on the loop. Owned by the loop until it runs, so it may borrow nothing.
type Callback = Box<dyn FnOnce() + 'static>;
/// A callback sent from another thread.
type RemoteCallback = Box<dyn FnOnce() + Send + 'static>;

// ANCHOR: timer
/// A callback waiting in the timer heap for its deadline.
struct Timer {
    deadline: Duration,
    /// Scheduling order: breaks ties between equal deadlines.
    seq: u64,
    cancelled: Rc<Cell<bool>>,
    callback: Callback,
}

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

/// Returned by `call_later` / `call_at`: lets the caller cancel the timer before it fires.
#[derive(Debug, Clone)]
pub struct TimerHandle {
    cancelled: Rc<Cell<bool>>,
}

impl TimerHandle {
    /// The callback will not run; the loop drops it. Cancelling twice, or after it ran, is a no-op.
    pub fn cancel(&self) {
        self.cancelled.set(true);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }
}

// ANCHOR: state
/// Everything the loop owns. Only the loop's thread touches it (it is `!Send` via `Rc`).
struct Shared {
    clock: Box<dyn Clock>,
    state: RefCell<State>,
    /// The thread-safe side: what other threads and `Send` wakers may touch.
    remote: Arc<Remote>,
    /// Loop-local storage for later chapters (one value per type), dropped with the loop.
    locals: RefCell<HashMap<TypeId, Rc<dyn Any>>>,
}

struct State {
    /// Callbacks to run, oldest first.
    ready: VecDeque<Callback>,
    /// Callbacks waiting for a deadline.
    timers: BinaryHeap<Timer>,
    /// The next timer's sequence number.
    next_seq: u64,
    running: bool,
    /// `stop` was called: finish this iteration, then return from the run.
    stopping: bool,
    closed: bool,
    /// Callbacks that panicked, oldest first, until `take_panics`.
    panics: Vec<CallbackPanic>,
}

/// The part of the loop other threads may reach: callbacks they inject, and the thread to
/// unpark so a loop idling in `Clock::idle_until` notices them.
struct Remote {
    queue: Mutex<VecDeque<RemoteCallback>>,
    /// Set while a run is in progress.
    loop_thread: Mutex<Option<Thread>>,
    closed: AtomicBool,
}
// ANCHOR_END: state

impl Remote {
    fn new() -> Self {
        Remote {
            queue: Mutex::new(VecDeque::new()),
            loop_thread: Mutex::new(None),
            closed: AtomicBool::new(false),
        }
    }

    /// Wakes the loop's thread if it is idling; harmless if it is busy (the next park returns).
    fn unpark(&self) {
        if let Some(thread) = self.loop_thread.lock().unwrap().as_ref() {
            thread.unpark();
        }
    }

    fn has_work(&self) -> bool {
        !self.queue.lock().unwrap().is_empty()
    }

    /// Refuses further callbacks and hands back the queued ones, for the caller to drop.
    fn close(&self) -> VecDeque<RemoteCallback> {
        self.closed.store(true, AtomicOrdering::SeqCst);
        std::mem::take(&mut *self.queue.lock().unwrap())
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Other threads may still hold a RemoteHandle: from now on they get Err(Closed).
        drop(self.remote.close());
    }
}

// ANCHOR: main_waker
/// The waker of the future given to `run_until_complete`. It must be `Send + Sync` (every
/// `Waker` is), so it cannot touch the loop's queues; it raises a flag and unparks the loop.
struct MainWaker {
    woken: AtomicBool,
    remote: Arc<Remote>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, AtomicOrdering::SeqCst);
        self.remote.unpark();
    }
}
// ANCHOR_END: main_waker

/// The future `run_until_complete` drives, with its waker and whether it has finished.
struct Main<'a> {
    future: Pin<&'a mut dyn Future<Output = ()>>,
    waker: Arc<MainWaker>,
    done: bool,
}

thread_local! {
    /// The loop running on this thread, if any (asyncio's "running loop").
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

// ANCHOR: api
/// An event loop. Owning it is owning everything queued on it: dropping it drops every
/// pending callback and timer (and closes it, for any [`Handle`] still around).
pub struct EventLoop {
    shared: Rc<Shared>,
}

/// A cheap, cloneable reference to a loop, for callbacks and futures that need to schedule
/// more work or stop it. It does not keep the loop alive: once the loop is dropped, every
/// method returns `Err(LoopError::Closed)` (or `false`).
#[derive(Clone)]
pub struct Handle {
    shared: Weak<Shared>,
}

/// The thread-safe way into a loop: `Send + Sync`, usable from any thread and from wakers.
#[derive(Clone)]
pub struct RemoteHandle {
    remote: Arc<Remote>,
}
// ANCHOR_END: api

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
    /// A loop on the real clock.
    pub fn new() -> Self {
        Self::with_clock(RealClock::new())
    }

    /// A loop on the given clock, e.g. a [`VirtualClock`] in tests.
    pub fn with_clock(clock: impl Clock + 'static) -> Self {
        EventLoop {
            shared: Rc::new(Shared {
                clock: Box::new(clock),
                state: RefCell::new(State {
                    ready: VecDeque::new(),
                    timers: BinaryHeap::new(),
                    next_seq: 0,
                    running: false,
                    stopping: false,
                    closed: false,
                    panics: Vec::new(),
                }),
                remote: Arc::new(Remote::new()),
                locals: RefCell::new(HashMap::new()),
            }),
        }
    }

    /// A handle for callbacks and futures to reach this loop.
    pub fn handle(&self) -> Handle {
        Handle { shared: Rc::downgrade(&self.shared) }
    }

    /// The thread-safe handle (asyncio's `call_soon_threadsafe` lives there).
    pub fn remote(&self) -> RemoteHandle {
        RemoteHandle { remote: self.shared.remote.clone() }
    }

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
        let cancelled = Rc::new(Cell::new(false));
        let seq = state.next_seq;
        state.next_seq += 1;
        state.timers.push(Timer {
            deadline,
            seq,
            cancelled: cancelled.clone(),
            callback: Box::new(callback),
        });
        Ok(TimerHandle { cancelled })
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
        drop((ready, timers, self.shared.remote.close()));
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
                waker: Arc::new(MainWaker {
                    woken: AtomicBool::new(true),
                    remote: self.shared.remote.clone(),
                }),
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
        let injected: VecDeque<RemoteCallback> =
            std::mem::take(&mut *self.shared.remote.queue.lock().unwrap());
        let batch = {
            let mut state = self.shared.state.borrow_mut();
            state.ready.extend(injected.into_iter().map(|cb| cb as Callback));
            state.ready.len()
        };

        for _ in 0..batch {
            // The borrow ends before the callback runs: callbacks call back into the loop.
            let Some(callback) = self.shared.state.borrow_mut().ready.pop_front() else {
                break;
            };
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

        let now = self.time();
        let mut discarded = Vec::new();
        let idle_deadline = {
            let mut state = self.shared.state.borrow_mut();
            while let Some(top) = state.timers.peek() {
                if top.cancelled.get() {
                    discarded.push(state.timers.pop().unwrap().callback);
                } else if top.deadline <= now {
                    let due = state.timers.pop().unwrap();
                    state.ready.push_back(due.callback);
                } else {
                    break;
                }
            }
            let main_woken = main.as_ref().is_some_and(|m| m.waker.woken.load(AtomicOrdering::SeqCst));
            let busy = !state.ready.is_empty()
                || state.stopping
                || main_woken
                || self.shared.remote.has_work();
            if busy { None } else { Some(state.timers.peek().map(|t| t.deadline)) }
        };
        drop(discarded);
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

    /// Loop-local storage: the loop's one value of type `T`, created with `T::default()` on
    /// first use and dropped with the loop. Later chapters keep their task tables here.
    pub fn local<T: Default + 'static>(&self) -> Rc<T> {
        let mut locals = self.shared.locals.borrow_mut();
        let any = locals
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Rc::new(T::default()) as Rc<dyn Any>)
            .clone();
        any.downcast::<T>().expect("loop-local storage is keyed by TypeId")
    }
}

impl Default for EventLoop {
    fn default() -> Self {
        Self::new()
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}


// ANCHOR: solution_remote
impl RemoteHandle {
    /// Queues `callback` from any thread (asyncio's `call_soon_threadsafe`). The loop takes it
    /// at the start of its next iteration; an idle loop is unparked to do so.
    pub fn call_soon_threadsafe<F>(&self, callback: F) -> Result<(), LoopError>
    where
        F: FnOnce() + Send + 'static,
    {
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
