//! The errors of chapter 6: what the pool refuses, and why a blocking closure has no result.
//!
//! This file is given, in the exercise and in the solution alike (the solution compiles this very
//! file).

use std::fmt;

use tasks::JoinError;

// ANCHOR: errors
/// Why the pool refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// `ThreadPool::new(0)`: a pool without workers would accept jobs and never run them.
    NoWorkers,
    /// The pool was shut down: it takes no more jobs.
    ShutDown,
}

/// Why a [`Blocking`](crate::Blocking) future has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockingError {
    /// The closure panicked on its worker. The worker caught the panic and lives on.
    Panicked { message: String },
    /// The pool shut down before a worker took the closure; it never ran.
    ShutDown,
    /// The job was dropped without a result (a worker died in the middle of it). A correct pool
    /// never gives this; it exists so that a broken one fails loudly instead of hanging.
    Lost,
}

/// Why `run_coroutine_threadsafe`'s result never came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadsafeError {
    /// The task ran on the loop and did not finish: it panicked or was aborted.
    Failed(JoinError),
    /// The loop was dropped or closed before the future finished (or before it started).
    Dropped,
}
// ANCHOR_END: errors

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::NoWorkers => {
                write!(
                    f,
                    "a thread pool needs at least one worker (asked for 0): its jobs would never run"
                )
            }
            PoolError::ShutDown => {
                write!(f, "the thread pool was shut down and takes no more jobs")
            }
        }
    }
}

impl fmt::Display for BlockingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockingError::Panicked { message } => {
                write!(f, "the blocking closure panicked: {message}")
            }
            BlockingError::ShutDown => {
                write!(
                    f,
                    "the thread pool shut down before a worker ran the closure; it never ran"
                )
            }
            BlockingError::Lost => write!(
                f,
                "the job was dropped without a result (did its worker die?)"
            ),
        }
    }
}

impl fmt::Display for ThreadsafeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadsafeError::Failed(error) => {
                write!(f, "the future sent to the loop failed: {error}")
            }
            ThreadsafeError::Dropped => {
                write!(
                    f,
                    "the loop was dropped or closed before the future sent to it finished"
                )
            }
        }
    }
}

impl std::error::Error for PoolError {}
impl std::error::Error for BlockingError {}
impl std::error::Error for ThreadsafeError {}

/// The message of a caught panic (`catch_unwind`'s payload).
#[allow(dead_code)] // until the exercise uses it
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}
