//! Chapter 4's three tasks, A (2 s), B (1 s), C (3 s), on tokio: the same program, the same
//! timeline. Paused time makes the printed times exact.

use std::time::Duration;

use tokio::time::{Instant, sleep};

// ANCHOR: three_tasks
async fn job(start: Instant, name: &'static str, seconds: u64) -> String {
    println!(
        "t={:.1}s  {name} started, needs {seconds} s",
        start.elapsed().as_secs_f64()
    );
    sleep(Duration::from_secs(seconds)).await;
    println!("t={:.1}s  {name} done", start.elapsed().as_secs_f64());
    format!("{name} result")
}

fn main() {
    // Chapter 3's run_with_clock(VirtualClock::new(), ...), tokio's way.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime");
    let results = runtime.block_on(async {
        let start = Instant::now();
        println!("t=0.0s  main: spawning A, B, C");
        let a = tokio::spawn(job(start, "A", 2));
        let b = tokio::spawn(job(start, "B", 1));
        let c = tokio::spawn(job(start, "C", 3));
        println!("t=0.0s  main: spawned; nothing has run yet, now awaiting A");
        let results = [a.await, b.await, c.await];
        println!(
            "t={:.1}s  main: all three joined",
            start.elapsed().as_secs_f64()
        );
        results
    });
    for result in results {
        println!("{result:?}");
    }
}
// ANCHOR_END: three_tasks
