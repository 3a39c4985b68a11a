//! The agent's runtime on the course's own stack (chapters 3-6). Yours to write (stage 1).

use std::future::Future;
use std::time::Duration;

use crate::{LocalFuture, OwnRuntime, Runtime};

impl Runtime for OwnRuntime {
    fn name(&self) -> &'static str {
        "own"
    }

    fn now(&self) -> Duration {
        // TODO(ch10) stage 1: the loop's time (`self.handle`).
        todo!("OwnRuntime::now: the loop's clock (stage 1)")
    }

    fn sleep(&self, duration: Duration) -> LocalFuture<()> {
        // TODO(ch10) stage 1: chapter 3's sleep, boxed.
        let _ = duration;
        todo!("OwnRuntime::sleep: the loop's timer (stage 1)")
    }

    fn spawn<T: 'static>(
        &self,
        future: impl Future<Output = T> + 'static,
    ) -> LocalFuture<Result<T, String>> {
        // TODO(ch10) stage 1: a chapter 4 task on `self.handle`, held so that dropping the
        //   returned future aborts it (chapter 5); a panic becomes `Err(message)`.
        let _ = future;
        todo!("OwnRuntime::spawn: a task that is aborted when its handle is dropped (stage 1)")
    }

    fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> LocalFuture<T> {
        // TODO(ch10) stage 1: on `self.pool` (chapter 6).
        let _ = work;
        todo!("OwnRuntime::spawn_blocking: run the work on the pool (stage 1)")
    }

    fn timeout<T: 'static>(
        &self,
        limit: Duration,
        future: impl Future<Output = T> + 'static,
    ) -> LocalFuture<Option<T>> {
        // TODO(ch10) stage 1: chapter 5's timeout.
        let _ = (limit, future);
        todo!("OwnRuntime::timeout: cut the future off at the limit (stage 1)")
    }
}
