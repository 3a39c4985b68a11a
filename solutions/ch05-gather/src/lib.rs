//! Chapter 5 — Gather, select, timeouts and task groups. **Reference solution.**
//!
//! One primitive, [`ChildSet`]: many child futures polled by one parent, each child with its own
//! waker, so a wake re-polls only the child it belongs to. Everything else is a short `async fn`
//! on top of it, or on top of chapter 4's tasks: `join_all`, `try_join_all`, `select`, `timeout`,
//! asyncio's `gather` (with and without `return_exceptions`), a cancelling `try_gather`, and a
//! `TaskGroup`.
//!
//! Diff this directory against `exercises/ch05-gather/src` to see the lesson.

// Given code: the exercise's files, compiled here too, so the two cannot differ.
#[path = "../../../exercises/ch05-gather/src/error.rs"]
mod error;
#[path = "../../../exercises/ch05-gather/src/given.rs"]
mod given;
/// Your "Predict the order" answer (`cargo test -p gather predict`).
pub mod predict;

pub use error::{Elapsed, Failure, GroupError};
pub use given::{AbortOnDrop, ChildSet, TaskGroup};

use given::{ChildWaker, ReadyList, Slot};

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::mem;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use event_loop::sleep;
use tasks::{Builder, JoinError, JoinHandle, spawn};

// ------------------------------------------------------------------ stage 1: the child set


// ANCHOR: solution_waker
impl Wake for ChildWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The dedupe: only the first wake since the child's last poll lists it.
        if !self.queued.swap(true, Ordering::SeqCst) {
            self.ready.woken.lock().unwrap().push(self.index);
            // Clone the parent's waker out of the lock, then wake it: never call out holding a lock.
            let parent = self.ready.parent.lock().unwrap().clone();
            if let Some(parent) = parent {
                parent.wake();
            }
        }
    }
}
// ANCHOR_END: solution_waker

// ANCHOR: solution_set
impl<F: Future> ChildSet<F> {
    /// A set of `futures`, in order. Nothing is polled yet; every child is on the ready list, so
    /// the first `poll_next` polls each of them once.
    pub fn new(futures: impl IntoIterator<Item = F>) -> Self {
        let ready = Arc::new(ReadyList::default());
        let slots: Vec<Slot<F>> = futures
            .into_iter()
            .enumerate()
            .map(|(index, future)| {
                let flag = Arc::new(ChildWaker { index, queued: AtomicBool::new(true), ready: ready.clone() });
                Slot { future: Some(Box::pin(future)), waker: Waker::from(flag.clone()), flag }
            })
            .collect();
        *ready.woken.lock().unwrap() = (0..slots.len()).collect();
        let unfinished = slots.len();
        ChildSet { slots, ready, batch: VecDeque::new(), unfinished }
    }

    /// The next child to finish, with its index: `Ready(Some((index, output)))`;
    /// `Ready(None)` once every child has finished. Polls only the children woken since the
    /// last call, each with its own waker.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, F::Output)>> {
        if self.unfinished == 0 {
            return Poll::Ready(None);
        }
        // The parent's waker first: a child woken after we looked at the list must wake us.
        {
            let mut parent = self.ready.parent.lock().unwrap();
            if !parent.as_ref().is_some_and(|p| p.will_wake(cx.waker())) {
                *parent = Some(cx.waker().clone());
            }
        }
        // One batch at a time: children woken while this batch is polled (a child that wakes
        // itself) wait for the parent's next poll, so the loop gets its turn in between.
        if self.batch.is_empty() {
            let woken = mem::take(&mut *self.ready.woken.lock().unwrap());
            self.batch.extend(woken);
        }
        while let Some(index) = self.batch.pop_front() {
            let slot = &mut self.slots[index];
            // Cleared before the poll: a wake during the poll must list the child again.
            slot.flag.queued.store(false, Ordering::SeqCst);
            let Some(future) = slot.future.as_mut() else { continue };
            if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&slot.waker)) {
                slot.future = None;
                self.unfinished -= 1;
                return Poll::Ready(Some((index, output)));
            }
        }
        Poll::Pending
    }
}
// ANCHOR_END: solution_set

// ANCHOR: solution_join_all
/// Runs every future concurrently in the caller's task; their outputs, in input order.
pub async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut set = ChildSet::new(futures);
    let mut outputs: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    while let Some((index, output)) = set.next().await {
        outputs[index] = Some(output);
    }
    outputs.into_iter().map(|o| o.expect("every child finished")).collect()
}

/// [`join_all`] for fallible futures: the first `Err` to happen is returned at once, and the
/// other children are dropped (cancelled) with the set; otherwise every value, in input order.
pub async fn try_join_all<F, T, E>(futures: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
{
    let mut set = ChildSet::new(futures);
    let mut values: Vec<Option<T>> = (0..set.len()).map(|_| None).collect();
    while let Some((index, result)) = set.next().await {
        values[index] = Some(result?);
    }
    Ok(values.into_iter().map(|v| v.expect("every child finished")).collect())
}
// ANCHOR_END: solution_join_all

// ------------------------------------------------------------------ stage 2: gather on tasks

// ANCHOR: solution_abort_on_drop
impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // `JoinHandle` is `Unpin`, so `AbortOnDrop` is too: `get_mut` unwraps the pin, and the
        // handle is re-pinned with `Pin::new`. No pin projection needed.
        Pin::new(&mut self.get_mut().0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
// ANCHOR_END: solution_abort_on_drop

// ANCHOR: solution_gather
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
    let handles: Vec<JoinHandle<F::Output>> = futures.into_iter().map(spawn).collect();
    // Dropping a JoinHandle detaches its task: the others keep running after an error.
    try_join_all(handles)
}

/// `gather(..., return_exceptions=True)`: every task's outcome, in input order.
pub fn gather_settled<I, F>(futures: I) -> impl Future<Output = Vec<Result<F::Output, JoinError>>> + 'static
where
    I: IntoIterator<Item = F>,
    F: Future + 'static,
    F::Output: 'static,
{
    let handles: Vec<JoinHandle<F::Output>> = futures.into_iter().map(spawn).collect();
    join_all(handles)
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
    let children: Vec<AbortOnDrop<Result<T, E>>> =
        futures.into_iter().map(|future| AbortOnDrop::new(spawn(future))).collect();
    try_join_all(children.into_iter().map(settle))
}

/// One child's outcome, with its two kinds of failure in one type.
async fn settle<T, E>(child: AbortOnDrop<Result<T, E>>) -> Result<T, Failure<E>> {
    match child.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Failure::Error(error)),
        Err(error) => Err(Failure::Task(error)),
    }
}
// ANCHOR_END: solution_gather

// ------------------------------------------------------------------ stage 3: select and timeout

// ANCHOR: solution_select
/// The first future to finish, with its index; the others are dropped (cancelled) before this
/// returns. Panics if `futures` is empty: that select could never finish.
pub async fn select<F: Future>(futures: impl IntoIterator<Item = F>) -> (usize, F::Output) {
    let mut set = ChildSet::new(futures);
    assert!(!set.is_empty(), "select() was given no futures: it could never finish");
    set.next().await.expect("the set is not empty")
    // `set` is dropped here, when the body returns: the losers with it.
}
// ANCHOR_END: solution_select

// ANCHOR: solution_timeout
/// asyncio's `wait_for`: `future`'s output, or `Err(Elapsed)` once `duration` has passed on the
/// loop's clock, counted from the first poll. On expiry `future` is dropped before this returns;
/// when `future` wins, the timer is cancelled at once. A future that is ready at the deadline
/// wins (it is polled first).
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Result<F::Output, Elapsed> {
    let mut future = pin!(future);
    // Made once, outside the poll: a timer made per poll would restart at every wake.
    let mut deadline = sleep(duration);
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if Pin::new(&mut deadline).poll(cx).is_ready() {
            return Poll::Ready(Err(Elapsed { after: duration }));
        }
        Poll::Pending
    })
    .await
    // Both locals are dropped here: the loser (the future, or the timer) goes at once.
}
// ANCHOR_END: solution_timeout

// ------------------------------------------------------------------ stage 4: task groups

// ANCHOR: solution_group
impl<T: 'static, E: 'static> TaskGroup<T, E> {
    /// Spawns `future` as a child task on the running loop (asyncio's `tg.create_task`).
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = Result<T, E>> + 'static, // do not change: a compile-fail check relies on `'static`
    {
        self.children.push(AbortOnDrop::new(spawn(future)));
    }

    /// [`spawn`](Self::spawn) with a task name.
    pub fn spawn_named<F>(&mut self, name: impl Into<String>, future: F)
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        self.children.push(AbortOnDrop::new(Builder::new().name(name).spawn(future)));
    }

    /// Waits for every child. `Ok` with every value, in spawn order; or, after the first
    /// failure, the siblings are aborted (dropped at once) and `Err` lists every failure that
    /// happened before they were, in order. Siblings the group cancelled are not failures.
    pub async fn join(mut self) -> Result<Vec<T>, GroupError<E>> {
        let mut set = ChildSet::new(mem::take(&mut self.children));
        let mut values: Vec<Option<T>> = (0..set.len()).map(|_| None).collect();
        let mut failures = Vec::new();
        let mut cancelling = false;
        while let Some((index, outcome)) = set.next().await {
            match outcome {
                Ok(Ok(value)) => values[index] = Some(value),
                Err(error) if cancelling && error.is_cancelled() => {} // our own abort
                Ok(Err(error)) => failures.push(Failure::Error(error)),
                Err(error) => failures.push(Failure::Task(error)),
            }
            if !failures.is_empty() && !cancelling {
                cancelling = true;
                // Drops each sibling's future now. A sibling that finished already keeps its
                // outcome, which the loop still collects: a failure at the same moment counts.
                for sibling in set.pending() {
                    sibling.abort();
                }
            }
        }
        if failures.is_empty() {
            Ok(values.into_iter().map(|v| v.expect("every child succeeded")).collect())
        } else {
            Err(GroupError { failures })
        }
    }
}

// ANCHOR_END: solution_group
