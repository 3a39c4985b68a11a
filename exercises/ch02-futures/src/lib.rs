//! Chapter 2 — Futures and wakers. **Exercise.**
//!
//! Four small pieces, each the hand-written form of something `async`/`.await` and an executor
//! do for you: futures that are ready at once or give way once, the state machine the compiler
//! generates for an `async fn`, and `block_on`, the smallest executor, which sleeps until a waker
//! tells it that polling again is worth it.
//!
//! Work through the `TODO(ch02)` markers in order, running `cargo test -p hand-futures` as you go.
//! Stuck? `exercises/ch02-futures/HINTS.md` has hints, from gentle questions to specifics.
//! Items marked "given; do not change" are used by the tests and the compile-fail checks as they
//! are.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake};

// ANCHOR: ready
/// A future whose value is already there: the first poll hands it over.
///
/// Contract: the first poll returns `Ready(value)`. Polling again afterwards is a bug in the caller
/// (the value is gone), and panics with a message that says it was polled "after completion".
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Ready<T> {
    /// TODO(ch02): why might this be an `Option`?
    value: Option<T>,
}

/// Wraps `value` in a future that is ready on its first poll.
pub fn ready<T>(value: T) -> Ready<T> {
    let _ = value;
    todo!("ready: store the value for the first poll")
}

// Given: `Ready` never relies on staying at one address (it only moves its value out), so it may
// be moved even while pinned, whatever `T` is. That is what lets `poll` use `self.get_mut()`.
impl<T> Unpin for Ready<T> {}

impl<T> Future for Ready<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let _ = (&self.value, cx);
        todo!("Ready::poll: hand the value over, or panic if it was already handed over")
    }
}
// ANCHOR_END: ready

// ANCHOR: yield_now
/// Gives way once: the first poll returns `Pending` (after waking its own waker), the next one
/// `Ready(())`. The Rust spelling of Python's `await asyncio.sleep(0)`.
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug, Default)]
pub struct YieldNow {
    // TODO(ch02): what does the second poll need to know about the first?
}

/// A future that lets the executor run something else before this task continues.
pub fn yield_now() -> YieldNow {
    todo!("yield_now: a YieldNow that has not given way yet")
}

impl Future for YieldNow {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let _ = (self, cx);
        // TODO(ch02): returning Pending is a promise that somebody will call the waker. Who?
        todo!("YieldNow::poll: Pending once (keeping the promise), then Ready")
    }
}
// ANCHOR_END: yield_now

mod profile;

pub use profile::{Profile, User, load_profile};

// ANCHOR: load_profile
/// [`load_profile`] as the state machine the compiler generates for it, written by hand.
///
/// Contract: behaves exactly like `load_profile(get_user, get_orders)`, poll for poll: creating it
/// runs nothing; each poll runs until an inner future is `Pending` (returning `Pending`) or the
/// body ends (returning `Ready`). Polling after `Ready` panics with a message that says it was
/// polled "after completion".
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct LoadProfile<GU, U, GO, O> {
    // TODO(ch02): replace this placeholder with a field holding your own state enum: one variant
    // for "created, never polled", one per `.await` the body can be paused at, one for "done".
    // Each variant holds exactly what the rest of the body still needs. (The placeholder only
    // keeps the type parameters used until then; it goes, and needs no import.)
    _placeholder: std::marker::PhantomData<(GU, U, GO, O)>,
}

impl<GU, U, GO, O> LoadProfile<GU, U, GO, O> {
    /// What calling `load_profile(get_user, get_orders)` does.
    pub fn new(get_user: GU, get_orders: GO) -> Self {
        let _ = (get_user, get_orders);
        todo!("LoadProfile::new: what does calling an async fn run?")
    }
}

// Given: the inner futures are required to be `Unpin` and are polled through `Pin::new`, so
// nothing in a `LoadProfile` relies on staying at one address: it may move even while pinned.
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
        let _ = (self, cx);
        // TODO(ch02): run the body from where it stopped, as far as it can go in this poll.
        todo!("LoadProfile::poll: step through your states until Pending or Ready")
    }
}
// ANCHOR_END: load_profile

// ANCHOR: thread_waker
/// Why [`ThreadWaker::wait`] refused to wait. Given; do not change.
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
    // TODO(ch02): the thread to unpark (`std::thread::Thread`) and a notified flag
    // (`std::sync::atomic::AtomicBool`).
}

impl ThreadWaker {
    /// A waker state that wakes the calling thread. Make a `Waker` with `Waker::from(arc)`.
    pub fn for_current_thread() -> Arc<Self> {
        todo!("ThreadWaker::for_current_thread: remember this thread; no wake has arrived yet")
    }

    /// Returns at once if a wake arrived since the last `wait`, otherwise parks until one does;
    /// either way the wake is used up. Only the thread that created this `ThreadWaker` may wait
    /// on it: any other thread gets `Err(WaitError::WrongThread)` instead of sleeping forever.
    pub fn wait(&self) -> Result<(), WaitError> {
        todo!("ThreadWaker::wait: consume a stored wake, or park until one arrives")
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        todo!("ThreadWaker::wake: record the wake, then unpark the waiting thread")
    }

    // TODO(ch02): `Wake` also has `wake_by_ref`, whose default clones the `Arc` and calls `wake`.
    // Worth overriding once `wake` works: which of the two should do the work?
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
    drop(future); // dropped unpolled, so it runs nothing (remove this line)
    // TODO(ch02): pin the future (`std::pin::pin!`), build a Waker from a ThreadWaker and a
    // Context from the Waker, then poll; after each Pending, wait for a wake.
    todo!("block_on: poll, and between polls sleep until woken")
}
// ANCHOR_END: block_on
