//! Why blocking the loop stops every task, in two runs on the virtual clock. A ticker task ticks
//! once a second; meanwhile the main future waits 5 s for a user to type a line.
//!
//! 1. The read blocks on the loop's own thread (Python's `input()` called inside a coroutine):
//!    nothing else runs until it returns, so the ticks come late, all after the answer.
//! 2. The read is offloaded with `read_line` (asyncio's `run_in_executor(None, input)`): the loop
//!    stays free and the ticker ticks on time while a worker waits for the user.
//!
//! Run it: `cargo run -p offload --example ticker` (or `-p offload-solution --bin ch06-ticker`).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use event_loop::{Handle, VirtualClock, run_with_clock, sleep};
use offload::{LineSource, ThreadPool, read_line};

/// The loop's time, in seconds.
fn now() -> f64 {
    Handle::current().unwrap().time().unwrap().as_secs_f64()
}

/// A user who needs 5 s to type a line: on the virtual clock, taking 5 s is advancing it by 5 s.
struct SlowTypist {
    clock: VirtualClock,
}

impl LineSource for SlowTypist {
    fn next_line(&mut self) -> Option<String> {
        self.clock.advance(Duration::from_secs(5));
        Some("hello".to_owned())
    }
}

// ANCHOR: ticker
/// Ticks five times, a second apart, and returns when each tick happened.
async fn ticker(log: Rc<RefCell<Vec<f64>>>) {
    for n in 1..=5 {
        sleep(Duration::from_secs(1)).await;
        println!("  t={:.1}s  tick {n}", now());
        log.borrow_mut().push(now());
    }
}
// ANCHOR_END: ticker

/// One row of the picture: `=` while the prompt waited, `T` at each tick, a column per 0.5 s.
fn row(label: &str, waited: f64, ticks: &[f64]) -> String {
    let mut cells = vec![' '; 21];
    for (i, cell) in cells.iter_mut().enumerate() {
        if (i as f64) * 0.5 < waited {
            *cell = '=';
        }
    }
    for t in ticks {
        cells[(t * 2.0).round() as usize] = 'T';
    }
    let cells: String = cells.into_iter().collect();
    format!("{label:<10}|{}", cells.trim_end())
}

fn main() {
    let pool = ThreadPool::new(1).expect("one worker");

    println!("1. the read blocks the loop's thread:");
    let clock = VirtualClock::new();
    let typist = SlowTypist {
        clock: clock.clone(),
    };
    let blocked = run_with_clock(clock, async move {
        let log = Rc::new(RefCell::new(Vec::new()));
        let ticks = tasks::spawn_named("ticker", ticker(log.clone()));
        // ANCHOR: blocked
        println!("  t={:.1}s  prompt> (waiting for the user)", now());
        let mut typist = typist;
        let line = typist.next_line(); // Blocking, right here on the loop's thread.
        println!(
            "  t={:.1}s  read {:?}; ticks meanwhile: {}",
            now(),
            line.unwrap(),
            log.borrow().len()
        );
        // ANCHOR_END: blocked
        ticks.await.unwrap();
        log.borrow().clone()
    })
    .unwrap();

    println!("2. the read is offloaded to the pool:");
    let (typist, lines) = mpsc::channel();
    let offloaded = run_with_clock(VirtualClock::new(), async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let ticks = tasks::spawn_named("ticker", ticker(log.clone()));
        // The user, typing for 5 s (a task, so that the typing takes loop time).
        let user = tasks::spawn_named("user", async move {
            sleep(Duration::from_secs(5)).await;
            typist.send("hello".to_owned()).unwrap();
        });
        // ANCHOR: offloaded
        println!("  t={:.1}s  prompt> (waiting for the user)", now());
        let (_, line) = read_line(&pool, lines)
            .await
            .expect("the worker read the line");
        println!(
            "  t={:.1}s  read {:?}; ticks meanwhile: {}",
            now(),
            line.unwrap(),
            log.borrow().len()
        );
        // ANCHOR_END: offloaded
        ticks.await.unwrap();
        user.await.unwrap();
        log.borrow().clone()
    })
    .unwrap();

    println!();
    println!("{:<10}|0s        5s        10s", "");
    println!("{}", row("blocked", 5.0, &blocked));
    println!("{}", row("offloaded", 0.0, &offloaded));
    println!(
        "{:<10} = the prompt holds the loop's thread; T = a tick",
        ""
    );
}
