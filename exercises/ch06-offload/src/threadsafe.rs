//! `run_coroutine_threadsafe`: from any thread, run a future on the loop and wait for its result.

use std::future::Future;
use std::sync::mpsc;

use event_loop::{LoopError, RemoteHandle};

#[allow(unused_imports)]
use crate::ThreadsafeError;
use crate::given::ConcurrentFuture;

// ------------------------------------------------------------------ yours: stage 3

/// Spawns the future `make()` returns as a task on the loop behind `remote`, from any thread.
/// `make` runs on the loop's thread, so the future itself need not be `Send`; only `make` and
/// the output cross threads. `Err(LoopError::Closed)` if the loop is gone already.
pub fn run_coroutine_threadsafe<M, F>(
    remote: &RemoteHandle,
    make: M,
) -> Result<ConcurrentFuture<F::Output>, LoopError>
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    // TODO(ch06) stage 3: a channel; a callback sent with call_soon_threadsafe that, on the
    // loop, spawns the task and a second task that sends the first one's result.
    let _ = (remote, make);
    todo!("run_coroutine_threadsafe: queue a callback that spawns the future on the loop")
}

impl<T> ConcurrentFuture<T> {
    /// Blocks this thread until the task finishes. Never call it on the loop's own thread: the
    /// loop could not run the task while this waits (a deadlock).
    pub fn wait(self) -> Result<T, ThreadsafeError> {
        // TODO(ch06) stage 3: receive; a JoinError is Failed, a dropped sender is Dropped.
        todo!("ConcurrentFuture::wait: receive the task's result")
    }
}
