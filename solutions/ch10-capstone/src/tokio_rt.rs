//! The agent's runtime on tokio (chapter 7), on one thread.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::{LocalFuture, Runtime, TokioRuntime};

// ANCHOR: tokio
impl Runtime for TokioRuntime {
    fn name(&self) -> &'static str {
        "tokio"
    }

    fn now(&self) -> Duration {
        // tokio's Instant follows paused time; std's Instant would not.
        self.start.elapsed()
    }

    fn sleep(&self, duration: Duration) -> LocalFuture<()> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn spawn<T: 'static>(
        &self,
        future: impl Future<Output = T> + 'static,
    ) -> LocalFuture<Result<T, String>> {
        // spawn_local: the future need not be Send (we are inside the LocalSet).
        let task = AbortOnDrop(tokio::task::spawn_local(future));
        Box::pin(async move {
            let mut task = task;
            (&mut task.0).await.map_err(|error| {
                if error.is_panic() {
                    course_panic_text(error.into_panic())
                } else {
                    error.to_string()
                }
            })
        })
    }

    fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> LocalFuture<T> {
        let blocking = tokio::task::spawn_blocking(work);
        Box::pin(async move {
            match blocking.await {
                Ok(value) => value,
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            }
        })
    }

    fn timeout<T: 'static>(
        &self,
        limit: Duration,
        future: impl Future<Output = T> + 'static,
    ) -> LocalFuture<Option<T>> {
        Box::pin(async move { tokio::time::timeout(limit, future).await.ok() })
    }
}

/// A tokio `JoinHandle` detaches its task when dropped; this one aborts it.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The text of a panic payload (a `&str` or a `String`).
fn course_panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}
// ANCHOR_END: tokio
