//! `Handle`'s methods: each one reaches the loop through the `Weak`, or reports `Closed` if the
//! loop was dropped, and delegates to the `EventLoop` method of the same name.
//!
//! This file is given, in the exercise and in the solution alike (the solution compiles this very
//! file): the chapter's work is in the `EventLoop` methods these call.

use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use crate::{CURRENT, EventLoop, Handle, LoopError, RemoteHandle, TimerHandle};

// ANCHOR: handle
impl Handle {
    /// The loop running on this thread, if any (asyncio's `get_running_loop`, as an `Option`).
    pub fn current() -> Option<Handle> {
        CURRENT.with(|current| current.borrow().clone())
    }

    /// A temporary owner of the loop, or `Closed` if it was dropped.
    fn upgrade(&self) -> Result<EventLoop, LoopError> {
        self.shared.upgrade().map(|shared| EventLoop { shared }).ok_or(LoopError::Closed)
    }

    pub fn time(&self) -> Result<Duration, LoopError> {
        Ok(self.upgrade()?.time())
    }

    pub fn call_soon<F>(&self, callback: F) -> Result<(), LoopError>
    where
        F: FnOnce() + 'static,
    {
        self.upgrade()?.call_soon(callback)
    }

    pub fn call_later<F>(&self, delay: Duration, callback: F) -> Result<TimerHandle, LoopError>
    where
        F: FnOnce() + 'static,
    {
        self.upgrade()?.call_later(delay, callback)
    }

    pub fn call_at<F>(&self, deadline: Duration, callback: F) -> Result<TimerHandle, LoopError>
    where
        F: FnOnce() + 'static,
    {
        self.upgrade()?.call_at(deadline, callback)
    }

    pub fn stop(&self) -> Result<(), LoopError> {
        self.upgrade()?.stop();
        Ok(())
    }

    pub fn is_running(&self) -> bool {
        self.upgrade().is_ok_and(|l| l.is_running())
    }

    /// A dropped loop counts as closed.
    pub fn is_closed(&self) -> bool {
        self.upgrade().map_or(true, |l| l.is_closed())
    }

    pub fn close(&self) -> Result<(), LoopError> {
        self.upgrade()?.close()
    }

    pub fn run_forever(&self) -> Result<(), LoopError> {
        self.upgrade()?.run_forever()
    }

    pub fn run_until_complete<F: Future>(&self, future: F) -> Result<F::Output, LoopError> {
        self.upgrade()?.run_until_complete(future)
    }

    // ANCHOR: for_later_chapters
    /// The loop's thread-safe handle (`Send + Sync`), for wakers and other threads: chapter 4's
    /// task wakers hold one and queue each step with its `call_soon_threadsafe`.
    pub fn remote(&self) -> Result<RemoteHandle, LoopError> {
        Ok(self.upgrade()?.remote())
    }

    /// The loop's one value of type `T` (created with `T::default()` on first use, dropped with
    /// the loop): chapter 4 keeps its task table here, so dropping the loop drops every task.
    pub fn local<T: Default + 'static>(&self) -> Result<Rc<T>, LoopError> {
        Ok(self.upgrade()?.local())
    }
    // ANCHOR_END: for_later_chapters
}
// ANCHOR_END: handle
