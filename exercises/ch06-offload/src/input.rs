//! Where a command-line prompt gets its lines: the terminal, or a script in tests.
//!
//! This file is given, in the exercise and in the solution alike (the solution compiles this very
//! file).

use std::io::{self, BufRead};
use std::sync::mpsc;

// ANCHOR: line_source
/// A *blocking* source of lines, like Python's `input()`: `next_line` does not return until a
/// line is there. That is why it must never run on the loop's thread.
///
/// `Send + 'static` because it travels to a worker thread and back.
pub trait LineSource: Send + 'static {
    /// Blocks until the next line is available; `None` at the end of the input.
    fn next_line(&mut self) -> Option<String>;
}

/// The terminal: one line of standard input, without its line ending.
#[derive(Debug, Default)]
pub struct StdinLines;

impl LineSource for StdinLines {
    fn next_line(&mut self) -> Option<String> {
        let mut line = String::new();
        match io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_owned()),
        }
    }
}

/// A script: each line sent on the channel is one line "typed"; `next_line` blocks until the
/// sender sends, and the end of input is the sender being dropped. Tests type with it.
impl LineSource for mpsc::Receiver<String> {
    fn next_line(&mut self) -> Option<String> {
        self.recv().ok()
    }
}
// ANCHOR_END: line_source
