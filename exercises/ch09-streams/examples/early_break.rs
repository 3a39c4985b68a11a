//! A streamed answer on the virtual clock: a producer task sends one token every 100 ms; the
//! consumer prints each as it arrives and, after the fourth, the user interrupts (`break`). The
//! producer's cleanup runs at the break, and nothing of the stream is left on the loop.
//!
//! Run it against your own chapter 9 code with `cargo run -p streams --example early_break`.

use std::time::Duration;

use event_loop::{Handle, VirtualClock, run_with_clock, sleep};
use streams::{Sender, StreamExt, interval, spawn_stream};

fn now() -> String {
    let t = Handle::current()
        .expect("runs on the loop")
        .time()
        .expect("the loop is alive");
    format!("{:>5} ms", t.as_millis())
}

// ANCHOR: producer
/// What the producer holds for the whole answer (in a real agent: the HTTP response). Its
/// `Drop` is the producer's cleanup: it runs however the producer ends.
struct Connection;

impl Drop for Connection {
    fn drop(&mut self) {
        println!("{} producer: connection closed", now());
    }
}

/// The model's side: one token every 100 ms, until the answer is complete or nobody listens.
async fn produce(tokens: Sender<String>) {
    let _connection = Connection;
    let answer = "Rust drops the producer right at the break, no aclose needed";
    for word in answer.split(' ') {
        sleep(Duration::from_millis(100)).await;
        println!("{} producer: sends {word:?}", now());
        if tokens.send(word.to_owned()).is_err() {
            return; // The consumer is gone.
        }
    }
    println!("{} producer: answer complete", now());
}
// ANCHOR_END: producer

// ANCHOR: consumer
async fn consume() {
    let mut answer = spawn_stream("answer", produce);
    let mut words = 0;
    while let Some(word) = answer.next().await {
        println!("{} consumer: got {word:?}", now());
        words += 1;
        if words == 4 {
            println!("{} consumer: the user pressed Ctrl-C, break", now());
            break;
        }
    }
    drop(answer); // (what the end of its scope would do; written out to show the moment)
    let handle = Handle::current().expect("runs on the loop");
    println!(
        "{} consumer: live tasks after the break: {:?}",
        now(),
        tasks::live_tasks(&handle)
    );

    // A progress indicator on an interval: three ticks, then the interval is dropped.
    let mut ticks = interval(Duration::from_millis(250)).take(3);
    while let Some(tick) = ticks.next().await {
        println!("{} spinner: tick {tick}", now());
    }
}
// ANCHOR_END: consumer

fn main() {
    let clock = VirtualClock::new();
    run_with_clock(clock.clone(), consume()).expect("the loop runs the demo");
    println!(
        "loop went idle {} times; nothing left to run",
        clock.idles()
    );
}
