//! Chapter 3 — The event loop. **Exercise.**
//!
//! Build asyncio's low-level loop: a FIFO ready queue of callbacks, a heap of timers ordered by
//! deadline, a [`Clock`] the loop reads and idles on, `sleep` as a timer behind a waker, and a
//! thread-safe injection queue for wakers and other threads.
//!
//! The data structures and the plumbing are given (the clocks, the handles, the error types,
//! the struct fields); you write the behaviour. Work through the `TODO(ch03)` markers roughly
//! in file order, running `cargo test -p event-loop` as you go.
//! Stuck? `exercises/ch03-event-loop/HINTS.md` has hints, from gentle questions to specifics.
//! Signatures marked "do not change" carry bounds that the compile-fail checks depend on.

mod clock;
mod handle;
mod sleep;

pub use clock::{Clock, RealClock, VirtualClock};
pub use sleep::{Sleep, sleep};

// Some of these are for the code you will write.
#[allow(unused_imports)]
use std::any::{Any, TypeId};
#[allow(unused_imports)]
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::future::Future;
#[allow(unused_imports)]
use std::panic::{self, AssertUnwindSafe};
#[allow(unused_imports)]
use std::pin::{Pin, pin};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
#[allow(unused_imports)]
use std::task::{Context, Wake, Waker};
#[allow(unused_imports)]
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
#[allow(dead_code)] // built and read by the code you write
struct Timer {
    deadline: Duration,
    /// Scheduling order: breaks ties between equal deadlines.
    seq: u64,
    cancelled: Rc<Cell<bool>>,
    callback: Callback,
}

impl Ord for Timer {
    /// Decides which timer a `BinaryHeap<Timer>` hands out first: the one that compares greatest.
    fn cmp(&self, other: &Self) -> Ordering {
        let _ = other;
        // TODO(ch03): which timer must fire first, and what must it compare as for the heap?
        todo!("Timer::cmp: earliest deadline first, equal deadlines in scheduling order")
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
#[allow(dead_code)] // read by the code you write
struct Shared {
    clock: Box<dyn Clock>,
    state: RefCell<State>,
    /// The thread-safe side: what other threads and `Send` wakers may touch.
    remote: Arc<Remote>,
    /// Loop-local storage for later chapters (one value per type), dropped with the loop.
    locals: RefCell<HashMap<TypeId, Rc<dyn Any>>>,
}

#[allow(dead_code)]
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
#[allow(dead_code)]
struct Remote {
    queue: Mutex<VecDeque<RemoteCallback>>,
    /// Set while a run is in progress.
    loop_thread: Mutex<Option<Thread>>,
    closed: AtomicBool,
}
// ANCHOR_END: state

#[allow(dead_code)] // helpers for the code you write
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
#[allow(dead_code)]
struct MainWaker {
    woken: AtomicBool,
    remote: Arc<Remote>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // TODO(ch03): this may run on any thread, while the loop idles in `Clock::idle_until`.
        todo!("MainWaker::wake_by_ref: raise the flag, then wake the loop's thread")
    }
}
// ANCHOR_END: main_waker

/// The future `run_until_complete` drives, with its waker and whether it has finished.
/// A suggestion: `future` outputs `()`, but the caller's future outputs `F::Output`. So do not
/// store the caller's future itself: wrap it in an `async move` block that awaits it and writes
/// the output into an `Option` local to `run_until_complete` (the block borrows that local for
/// `'a`), pin the block with `std::pin::pin!`, and keep it here with its waker.
#[allow(dead_code)]
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

    /// The loop's time (asyncio's `loop.time()`), from its clock. Never decreases.
    pub fn time(&self) -> Duration {
        todo!("EventLoop::time: ask the clock")
    }

    /// Queues `callback` to run in a later iteration, after everything queued before it.
    /// The `'static` bound is part of the exercise: do not change it.
    pub fn call_soon<F>(&self, callback: F) -> Result<(), LoopError>
    where
        F: FnOnce() + 'static,
    {
        let _ = callback;
        todo!("EventLoop::call_soon: queue the callback at the back, unless the loop is closed")
    }

    /// Runs `callback` once loop time reaches `deadline`. A deadline in the past is due at once.
    pub fn call_at<F>(&self, deadline: Duration, callback: F) -> Result<TimerHandle, LoopError>
    where
        F: FnOnce() + 'static,
    {
        let _ = (deadline, callback);
        // TODO(ch03): a `Timer` in the heap, with the next sequence number and a cancel flag
        // shared with the `TimerHandle` you return.
        todo!("EventLoop::call_at: push a Timer onto the heap, unless the loop is closed")
    }

    /// Runs `callback` once `delay` has passed on the loop's clock.
    pub fn call_later<F>(&self, delay: Duration, callback: F) -> Result<TimerHandle, LoopError>
    where
        F: FnOnce() + 'static,
    {
        let _ = (delay, callback);
        todo!("EventLoop::call_later: a call_at relative to the loop's time")
    }

    /// Asks the running loop to return once the current iteration is finished (the callbacks
    /// that were ready when it began still run). Callbacks scheduled during this iteration stay
    /// queued for the next run. Called before a run, that run does one iteration and returns.
    pub fn stop(&self) {
        todo!("EventLoop::stop: ask the loop to return after this iteration")
    }

    pub fn is_running(&self) -> bool {
        todo!("EventLoop::is_running")
    }

    pub fn is_closed(&self) -> bool {
        todo!("EventLoop::is_closed")
    }

    /// Closes the loop: pending callbacks and timers are dropped without running, and every
    /// later request gets `Err(Closed)`. Closing twice is fine; closing while running is not.
    pub fn close(&self) -> Result<(), LoopError> {
        todo!("EventLoop::close: refuse while running; otherwise drop everything pending")
    }

    /// The panics caught from callbacks since the last call, oldest first.
    pub fn take_panics(&self) -> Vec<CallbackPanic> {
        todo!("EventLoop::take_panics: hand out the recorded panics and forget them")
    }

    /// Runs iterations until `stop` is called.
    ///
    /// Refuses with `Closed` on a closed loop, and with `AlreadyRunning` while any loop is
    /// running on this thread (this one included). While it runs, `Handle::current()` returns
    /// this loop, and other threads can unpark this thread.
    pub fn run_forever(&self) -> Result<(), LoopError> {
        // TODO(ch03): one iteration, as the chapter's diagram draws it:
        //   1. take what other threads injected      2. run the callbacks that are ready now
        //   3. move due timers to the ready queue
        //   4. idle until the next deadline (None: no timer), but only if the ready queue is
        //      empty AND stop() was not called AND nothing was injected meanwhile AND (in
        //      run_until_complete) the main future's waker was not woken
        // Then: was stop() called? And on the way out, however you leave, undo what starting did.
        todo!("EventLoop::run_forever: start, run iterations until stopped, clean up")
    }

    /// Runs the loop until `future` completes, and returns its output. The future is polled on
    /// this thread, first in the first iteration, then once each time its waker is woken.
    /// A `stop()` before it completes ends the run with `Err(StoppedBeforeComplete)`.
    pub fn run_until_complete<F: Future>(&self, future: F) -> Result<F::Output, LoopError> {
        drop(future);
        // TODO(ch03): the same iterations as run_forever, plus: poll the future when its
        // `MainWaker` was woken; when it is ready, keep the output and stop.
        todo!("EventLoop::run_until_complete: run iterations until the future is done")
    }

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

/// The message of a caught panic (`catch_unwind`'s payload), for a [`CallbackPanic`].
#[allow(dead_code)]
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
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
        todo!("RemoteHandle::call_soon_threadsafe: push to the injection queue, unpark the loop")
    }
}

/// asyncio's `run`: a new loop on the real clock, run until `future` completes, then closed.
pub fn run<F: Future>(future: F) -> Result<F::Output, LoopError> {
    drop(future);
    todo!("run: a new loop on the real clock, run_until_complete, close")
}

/// [`run`] on the given clock.
pub fn run_with_clock<F: Future>(clock: impl Clock + 'static, future: F) -> Result<F::Output, LoopError> {
    let _ = (clock, future);
    todo!("run_with_clock: a new loop on this clock, run_until_complete, close")
}
