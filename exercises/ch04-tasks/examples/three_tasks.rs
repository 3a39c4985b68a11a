//! Three jobs, A (2 s), B (1 s) and C (3 s), spawned as tasks on the virtual clock: each
//! start line prints at t=0 in spawn order, and the whole run takes 3 s, the longest job, not
//! the 6 s of the three one after another.
//!
//! Run it against your own tasks with `cargo run -p tasks --example three_tasks`.

use std::time::Duration;

use event_loop::{Handle, VirtualClock, run_with_clock, sleep};
use tasks::{current_name, spawn_named};

/// Prints one line stamped with the loop's time.
fn say(what: &str) {
    let now = Handle::current().expect("runs on the loop").time().expect("the loop is alive");
    println!("t={:.1}s  {what}", now.as_secs_f64());
}

// ANCHOR: job
/// One job: say it started, "work" for `seconds` (a sleep on the loop), say it is done.
async fn job(seconds: u64) -> String {
    let name = current_name().expect("a job runs as a task");
    say(&format!("{name} started, needs {seconds} s"));
    sleep(Duration::from_secs(seconds)).await;
    say(&format!("{name} done"));
    format!("{name} result")
}
// ANCHOR_END: job

fn main() {
    // ANCHOR: main
    let results = run_with_clock(VirtualClock::new(), async {
        say("main: spawning A, B, C");
        let a = spawn_named("A", job(2));
        let b = spawn_named("B", job(1));
        let c = spawn_named("C", job(3));
        say("main: spawned; nothing has run yet, now awaiting A");
        let results = [a.await, b.await, c.await];
        say("main: all three joined");
        results
    })
    .expect("the loop ran");
    // ANCHOR_END: main
    for result in results {
        println!("{result:?}");
    }
}
