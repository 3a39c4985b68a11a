//! Three jobs, A (2 s), B (1 s) and C (3 s) (chapter 0's example), as timers on the loop, then as a
//! future that sleeps. Everything runs on the virtual clock, so the hour at the end takes
//! no time at all.
//!
//! Run it against your own loop with `cargo run -p event-loop --example timers`.

use std::time::Duration;

use event_loop::{EventLoop, Handle, VirtualClock, sleep};

/// Prints one line stamped with the loop's time, like `print(loop.time(), ...)`.
fn say(handle: &Handle, what: &str) {
    let now = handle.time().expect("the loop is alive while its callbacks run");
    println!("t={:>6.1}s  {what}", now.as_secs_f64());
}

fn main() {
    // ANCHOR: timers
    let event_loop = EventLoop::with_clock(VirtualClock::new());
    let handle = event_loop.handle();

    for (name, seconds) in [("A", 2), ("B", 1), ("C", 3)] {
        let h = handle.clone();
        event_loop
            .call_later(Duration::from_secs(seconds), move || say(&h, &format!("{name} done")))
            .unwrap();
    }
    let h = handle.clone();
    event_loop.call_soon(move || say(&h, "call_soon: before any timer")).unwrap();
    // Same deadline as C, scheduled after it: runs after it.
    let h = handle.clone();
    event_loop.call_later(Duration::from_secs(3), move || h.stop().unwrap()).unwrap();

    event_loop.run_forever().unwrap();
    say(&handle, "run_forever returned");
    // ANCHOR_END: timers

    // ANCHOR: sleeps
    let h = handle.clone();
    event_loop
        .call_later(Duration::from_secs(1), move || say(&h, "a timer fires while main sleeps"))
        .unwrap();
    let h = handle.clone();
    let answer = event_loop
        .run_until_complete(async move {
            say(&h, "main: sleeping 2 s");
            sleep(Duration::from_secs(2)).await;
            say(&h, "main: sleeping an hour");
            sleep(Duration::from_secs(3600)).await;
            say(&h, "main: done");
            42
        })
        .unwrap();
    say(&handle, &format!("run_until_complete returned {answer}"));
    // ANCHOR_END: sleeps
}
