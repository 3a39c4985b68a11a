//! The slow-callback detector (asyncio's debug mode) on the virtual clock: work is simulated by
//! advancing the clock, so the report is the same on every machine.
//!
//! Run it: `cargo run -p offload --example slow` (or `-p offload-solution --bin ch06-slow`).

use std::time::Duration;

use event_loop::{Handle, VirtualClock, run_with_clock, sleep};
use offload::{call_soon_timed, set_slow_threshold, spawn_timed, take_slow_reports};

fn main() {
    let clock = VirtualClock::new();
    let work = clock.clone();
    let reports = run_with_clock(clock, async move {
        let handle = Handle::current().unwrap();
        set_slow_threshold(&handle, Duration::from_millis(100)).unwrap();

        // A task that parses a big file without ever awaiting: 300 ms in one poll.
        let cpu = work.clone();
        let parser = spawn_timed("parse-config", async move {
            cpu.advance(Duration::from_millis(300));
        });
        // A task that waits a lot and works little: never slow.
        let cpu = work.clone();
        let poller = spawn_timed("poll-status", async move {
            for _ in 0..3 {
                sleep(Duration::from_secs(1)).await;
                cpu.advance(Duration::from_millis(5));
            }
        });
        // Two plain callbacks: 40 ms is fine, 120 ms is reported.
        let cpu = work.clone();
        call_soon_timed(&handle, "flush-log", move || {
            cpu.advance(Duration::from_millis(40))
        })
        .unwrap();
        let cpu = work.clone();
        call_soon_timed(&handle, "resize-cache", move || {
            cpu.advance(Duration::from_millis(120))
        })
        .unwrap();

        parser.await.unwrap();
        poller.await.unwrap();
        take_slow_reports(&handle)
    })
    .unwrap();
    for report in reports {
        println!("{report}");
    }
}
