//! What a [`JoinHandle`](crate::JoinHandle) yields when its task did not return a value.
//!
//! This file is given, in the exercise and in the solution alike (the solution compiles this very
//! file).

use std::fmt;

// ANCHOR: join_error
/// Why a task has no output. Each variant carries the task's name, so an error that reaches a
/// log says which task it was about (asyncio's `Task` repr does the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinError {
    /// The task was aborted before it finished: its future was dropped, never to be polled again.
    Cancelled { task: String },
    /// The task's future panicked while being polled. The loop caught the panic; `message` is
    /// the panic's message (`"<non-string panic payload>"` if it was not a string).
    Panicked { task: String, message: String },
}
// ANCHOR_END: join_error

impl JoinError {
    /// The name of the task this error is about.
    pub fn task(&self) -> &str {
        match self {
            JoinError::Cancelled { task } | JoinError::Panicked { task, .. } => task,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled { .. })
    }

    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panicked { .. })
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled { task } => write!(f, "task `{task}` was aborted before it finished"),
            JoinError::Panicked { task, message } => write!(f, "task `{task}` panicked: {message}"),
        }
    }
}

impl std::error::Error for JoinError {}

/// The message of a caught panic.
#[allow(dead_code)] // until the exercise's step uses it
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}
