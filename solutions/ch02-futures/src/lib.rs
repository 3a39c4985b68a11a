//! Chapter 2 — Futures and wakers. **Reference solution.**
//!
//! Four small pieces, each the hand-written form of something `async`/`.await` and an executor
//! do for you: futures that are ready at once or give way once, the state machine the compiler
//! generates for an `async fn`, and `block_on`, the smallest executor, which sleeps until a waker
//! tells it that polling again is worth it.
//!
//! Diff this file against `exercises/ch02-futures/src/lib.rs` to see the lesson.

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

// ANCHOR: ready
/// A future whose value is already there: the first poll hands it over.
///
/// Contract: the first poll returns `Ready(value)`. Polling again afterwards is a bug in the caller
/// (the value is gone), and panics with a message saying so.
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Ready<T> {
    /// `Some` until the value has been handed over.
    value: Option<T>,
}

/// Wraps `value` in a future that is ready on its first poll.
pub fn ready<T>(value: T) -> Ready<T> {
    Ready { value: Some(value) }
}

// `Ready` never relies on staying at one address (it only moves its value out), so it may be
// moved even while pinned, whatever `T` is.
impl<T> Unpin for Ready<T> {}

impl<T> Future for Ready<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        // Nothing to wait for, so there is no waker to remember.
        match self.get_mut().value.take() {
            Some(value) => Poll::Ready(value),
            None => panic!("`Ready` polled after completion: its value was already handed over"),
        }
    }
}
// ANCHOR_END: ready

// ANCHOR: yield_now
/// Gives way once: the first poll returns `Pending` (after waking its own waker), the next one
/// `Ready(())`. The Rust spelling of Python's `await asyncio.sleep(0)`.
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug, Default)]
pub struct YieldNow {
    /// Whether the one `Pending` has been returned yet.
    yielded: bool,
}

/// A future that lets the executor run something else before this task continues.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Returning Pending promises that somebody will call the waker. Nobody else knows about
        // this future, so it keeps the promise itself, right now: the executor will poll it
        // again after whatever else is ready has had its turn. Forget this line and the task
        // sleeps forever.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: yield_now

// `load_profile` and its types are given code: the exercise's file, compiled here as it is.
#[path = "../../../exercises/ch02-futures/src/profile.rs"]
mod profile;

pub use profile::{Profile, User, load_profile};

// ANCHOR: load_profile
/// [`load_profile`] as the state machine the compiler generates for it, written by hand.
///
/// Contract: behaves exactly like `load_profile(get_user, get_orders)`, poll for poll: creating it
/// runs nothing; each poll runs until an inner future is `Pending` (returning `Pending`) or the
/// body ends (returning `Ready`). Polling after `Ready` panics with a message saying so.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct LoadProfile<GU, U, GO, O> {
    state: LoadState<GU, U, GO, O>,
}

/// Where the body of `load_profile` is. Each variant holds exactly the values that are still
/// needed from that point on, which is what the compiler keeps across an `.await`.
enum LoadState<GU, U, GO, O> {
    /// Created and never polled: the body has not started.
    Start { get_user: GU, get_orders: GO },
    /// Paused at `get_user().await`.
    AwaitingUser { user: U, get_orders: GO },
    /// Paused at `get_orders(user.id).await`. Of the user, only the name is still needed.
    AwaitingOrders { name: String, orders: O },
    /// Returned its `Profile`.
    Done,
}

impl<GU, U, GO, O> LoadProfile<GU, U, GO, O> {
    /// What calling `load_profile(get_user, get_orders)` does: store the arguments, run nothing.
    pub fn new(get_user: GU, get_orders: GO) -> Self {
        LoadProfile { state: LoadState::Start { get_user, get_orders } }
    }
}

// The inner futures are required to be `Unpin` and are polled through `Pin::new`, so nothing in
// a `LoadProfile` relies on staying at one address: it may move even while pinned.
impl<GU, U, GO, O> Unpin for LoadProfile<GU, U, GO, O> {}

impl<GU, U, GO, O> Future for LoadProfile<GU, U, GO, O>
where
    GU: FnOnce() -> U,
    U: Future<Output = User> + Unpin,
    GO: FnOnce(u32) -> O,
    O: Future<Output = Vec<String>> + Unpin,
{
    type Output = Profile;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Profile> {
        let this = self.get_mut();
        // One poll runs the body as far as it can go: a state whose work is done moves on to the
        // next state in the same poll. Only an inner `Pending` ends the poll early, and then the
        // inner future has arranged the wake (it got our `cx`).
        loop {
            // Take the state out, leaving `Done`: a panic half-way leaves a finished future.
            match mem::replace(&mut this.state, LoadState::Done) {
                LoadState::Start { get_user, get_orders } => {
                    this.state = LoadState::AwaitingUser { user: get_user(), get_orders };
                }
                LoadState::AwaitingUser { mut user, get_orders } => {
                    match Pin::new(&mut user).poll(cx) {
                        Poll::Pending => {
                            this.state = LoadState::AwaitingUser { user, get_orders };
                            return Poll::Pending;
                        }
                        Poll::Ready(user) => {
                            let orders = get_orders(user.id);
                            this.state = LoadState::AwaitingOrders { name: user.name, orders };
                        }
                    }
                }
                LoadState::AwaitingOrders { name, mut orders } => {
                    match Pin::new(&mut orders).poll(cx) {
                        Poll::Pending => {
                            this.state = LoadState::AwaitingOrders { name, orders };
                            return Poll::Pending;
                        }
                        // The state stays `Done`.
                        Poll::Ready(orders) => return Poll::Ready(Profile { name, orders }),
                    }
                }
                LoadState::Done => panic!(
                    "`LoadProfile` polled after completion: it already returned its Profile"
                ),
            }
        }
    }
}
// ANCHOR_END: load_profile

// ANCHOR: thread_waker
/// Why [`ThreadWaker::wait`] refused to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError {
    /// `wait` was called on a thread other than the one the waker unparks; it would sleep
    /// forever.
    WrongThread,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::WrongThread => f.write_str(
                "ThreadWaker::wait called on a thread its wakes do not unpark; it would never wake",
            ),
        }
    }
}

impl std::error::Error for WaitError {}

/// The state behind the waker that [`block_on`] hands to its future: the thread to wake, and
/// whether a wake has arrived that nobody has waited for yet.
///
/// Contract: every call of `wake` is seen by the next `wait` on the owning thread, whenever it
/// happened (before `wait`, during it, from any thread), and is seen by that one `wait` only.
#[derive(Debug)]
pub struct ThreadWaker {
    thread: Thread,
    notified: AtomicBool,
}

impl ThreadWaker {
    /// A waker state that wakes the calling thread. Make a `Waker` with `Waker::from(arc)`.
    pub fn for_current_thread() -> Arc<Self> {
        Arc::new(ThreadWaker { thread: thread::current(), notified: AtomicBool::new(false) })
    }

    /// Returns at once if a wake arrived since the last `wait`, otherwise parks until one does;
    /// either way the wake is used up. Only the thread that created this `ThreadWaker` may wait
    /// on it: any other thread gets `Err(WaitError::WrongThread)` instead of sleeping forever.
    pub fn wait(&self) -> Result<(), WaitError> {
        if thread::current().id() != self.thread.id() {
            return Err(WaitError::WrongThread);
        }
        // `swap` reads and clears in one step, so a wake is either seen here or still stored for
        // the next round: there is no moment in which one can be lost. `park` may also return
        // without a wake (spuriously); the loop goes back to sleep then.
        while !self.notified.swap(false, Ordering::Acquire) {
            thread::park();
        }
        Ok(())
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Flag first, then unpark: a thread that wakes up must find the flag set.
        self.notified.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
// ANCHOR_END: thread_waker

// ANCHOR: block_on
/// Runs `future` to completion on the calling thread and returns its output.
///
/// Contract: polls once, then at most once per wake, never in a loop: between polls the thread
/// sleeps until the waker is called. Every wake is followed by a poll, and wakes that arrive
/// before that poll coalesce into it; a wake that arrives early (even during a poll) is kept,
/// not lost. `future` need not
/// be `Unpin`: it is pinned where it is for as long as it runs.
pub fn block_on<F: Future>(future: F) -> F::Output {
    // The future may not be `Unpin`: pin it where it is, on this stack frame, which outlives
    // every poll.
    let mut future = pin!(future);
    let signal = ThreadWaker::for_current_thread();
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // Pending: the future has arranged for `waker` to be called. Sleep until it is.
        signal.wait().expect("the ThreadWaker was created on this very thread");
    }
}
// ANCHOR_END: block_on
