//! Calling an `async fn` runs none of its body: it builds a future. The body starts on the first
//! poll, exactly like a Python coroutine object that starts only when awaited.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_runs_on_the_first_poll_not_at_the_call() {
        let log = RefCell::new(Vec::new());
        drop(fetch_data("x", &log));
        assert!(log.borrow().is_empty(), "building and dropping the future ran nothing");
        assert_eq!(
            when_does_it_run(),
            [
                "called fetch_data(): got a future",
                "poll 1",
                "  [body] fetch_data(https://api.example.com) is running",
                "  -> Ready(200)",
            ]
        );
    }
}
