//! Chapter 5 — Gather, select, timeouts and task groups. **Exercise.**
//!
//! One primitive, [`ChildSet`]: many child futures polled by one parent, each child with its own
//! waker, so a wake re-polls only the child it belongs to. Everything else is a short `async fn`
//! on top of it, or on top of chapter 4's tasks (the reference ones, the `tasks` crate):
//! `join_all`, `try_join_all`, `select`, `timeout`, asyncio's `gather` (with and without
//! `return_exceptions`), a cancelling `try_gather`, and a `TaskGroup`.
//!
//! The data structures (`src/given.rs`) and the public signatures are given; you write the bodies marked
//! `TODO(ch05)`, in four stages:
//!
//! 1. `ChildSet` (the child waker, `new`, `poll_next`), `join_all`, `try_join_all`
//!    `cargo test -p gather stage1`
//! 2. `AbortOnDrop`, `gather`, `gather_settled`, `try_gather`      `cargo test -p gather stage2`
//! 3. `select`, `timeout`                                          `cargo test -p gather stage3`
//! 4. `TaskGroup`                                                  `cargo test -p gather stage4`
//!
//! Each `TODO(ch05)` says which stage it belongs to. Stuck? `exercises/ch05-gather/HINTS.md` has
//! hints per stage, from gentle questions to specifics. Signatures marked "do not change" carry
//! bounds that the compile-fail checks depend on.

mod error;
mod given;
/// Your "Predict the order" answer (`cargo test -p gather predict`).
pub mod predict;

pub use error::{Elapsed, Failure, GroupError};
pub use given::{AbortOnDrop, ChildSet, TaskGroup};

#[allow(unused_imports)]
use given::{ChildWaker, ReadyList, Slot};

#[allow(unused_imports)]
use std::collections::VecDeque;
#[allow(unused_imports)]
use std::future::{Future, poll_fn};
#[allow(unused_imports)]
use std::mem;
#[allow(unused_imports)]
use std::pin::{Pin, pin};
#[allow(unused_imports)]
use std::sync::atomic::{AtomicBool, Ordering};
#[allow(unused_imports)]
use std::sync::{Arc, Mutex};
#[allow(unused_imports)]
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

#[allow(unused_imports)]
use event_loop::sleep;
#[allow(unused_imports)]
use tasks::{Builder, JoinError, JoinHandle, spawn};


// ------------------------------------------------------------------ stage 1: the child set

impl Wake for ChildWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // TODO(ch05) stage 1: list this child on the ready list, but only if it is not listed
        // already (the `queued` flag), then wake the parent (its waker is in `ready.parent`).
        // Release each lock before calling out.
        todo!("ChildWaker::wake_by_ref: list the child's index once, then wake the parent")
    }
}

impl<F: Future> ChildSet<F> {
    /// A set of `futures`, in order. Nothing is polled yet; every child is on the ready list, so
    /// the first `poll_next` polls each of them once.
    pub fn new(futures: impl IntoIterator<Item = F>) -> Self {
        // TODO(ch05) stage 1: one slot per future (boxed and pinned), each with its own
        // ChildWaker (index, queued = true, the shared ReadyList) made into a Waker once; every
        // index on the ready list.
        let _ = futures;
        todo!("ChildSet::new: a pinned slot and a waker per child, every child on the ready list")
    }

    /// The next child to finish, with its index: `Ready(Some((index, output)))`;
    /// `Ready(None)` once every child has finished. Polls only the children woken since the
    /// last call, each with its own waker.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, F::Output)>> {
        // TODO(ch05) stage 1: store cx.waker() as the parent's waker; if the batch is empty,
        // take the ready list into it; poll each child of the batch with its own waker (clear
        // its `queued` flag first; skip finished children). Return the first child that is
        // Ready, with its index; Pending when the batch is done.
        let _ = cx;
        todo!("ChildSet::poll_next: poll the woken children, each with its own waker")
    }
}

/// Runs every future concurrently in the caller's task; their outputs, in input order.
pub async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    // TODO(ch05) stage 1: a ChildSet, and each output stored at its child's index.
    let _ = futures;
    todo!("join_all: a ChildSet, outputs stored by index")
}

/// [`join_all`] for fallible futures: the first `Err` to happen is returned at once, and the
/// other children are dropped (cancelled) with the set; otherwise every value, in input order.
pub async fn try_join_all<F, T, E>(futures: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
{
    // TODO(ch05) stage 1: like join_all, returning the first Err as soon as it comes.
    let _ = futures;
    todo!("try_join_all: like join_all, but return the first Err at once")
}

// ------------------------------------------------------------------ stage 2: gather on tasks

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // TODO(ch05) stage 2: poll the JoinHandle inside (it is Unpin).
        let _ = cx;
        todo!("AbortOnDrop::poll: poll the JoinHandle it wraps")
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        // TODO(ch05) stage 2: abort the task. (No todo!() here: a panic in a Drop that runs
        // while another panic unwinds would abort the whole test program.)
    }
}

/// asyncio's `gather`: each child becomes a task *now*, so the children run even before (and
/// whether or not) the returned future is awaited. Outputs in input order. The first task that
/// fails (panics, or is aborted) is returned at once, and the other tasks keep running, as in
/// asyncio.
pub fn gather<I, F>(futures: I) -> impl Future<Output = Result<Vec<F::Output>, JoinError>> + 'static
where
    I: IntoIterator<Item = F>,
    F: Future + 'static,
    F::Output: 'static,
{
    // TODO(ch05) stage 2: spawn every child now; then the JoinHandles are futures of
    // Result<T, JoinError>, and a stage 1 function does the rest.
    let _ = futures;
    todo!("gather: spawn every child now, then wait on their JoinHandles");
    #[allow(unreachable_code)]
    std::future::pending()
}

/// `gather(..., return_exceptions=True)`: every task's outcome, in input order.
pub fn gather_settled<I, F>(futures: I) -> impl Future<Output = Vec<Result<F::Output, JoinError>>> + 'static
where
    I: IntoIterator<Item = F>,
    F: Future + 'static,
    F::Output: 'static,
{
    // TODO(ch05) stage 2: as gather, keeping every outcome.
    let _ = futures;
    todo!("gather_settled: spawn every child now, then keep every outcome");
    #[allow(unreachable_code)]
    std::future::pending()
}

/// Like `gather`, for children that return `Result`: the first failure (an `Err`, a panic) is
/// returned at once and every other child is aborted, so its future is dropped before this
/// returns. Dropping the returned future aborts the children too.
pub fn try_gather<I, F, T, E>(futures: I) -> impl Future<Output = Result<Vec<T>, Failure<E>>> + 'static
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: 'static,
{
    // TODO(ch05) stage 2: spawn every child now, each handle in an AbortOnDrop; turn each
    // child's two kinds of failure into one Failure<E>; return the first.
    let _ = futures;
    todo!("try_gather: spawn every child now as an AbortOnDrop, return the first failure");
    #[allow(unreachable_code)]
    std::future::pending()
}

// ------------------------------------------------------------------ stage 3: select and timeout

/// The first future to finish, with its index; the others are dropped (cancelled) before this
/// returns. Panics if `futures` is empty: that select could never finish.
pub async fn select<F: Future>(futures: impl IntoIterator<Item = F>) -> (usize, F::Output) {
    // TODO(ch05) stage 3: the first child the set hands out wins.
    let _ = futures;
    todo!("select: the first child to finish wins, the others are dropped")
}

/// asyncio's `wait_for`: `future`'s output, or `Err(Elapsed)` once `duration` has passed on the
/// loop's clock, counted from the first poll. On expiry `future` is dropped before this returns;
/// when `future` wins, the timer is cancelled at once. A future that is ready at the deadline
/// wins (it is polled first).
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Result<F::Output, Elapsed> {
    // TODO(ch05) stage 3: pin the future, make one `sleep(duration)`, and poll both (the future
    // first) until one is ready.
    let _ = (duration, future);
    todo!("timeout: poll the future, then one timer made before the first poll")
}

// ------------------------------------------------------------------ stage 4: task groups


impl<T: 'static, E: 'static> TaskGroup<T, E> {
    /// Spawns `future` as a child task on the running loop (asyncio's `tg.create_task`).
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = Result<T, E>> + 'static, // do not change: a compile-fail check relies on `'static`
    {
        // TODO(ch05) stage 4: spawn it, keep the handle as an AbortOnDrop.
        drop(future);
        todo!("TaskGroup::spawn: spawn the child, keep its handle as an AbortOnDrop")
    }

    /// [`spawn`](Self::spawn) with a task name.
    pub fn spawn_named<F>(&mut self, name: impl Into<String>, future: F)
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        // TODO(ch05) stage 4: as spawn, with tasks::Builder's name.
        let _ = (name.into(), future);
        todo!("TaskGroup::spawn_named: spawn with a name (tasks::Builder)")
    }

    /// Waits for every child. `Ok` with every value, in spawn order; or, after the first
    /// failure, the siblings are aborted (dropped at once) and `Err` lists every failure that
    /// happened before they were, in order. Siblings the group cancelled are not failures.
    pub async fn join(self) -> Result<Vec<T>, GroupError<E>> {
        // TODO(ch05) stage 4: a ChildSet of the children; on the first failure abort every
        // pending sibling, and keep collecting outcomes (skipping the group's own
        // cancellations) until the set is empty.
        todo!("TaskGroup::join: wait for all; on the first failure abort the siblings, report every failure")
    }
}

