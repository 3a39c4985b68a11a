//! A result placeholder: a future whose value is set from outside, by a callback or by another
//! thread: asyncio's `Future` with `set_result`, reduced to its core.
//!
//! Dropping the `Setter` without setting leaves the `Slot` pending forever; chapter 4's oneshot
//! channel handles that case.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

// ANCHOR: slot
/// What the two halves share: the value once it is set, and the waker of whoever waits for it.
struct Shared<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// The waiting half: a future that is ready once the [`Setter`] has set the value.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Slot<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

/// The completing half, like `future.set_result(...)` in asyncio.
pub struct Setter<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

/// A new, empty slot and the setter that fills it.
pub fn slot<T>() -> (Slot<T>, Setter<T>) {
    let shared = Arc::new(Mutex::new(Shared { value: None, waker: None }));
    (Slot { shared: shared.clone() }, Setter { shared })
}

impl<T> Future for Slot<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut shared = self.shared.lock().unwrap();
        if let Some(value) = shared.value.take() {
            return Poll::Ready(value);
        }
        // Not set yet. Before saying Pending, leave our waker where the setter will find it:
        // that is how the promise "someone will wake you" is kept. Keep the waker of *this*
        // poll: the future may have moved to another task since the last one, and a wake of
        // the old waker would reach nobody who polls us. `will_wake` says cheaply whether the
        // stored one would wake the same task, so the clone is skipped in the common case.
        match &mut shared.waker {
            Some(stored) if stored.will_wake(cx.waker()) => {}
            stored => *stored = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Setter<T> {
    /// Stores `value` and wakes the waiting future, if it has been polled already.
    /// Taking `self` by value means the result can be set only once.
    pub fn set_result(self, value: T) {
        let waker = {
            let mut shared = self.shared.lock().unwrap();
            shared.value = Some(value);
            shared.waker.take()
        };
        // Wake after unlocking: the woken task may poll (and lock) at once, on another thread.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
// ANCHOR_END: slot

#[cfg(test)]
mod tests {
    use super::*;
    use course_support::{CountingWaker, poll_once};

    #[test]
    fn pending_until_set_then_ready_and_woken_once() {
        let (mut future, setter) = slot();
        let (waker, wakes) = CountingWaker::new();
        assert_eq!(poll_once(&mut future, &waker), Poll::Pending);
        assert_eq!(wakes.wakes(), 0);
        std::thread::spawn(move || setter.set_result(200)).join().unwrap();
        assert_eq!(wakes.wakes(), 1, "set_result wakes the stored waker");
        assert_eq!(poll_once(&mut future, &waker), Poll::Ready(200));
    }

    #[test]
    fn polled_again_with_a_new_waker_wakes_the_new_one() {
        let (mut future, setter) = slot();
        let (old, old_wakes) = CountingWaker::new();
        let (new, new_wakes) = CountingWaker::new();
        assert_eq!(poll_once(&mut future, &old), Poll::Pending);
        assert_eq!(poll_once(&mut future, &new), Poll::Pending);
        setter.set_result(1);
        assert_eq!(
            (old_wakes.wakes(), new_wakes.wakes()),
            (0, 1),
            "set_result must wake the waker of the latest poll, not the first one"
        );
    }

    #[test]
    fn set_before_the_first_poll_is_ready_at_once() {
        let (mut future, setter) = slot();
        setter.set_result("early");
        let (waker, wakes) = CountingWaker::new();
        assert_eq!(poll_once(&mut future, &waker), Poll::Ready("early"));
        assert_eq!(wakes.wakes(), 0, "nobody was waiting, so nobody was woken");
    }
}
