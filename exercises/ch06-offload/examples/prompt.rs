//! The command-line case, for real: type lines while a ticker keeps ticking. The prompt's
//! blocking read runs on the pool (asyncio's `run_in_executor(None, input)`), so the loop is free
//! to tick. Type `quit` (or end the input with Ctrl-D) to stop.
//!
//! Run it: `cargo run -p offload --example prompt` (or `-p offload-solution --bin ch06-prompt`).

use std::time::Duration;

use event_loop::{Handle, run, sleep};
use offload::{StdinLines, ThreadPool, read_line};

fn main() {
    let pool = ThreadPool::new(1).expect("one worker");
    run(async {
        let ticker = tasks::spawn_named("ticker", async {
            for n in 1.. {
                sleep(Duration::from_secs(2)).await;
                let t = Handle::current().unwrap().time().unwrap().as_secs_f64();
                println!("  [tick {n} at {t:.1}s: the loop is free]");
            }
        });
        println!("type a line (quit to stop):");
        let mut source = StdinLines;
        loop {
            let (back, line) = read_line(&pool, source)
                .await
                .expect("the worker read stdin");
            source = back;
            match line.as_deref() {
                None | Some("quit") => break,
                Some(line) => println!("you typed {line:?}"),
            }
        }
        ticker.abort();
    })
    .expect("the loop ran");
    // Dropping the pool joins its worker (idle now: the last read returned).
}
