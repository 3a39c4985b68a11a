//! Chapter 9 exercise: streams and async iteration.
//!
//! You write, stage by stage (`cargo test -p streams stage1`, then stage2, ...):
//! 1. `Stream` for `Countdown`, and the `Next` future behind `stream.next().await` (this file);
//! 2. the adapters `Map`, `Filter` and `Take` (this file);
//! 3. `Interval`: ticks on the chapter 3 loop's timers (`interval.rs`);
//! 4. a channel whose receiver is a stream, and `spawn_stream`: a producer task whose stream
//!    stops it when dropped (`channel.rs`).
//!
//! The types are given in `given.rs` (you never edit it); every `TODO(ch09)` is yours.

mod channel;
// Spelled the way the solution crate spells it, so that compiler messages pointing into this
// file (the compile-fail check's blessed output) read the same for both crates.
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

// TODO(ch09) stage 1: a stream that counts down, then ends, and stays ended.
impl Stream for Countdown {
    type Item = u32;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<u32>> {
        todo!("Countdown::poll_next: yield `next` and count down; at 0, Ready(None), every time")
    }
}

// TODO(ch09) stage 1: the future behind `stream.next().await`.
impl<S: Stream + Unpin + ?Sized> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        todo!(
            "Next::poll: poll the borrowed stream once (Pin::new(&mut *stream)) and return what it says"
        )
    }
}

// TODO(ch09) stage 2: each item through `f`; `None` and `Pending` pass through.
impl<S, T, F> Stream for Map<S, F>
where
    S: Stream + Unpin,
    F: FnMut(S::Item) -> T,
{
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<T>> {
        todo!("Map::poll_next: poll the inner stream (get_mut, then Pin::new) and map a Some item")
    }
}

// TODO(ch09) stage 2: only the items `keep` accepts.
impl<S, F> Stream for Filter<S, F>
where
    S: Stream + Unpin,
    F: FnMut(&S::Item) -> bool,
{
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        todo!(
            "Filter::poll_next: poll the inner stream until an item is kept, it pends, or it ends"
        )
    }
}

// TODO(ch09) stage 2: at most `remaining` items, never polling the inner stream past them.
impl<S: Stream + Unpin> Stream for Take<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        todo!(
            "Take::poll_next: Ready(None) once `remaining` is 0, else poll the inner stream and count"
        )
    }
}
