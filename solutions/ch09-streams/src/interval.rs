//! Stage 3: `Interval`, a stream of ticks on the running loop's timers.

use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use event_loop::Handle;

use crate::{Interval, Stream};

// ANCHOR: solution_interval
impl Stream for Interval {
    type Item = u64;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        let this = self.get_mut();
        let (handle, start) = match &this.started {
            Some((handle, start)) => (handle.clone(), *start),
            None => {
                let handle =
                    Handle::current().expect("an Interval must be polled on a running event loop");
                let start = handle.time().expect("the running loop is alive");
                this.next_tick = start + this.period;
                this.started = Some((handle.clone(), start));
                (handle, start)
            }
        };
        let now = handle.time().expect("the running loop is alive");
        if now >= this.next_tick {
            // Due (or overdue): one tick now, numbered by the periods elapsed, and the next
            // one at the next multiple of the period. Missed ticks are skipped, not replayed.
            // (No `Duration / Duration`: whole periods by dividing nanoseconds, as a `u32`
            // because `Duration * u32` is the integer multiplication `Duration` has.)
            let elapsed = u32::try_from((now - start).as_nanos() / this.period.as_nanos())
                .expect("fewer than 2^32 periods have passed");
            this.next_tick = start + this.period * (elapsed + 1);
            // Its timer has fired (or is about to, if it was a poll that came first):
            // cancelling is a no-op then, and otherwise frees it now.
            if let Some(timer) = this.timer.take() {
                timer.cancel();
            }
            return Poll::Ready(Some(u64::from(elapsed)));
        }
        // Not due: the latest waker goes where the timer's callback finds it...
        *this.waker.borrow_mut() = Some(cx.waker().clone());
        // ...and one timer is armed for this tick, however often we are polled before it.
        if this.timer.is_none() {
            let waker = Rc::clone(&this.waker);
            let timer = handle
                .call_at(this.next_tick, move || {
                    // Take the waker out, end the borrow, then wake.
                    let waker = waker.borrow_mut().take();
                    if let Some(waker) = waker {
                        waker.wake();
                    }
                })
                .expect("the running loop accepts timers");
            this.timer = Some(timer);
        }
        Poll::Pending
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        // A dropped interval leaves nothing behind on the loop: the timer and its callback go.
        if let Some(timer) = self.timer.take() {
            timer.cancel();
        }
    }
}
// ANCHOR_END: solution_interval
