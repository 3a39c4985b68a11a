//! Stage 3: `Interval`, a stream of ticks on the running loop's timers.

use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Interval, Stream};

// TODO(ch09) stage 3: one tick per period, on the loop's timers, one timer armed at a time.
impl Stream for Interval {
    type Item = u64;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<u64>> {
        todo!(
            "Interval::poll_next: on the first poll note the loop and its time; if the next tick \
             is due, yield it (skip missed ones); otherwise store the waker and arm one timer"
        )
    }
}

// TODO(ch09) stage 3: a dropped interval must leave no timer behind on the loop.
impl Drop for Interval {
    fn drop(&mut self) {
        // Cancel the armed timer, if any. (Left empty on purpose, so that a stub that panics in
        // `poll_next` does not panic again while unwinding.)
    }
}
