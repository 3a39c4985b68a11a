//! Given code for chapter 7: the types the exercise's functions take and return. You read this
//! file; you do not edit it (the reference solution compiles this very file).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

// ANCHOR: tool
/// What a tool's future resolves to: its output text, or an error text.
pub type ToolResult = Result<String, String>;

/// A tool call that has not started yet: a name and the future that does the work.
///
/// The future is boxed so tools of different types fit in one `Vec`, and it is `Send + 'static`
/// because `execute_tools` spawns it onto the runtime, which may move it to another worker thread
/// and keeps it for as long as it runs.
pub struct Tool {
    pub name: String,
    pub call: Pin<Box<dyn Future<Output = ToolResult> + Send + 'static>>,
}

impl Tool {
    pub fn new(
        name: impl Into<String>,
        call: impl Future<Output = ToolResult> + Send + 'static,
    ) -> Tool {
        Tool {
            name: name.into(),
            call: Box::pin(call),
        }
    }
}

/// One finished tool: its name, its output, and how long it ran (from its start to its end, on
/// the runtime's clock, which tests pause and advance).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolOutput {
    pub name: String,
    pub output: String,
    pub took: Duration,
}

/// Why `execute_tools` returned no outputs. In every case, no tool is still running when it
/// returns: the ones that had not finished were cancelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecError {
    /// A tool returned `Err(error)`; it was the first to fail.
    Failed { tool: String, error: String },
    /// A tool panicked (with `message`); it was the first to fail.
    Panicked { tool: String, message: String },
    /// The overall limit passed first; `unfinished` names, in input order, the tools that were
    /// still running and were cancelled.
    TimedOut {
        limit: Duration,
        unfinished: Vec<String>,
    },
}
// ANCHOR_END: tool

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Failed { tool, error } => write!(f, "tool `{tool}` failed: {error}"),
            ExecError::Panicked { tool, message } => write!(f, "tool `{tool}` panicked: {message}"),
            ExecError::TimedOut { limit, unfinished } => {
                write!(
                    f,
                    "tools did not finish within {limit:?}; cancelled: {}",
                    unfinished.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for ExecError {}

// ANCHOR: reader
/// A source of typed lines whose `read_line` *blocks* the calling thread until a line arrives,
/// like `input()` in Python or a terminal prompt library. `None` means the input ended.
///
/// `Send + 'static` because the prompt loop hands the reader to another thread for each read.
pub trait LineReader: Send + 'static {
    fn read_line(&mut self) -> Option<String>;
}

/// Any `FnMut() -> Option<String>` that can move to another thread is a reader.
impl<F> LineReader for F
where
    F: FnMut() -> Option<String> + Send + 'static,
{
    fn read_line(&mut self) -> Option<String> {
        self()
    }
}

/// The real terminal: one line of standard input per call, without its line ending.
pub struct StdinLines;

impl LineReader for StdinLines {
    fn read_line(&mut self) -> Option<String> {
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_owned()),
        }
    }
}

/// What an interactive session did: the replies, in the order the lines were typed, and how
/// many times the ticker ticked while the session ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Session {
    pub replies: Vec<String>,
    pub ticks: u64,
}

/// The line that ends a session (compared after trimming whitespace).
pub const QUIT: &str = "/quit";
// ANCHOR_END: reader
