//! The data a task system keeps, and the thin public entry points around `Builder::spawn_on`.
//!
//! This file is given, in the exercise and in the solution alike (the solution compiles this very
//! file): you read it, you do not edit it. The behaviour is yours, in `lib.rs`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::task::Waker;

use event_loop::{Handle, RemoteHandle};

use crate::JoinError;

/// A task's number on its loop, from 1 in spawn order (asyncio names unnamed tasks `Task-1`, ...).
pub(crate) type TaskId = u64;

// ANCHOR: table
/// The loop's tasks. One per loop, in the loop's local storage (`handle.local::<Tasks>()`), so
/// it is dropped with the loop, and with it every task's future.
#[derive(Default)]
pub(crate) struct Tasks {
    /// Every task that has not finished, by id (a `BTreeMap`, so listing is in spawn order).
    pub(crate) table: RefCell<BTreeMap<TaskId, Task>>,
    /// The last id handed out.
    pub(crate) last_id: Cell<TaskId>,
}

/// One unfinished task: its future, and what its step needs around the poll.
pub(crate) struct Task {
    pub(crate) name: Rc<str>,
    /// `None` while the task's step is polling it: the step takes the future out of the table,
    /// so no `RefCell` borrow is held while task code runs (task code spawns, aborts, lists).
    pub(crate) future: Option<Pin<Box<dyn Future<Output = ()>>>>,
    /// The task's waker, made once; it also carries the "a step is queued" flag.
    pub(crate) waker: Arc<TaskWaker>,
    /// `abort()` was called while the task was being polled: drop it when the poll returns.
    pub(crate) abort_requested: bool,
    /// Completes the task's `JoinHandle` with an error (panic, abort); the output type is erased.
    pub(crate) join: Rc<dyn Fail>,
}

/// A task's waker. A `Waker` must be `Send + Sync`, the task is not, so the waker holds no part
/// of the task: only its id, the thread-safe way onto its loop, and the "scheduled" flag.
pub(crate) struct TaskWaker {
    pub(crate) id: TaskId,
    pub(crate) remote: RemoteHandle,
    /// Set while a step of this task is queued: more wakes before it runs queue nothing more.
    pub(crate) scheduled: AtomicBool,
}
// ANCHOR_END: table

// ANCHOR: join_state
/// What a task and its `JoinHandle` share: the result, once there is one, and the waker of
/// whoever awaits the handle.
pub(crate) struct JoinState<T> {
    pub(crate) result: RefCell<Option<Result<T, JoinError>>>,
    /// A result was set (it stays set after the handle took the value out).
    pub(crate) finished: Cell<bool>,
    pub(crate) joiner: RefCell<Option<Waker>>,
}

impl<T> JoinState<T> {
    pub(crate) fn new() -> Self {
        JoinState { result: RefCell::new(None), finished: Cell::new(false), joiner: RefCell::new(None) }
    }
}

/// The type-erased side of a `JoinState`: the table can fail a task without knowing its `T`.
pub(crate) trait Fail {
    fn fail(&self, error: JoinError);
}

impl<T> Fail for JoinState<T> {
    fn fail(&self, error: JoinError) {
        self.finish(Err(error));
    }
}
// ANCHOR_END: join_state

thread_local! {
    /// The name of the task being polled on this thread, if any.
    pub(crate) static CURRENT_TASK: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
}

// ANCHOR: api
/// Owns nothing: the loop owns the task. Await it for the task's result; drop it to detach the
/// task (it keeps running); `abort` it to drop the task's future.
#[must_use = "dropping a JoinHandle detaches the task; await it to get the result"]
pub struct JoinHandle<T> {
    pub(crate) id: TaskId,
    pub(crate) name: Rc<str>,
    pub(crate) state: Rc<JoinState<T>>,
    /// The loop, as a `Weak`: a handle kept inside another task must not keep the table alive.
    pub(crate) handle: Handle,
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

/// Configures a task before spawning it (asyncio's `create_task(coro, name=...)`).
#[derive(Debug, Default, Clone)]
pub struct Builder {
    pub(crate) name: Option<String>,
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
// ANCHOR_END: api
