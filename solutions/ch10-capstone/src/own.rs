//! The agent's runtime on the course's own stack (chapters 3-6).

use std::future::Future;
use std::time::Duration;

use gather::AbortOnDrop;

use crate::{LocalFuture, OwnRuntime, Runtime};

// ANCHOR: own
impl Runtime for OwnRuntime {
    fn name(&self) -> &'static str {
        "own"
    }

    fn now(&self) -> Duration {
        // The loop's clock: virtual in tests, so timestamps are exact.
        self.handle.time().expect("the agent's loop is open")
    }

    fn sleep(&self, duration: Duration) -> LocalFuture<()> {
        Box::pin(event_loop::sleep(duration))
    }

    fn spawn<T: 'static>(
        &self,
        future: impl Future<Output = T> + 'static,
    ) -> LocalFuture<Result<T, String>> {
        // A plain JoinHandle detaches on drop; AbortOnDrop (chapter 5) aborts.
        let task = AbortOnDrop::new(
            tasks::Builder::new()
                .spawn_on(&self.handle, future)
                .expect("the agent's loop is open"),
        );
        Box::pin(async move {
            task.await.map_err(|error| match error {
                tasks::JoinError::Panicked { message, .. } => message,
                cancelled => cancelled.to_string(),
            })
        })
    }

    fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> LocalFuture<T> {
        // Queued now, on the pool (chapter 6); the loop is woken when the worker fills the slot.
        let blocking = self.pool.spawn_blocking(work);
        Box::pin(async move {
            match blocking.await {
                Ok(value) => value,
                Err(error) => panic!("blocking work failed: {error}"),
            }
        })
    }

    fn timeout<T: 'static>(
        &self,
        limit: Duration,
        future: impl Future<Output = T> + 'static,
    ) -> LocalFuture<Option<T>> {
        Box::pin(async move { gather::timeout(limit, future).await.ok() })
    }
}
// ANCHOR_END: own
