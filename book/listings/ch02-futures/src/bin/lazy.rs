//! "Calling an `async fn` runs nothing" as a whole program, std-only so that the book's ▶ button
//! can run it on the Rust playground. It prints what `ch02-poll-trace -- lazy` prints (the book
//! shows that output; tests/runnable_output.rs keeps the two equal).
//! `cargo run -p hand-futures-listings --bin ch02-lazy` runs it locally. The listing library
//! compiles this same file as its module `lazy` (`#[path]` in src/lazy.rs), so `ch02-poll-trace`
//! and the tests run this code too.

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

// ANCHOR: fetch_data
/// Python's `async def fetch_data(url)`, minus the network: it writes to `log` when its body
/// runs.
pub async fn fetch_data(url: &str, log: &RefCell<Vec<String>>) -> u16 {
    log.borrow_mut().push(format!("  [body] fetch_data({url}) is running"));
    200
}
// ANCHOR_END: fetch_data

// ANCHOR: lazy
/// Shows when the body of `fetch_data` runs: not at the call, only at the first poll.
pub fn when_does_it_run() -> Vec<String> {
    let log = RefCell::new(Vec::new());
    let future = fetch_data("https://api.example.com", &log);
    // The body has not run: `future` holds the arguments and a "not started" state. Dropping
    // it now, like forgetting `await` in Python, would run nothing at all.
    log.borrow_mut().push("called fetch_data(): got a future".into());

    {
        let mut future = pin!(future);
        // `Waker::noop()` does nothing when woken: enough for one poll of a future that we
        // know finishes without waiting.
        let mut cx = Context::from_waker(Waker::noop());
        log.borrow_mut().push("poll 1".into());
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(status) => log.borrow_mut().push(format!("  -> Ready({status})")),
            Poll::Pending => unreachable!("fetch_data never waits"),
        }
    } // the finished future, and its borrow of `log`, end here
    log.into_inner()
}
// ANCHOR_END: lazy

fn main() {
    println!("== calling an async fn runs nothing; the first poll runs its body ==");
    for line in when_does_it_run() {
        println!("{line}");
    }
}
