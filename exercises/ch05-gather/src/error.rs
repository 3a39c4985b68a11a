//! What the combinators of this chapter return when they do not return every child's value.
//!
//! This file is given, in the exercise and in the solution alike (the solution compiles this very
//! file): you never edit it.

use std::fmt;
use std::time::Duration;

use tasks::JoinError;

// ANCHOR: errors
/// `timeout`'s error: the deadline came before the future finished, so the future was dropped
/// (asyncio's `wait_for` raises `TimeoutError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    /// The duration the future was given.
    pub after: Duration,
}

/// Why one child of `try_gather` or of a `TaskGroup` has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure<E> {
    /// The child finished with `Err(error)`: its own error, the one a Python coroutine raises.
    Error(E),
    /// The child's task ended without a value: it panicked. (A task can also end `Cancelled`,
    /// but only through its handle, and the group or `try_gather` holds each child's only
    /// handle; a group skips the cancellations it made, so a `Cancelled` appears here only if
    /// one came before the group's first failure, which this API cannot produce.)
    Task(JoinError),
}

/// A `TaskGroup` whose children failed: every failure, in the order they happened (asyncio's
/// `ExceptionGroup`). The siblings the group cancelled because of them are not failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupError<E> {
    pub failures: Vec<Failure<E>>,
}
// ANCHOR_END: errors

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deadline elapsed: the future did not finish within {:?}", self.after)
    }
}

impl std::error::Error for Elapsed {}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(error) => write!(f, "{error}"),
            Failure::Task(error) => write!(f, "{error}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Failure<E> {}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        write!(f, "{n} child task{} failed", if n == 1 { "" } else { "s" })?;
        for (i, failure) in self.failures.iter().enumerate() {
            write!(f, "{} {failure}", if i == 0 { ":" } else { ";" })?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}
