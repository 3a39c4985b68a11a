//! The chapter's data structures, the `StreamExt` trait that builds the adapters, and `unfold`.
//!
//! This module is given, in the exercise and in the solution alike (the solution compiles this
//! very file): you never edit it. The chapter's work is the behaviour in `lib.rs`,
//! `interval.rs` and `channel.rs`, written against the types here.

// The stub does not use all of this yet; the finished exercise does.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use event_loop::{Handle, TimerHandle};
use tasks::JoinHandle;

/// The trait itself is the `futures` crate's (from `futures-core`, which holds nothing else), so
/// what you write here works with every library that speaks streams.
pub use futures_core::Stream;

// ANCHOR: countdown
/// Counts down from `from` to 1, one number per poll, then ends. Always ready: it never waits.
pub struct Countdown {
    /// The number the next poll yields; 0 once the countdown has ended.
    pub(crate) next: u32,
}

/// A countdown from `from` (`countdown(3)` yields 3, 2, 1, then `None`).
pub fn countdown(from: u32) -> Countdown {
    Countdown { next: from }
}
// ANCHOR_END: countdown

// ANCHOR: ext
/// The methods every stream gets: `next` to await one item, and three adapters. The same shape
/// as `futures::StreamExt` (whose `filter` takes an async predicate; ours, like
/// `tokio_stream::StreamExt::filter`, takes a plain one). You write what these return in
/// `lib.rs`; the constructors here are given.
pub trait StreamExt: Stream {
    /// A future for the next item: `Some(item)`, or `None` once the stream has ended.
    ///
    /// It borrows the stream (`&mut self`), so the stream is still yours after the item
    /// arrives, and polls it through `Pin::new(&mut *stream)`: hence `Self: Unpin`. A stream
    /// that is not `Unpin` must be pinned first (`std::pin::pin!` or `Box::pin`).
    /// Do not change this bound: a compile-fail case relies on it.
    fn next(&mut self) -> Next<'_, Self>
    where
        Self: Unpin,
    {
        Next { stream: self }
    }

    /// Each item passed through `f` (`map(f, aiter)`, one item at a time).
    fn map<T, F>(self, f: F) -> Map<Self, F>
    where
        Self: Sized,
        F: FnMut(Self::Item) -> T,
    {
        Map { stream: self, f }
    }

    /// Only the items for which `keep` returns true.
    fn filter<F>(self, keep: F) -> Filter<Self, F>
    where
        Self: Sized,
        F: FnMut(&Self::Item) -> bool,
    {
        Filter { stream: self, keep }
    }

    /// At most the first `n` items; after the n-th, the inner stream is never polled again.
    fn take(self, n: usize) -> Take<Self>
    where
        Self: Sized,
    {
        Take {
            stream: self,
            remaining: n,
        }
    }
}

impl<S: Stream + ?Sized> StreamExt for S {}

/// The future returned by [`StreamExt::next`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Next<'a, S: ?Sized> {
    pub(crate) stream: &'a mut S,
}

/// The stream returned by [`StreamExt::map`].
#[must_use = "streams do nothing unless polled"]
pub struct Map<S, F> {
    pub(crate) stream: S,
    pub(crate) f: F,
}

/// The stream returned by [`StreamExt::filter`].
#[must_use = "streams do nothing unless polled"]
pub struct Filter<S, F> {
    pub(crate) stream: S,
    pub(crate) keep: F,
}

/// The stream returned by [`StreamExt::take`].
#[must_use = "streams do nothing unless polled"]
pub struct Take<S> {
    pub(crate) stream: S,
    /// How many more items may be handed out.
    pub(crate) remaining: usize,
}
// ANCHOR_END: ext

// ANCHOR: unpin
// An adapter is polled through `Pin<&mut Self>`, and reaches its fields with `get_mut`, which
// needs `Self: Unpin`. The closure is never pinned (it is only ever called through `&mut`), so
// the adapter may move whenever the inner stream may: these say so, for any `F`.
impl<S: Unpin, F> Unpin for Map<S, F> {}
impl<S: Unpin, F> Unpin for Filter<S, F> {}
// ANCHOR_END: unpin

// ANCHOR: interval
/// A stream of ticks on the running loop's timers, one every `period` (see [`interval`]).
/// Each tick is the number of whole periods since the first poll: 1, 2, 3, ... A tick the
/// consumer was too late for is skipped, not replayed, so gaps show (1, 2, 4, 5).
#[must_use = "streams do nothing unless polled"]
pub struct Interval {
    pub(crate) period: Duration,
    /// Set by the first poll: the loop, and the loop time the ticks count from.
    pub(crate) started: Option<(Handle, Duration)>,
    /// Loop time of the next tick.
    pub(crate) next_tick: Duration,
    /// The one timer armed for `next_tick`, if any.
    pub(crate) timer: Option<TimerHandle>,
    /// The waker of the latest poll, shared with the armed timer's callback, which wakes it.
    pub(crate) waker: Rc<RefCell<Option<Waker>>>,
}

/// Ticks every `period` on the loop that polls it, counting from the first poll.
///
/// Panics if `period` is zero (a stream that is always ready would starve the loop). Polling
/// it outside a running loop panics, as `sleep` does.
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "interval: the period must be longer than zero"
    );
    Interval {
        period,
        started: None,
        next_tick: Duration::ZERO,
        timer: None,
        waker: Rc::new(RefCell::new(None)),
    }
}
// ANCHOR_END: interval

// ANCHOR: channel
/// What a [`Sender`] and its [`Receiver`] share. Single-threaded (`Rc`): both live on the loop.
pub(crate) struct Chan<T> {
    /// Sent and not yet received, oldest first.
    pub(crate) queue: VecDeque<T>,
    /// The waker of the receiver's latest `Pending` poll, if it is waiting.
    pub(crate) waker: Option<Waker>,
    /// False once the `Sender` was dropped: after the queue, the stream ends.
    pub(crate) sender_alive: bool,
    /// False once the `Receiver` was dropped: `send` refuses from then on.
    pub(crate) receiver_alive: bool,
}

/// The producer's end of a [`channel`]: `send` never waits (the channel is unbounded).
pub struct Sender<T> {
    pub(crate) chan: Rc<RefCell<Chan<T>>>,
}

/// The consumer's end of a [`channel`]: a stream of what was sent, ending once the `Sender` is
/// dropped and everything sent before that was received.
#[must_use = "streams do nothing unless polled"]
pub struct Receiver<T> {
    pub(crate) chan: Rc<RefCell<Chan<T>>>,
}

/// A single-producer, single-consumer, unbounded channel on one thread.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let chan = Rc::new(RefCell::new(Chan {
        queue: VecDeque::new(),
        waker: None,
        sender_alive: true,
        receiver_alive: true,
    }));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// `send` found the receiver gone: the consumer stopped listening. The value comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the receiver was dropped: nobody is listening any more")
    }
}

impl<T: fmt::Debug> std::error::Error for SendError<T> {}

/// A stream fed by a producer task (see [`spawn_stream`](crate::spawn_stream)). Owning it is
/// owning the producer: dropping it (a `break` out of the consumer's loop) stops the producer.
#[must_use = "streams do nothing unless polled"]
pub struct TaskStream<T> {
    pub(crate) receiver: Receiver<T>,
    pub(crate) producer: JoinHandle<()>,
}
// ANCHOR_END: channel

// ANCHOR: unfold
/// A stream made from a state and an async step: each item is one run of `step(state)`, which
/// returns `Some((item, next_state))`, or `None` to end. The nearest thing to an async
/// generator on stable Rust (`futures::stream::unfold` is the same idea).
///
/// It keeps the step's future *inside itself* while that future is pending, so it is `Unpin`
/// only if that future is; an `async` block's future is not. Pin it before calling `next`.
pub fn unfold<T, F, Fut, Item>(state: T, step: F) -> Unfold<T, F, Fut>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = Option<(Item, T)>>,
{
    Unfold {
        state: Some(state),
        step,
        pending: None,
    }
}

/// The stream returned by [`unfold`].
#[must_use = "streams do nothing unless polled"]
pub struct Unfold<T, F, Fut> {
    /// The state between steps; `None` while a step runs, and once the stream has ended.
    state: Option<T>,
    step: F,
    /// The running step. Structurally pinned: it is polled in place, never moved.
    pending: Option<Fut>,
}

impl<T, F, Fut, Item> Stream for Unfold<T, F, Fut>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = Option<(Item, T)>>,
{
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        // SAFETY: `pending` is the only field treated as pinned, and it is never moved out of
        // `self`: it is polled through `Pin::new_unchecked` below and only ever replaced by
        // assignment, which drops the old future in place first (what `Pin::set` does). The
        // other fields are not pinned, so moving them (`state.take()`) is fine. `Unfold` has no
        // `Drop` impl that could move `pending`, and it is `Unpin` only when `Fut` is (auto trait).
        let this = unsafe { self.get_unchecked_mut() };
        if this.pending.is_none() {
            match this.state.take() {
                Some(state) => this.pending = Some((this.step)(state)),
                // Ended: stays ended (the stream is fused).
                None => return Poll::Ready(None),
            }
        }
        let pending = this.pending.as_mut().expect("a step is running");
        // SAFETY: see above; `pending` stays where it is until it is dropped in place.
        let step = unsafe { Pin::new_unchecked(pending) };
        match step.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(output) => {
                this.pending = None;
                match output {
                    Some((item, next)) => {
                        this.state = Some(next);
                        Poll::Ready(Some(item))
                    }
                    None => Poll::Ready(None),
                }
            }
        }
    }
}
// ANCHOR_END: unfold
