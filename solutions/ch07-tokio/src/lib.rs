//! Chapter 7 — Tokio. **Reference solution.**
//!
//! The agent's tool executor and its interactive prompt loop, on tokio. The given types are the
//! exercise's own file, compiled here by path, so the two crates cannot drift apart.

#[path = "../../../exercises/ch07-tokio/src/given.rs"]
mod given;

pub use given::{ExecError, LineReader, QUIT, Session, StdinLines, Tool, ToolOutput, ToolResult};

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio::time::{Instant, interval_at, timeout};

// ANCHOR: execute_tools
/// Runs every tool at once and returns their outputs in input order, or the first failure, or
/// `TimedOut` if `limit` passes first. Whatever the outcome, no tool is left running.
pub async fn execute_tools(
    tools: Vec<Tool>,
    limit: Duration,
) -> Result<Vec<ToolOutput>, ExecError> {
    let names: Vec<String> = tools.iter().map(|tool| tool.name.clone()).collect();
    let mut running = JoinSet::new();
    // A panicked task has no output to carry its index, only its task id.
    let mut index_of = HashMap::new();
    for (index, tool) in tools.into_iter().enumerate() {
        let call = tool.call;
        let task = running.spawn(async move {
            // tokio's Instant follows the runtime's clock, which tests pause and advance.
            let start = Instant::now();
            let result = call.await;
            (index, result, start.elapsed())
        });
        index_of.insert(task.id(), index);
    }

    let mut outputs: Vec<Option<ToolOutput>> = vec![None; names.len()];
    // One future that takes results in the order they complete; one timeout around all of it.
    let collect = async {
        while let Some(joined) = running.join_next().await {
            match joined {
                Ok((index, Ok(output), took)) => {
                    outputs[index] = Some(ToolOutput {
                        name: names[index].clone(),
                        output,
                        took,
                    });
                }
                Ok((index, Err(error), _)) => {
                    return Err(ExecError::Failed {
                        tool: names[index].clone(),
                        error,
                    });
                }
                Err(error) => {
                    let tool = names[index_of[&error.id()]].clone();
                    return Err(ExecError::Panicked {
                        tool,
                        message: panic_text(error),
                    });
                }
            }
        }
        Ok(())
    };
    let outcome = timeout(limit, collect).await;
    // Dropping a JoinSet aborts every task still in it; the explicit call says so.
    running.abort_all();
    match outcome {
        Ok(Ok(())) => Ok(outputs
            .into_iter()
            .map(|o| o.expect("every task reported"))
            .collect()),
        Ok(Err(failure)) => Err(failure),
        Err(_elapsed) => Err(ExecError::TimedOut {
            limit,
            unfinished: names
                .iter()
                .zip(&outputs)
                .filter(|(_, output)| output.is_none())
                .map(|(name, _)| name.clone())
                .collect(),
        }),
    }
}

/// The message of a task's panic, or what the error says if the task was cancelled instead.
fn panic_text(error: JoinError) -> String {
    if !error.is_panic() {
        return error.to_string();
    }
    let payload = error.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}
// ANCHOR_END: execute_tools

// ANCHOR: prompt_loop
/// Reads lines until the input ends or the user types [`QUIT`], answering each line with
/// `answer`; a ticker ticks every `tick_every` for the whole session. Each read runs on tokio's
/// blocking pool, so the runtime thread (and the ticker) stays free while the user types.
pub async fn prompt_loop<R, A, Fut>(mut reader: R, tick_every: Duration, mut answer: A) -> Session
where
    R: LineReader,
    A: FnMut(String) -> Fut,
    Fut: Future<Output = String>,
{
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = tokio::spawn({
        let ticks = Arc::clone(&ticks);
        async move {
            let mut every = interval_at(Instant::now() + tick_every, tick_every);
            loop {
                every.tick().await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    // Dropping a JoinHandle would detach the ticker; this guard aborts it however we leave.
    let _stop_ticker = AbortOnDrop(ticker);

    let mut replies = Vec::new();
    loop {
        // The reader moves to a blocking-pool thread for one read and comes back with the line.
        let read = tokio::task::spawn_blocking(move || {
            let line = reader.read_line();
            (reader, line)
        });
        let line;
        (reader, line) = match read.await {
            Ok(back) => back,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        };
        match line {
            None => break,
            Some(line) if line.trim() == QUIT => break,
            Some(line) => replies.push(answer(line).await),
        }
    }
    Session {
        replies,
        ticks: ticks.load(Ordering::Relaxed),
    }
}

/// Aborts the task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
// ANCHOR_END: prompt_loop
