//! `sleep`: a future that is a timer on the running loop.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::{Handle, TimerHandle};

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
struct Alarm {
    rang: Cell<bool>,
    /// The waker of the latest poll: a future may be polled with a different waker each time.
    waker: RefCell<Option<Waker>>,
}
// ANCHOR_END: sleep

// ANCHOR: solution_sleep
impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((_, alarm)) = &self.armed {
            if alarm.rang.get() {
                return Poll::Ready(());
            }
            *alarm.waker.borrow_mut() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let handle = Handle::current().expect("sleep() polled outside a running event loop");
        let alarm = Rc::new(Alarm::default());
        *alarm.waker.borrow_mut() = Some(cx.waker().clone());
        let ring = alarm.clone();
        let timer = handle
            .call_later(self.duration, move || {
                ring.rang.set(true);
                if let Some(waker) = ring.waker.borrow_mut().take() {
                    waker.wake();
                }
            })
            .expect("the running loop refused a timer");
        self.armed = Some((timer, alarm));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some((timer, _)) = &self.armed {
            timer.cancel();
        }
    }
}
// ANCHOR_END: solution_sleep
