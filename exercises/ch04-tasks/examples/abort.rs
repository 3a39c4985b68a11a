//! Names, the live-task list, abort and a panicking task, on the virtual clock.
//!
//! Run it against your own tasks with `cargo run -p tasks --example abort`.

use std::time::Duration;

use event_loop::{EventLoop, Handle, VirtualClock, sleep};
use tasks::{current_name, live_tasks, spawn, spawn_named};

fn say(what: &str) {
    let now = Handle::current().expect("runs on the loop").time().expect("the loop is alive");
    println!("t={:.1}s  {what}", now.as_secs_f64());
}

// ANCHOR: guard
/// Says goodbye when dropped: the only code of an aborted task that runs is its destructors.
struct Goodbye(&'static str);

impl Drop for Goodbye {
    fn drop(&mut self) {
        println!("         drop: {} (the task's future is being dropped)", self.0);
    }
}
// ANCHOR_END: guard

fn main() {
    let event_loop = EventLoop::with_clock(VirtualClock::new());
    let handle = event_loop.handle();
    // ANCHOR: main
    let outcome = event_loop.run_until_complete(async {
        let download = spawn_named("download", async {
            let _guard = Goodbye("download");
            say(&format!("{} started", current_name().unwrap()));
            sleep(Duration::from_secs(10)).await;
            say("download finished (never printed: it is aborted first)");
        });
        let flaky = spawn_named("flaky", async {
            sleep(Duration::from_secs(1)).await;
            panic!("connection reset");
        });
        let ticker = spawn(async {
            for _ in 0..3 {
                sleep(Duration::from_secs(1)).await;
                say(&format!("{} ticks", current_name().unwrap()));
            }
        });
        sleep(Duration::from_millis(500)).await;
        say(&format!("live: {:?}", live_tasks(&Handle::current().unwrap())));

        say("main: aborting download");
        download.abort();
        say("main: abort() returned");
        println!("         download -> {:?}", download.await);
        println!("         flaky    -> {}", flaky.await.unwrap_err());
        ticker.await.unwrap();
        say(&format!("live: {:?}", live_tasks(&Handle::current().unwrap())));
    });
    // ANCHOR_END: main
    outcome.expect("the loop ran");
    let panics = event_loop.take_panics();
    println!("callback panics the loop saw: {}", panics.len());
    drop(handle);
}
