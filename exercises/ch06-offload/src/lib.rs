//! Chapter 6 — Executor offload. **Exercise.**
//!
//! Keep the loop free while blocking work runs elsewhere: a fixed pool of worker threads fed by a
//! queue (asyncio's `ThreadPoolExecutor`); `spawn_blocking`, whose future a worker completes and
//! wakes through the loop's thread-safe path (`run_in_executor`); `run_coroutine_threadsafe`, the
//! way into the loop from another thread; a prompt read on the pool; and a slow-callback
//! detector (asyncio's debug mode) that times single callbacks and task polls.
//!
//! The data structures and the public signatures are given; you write the bodies marked
//! `TODO(ch06)`, in four stages:
//!
//! 1. the pool: `new`, `submit`, the worker loop, `shutdown` (here)   `cargo test -p offload stage1`
//! 2. `spawn_blocking`, `Blocking::poll`, `fill` (`blocking.rs`)      `cargo test -p offload stage2`
//! 3. `read_line` (`blocking.rs`), `run_coroutine_threadsafe`          `cargo test -p offload stage3`
//!    (`threadsafe.rs`)
//! 4. the detector (`slow.rs`), panics and shutdown for closures       `cargo test -p offload stage4`
//!
//! Each `TODO(ch06)` says which stage it belongs to. Stuck? `exercises/ch06-offload/HINTS.md` has
//! hints per stage, from gentle questions to specifics. Signatures marked "do not change" carry
//! bounds that the compile-fail checks depend on.

// The stub does not use its data yet; remove this line once the stages are written.
#![allow(dead_code, unused_imports)]

mod blocking;
mod error;
mod given;
mod input;
mod slow;
mod threadsafe;

pub use blocking::read_line;
pub use error::{BlockingError, PoolError, ThreadsafeError};
pub use given::{
    Blocking, ConcurrentFuture, DEFAULT_SLOW_THRESHOLD, SlowReport, ThreadPool, Timed,
    set_slow_threshold, spawn_timed, take_slow_reports, timed,
};
pub use input::{LineSource, StdinLines};
pub use slow::call_soon_timed;
pub use threadsafe::run_coroutine_threadsafe;

use given::{Job, PoolShared, Queue};

use std::collections::VecDeque;
#[allow(unused_imports)]
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

// ------------------------------------------------------------------ yours: stage 1

impl ThreadPool {
    /// Starts `workers` threads, each waiting for jobs. Zero workers is refused: such a pool
    /// would take jobs and never run them.
    pub fn new(workers: usize) -> Result<ThreadPool, PoolError> {
        // TODO(ch06) stage 1: refuse 0 with PoolError::NoWorkers; make the shared queue; start
        // `workers` threads (thread::Builder, named "offload-worker-N"), each running
        // `worker_loop` with its own clone of the Arc.
        let _ = workers;
        todo!("ThreadPool::new: refuse zero workers, then start the worker threads")
    }

    /// Queues `job` for the next free worker. After shutdown the job is refused at once: called
    /// with `Err(PoolError::ShutDown)`, and the same error is returned.
    pub(crate) fn submit(&self, job: Job) -> Result<(), PoolError> {
        // TODO(ch06) stage 1: under the lock, refuse if shut down (call the job with the error
        // *after* releasing the lock); otherwise push_back and wake one waiting worker.
        let _ = job;
        todo!("ThreadPool::submit: queue the job and wake one worker, or refuse it after shutdown")
    }

    /// Stops the pool: refuses new jobs, fails every queued job with `PoolError::ShutDown`, lets
    /// the running ones finish, and joins every worker. Returns how many queued jobs it failed.
    /// A second call does nothing and returns 0.
    pub fn shutdown(&self) -> usize {
        // TODO(ch06) stage 1: set shut_down and take the queue (one critical section); wake
        // every worker; fail each taken job; join every worker (but not the current thread, if
        // a job shuts down its own pool).
        todo!("ThreadPool::shutdown: refuse new jobs, fail the queued ones, join every worker")
    }
}

/// A worker: take the oldest job, run it outside the lock, repeat; return once the pool is
/// shut down and the queue is empty.
#[allow(dead_code)]
fn worker_loop(shared: &PoolShared) {
    // TODO(ch06) stage 1: wait on the Condvar until there is a job or the pool is shut down;
    // run the job with the lock released, catching its panic so the worker lives on.
    let _ = shared;
    todo!("worker_loop: take jobs until shutdown, run each outside the lock, survive panics")
}
