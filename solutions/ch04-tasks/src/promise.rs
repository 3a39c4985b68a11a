//! A oneshot promise (asyncio's bare `Future` with `set_result`) and the callback-to-async bridge.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use event_loop::Handle;

use crate::legacy::{self, LookupError};

/// The awaiting side of [`promise`]: a future of the value the [`Resolver`] sends.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Promise<T> {
    slot: Rc<RefCell<Slot<T>>>,
}

/// The sending side of [`promise`]: resolves it once, or breaks it by being dropped.
pub struct Resolver<T> {
    slot: Rc<RefCell<Slot<T>>>,
}

/// The resolver was dropped without resolving the promise (asyncio's bare `Future` would just
/// never complete; here the awaiting task learns of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenPromise;

impl fmt::Display for BrokenPromise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the promise's resolver was dropped without resolving it")
    }
}

impl std::error::Error for BrokenPromise {}

// ANCHOR: solution_promise
/// What both sides share.
struct Slot<T> {
    value: Option<T>,
    /// The waker of the promise's latest pending poll.
    waker: Option<Waker>,
    resolver_dropped: bool,
    promise_dropped: bool,
}

/// A promise and the resolver that completes it.
pub fn promise<T>() -> (Resolver<T>, Promise<T>) {
    let slot = Rc::new(RefCell::new(Slot {
        value: None,
        waker: None,
        resolver_dropped: false,
        promise_dropped: false,
    }));
    (Resolver { slot: slot.clone() }, Promise { slot })
}

impl<T> Resolver<T> {
    /// Completes the promise with `value` and wakes whoever awaits it (`set_result`). If the
    /// promise was dropped, nobody can receive the value: it comes back as `Err(value)`.
    pub fn resolve(self, value: T) -> Result<(), T> {
        let waker = {
            let mut slot = self.slot.borrow_mut();
            if slot.promise_dropped {
                return Err(value);
            }
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl<T> Drop for Resolver<T> {
    fn drop(&mut self) {
        let waker = {
            let mut slot = self.slot.borrow_mut();
            slot.resolver_dropped = true;
            slot.waker.take()
        };
        // After `resolve` the waker is already taken; otherwise the awaiting task must learn
        // that no value will ever come.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Promise<T> {
    type Output = Result<T, BrokenPromise>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.borrow_mut();
        if let Some(value) = slot.value.take() {
            return Poll::Ready(Ok(value));
        }
        if slot.resolver_dropped {
            return Poll::Ready(Err(BrokenPromise));
        }
        slot.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<T> Drop for Promise<T> {
    fn drop(&mut self) {
        self.slot.borrow_mut().promise_dropped = true;
    }
}
// ANCHOR_END: solution_promise

// ANCHOR: solution_bridge
/// [`legacy::lookup`] as an `async fn`, on the running loop: its callback resolves a promise,
/// and this function awaits the promise.
pub async fn lookup_async(host: &str) -> Result<Ipv4Addr, LookupError> {
    let handle = Handle::current().expect("lookup_async polled outside a running event loop");
    let (resolver, promise) = promise();
    let callback = move |answer| {
        // Err: the caller stopped waiting (dropped this future); the answer has nowhere to go.
        let _ = resolver.resolve(answer);
    };
    if legacy::lookup(&handle, host, callback).is_err() {
        return Err(LookupError::NoAnswer);
    }
    // A broken promise: the service dropped the callback unanswered (its loop closed).
    promise.await.unwrap_or(Err(LookupError::NoAnswer))
}
// ANCHOR_END: solution_bridge
