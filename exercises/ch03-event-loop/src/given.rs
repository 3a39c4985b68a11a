//! The loop's data structures, its error types and its plumbing.
//!
//! This module is given, in the exercise and in the solution alike (the solution compiles this
//! very file): you never edit it. The chapter's work is the behaviour in `lib.rs` and
//! `sleep.rs`, written against the types here.

// The stub does not use all of this yet; the finished exercise does.
#![allow(dead_code)]

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::thread::Thread;
use std::time::Duration;

use crate::clock::{Clock, RealClock};

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
    /// Loop time when the panic was caught: read right after the callback unwound, so a
    /// callback that ran for a while (on a real clock) is dated by its end, not its start.
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
pub(crate) type Callback = Box<dyn FnOnce() + 'static>;
/// A callback sent from another thread.
pub(crate) type RemoteCallback = Box<dyn FnOnce() + Send + 'static>;

// ANCHOR: timer
/// A callback waiting in the timer heap for its deadline. The heap orders timers with
/// `Timer::cmp`, which you write in `lib.rs`.
pub(crate) struct Timer {
    pub(crate) deadline: Duration,
    /// Scheduling order: breaks ties between equal deadlines.
    pub(crate) seq: u64,
    /// The callback, shared with the `TimerHandle` so that `cancel` can drop it at once.
    pub(crate) entry: Rc<TimerEntry>,
}

/// What a timer in the heap and its `TimerHandle` share.
pub(crate) struct TimerEntry {
    cancelled: Cell<bool>,
    /// `None` once the callback was handed to the ready queue, or dropped by `cancel`.
    callback: Cell<Option<Callback>>,
}

impl Timer {
    /// A timer for the heap, and the handle that can cancel it.
    pub(crate) fn new(deadline: Duration, seq: u64, callback: Callback) -> (Timer, TimerHandle) {
        let entry = Rc::new(TimerEntry { cancelled: Cell::new(false), callback: Cell::new(Some(callback)) });
        (Timer { deadline, seq, entry: entry.clone() }, TimerHandle { entry })
    }
}

impl TimerEntry {
    /// Whether `cancel` was called: the heap may discard this timer as soon as it sees it.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }

    /// The callback, for the ready queue; `None` if it was cancelled (or already taken).
    pub(crate) fn take_callback(&self) -> Option<Callback> {
        self.callback.take()
    }
}

/// Returned by `call_later` / `call_at`: lets the caller cancel the timer before it fires.
#[derive(Clone)]
pub struct TimerHandle {
    entry: Rc<TimerEntry>,
}

impl TimerHandle {
    /// The callback will not run, and it is dropped *now*, with everything it captured: a
    /// cancelled one-hour timer does not keep its captures alive for an hour. What stays in the
    /// heap until its deadline comes up is a small shell (a deadline, a number, a pointer).
    /// Cancelling twice, or after the timer ran, is a no-op.
    pub fn cancel(&self) {
        self.entry.cancelled.set(true);
        // `take` moves the callback out of the cell; it is dropped at the end of this
        // statement, with no borrow of anything held: its captures' `Drop` may use the loop.
        drop(self.entry.callback.take());
    }

    pub fn is_cancelled(&self) -> bool {
        self.entry.cancelled.get()
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle").field("cancelled", &self.is_cancelled()).finish()
    }
}
// ANCHOR_END: timer

// ANCHOR: state
/// Everything the loop owns. Only the loop's thread touches it (it is `!Send` via `Rc`).
pub(crate) struct Shared {
    pub(crate) clock: Box<dyn Clock>,
    pub(crate) state: RefCell<State>,
    /// The thread-safe side: what other threads and `Send` wakers may touch.
    pub(crate) remote: Arc<Remote>,
    /// Loop-local storage for later chapters (one value per type), dropped with the loop.
    pub(crate) locals: RefCell<HashMap<TypeId, Rc<dyn Any>>>,
}

pub(crate) struct State {
    /// Callbacks to run, oldest first.
    pub(crate) ready: VecDeque<Callback>,
    /// Callbacks waiting for a deadline.
    pub(crate) timers: BinaryHeap<Timer>,
    /// The next timer's sequence number.
    pub(crate) next_seq: u64,
    pub(crate) running: bool,
    /// `stop` was called: finish this iteration, then return from the run.
    pub(crate) stopping: bool,
    pub(crate) closed: bool,
    /// Callbacks that panicked, oldest first, until `take_panics`.
    pub(crate) panics: Vec<CallbackPanic>,
    /// `push_timer` cleans cancelled timers out of the heap when it reaches this size.
    pub(crate) clean_timers_at: usize,
}

/// The heap is never cleaned below this size (asyncio's threshold is 100 timers too).
const MIN_CLEAN_TIMERS_AT: usize = 100;

impl State {
    /// Pushes `timer` onto the heap; use this rather than `timers.push`. When the heap has
    /// doubled since its last clean-up, it first drops the shells of cancelled timers: a loop
    /// that cancels many long timers (chapter 5's timeouts) then holds at most about twice as
    /// many shells as live timers, at an amortised cost of O(1) per push. asyncio does the
    /// same when more than half of its (over 100) timers are cancelled.
    pub(crate) fn push_timer(&mut self, timer: Timer) {
        if self.timers.len() >= self.clean_timers_at {
            // Shells only: a cancelled timer's callback was dropped by `cancel`, so nothing
            // runs here that could call back into the loop.
            self.timers.retain(|t| !t.entry.is_cancelled());
            self.clean_timers_at = (2 * self.timers.len()).max(MIN_CLEAN_TIMERS_AT);
        }
        self.timers.push(timer);
    }
}

/// The part of the loop other threads may reach: callbacks they inject, and the thread to
/// unpark so a loop idling in `Clock::idle_until` notices them.
pub(crate) struct Remote {
    pub(crate) queue: Mutex<VecDeque<RemoteCallback>>,
    /// Set while a run is in progress.
    pub(crate) loop_thread: Mutex<Option<Thread>>,
    pub(crate) closed: AtomicBool,
    /// The clock's `interrupter`, if it has one (chapter 8): called with the unpark.
    pub(crate) interrupt: Option<Arc<dyn Fn() + Send + Sync>>,
}
// ANCHOR_END: state

impl Remote {
    fn new(interrupt: Option<Arc<dyn Fn() + Send + Sync>>) -> Self {
        Remote {
            queue: Mutex::new(VecDeque::new()),
            loop_thread: Mutex::new(None),
            closed: AtomicBool::new(false),
            interrupt,
        }
    }

    /// Wakes the loop's thread if it is idling; harmless if it is busy (the next park returns).
    /// From another thread it also calls the clock's interrupter, if any: a loop waiting in
    /// the OS poller (chapter 8) is not parked. From the loop's own thread there is nothing to
    /// interrupt: the loop looks at its queue before it waits again.
    pub(crate) fn unpark(&self) {
        let other_thread = match self.loop_thread.lock().unwrap().as_ref() {
            Some(thread) => {
                thread.unpark();
                thread.id() != std::thread::current().id()
            }
            None => false,
        };
        if other_thread && let Some(interrupt) = &self.interrupt {
            interrupt();
        }
    }

    /// Whether another thread has injected a callback the loop has not taken yet.
    pub(crate) fn has_work(&self) -> bool {
        !self.queue.lock().unwrap().is_empty()
    }

    /// Takes every injected callback, oldest first.
    pub(crate) fn take_injected(&self) -> VecDeque<RemoteCallback> {
        std::mem::take(&mut *self.queue.lock().unwrap())
    }

    /// Refuses further callbacks and hands back the queued ones, for the caller to drop.
    pub(crate) fn close(&self) -> VecDeque<RemoteCallback> {
        self.closed.store(true, AtomicOrdering::SeqCst);
        std::mem::take(&mut *self.queue.lock().unwrap())
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Other threads may still hold a RemoteHandle: from now on they get Err(Closed).
        let injected = self.remote.close();
        // `get_mut`: no borrow to release, nobody else can reach the state any more (a Handle's
        // upgrade fails from now on, so a capture's Drop that asks finds the loop closed).
        let state = self.state.get_mut();
        let (ready, timers) = (std::mem::take(&mut state.ready), std::mem::take(&mut state.timers));
        discard_pending(ready, timers);
        drop(injected);
    }
}

// ANCHOR: discard
/// Drops callbacks that will never run: those of the ready queue, and those of the timers still
/// in the heap. A timer's callback lives in a cell it shares with its `TimerHandle`, so dropping
/// the `Timer` alone would keep the callback (and its captures) alive for as long as somebody
/// holds the handle; this takes it out of the cell and drops it now. `close` and the loop's
/// `Drop` use it. Call it with no borrow of the loop's state held: a callback's captures may
/// use the loop when they are dropped.
pub(crate) fn discard_pending(ready: VecDeque<Callback>, timers: BinaryHeap<Timer>) {
    drop(ready);
    for timer in timers {
        drop(timer.entry.take_callback());
    }
}
// ANCHOR_END: discard

// ANCHOR: main_waker
/// The waker of the future given to `run_until_complete`. It must be `Send + Sync` (every
/// `Waker` is), so it cannot touch the loop's queues; it raises a flag and unparks the loop.
/// (Its `Wake` impl is yours, in `lib.rs`.)
pub(crate) struct MainWaker {
    pub(crate) woken: AtomicBool,
    pub(crate) remote: Arc<Remote>,
}

/// The future `run_until_complete` drives, with its waker and whether it has finished.
/// `future` outputs `()`, whatever the caller's future outputs: `run_until_complete` wraps the
/// caller's future in an `async` block that stores the output in a local (the chapter shows
/// how), so one non-generic iteration function can poll it.
pub(crate) struct Main<'a> {
    pub(crate) future: Pin<&'a mut dyn Future<Output = ()>>,
    pub(crate) waker: Arc<MainWaker>,
    pub(crate) done: bool,
}
// ANCHOR_END: main_waker

impl MainWaker {
    /// A waker for a main future, raised from the start so that the first iteration polls it.
    pub(crate) fn new(remote: Arc<Remote>, woken: bool) -> Arc<MainWaker> {
        Arc::new(MainWaker { woken: AtomicBool::new(woken), remote })
    }
}

thread_local! {
    /// The loop running on this thread, if any (asyncio's "running loop").
    pub(crate) static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

// ANCHOR: api
/// An event loop. Owning it is owning everything queued on it: dropping it drops every
/// pending callback and timer (and closes it, for any [`Handle`] still around).
pub struct EventLoop {
    pub(crate) shared: Rc<Shared>,
}

/// A cheap, cloneable reference to a loop, for callbacks and futures that need to schedule
/// more work or stop it. It does not keep the loop alive: once the loop is dropped, every
/// method returns `Err(LoopError::Closed)` (or `false`).
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Weak<Shared>,
}

/// The thread-safe way into a loop: `Send + Sync`, usable from any thread and from wakers.
#[derive(Clone)]
pub struct RemoteHandle {
    pub(crate) remote: Arc<Remote>,
}
// ANCHOR_END: api

impl EventLoop {
    /// A loop on the real clock.
    pub fn new() -> Self {
        Self::with_clock(RealClock::new())
    }

    /// A loop on the given clock, e.g. a [`VirtualClock`](crate::VirtualClock) in tests.
    pub fn with_clock(clock: impl Clock + 'static) -> Self {
        let interrupt = clock.interrupter();
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
                    clean_timers_at: MIN_CLEAN_TIMERS_AT,
                }),
                remote: Arc::new(Remote::new(interrupt)),
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
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

// ANCHOR: sleep
/// A future that completes once `duration` has passed on the loop that polls it
/// (asyncio's `await asyncio.sleep(d)`). Nothing happens until it is first polled; the
/// countdown starts then. Dropping it cancels its timer. (Its `poll` is yours, in `sleep.rs`.)
///
/// Panics if polled outside a running [`EventLoop`], whatever the duration: there is no timer
/// heap to join. (asyncio raises `RuntimeError: no running event loop` for a positive delay;
/// its `sleep(0)` only yields, without looking for a loop.)
pub fn sleep(duration: Duration) -> Sleep {
    Sleep { duration, armed: None }
}

/// The future returned by [`sleep`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    pub(crate) duration: Duration,
    /// Set by the first poll: the timer, and what it shares with its callback.
    pub(crate) armed: Option<(TimerHandle, Rc<Alarm>)>,
}

/// Shared by a `Sleep` and its timer callback.
#[derive(Default)]
pub(crate) struct Alarm {
    pub(crate) rang: Cell<bool>,
    /// The waker of the latest poll: a future may be polled with a different waker each time.
    pub(crate) waker: RefCell<Option<Waker>>,
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // A sleep dropped before it rang takes its timer (and the timer's callback) with it.
        if let Some((timer, _)) = &self.armed {
            timer.cancel();
        }
    }
}
// ANCHOR_END: sleep

impl Sleep {
    /// For the course's tests, not for your code: whether the alarm's waker cell is borrowed at
    /// this moment. A waker that asks from inside `wake` learns whether the timer callback
    /// woke it while still holding that borrow (it must not: wake after unlocking).
    #[doc(hidden)]
    pub fn waker_cell_is_borrowed(&self) -> bool {
        self.armed.as_ref().is_some_and(|(_, alarm)| alarm.waker.try_borrow_mut().is_err())
    }
}
