//! `spawn_blocking`: a closure run on the pool, and the future that waits for its result.

use std::future::Future;
#[allow(unused_imports)]
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

#[allow(unused_imports)]
use crate::error::panic_message;
#[allow(unused_imports)]
use crate::given::{Blocking, Completer, Slot};
use crate::{BlockingError, Job, LineSource, ThreadPool};

// ------------------------------------------------------------------ yours: stages 2 and 3

/// Stores `result` in the slot and wakes the waker of the latest poll, if there is one.
pub(crate) fn fill<T>(slot: &Slot<T>, result: Result<T, BlockingError>) {
    // TODO(ch06) stage 2: in which order must "store" and "wake" happen, and is the lock held
    // while waking?
    let _ = (slot, result);
    todo!("fill: store the result, then wake the waker of the latest poll")
}

impl<T> Future for Blocking<T> {
    type Output = Result<T, BlockingError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // TODO(ch06) stage 2: Ready with the result if it is there; otherwise keep this poll's
        // waker and return Pending. Check and store under ONE lock.
        let _ = cx;
        todo!("Blocking::poll: take the result, or store the latest waker and return Pending")
    }
}

impl ThreadPool {
    /// Runs `f` on a worker and returns a future of its result. `f` starts as soon as a worker
    /// is free, whether or not the future is polled. Its panic comes back as
    /// `Err(BlockingError::Panicked)`; on a shut-down pool the future gives
    /// `Err(BlockingError::ShutDown)`.
    pub fn spawn_blocking<F, T>(&self, f: F) -> Blocking<T>
    where
        F: FnOnce() -> T + Send + 'static, // do not change: the compile-fail checks rely on it
        T: Send + 'static,
    {
        // TODO(ch06) stage 2: a Slot shared by the future and a Completer; a Job that runs `f`
        // and completes the slot with its result; submit the job.
        // TODO(ch06) stage 4: a panic of `f` completes the slot with BlockingError::Panicked,
        // and a refused job (Err(PoolError::ShutDown)) with BlockingError::ShutDown.
        let _ = f;
        todo!("ThreadPool::spawn_blocking: submit a job that completes the future's slot")
    }
}

/// asyncio's `await loop.run_in_executor(None, input)`: reads one line from `source` on the
/// pool, so the loop keeps running while the read blocks. The source travels to the worker and
/// comes back with the line (`None` at the end of input).
pub async fn read_line<S: LineSource>(
    pool: &ThreadPool,
    source: S,
) -> Result<(S, Option<String>), BlockingError> {
    // TODO(ch06) stage 3: one spawn_blocking whose closure owns the source and returns it.
    let _ = (pool, source);
    todo!("read_line: read on the pool, and hand the source back with the line")
}
