//! Chapter 4 — Tasks. **Exercise.**
//!
//! Build asyncio's `Task` on the chapter 3 loop (the reference loop, the `event_loop` crate): a
//! task is a future in the loop's task table plus a *step*, a `call_soon` callback that polls it
//! once; the task's waker queues the next step. `spawn` returns a [`JoinHandle`], itself a future
//! of the task's result.
//!
//! The data structures and the public signatures are given; you write the bodies marked
//! `TODO(ch04)`, here and in `promise.rs`, in four stages:
//!
//! 1. `spawn_on`, `step`, the waker, `JoinHandle::poll`, names    `cargo test -p tasks stage1`
//! 2. `abort`, and catching a task's panic                         `cargo test -p tasks stage2`
//! 3. the "scheduled" flag, `live_tasks`                           `cargo test -p tasks stage3`
//! 4. the promise and the callback bridge (`promise.rs`)           `cargo test -p tasks stage4`
//!
//! Each `TODO(ch04)` says which stage it belongs to. Stuck? `exercises/ch04-tasks/HINTS.md` has
//! hints per stage, from gentle questions to specifics. Signatures marked "do not change" carry
//! bounds that the compile-fail checks depend on.

mod error;
pub mod legacy;
mod promise;

pub use error::JoinError;
pub use promise::{BrokenPromise, Promise, Resolver, lookup_async, promise};

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
#[allow(unused_imports)]
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
#[allow(unused_imports)]
use std::sync::atomic::Ordering;
#[allow(unused_imports)]
use std::task::{Context, Poll, Wake, Waker};

use event_loop::{Handle, LoopError, RemoteHandle};

#[allow(unused_imports)]
use error::panic_message;

/// A task's number on its loop, from 1 in spawn order (asyncio names unnamed tasks `Task-1`, ...).
type TaskId = u64;

// ------------------------------------------------------------------ given: the data

/// The loop's tasks. One per loop, in the loop's local storage (`handle.local::<Tasks>()`), so
/// it is dropped with the loop, and with it every task's future.
#[allow(dead_code)]
#[derive(Default)]
struct Tasks {
    /// Every task that has not finished, by id (a `BTreeMap`, so listing is in spawn order).
    table: RefCell<BTreeMap<TaskId, Task>>,
    /// The last id handed out.
    last_id: Cell<TaskId>,
}

/// One unfinished task: its future, and what its step needs around the poll.
#[allow(dead_code)]
struct Task {
    name: Rc<str>,
    /// `None` while the task's step is polling it: the step takes the future out of the table,
    /// so no `RefCell` borrow is held while task code runs (task code spawns, aborts, lists).
    future: Option<Pin<Box<dyn Future<Output = ()>>>>,
    /// The task's waker, made once; it also carries the "a step is queued" flag.
    waker: Arc<TaskWaker>,
    /// `abort()` was called while the task was being polled: drop it when the poll returns.
    abort_requested: bool,
    /// Completes the task's `JoinHandle` with an error (panic, abort); the output type is erased.
    join: Rc<dyn Fail>,
}

/// A task's waker. A `Waker` must be `Send + Sync`, the task is not, so the waker holds no part
/// of the task: only its id, the thread-safe way onto its loop, and the "scheduled" flag.
#[allow(dead_code)]
struct TaskWaker {
    id: TaskId,
    remote: RemoteHandle,
    /// Set while a step of this task is queued: more wakes before it runs queue nothing more.
    scheduled: AtomicBool,
}

/// What a task and its `JoinHandle` share: the result, once there is one, and the waker of
/// whoever awaits the handle.
#[allow(dead_code)]
struct JoinState<T> {
    result: RefCell<Option<Result<T, JoinError>>>,
    /// A result was set (it stays set after the handle took the value out).
    finished: Cell<bool>,
    joiner: RefCell<Option<Waker>>,
}

impl<T> JoinState<T> {
    #[allow(dead_code)]
    fn new() -> Self {
        JoinState { result: RefCell::new(None), finished: Cell::new(false), joiner: RefCell::new(None) }
    }
}

/// The type-erased side of a `JoinState`: the table can fail a task without knowing its `T`.
#[allow(dead_code)]
trait Fail {
    fn fail(&self, error: JoinError);
}

impl<T> Fail for JoinState<T> {
    fn fail(&self, error: JoinError) {
        self.finish(Err(error));
    }
}

thread_local! {
    /// The name of the task being polled on this thread, if any.
    static CURRENT_TASK: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
}

/// Owns nothing: the loop owns the task. Await it for the task's result; drop it to detach the
/// task (it keeps running); `abort` it to drop the task's future.
#[must_use = "dropping a JoinHandle detaches the task; await it to get the result"]
#[allow(dead_code)]
pub struct JoinHandle<T> {
    id: TaskId,
    name: Rc<str>,
    state: Rc<JoinState<T>>,
    /// The loop, as a `Weak`: a handle kept inside another task must not keep the table alive.
    handle: Handle,
}

/// Configures a task before spawning it (asyncio's `create_task(coro, name=...)`).
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<String>,
}

impl Builder {
    pub fn new() -> Self {
        Builder::default()
    }

    /// The task's name, shown by `current_name`, `live_tasks` and `JoinError`.
    /// Unnamed tasks are called `task-<id>`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Spawns on the loop running on this thread. Panics outside a running loop (asyncio's
    /// `create_task` raises `RuntimeError: no running event loop`).
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static, // do not change: a compile-fail check relies on `'static`
        F::Output: 'static,
    {
        let handle = Handle::current().expect("spawn() called outside a running event loop");
        self.spawn_on(&handle, future).expect("the running loop refused a task")
    }
}

/// Spawns `future` as a task on the running loop (asyncio's `create_task`).
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Builder::new().spawn(future)
}

/// Spawns a named task on the running loop (`create_task(coro, name=name)`).
pub fn spawn_named<F>(name: impl Into<String>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Builder::new().name(name).spawn(future)
}

impl<T> JoinHandle<T> {
    /// The task's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the task has a result (output, panic or abort), taken or not.
    pub fn is_finished(&self) -> bool {
        self.state.finished.get()
    }
}

// ------------------------------------------------------------------ stage 1: spawn, step, join

#[allow(dead_code)]
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
        // step with call_soon, insert the task, return the handle.
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
        // things: the id is enough). Stage 3: only if no step is queued already (`scheduled`).
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
    // Stage 2: catch a panic of the poll (JoinError::Panicked), honour `abort_requested`.
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

// ------------------------------------------------------------------ stage 2: abort

impl<T> JoinHandle<T> {
    /// Drops the task's future now, so its destructors run now, and completes this handle with
    /// `JoinError::Cancelled`. A finished task keeps its result (a no-op). Called from inside the
    /// task's own poll, the future is dropped as soon as that poll returns.
    pub fn abort(&self) {
        // TODO(ch04) stage 2: three cases: not in the table (finished: nothing to do); in the
        // table but being polled (future is None: mark it); waiting (remove it, drop it outside
        // the borrow, complete the handle).
        todo!("JoinHandle::abort: drop the task's future now, or mark the running task")
    }
}

// ------------------------------------------------------------------ stage 3: the live list

/// The names of the loop's unfinished tasks (the running one included), in spawn order: the
/// leaked-task detector. Empty for a dropped loop.
pub fn live_tasks(handle: &Handle) -> Vec<String> {
    let _ = handle;
    // TODO(ch04) stage 3: the names in the table.
    todo!("live_tasks: the names of the tasks still in the table")
}
