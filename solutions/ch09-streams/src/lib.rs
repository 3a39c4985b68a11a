//! Chapter 9 reference solution: a hand-written stream, `next`, map/filter/take, an interval on
//! the chapter 3 loop's timers, and a streamed answer whose producer stops when the consumer
//! breaks. The given types live once, in the exercise, and are compiled here with `#[path]`.

mod channel;
#[path = "../../../exercises/ch09-streams/src/given.rs"]
mod given;
mod interval;

pub use channel::spawn_stream;
pub use given::{
    Countdown, Filter, Interval, Map, Next, Receiver, SendError, Sender, Stream, StreamExt, Take,
    TaskStream, Unfold, channel, countdown, interval, unfold,
};

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

// ANCHOR: solution_countdown
impl Stream for Countdown {
    type Item = u32;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<u32>> {
        // `Countdown` is `Unpin` (a `u32`), so the pin gives the plain `&mut` back.
        let this = self.get_mut();
        if this.next == 0 {
            // Ended, and stays ended however often it is polled again.
            return Poll::Ready(None);
        }
        let n = this.next;
        this.next -= 1;
        Poll::Ready(Some(n))
    }
}
// ANCHOR_END: solution_countdown

// ANCHOR: solution_next
impl<S: Stream + Unpin + ?Sized> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // `Next` holds only a `&mut S`, so it is `Unpin` itself; `S: Unpin` lets us pin the
        // borrowed stream for one call with `Pin::new`.
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}
// ANCHOR_END: solution_next

// ANCHOR: solution_adapters
impl<S, T, F> Stream for Map<S, F>
where
    S: Stream + Unpin,
    F: FnMut(S::Item) -> T,
{
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_next(cx) {
            Poll::Ready(Some(item)) => Poll::Ready(Some((this.f)(item))),
            Poll::Ready(None) => Poll::Ready(None),
            // The inner stream registered the waker; nothing to add.
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S, F> Stream for Filter<S, F>
where
    S: Stream + Unpin,
    F: FnMut(&S::Item) -> bool,
{
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.get_mut();
        // A rejected item is not a reason to return: the inner stream may have the next one
        // ready, and nobody would wake us to ask. Loop until an item passes, the inner stream
        // pends (it has registered the waker then) or ends.
        loop {
            match Pin::new(&mut this.stream).poll_next(cx) {
                Poll::Ready(Some(item)) if (this.keep)(&item) => return Poll::Ready(Some(item)),
                Poll::Ready(Some(_rejected)) => continue,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<S: Stream + Unpin> Stream for Take<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.get_mut();
        // Checked *before* polling: the inner stream is not asked for an item nobody will get
        // (for an interval, that would arm a timer; for a producer, start more work).
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.stream).poll_next(cx) {
            Poll::Ready(Some(item)) => {
                this.remaining -= 1;
                Poll::Ready(Some(item))
            }
            Poll::Ready(None) => {
                // The inner stream ended early; stay ended without asking it again.
                this.remaining = 0;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
// ANCHOR_END: solution_adapters
