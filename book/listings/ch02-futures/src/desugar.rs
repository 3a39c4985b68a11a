//! One `async fn`, and the state machine the compiler turns it into, written by hand.

use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

// ANCHOR: async_fn
/// Reports the request, waits for the response's status, reports it, returns a summary.
/// `say` stands in for logging, so we can watch *when* each line of the body runs.
pub async fn fetch_status<R, S>(url: &'static str, response: R, mut say: S) -> String
where
    R: Future<Output = u16>,
    S: FnMut(String),
{
    say(format!("requesting {url}"));
    let status = response.await;
    say(format!("{url} answered {status}"));
    format!("{url} -> {status}")
}
// ANCHOR_END: async_fn

// ANCHOR: state_machine
/// `fetch_status` written out by hand: a struct holding the current state.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct FetchStatus<R, S> {
    state: FetchState<R, S>,
}

/// Where the body of `fetch_status` is. One variant per place it can be stopped at; each holds
/// the values the rest of the body still uses (the "locals that live across an `.await`").
enum FetchState<R, S> {
    /// Created and never polled: not one line of the body has run.
    Start { url: &'static str, response: R, say: S },
    /// Paused at `response.await`.
    Waiting { url: &'static str, response: R, say: S },
    /// Returned its output. Polling again is a bug in the caller.
    Done,
}

impl<R, S> FetchStatus<R, S> {
    /// What calling the `async fn` does: store the arguments. Nothing else.
    pub fn new(url: &'static str, response: R, say: S) -> Self {
        FetchStatus { state: FetchState::Start { url, response, say } }
    }
}
// ANCHOR_END: state_machine

// ANCHOR: unpin
// We require the inner future to be `Unpin` and poll it through `Pin::new`, so no part of a
// `FetchStatus` relies on staying at one address: moving it, even while pinned, is fine.
impl<R, S> Unpin for FetchStatus<R, S> {}
// ANCHOR_END: unpin

// ANCHOR: poll
impl<R, S> Future for FetchStatus<R, S>
where
    R: Future<Output = u16> + Unpin,
    S: FnMut(String),
{
    type Output = String;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let this = self.get_mut();
        // One poll runs as far as the body can go: from `Start` straight on into `Waiting`.
        loop {
            // Take the state out (leaving `Done`) so its fields can be moved.
            match mem::replace(&mut this.state, FetchState::Done) {
                FetchState::Start { url, response, mut say } => {
                    // The code before the first `.await`.
                    say(format!("requesting {url}"));
                    this.state = FetchState::Waiting { url, response, say };
                }
                FetchState::Waiting { url, mut response, mut say } => {
                    // `.await` is this: poll the inner future with *our* context, so that its
                    // wake reaches whoever is polling us.
                    match Pin::new(&mut response).poll(cx) {
                        Poll::Pending => {
                            // Put the state back and pause. The inner future has arranged the
                            // wake, so our promise is kept too.
                            this.state = FetchState::Waiting { url, response, say };
                            return Poll::Pending;
                        }
                        Poll::Ready(status) => {
                            // The code after the `.await`, up to `return`.
                            say(format!("{url} answered {status}"));
                            return Poll::Ready(format!("{url} -> {status}"));
                        }
                    }
                }
                FetchState::Done => panic!("`FetchStatus` polled after completion"),
            }
        }
    }
}
// ANCHOR_END: poll

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slot::slot;
    use course_support::{CountingWaker, Trace, poll_once};

    /// Drives a fetch built by `build` through: poll, set the response, poll. Returns the log.
    fn run<F>(build: impl FnOnce(crate::slot::Slot<u16>, Trace) -> F) -> Vec<String>
    where
        F: Future<Output = String> + Unpin,
    {
        let trace = Trace::new();
        let (response, setter) = slot();
        let mut future = build(response, trace.clone());
        trace.push("built");
        let (waker, wakes) = CountingWaker::new();
        trace.push(format!("poll 1: {:?}", poll_once(&mut future, &waker)));
        setter.set_result(404);
        trace.push(format!("wakes: {}", wakes.wakes()));
        trace.push(format!("poll 2: {:?}", poll_once(&mut future, &waker)));
        trace.lines()
    }

    #[test]
    fn the_hand_written_state_machine_behaves_like_the_async_fn() {
        let url = "https://example.com";
        let by_compiler = run(|response, trace| {
            Box::pin(fetch_status(url, response, move |line| trace.push(line)))
        });
        let by_hand = run(|response, trace| {
            FetchStatus::new(url, response, move |line: String| trace.push(line))
        });
        assert_eq!(by_hand, by_compiler);
        assert_eq!(
            by_hand,
            [
                "built",
                "requesting https://example.com",
                "poll 1: Pending",
                "wakes: 1",
                "https://example.com answered 404",
                "poll 2: Ready(\"https://example.com -> 404\")",
            ]
        );
    }
}
