//! The chapter's agent, end to end: three tool runs (all succeed, one fails, the limit passes)
//! and a short scripted session. It runs on a current-thread runtime with paused time, like the
//! tests, so the times it prints are exact; remove `start_paused(true)` to watch it in real time.
//!
//! `cargo run -p hand-tokio --example agent` runs it on your code once stage 4 passes.

use std::time::Duration;

use hand_tokio::{Tool, execute_tools, prompt_loop};
use tokio::time::{Instant, sleep};

// ANCHOR: tools
/// A pretend tool: works for `ms` milliseconds, then returns `result`.
fn tool(name: &str, ms: u64, result: Result<&str, &str>) -> Tool {
    let result = result.map(str::to_owned).map_err(str::to_owned);
    Tool::new(name, async move {
        sleep(Duration::from_millis(ms)).await;
        result
    })
}

async fn show(title: &str, tools: Vec<Tool>, limit: Duration) {
    let start = Instant::now();
    let outcome = execute_tools(tools, limit).await;
    println!("{title} (returned after {:?}):", start.elapsed());
    match outcome {
        Ok(outputs) => {
            for out in outputs {
                println!("  {:<8} {:>6?}  {}", out.name, out.took, out.output);
            }
        }
        Err(error) => println!("  error: {error}"),
    }
}
// ANCHOR_END: tools

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime");
    runtime.block_on(async {
        let limit = Duration::from_secs(10);
        // ANCHOR: runs
        show(
            "all succeed",
            vec![
                tool("search", 2000, Ok("3 hits")),
                tool("calc", 1000, Ok("42")),
                tool("code", 3000, Ok("ok")),
            ],
            limit,
        )
        .await;
        show(
            "one fails",
            vec![
                tool("search", 2000, Ok("3 hits")),
                tool("calc", 1000, Err("division by zero")),
                tool("code", 3000, Ok("ok")),
            ],
            limit,
        )
        .await;
        show(
            "too slow",
            vec![
                tool("search", 2000, Ok("3 hits")),
                tool("calc", 1000, Ok("42")),
                tool("code", 30_000, Ok("ok")),
            ],
            Duration::from_millis(2500),
        )
        .await;
        // ANCHOR_END: runs

        // ANCHOR: session
        let mut script =
            vec!["what is 6 * 7?", "search for tokio", "/quit", "never read"].into_iter();
        let reader = move || script.next().map(str::to_owned);
        let session = prompt_loop(
            reader,
            Duration::from_millis(500),
            |line: String| async move {
                sleep(Duration::from_millis(1200)).await; // the agent thinks
                format!("(answer to {line:?})")
            },
        )
        .await;
        println!(
            "session: {} replies, ticker ticked {} times",
            session.replies.len(),
            session.ticks
        );
        for reply in &session.replies {
            println!("  {reply}");
        }
        // ANCHOR_END: session
    });
}
