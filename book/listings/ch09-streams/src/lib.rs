//! Chapter 9 teaching code. Nothing here is the exercise's answer: the page shows these pieces
//! to teach the moves the exercise needs (a `poll_next`, an adapter over an `Unpin` stream,
//! pinning a stream that is not `Unpin`, the `while let` loop, counting whole periods of a
//! `Duration`).

use std::future::poll_fn;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

pub use futures_core::Stream;

/// The trait as `futures-core` declares it, minus `size_hint` (a default method), copied so the
/// page can show it next to `Future`.
pub mod shape {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    // ANCHOR: trait
    pub trait Stream {
        type Item;

        /// `Ready(Some(item))`: here is one. `Ready(None)`: the stream has ended.
        /// `Pending`: nothing yet, and the waker in `cx` will be woken when there is.
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>>;
    }
    // ANCHOR_END: trait
}

// ANCHOR: chunks
/// Splits a text into pieces of at most `size` characters, one piece per poll: a stream that
/// never waits. (A real token stream waits for the network; this one shows the trait alone.)
pub struct Chunks {
    text: String,
    size: usize,
}

pub fn chunks(text: &str, size: usize) -> Chunks {
    assert!(size > 0, "chunks: size must be at least 1");
    Chunks {
        text: text.to_owned(),
        size,
    }
}

impl Stream for Chunks {
    type Item = String;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<String>> {
        // `Chunks` holds a `String` and a `usize`, both `Unpin`, so `Chunks` is `Unpin` and
        // the pin hands back a plain `&mut`.
        let this = self.get_mut();
        if this.text.is_empty() {
            return Poll::Ready(None);
        }
        let end = this
            .text
            .char_indices()
            .nth(this.size)
            .map_or(this.text.len(), |(i, _)| i);
        let rest = this.text.split_off(end);
        Poll::Ready(Some(std::mem::replace(&mut this.text, rest)))
    }
}
// ANCHOR_END: chunks

// ANCHOR: enumerate
/// Pairs each item with its position: an adapter, written the way the exercise's are. It asks
/// for an `Unpin` inner stream, so reaching the field is `get_mut` plus `Pin::new`: no
/// `unsafe`, no projection crate. (A stream that is not `Unpin` is pinned once, by the caller,
/// with `Box::pin`: `Pin<Box<S>>` is an `Unpin` stream.)
pub struct Enumerate<S> {
    inner: S,
    count: usize,
}

pub fn enumerate<S: Stream + Unpin>(inner: S) -> Enumerate<S> {
    Enumerate { inner, count: 0 }
}

impl<S: Stream + Unpin> Stream for Enumerate<S> {
    type Item = (usize, S::Item);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(item)) => {
                this.count += 1;
                Poll::Ready(Some((this.count - 1, item)))
            }
            // `None` and `Pending` pass through: on `Pending`, the inner stream has already
            // arranged for `cx`'s waker to be woken.
            other => other.map(|_| None),
        }
    }
}
// ANCHOR_END: enumerate

// ANCHOR: next_by_hand
/// One item from any stream, however it is pinned: `poll_fn` turns "poll the stream once" into
/// a future. This is what an `.await` on `next()` does underneath.
pub async fn next_item<S: Stream + ?Sized>(mut stream: Pin<&mut S>) -> Option<S::Item> {
    poll_fn(|cx| stream.as_mut().poll_next(cx)).await
}

/// Every piece of a text, collected with the `while let` loop (Python's `async for`).
pub async fn collect_chunks(text: &str, size: usize) -> Vec<String> {
    // `pin!` pins the stream on this future's stack; no allocation. For `Chunks` (which is
    // `Unpin`) it is not needed, but the same line works for a stream that is not.
    let mut stream = pin!(chunks(text, size));
    let mut pieces = Vec::new();
    while let Some(piece) = next_item(stream.as_mut()).await {
        pieces.push(piece);
    }
    pieces
}
// ANCHOR_END: next_by_hand

// ANCHOR: whole_periods
/// How many whole `period`s fit in `elapsed`, and the loop time where the next period after
/// them ends, for a grid of periods that began at `start`.
pub fn whole_periods(start: Duration, elapsed: Duration, period: Duration) -> (u32, Duration) {
    // `Duration / Duration` does not exist: divide the two lengths in nanoseconds (`u128`),
    // which rounds down, to whole periods.
    let whole = elapsed.as_nanos() / period.as_nanos();
    // `Duration * u32` is the integer multiplication `Duration` has, so the count comes back
    // as a `u32` (a count that does not fit is a bug in the caller, not a value to wrap).
    let whole = u32::try_from(whole).expect("fewer than 2^32 periods have passed");
    (whole, start + period * (whole + 1))
}
// ANCHOR_END: whole_periods

#[cfg(test)]
mod tests {
    use super::*;
    use event_loop::{VirtualClock, run_with_clock};

    #[test]
    fn chunks_split_on_characters_and_end() {
        let pieces = run_with_clock(VirtualClock::new(), collect_chunks("héllo!", 4)).unwrap();
        assert_eq!(
            pieces,
            ["héll", "o!"],
            "pieces of at most 4 characters, in order"
        );
    }

    #[test]
    fn whole_periods_round_down_and_point_at_the_next_period() {
        let ms = Duration::from_millis;
        assert_eq!(
            whole_periods(ms(500), ms(2500), ms(1000)),
            (2, ms(3500)),
            "2.5 s are 2 whole periods of 1 s; the next one ends 3 periods after the start"
        );
        assert_eq!(
            whole_periods(ms(0), ms(999), ms(1000)),
            (0, ms(1000)),
            "less than a period is 0 whole periods"
        );
    }

    #[test]
    fn enumerate_numbers_items_from_zero() {
        let out = run_with_clock(VirtualClock::new(), async {
            let mut stream = pin!(enumerate(chunks("abc", 1)));
            let mut out = Vec::new();
            while let Some(pair) = next_item(stream.as_mut()).await {
                out.push(pair);
            }
            out
        })
        .unwrap();
        assert_eq!(
            out,
            [
                (0, "a".to_owned()),
                (1, "b".to_owned()),
                (2, "c".to_owned())
            ]
        );
    }
}
