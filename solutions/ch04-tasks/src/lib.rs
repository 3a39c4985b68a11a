//! Chapter 4 — Tasks. **Reference solution.**
//!
//! Tasks on the chapter 3 loop, built the way asyncio builds them: a task is a future in the
//! loop's task table plus a step (a `call_soon` callback) that polls it; its waker queues the
//! next step. `spawn` returns a [`JoinHandle`], itself a future of the task's result.
//!
//! Diff this directory against `exercises/ch04-tasks/src` to see the lesson.

// Given code: the exercise's files, compiled here too, so the two cannot differ.
#[path = "../../../exercises/ch04-tasks/src/error.rs"]
mod error;
#[path = "../../../exercises/ch04-tasks/src/legacy.rs"]
pub mod legacy;
#[path = "../../../exercises/ch04-tasks/src/given.rs"]
mod given;
/// Your "Predict the order" answer (`cargo test -p tasks predict`).
pub mod predict;
mod promise;

pub use error::JoinError;
pub use given::{Builder, JoinHandle, spawn, spawn_named};
pub use promise::{BrokenPromise, Promise, Resolver, lookup_async, promise};

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use event_loop::{Handle, LoopError};

use error::panic_message;
use given::{CURRENT_TASK, Fail, JoinState, Task, TaskId, TaskWaker, Tasks};

// ANCHOR: solution_finish
impl<T> JoinState<T> {
    /// Sets the result and wakes the task awaiting the handle, if any. The first result wins:
    /// an abort that comes after the output must not replace it.
    fn finish(&self, result: Result<T, JoinError>) {
        if self.finished.replace(true) {
            return;
        }
        *self.result.borrow_mut() = Some(result);
        // Taken out first: the RefCell borrow ends before wake() runs any code.
        let joiner = self.joiner.borrow_mut().take();
        if let Some(joiner) = joiner {
            joiner.wake();
        }
    }
}
// ANCHOR_END: solution_finish

// ANCHOR: solution_waker
impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.scheduled.swap(true, Ordering::SeqCst) {
            let id = self.id;
            // Err(Closed): the loop is gone, and the task with it. Nothing left to wake.
            let _ = self.remote.call_soon_threadsafe(move || step(id));
        }
    }
}
// ANCHOR_END: solution_waker

// ANCHOR: solution_spawn
impl Builder {
    /// Spawns on the loop behind `handle`, running or not (asyncio's `loop.create_task`). The
    /// task's first step is queued with `call_soon`: nothing of the future runs inside `spawn`.
    pub fn spawn_on<F>(self, handle: &Handle, future: F) -> Result<JoinHandle<F::Output>, LoopError>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let tasks = handle.local::<Tasks>()?;
        let remote = handle.remote()?;
        let id = tasks.last_id.get() + 1;
        let name: Rc<str> = self.name.unwrap_or_else(|| format!("task-{id}")).into();

        let state = Rc::new(JoinState::new());
        let output = state.clone();
        // Erase the output type: the table holds futures of `()`, each writing its own output.
        let future: Pin<Box<dyn Future<Output = ()>>> = Box::pin(async move {
            let value = future.await;
            output.finish(Ok(value));
        });
        let waker = Arc::new(TaskWaker { id, remote, scheduled: AtomicBool::new(true) });

        // Queued first: on a closed loop nothing is half-done (no id used, no table entry).
        handle.call_soon(move || step(id))?;
        tasks.last_id.set(id);
        let join: Rc<dyn Fail> = state.clone();
        tasks.table.borrow_mut().insert(
            id,
            Task { name: name.clone(), future: Some(future), waker, abort_requested: false, join },
        );
        Ok(JoinHandle { id, name, state, handle: handle.clone() })
    }
}
// ANCHOR_END: solution_spawn

// ANCHOR: solution_step
/// One step of task `id`: poll it once, on the loop's thread. Queued by `spawn` and by the
/// task's waker; finds nothing (and does nothing) if the task finished or was aborted since.
fn step(id: TaskId) {
    let Some(tasks) = Handle::current().and_then(|h| h.local::<Tasks>().ok()) else {
        return;
    };
    let (mut future, waker, name) = {
        let mut table = tasks.table.borrow_mut();
        let Some(task) = table.get_mut(&id) else { return };
        // Cleared before the poll: a wake during the poll must queue another step.
        task.waker.scheduled.store(false, Ordering::SeqCst);
        let Some(future) = task.future.take() else { return };
        (future, Waker::from(task.waker.clone()), task.name.clone())
    };

    let previous = CURRENT_TASK.replace(Some(name.clone()));
    let mut cx = Context::from_waker(&waker);
    let polled = panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
    CURRENT_TASK.set(previous);

    let mut table = tasks.table.borrow_mut();
    let task = table.get_mut(&id).expect("a task's entry stays in the table while it is polled");
    let error = match polled {
        Ok(Poll::Pending) if !task.abort_requested => {
            task.future = Some(future);
            return;
        }
        Ok(Poll::Pending) => Some(JoinError::Cancelled { task: name.to_string() }),
        // The future already handed its output to the JoinHandle.
        Ok(Poll::Ready(())) => None,
        Err(payload) => {
            Some(JoinError::Panicked { task: name.to_string(), message: panic_message(&*payload) })
        }
    };
    let task = table.remove(&id).expect("checked above");
    // Dropped after the borrow ends: a future's destructors may use the table (abort, spawn).
    drop(table);
    drop(future);
    if let Some(error) = error {
        task.join.fail(error);
    }
}
// ANCHOR_END: solution_step

// ANCHOR: solution_handle
impl<T> JoinHandle<T> {
    /// Drops the task's future now, so its destructors run now, and completes this handle with
    /// `JoinError::Cancelled`. A finished task keeps its result (a no-op). Called from inside the
    /// task's own poll, the future is dropped as soon as that poll returns.
    pub fn abort(&self) {
        let Ok(tasks) = self.handle.local::<Tasks>() else {
            return; // The loop was dropped, and every task with it.
        };
        let removed = {
            let mut table = tasks.table.borrow_mut();
            match table.get_mut(&self.id) {
                None => return, // Finished, or aborted already.
                Some(task) if task.future.is_none() => {
                    task.abort_requested = true; // Running: its step drops it.
                    return;
                }
                Some(_) => table.remove(&self.id),
            }
        };
        // Outside the borrow: the future's destructors may call back into the table.
        drop(removed);
        self.state.finish(Err(JoinError::Cancelled { task: self.name.to_string() }));
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(result) = self.state.result.borrow_mut().take() {
            return Poll::Ready(result);
        }
        assert!(!self.state.finished.get(), "JoinHandle polled again after it returned the result");
        *self.state.joiner.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}
// ANCHOR_END: solution_handle

// ANCHOR: solution_names
/// The name of the task being polled on this thread; `None` outside a task (for instance in the
/// future given to `run_until_complete`, which is not a task).
pub fn current_name() -> Option<String> {
    CURRENT_TASK.with(|current| current.borrow().as_deref().map(str::to_owned))
}

/// The names of the loop's unfinished tasks (the running one included), in spawn order: the
/// leaked-task detector. Empty for a dropped loop.
pub fn live_tasks(handle: &Handle) -> Vec<String> {
    match handle.local::<Tasks>() {
        Ok(tasks) => tasks.table.borrow().values().map(|task| task.name.to_string()).collect(),
        Err(_) => Vec::new(),
    }
}
// ANCHOR_END: solution_names
