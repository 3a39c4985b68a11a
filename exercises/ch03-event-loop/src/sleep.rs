//! `sleep`: a future that is a timer on the running loop.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[allow(unused_imports)] // for the poll you write
use crate::Handle;
use std::time::Duration;

use crate::TimerHandle;

// ANCHOR: sleep
/// A future that completes once `duration` has passed on the loop that polls it
/// (asyncio's `await asyncio.sleep(d)`). Nothing happens until it is first polled; the
/// countdown starts then. Dropping it cancels its timer.
///
/// Panics if polled outside a running [`EventLoop`](crate::EventLoop): there is no timer heap
/// to join (asyncio raises `RuntimeError: no running event loop`).
pub fn sleep(duration: Duration) -> Sleep {
    Sleep { duration, armed: None }
}

/// The future returned by [`sleep`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    duration: Duration,
    /// Set by the first poll: the timer, and what it shares with its callback.
    armed: Option<(TimerHandle, Rc<Alarm>)>,
}

/// Shared by a `Sleep` and its timer callback.
#[derive(Default)]
#[allow(dead_code)]
struct Alarm {
    rang: Cell<bool>,
    /// The waker of the latest poll: a future may be polled with a different waker each time.
    waker: RefCell<Option<Waker>>,
}
// ANCHOR_END: sleep

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let _ = (cx, self.duration);
        // TODO(ch03): first poll: arm a timer on the running loop (`Handle::current()`) whose
        // callback marks the alarm rung and wakes the latest waker. Later polls: rung yet?
        todo!("Sleep::poll: arm a timer on the first poll, then wait for it to ring")
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // A sleep dropped before it rang takes its timer with it.
        if let Some((timer, _)) = &self.armed {
            timer.cancel();
        }
    }
}
