//! `run_coroutine_threadsafe`: from any thread, run a future on the loop and wait for its result.

use std::future::Future;
use std::sync::mpsc;

use event_loop::{LoopError, RemoteHandle};

use crate::ThreadsafeError;
use crate::given::ConcurrentFuture;

// ANCHOR: solution_threadsafe
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
    let (sender, result) = mpsc::channel();
    remote.call_soon_threadsafe(move || {
        // On the loop's thread, inside a run: `spawn` finds the loop with Handle::current().
        let task = tasks::spawn(make());
        // A detached watcher task forwards the result (or the JoinError) to the other thread.
        drop(tasks::spawn(async move {
            // The caller may have dropped its end: then nobody wants the result.
            let _ = sender.send(task.await);
        }));
    })?;
    Ok(ConcurrentFuture { result })
}

impl<T> ConcurrentFuture<T> {
    /// Blocks this thread until the task finishes. Never call it on the loop's own thread: the
    /// loop could not run the task while this waits (a deadlock).
    pub fn wait(self) -> Result<T, ThreadsafeError> {
        match self.result.recv() {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(ThreadsafeError::Failed(error)),
            // The sender was dropped unsent: the loop dropped the callback or the task.
            Err(mpsc::RecvError) => Err(ThreadsafeError::Dropped),
        }
    }
}
// ANCHOR_END: solution_threadsafe
