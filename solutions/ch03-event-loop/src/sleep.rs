//! `sleep`'s `poll`: a future that is a timer on the running loop. The `Sleep` and `Alarm`
//! types, `sleep()` and the `Drop` that cancels the timer are given (the exercise's `given.rs`).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::Handle;
use crate::Sleep;
use crate::given::Alarm;

// ANCHOR: solution_sleep
impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((_, alarm)) = &self.armed {
            if alarm.rang.get() {
                return Poll::Ready(());
            }
            // Keep the waker of the latest poll; skip the clone if it would wake the same task.
            let mut stored = alarm.waker.borrow_mut();
            if !stored.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *stored = Some(cx.waker().clone());
            }
            return Poll::Pending;
        }
        // First poll: arm exactly one timer.
        let handle = Handle::current().expect("sleep() polled outside a running event loop");
        let alarm = Rc::new(Alarm::default());
        *alarm.waker.borrow_mut() = Some(cx.waker().clone());
        let ring = alarm.clone();
        let timer = handle
            .call_later(self.duration, move || {
                ring.rang.set(true);
                // Take the waker out and end the borrow *before* waking: wake after unlocking.
                let waker = ring.waker.borrow_mut().take();
                if let Some(waker) = waker {
                    waker.wake();
                }
            })
            .expect("the running loop refused a timer");
        self.armed = Some((timer, alarm));
        Poll::Pending
    }
}
// ANCHOR_END: solution_sleep
