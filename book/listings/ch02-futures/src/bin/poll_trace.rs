//! The poll/wake cycle, printed. Run it with
//! `cargo run -p hand-futures-listings --bin ch02-poll-trace -- [lazy|wake]`
//! (`lazy`: when an async fn's body runs; `wake`: the poll/wake cycle; neither: both).
//!
//! In `wake`, a `fetch_status` future waits for a response that a worker thread delivers. It runs twice:
//! the compiler's `async fn` on a waker made with `Wake`, then the hand-written state machine on
//! the hand-built `RawWakerVTable` waker. The two traces are the same, line for line.

use std::future::Future;
use std::sync::{Arc, mpsc};
use std::task::Waker;
use std::thread;

use hand_futures_listings::desugar::{FetchStatus, fetch_status};
use hand_futures_listings::executor::{ChannelWaker, run_traced};
use hand_futures_listings::lazy::when_does_it_run;
use hand_futures_listings::raw_waker::raw_channel_waker;
use hand_futures_listings::slot::{Slot, slot};

const URL: &str = "https://api.example.com/user";

fn say(line: String) {
    println!("  [body] {line}");
}

// ANCHOR: demo
/// Builds a future around a response slot, then runs it while a worker thread sets the
/// response. The worker starts only once the future has returned `Pending`, so the output is
/// the same on every run.
fn demo<F>(build: impl FnOnce(Slot<u16>) -> F, make_waker: impl FnOnce(Arc<ChannelWaker>) -> Waker)
where
    F: Future<Output = String>,
{
    let (response, setter) = slot();
    let future = build(response);
    println!("built the future (no [body] line yet: nothing has run)");

    let (go, wait_for_go) = mpsc::channel();
    let worker = thread::spawn(move || {
        wait_for_go.recv().unwrap();
        println!("worker thread: set_result(200), which wakes the waker");
        setter.set_result(200);
    });

    let (inner, woken) = ChannelWaker::new();
    let waker = make_waker(inner);
    let mut go = Some(go);
    run_traced(future, &waker, &woken, || {
        if let Some(go) = go.take() {
            go.send(()).unwrap();
        }
    });
    worker.join().unwrap();
}
// ANCHOR_END: demo

fn main() {
    let part = std::env::args().nth(1);
    let part = part.as_deref();
    if part != Some("wake") {
        println!("== calling an async fn runs nothing; the first poll runs its body ==");
        for line in when_does_it_run() {
            println!("{line}");
        }
    }
    if part != Some("lazy") {
        println!("== the async fn, woken through a Wake-based waker ==");
        demo(|response| fetch_status(URL, response, say), Waker::from);
        println!();
        println!("== the hand-written state machine, woken through the RawWakerVTable waker ==");
        demo(|response| FetchStatus::new(URL, response, say), raw_channel_waker);
    }
}
