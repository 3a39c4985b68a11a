//! Chapter 6 — Executor offload. **Reference solution.**
//!
//! A fixed pool of worker threads fed by a queue; `spawn_blocking`, whose future is completed on
//! a worker and woken through the loop's thread-safe path; `run_coroutine_threadsafe`, the way
//! into the loop from another thread; a prompt read offloaded to the pool; and a slow-callback
//! detector (asyncio's debug mode) that times single callbacks and task polls.
//!
//! Diff this directory against `exercises/ch06-offload/src` to see the lesson.

// Given code: the exercise's files, compiled here too, so the two cannot differ.
mod blocking;
#[path = "../../../exercises/ch06-offload/src/error.rs"]
mod error;
#[path = "../../../exercises/ch06-offload/src/given.rs"]
mod given;
#[path = "../../../exercises/ch06-offload/src/input.rs"]
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
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

// ANCHOR: solution_pool
impl ThreadPool {
    /// Starts `workers` threads, each waiting for jobs. Zero workers is refused: such a pool
    /// would take jobs and never run them.
    pub fn new(workers: usize) -> Result<ThreadPool, PoolError> {
        if workers == 0 {
            return Err(PoolError::NoWorkers);
        }
        let shared = Arc::new(PoolShared {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                shut_down: false,
            }),
            available: Condvar::new(),
        });
        let handles = (0..workers)
            .map(|i| {
                let shared = shared.clone();
                thread::Builder::new()
                    .name(format!("offload-worker-{i}"))
                    .spawn(move || worker_loop(&shared))
                    .expect("the OS refused to start a worker thread")
            })
            .collect();
        Ok(ThreadPool {
            shared,
            workers: Mutex::new(handles),
            size: workers,
        })
    }

    /// Queues `job` for the next free worker. After shutdown the job is refused at once: called
    /// with `Err(PoolError::ShutDown)`, and the same error is returned.
    pub(crate) fn submit(&self, job: Job) -> Result<(), PoolError> {
        let mut queue = self.shared.queue.lock().unwrap();
        if queue.shut_down {
            drop(queue); // The job's own code runs outside our lock.
            job(Err(PoolError::ShutDown));
            return Err(PoolError::ShutDown);
        }
        queue.jobs.push_back(job);
        drop(queue);
        self.shared.available.notify_one();
        Ok(())
    }

    /// Stops the pool: refuses new jobs, fails every queued job with `PoolError::ShutDown`, lets
    /// the running ones finish, and joins every worker. Returns how many queued jobs it failed.
    /// A second call does nothing and returns 0.
    pub fn shutdown(&self) -> usize {
        let refused = {
            let mut queue = self.shared.queue.lock().unwrap();
            queue.shut_down = true;
            std::mem::take(&mut queue.jobs)
        };
        // Every worker, idle or not, must see the flag.
        self.shared.available.notify_all();
        let count = refused.len();
        for job in refused {
            job(Err(PoolError::ShutDown));
        }
        let workers = std::mem::take(&mut *self.workers.lock().unwrap());
        let me = thread::current().id();
        for worker in workers {
            // A job that shuts down its own pool cannot wait for itself to finish.
            if worker.thread().id() != me {
                let _ = worker.join();
            }
        }
        count
    }
}

/// A worker: take the oldest job, run it outside the lock, repeat; return once the pool is
/// shut down and the queue is empty.
fn worker_loop(shared: &PoolShared) {
    loop {
        let job = {
            let mut queue = shared.queue.lock().unwrap();
            loop {
                if let Some(job) = queue.jobs.pop_front() {
                    break job;
                }
                if queue.shut_down {
                    return;
                }
                // Releases the lock while waiting; may wake spuriously, hence the loop.
                queue = shared.available.wait(queue).unwrap();
            }
        };
        // A panicking job must not take its worker down with it.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| job(Ok(()))));
    }
}
// ANCHOR_END: solution_pool
