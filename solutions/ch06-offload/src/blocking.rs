//! `spawn_blocking`: a closure run on the pool, and the future that waits for its result.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::error::panic_message;
use crate::given::{Blocking, Completer, Slot};
use crate::{BlockingError, Job, LineSource, ThreadPool};

// ANCHOR: solution_fill
/// Stores `result`, *then* wakes the waker of the latest poll, outside the lock: the woken task
/// may be polled on another thread at once, and must find the result there.
pub(crate) fn fill<T>(slot: &Slot<T>, result: Result<T, BlockingError>) {
    let waker = {
        let mut state = slot.state.lock().unwrap();
        state.result = Some(result);
        state.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}
// ANCHOR_END: solution_fill

// ANCHOR: solution_poll
impl<T> Future for Blocking<T> {
    type Output = Result<T, BlockingError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // One lock for "is it there?" and "wake me when it is": the worker cannot store the
        // result between the two, so no wake is lost.
        let mut state = self.slot.state.lock().unwrap();
        if let Some(result) = state.result.take() {
            state.taken = true;
            return Poll::Ready(result);
        }
        assert!(
            !state.taken,
            "a Blocking future was polled again after it returned its result"
        );
        match &mut state.waker {
            Some(waker) => waker.clone_from(cx.waker()),
            None => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
// ANCHOR_END: solution_poll

// ANCHOR: solution_spawn_blocking
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
        let slot = Arc::new(Slot::new());
        let completer = Completer {
            slot: Some(slot.clone()),
        };
        let job: Job = Box::new(move |fate| {
            let result = match fate {
                Ok(()) => panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
                    BlockingError::Panicked {
                        message: panic_message(&*payload),
                    }
                }),
                Err(_) => Err(BlockingError::ShutDown),
            };
            completer.complete(result);
        });
        // Refused after shutdown: the job was already failed with ShutDown, for the future.
        let _ = self.submit(job);
        Blocking { slot }
    }
}
// ANCHOR_END: solution_spawn_blocking

// ANCHOR: solution_read_line
/// asyncio's `await loop.run_in_executor(None, input)`: reads one line from `source` on the
/// pool, so the loop keeps running while the read blocks. The source travels to the worker and
/// comes back with the line (`None` at the end of input).
pub async fn read_line<S: LineSource>(
    pool: &ThreadPool,
    mut source: S,
) -> Result<(S, Option<String>), BlockingError> {
    pool.spawn_blocking(move || {
        let line = source.next_line();
        (source, line)
    })
    .await
}
// ANCHOR_END: solution_read_line
