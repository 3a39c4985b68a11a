//! The agent's runtime on tokio (chapter 7), on one thread. Yours to write (stage 1).

use std::future::Future;
use std::time::Duration;

use crate::{LocalFuture, Runtime, TokioRuntime};

impl Runtime for TokioRuntime {
    fn name(&self) -> &'static str {
        "tokio"
    }

    fn now(&self) -> Duration {
        // TODO(ch10) stage 1: time since `self.start` on tokio's clock (paused in tests).
        todo!("TokioRuntime::now: tokio's clock (stage 1)")
    }

    fn sleep(&self, duration: Duration) -> LocalFuture<()> {
        // TODO(ch10) stage 1: tokio's sleep, boxed.
        let _ = duration;
        todo!("TokioRuntime::sleep: tokio's timer (stage 1)")
    }

    fn spawn<T: 'static>(
        &self,
        future: impl Future<Output = T> + 'static,
    ) -> LocalFuture<Result<T, String>> {
        // TODO(ch10) stage 1: `tokio::task::spawn_local` (we run inside a LocalSet), held so
        //   dropping the returned future aborts it (a JoinHandle only detaches); a panic becomes
        //   `Err(message)`.
        let _ = future;
        todo!("TokioRuntime::spawn: a task that is aborted when its handle is dropped (stage 1)")
    }

    fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> LocalFuture<T> {
        // TODO(ch10) stage 1: tokio's blocking pool.
        let _ = work;
        todo!("TokioRuntime::spawn_blocking: run the work on tokio's blocking pool (stage 1)")
    }

    fn timeout<T: 'static>(
        &self,
        limit: Duration,
        future: impl Future<Output = T> + 'static,
    ) -> LocalFuture<Option<T>> {
        // TODO(ch10) stage 1: tokio's timeout.
        let _ = (limit, future);
        todo!("TokioRuntime::timeout: cut the future off at the limit (stage 1)")
    }
}
