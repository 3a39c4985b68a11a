//! Chapter 4 — Tasks. **Exercise.**
//!
//! Build asyncio's `Task` on the chapter 3 loop (the reference loop, the `event_loop` crate): a
//! task is a future in the loop's task table plus a *step*, a `call_soon` callback that polls it
//! once; the task's waker queues the next step. `spawn` returns a [`JoinHandle`], itself a future
//! of the task's result.
//!
//! The data structures and the public entry points are given (`src/given.rs`, `src/error.rs`,
//! `src/legacy.rs`: you read them, you do not edit them); you write the bodies marked
//! `TODO(ch04)`, here and in `promise.rs`, in four stages:
//!
//! 1. `spawn_on`, `step`, the waker, `JoinHandle::poll`, names    `cargo test -p tasks stage1`
//!    and `live_tasks`
//! 2. `abort`, and catching a task's panic                         `cargo test -p tasks stage2`
//! 3. the "scheduled" flag: one step per burst of wakes            `cargo test -p tasks stage3`
//! 4. the promise and the callback bridge (`promise.rs`)           `cargo test -p tasks stage4`
//!
//! Each `TODO(ch04)` says which stage it belongs to. Stuck? `exercises/ch04-tasks/HINTS.md` has
//! hints per stage, from gentle questions to specifics. Signatures marked "do not change" carry
//! bounds that the compile-fail checks depend on.

mod error;
#[allow(dead_code)] // parts of it are for the code you will write
mod given;
/// Your "Predict the order" answer (`cargo test -p tasks predict`).
pub mod predict;
pub mod legacy;
mod promise;

pub use error::JoinError;
pub use given::{Builder, JoinHandle, spawn, spawn_named};
pub use promise::{BrokenPromise, Promise, Resolver, lookup_async, promise};

// Some of these are for the code you will write.
#[allow(unused_imports)]
use std::future::Future;
#[allow(unused_imports)]
use std::panic::{self, AssertUnwindSafe};
#[allow(unused_imports)]
use std::pin::Pin;
#[allow(unused_imports)]
use std::rc::Rc;
use std::sync::Arc;
#[allow(unused_imports)]
use std::sync::atomic::{AtomicBool, Ordering};
#[allow(unused_imports)]
use std::task::{Context, Poll, Wake, Waker};

#[allow(unused_imports)]
use event_loop::{Handle, LoopError};

#[allow(unused_imports)]
use error::panic_message;
#[allow(unused_imports)]
use given::{CURRENT_TASK, Fail, JoinState, Task, TaskId, TaskWaker, Tasks};

// ------------------------------------------------------------------ stage 1: spawn, step, join

impl<T> JoinState<T> {
    /// Sets the result and wakes the task awaiting the handle, if any. The first result wins:
    /// an abort that comes after the output must not replace it.
    fn finish(&self, result: Result<T, JoinError>) {
        let _ = result;
        // TODO(ch04) stage 1: record the result once (`finished`), then wake the joiner. Take
        // the joiner out of its RefCell before calling wake().
        todo!("JoinState::finish: store the first result and wake the awaiting task")
    }
}

impl Builder {
    /// Spawns on the loop behind `handle`, running or not (asyncio's `loop.create_task`). The
    /// task's first step is queued with `call_soon`: nothing of the future runs inside `spawn`.
    /// On a closed or dropped loop: `Err(LoopError::Closed)`, and the future is dropped.
    pub fn spawn_on<F>(self, handle: &Handle, future: F) -> Result<JoinHandle<F::Output>, LoopError>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let _ = (handle, future);
        // TODO(ch04) stage 1: find the table (handle.local::<Tasks>()), pick the next id and the
        // name, wrap the future into one of `()` that hands its output to a shared JoinState,
        // make the TaskWaker (scheduled = true: a step is about to be queued), queue the first
        // step with call_soon, and only then record the id and insert the task (a closed loop
        // then leaves nothing behind); return the handle.
        todo!("Builder::spawn_on: put the task in the loop's table and queue its first step")
    }
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // TODO(ch04) stage 1: queue a step of this task on its loop, from whatever thread this
        // runs on (RemoteHandle::call_soon_threadsafe; the callback may capture only `Send`
        // things: the id is enough). Queue it: never run the step here, inline. Stage 3: only if no step is queued already (`scheduled`).
        todo!("TaskWaker::wake_by_ref: queue a step of task `id` through the injection queue")
    }
}

/// One step of task `id`: poll it once, on the loop's thread. Queued by `spawn_on` and by the
/// task's waker; finds nothing (and does nothing) if the task finished or was aborted since.
#[allow(dead_code)]
fn step(id: TaskId) {
    let _ = id;
    // TODO(ch04) stage 1: find the table (Handle::current()), take the task's future out of it
    // (release the borrow!), poll it with the task's waker and its name in CURRENT_TASK, then put
    // it back (Pending) or remove the task (Ready).
    // Stage 2: catch a panic of the poll (JoinError::Panicked), honour `abort_requested`;
    // drop a removed future only after the table's borrow has ended.
    // Stage 3: clear `scheduled` before polling.
    todo!("step: poll task `id` once, outside any RefCell borrow")
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let _ = cx;
        // TODO(ch04) stage 1: the result if there is one; otherwise remember the latest waker.
        todo!("JoinHandle::poll: Ready with the task's result, or Pending with the waker stored")
    }
}

/// The name of the task being polled on this thread; `None` outside a task (for instance in the
/// future given to `run_until_complete`, which is not a task).
pub fn current_name() -> Option<String> {
    // TODO(ch04) stage 1: read CURRENT_TASK (which `step` sets around each poll).
    todo!("current_name: the name the running step put in CURRENT_TASK")
}

/// The names of the loop's unfinished tasks (the running one included), in spawn order: the
/// leaked-task detector. Empty for a dropped loop.
pub fn live_tasks(handle: &Handle) -> Vec<String> {
    let _ = handle;
    // TODO(ch04) stage 1: the names in the table.
    todo!("live_tasks: the names of the tasks still in the table")
}

// ------------------------------------------------------------------ stage 2: abort

impl<T> JoinHandle<T> {
    /// Drops the task's future now, so its destructors run now, and completes this handle with
    /// `JoinError::Cancelled`. A finished task keeps its result (a no-op). Called from inside the
    /// task's own poll, the future is dropped as soon as that poll returns.
    pub fn abort(&self) {
        // TODO(ch04) stage 2: three cases: not in the table (finished: nothing to do); in the
        // table but being polled (future is None: mark it); waiting (remove it in the borrow,
        // drop it after the borrow has ended, complete the handle).
        todo!("JoinHandle::abort: drop the task's future now, or mark the running task")
    }
}
