//! Stage 4: a oneshot promise (asyncio's bare `Future` with `set_result`) and the
//! callback-to-async bridge.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[allow(unused_imports)]
use event_loop::Handle;

#[allow(unused_imports)]
use crate::legacy::{self, LookupError};

/// The awaiting side of [`promise`]: a future of the value the [`Resolver`] sends.
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[allow(dead_code)]
pub struct Promise<T> {
    slot: Rc<RefCell<Slot<T>>>,
}

/// The sending side of [`promise`]: resolves it once, or breaks it by being dropped.
#[allow(dead_code)]
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

/// What both sides share.
#[allow(dead_code)]
struct Slot<T> {
    value: Option<T>,
    /// The waker of the promise's latest pending poll.
    waker: Option<Waker>,
    resolver_dropped: bool,
    promise_dropped: bool,
}

/// A promise and the resolver that completes it.
pub fn promise<T>() -> (Resolver<T>, Promise<T>) {
    // TODO(ch04) stage 4: one Slot, shared by both sides.
    todo!("promise: a Resolver and a Promise sharing one empty Slot")
}

impl<T> Resolver<T> {
    /// Completes the promise with `value` and wakes whoever awaits it (`set_result`). If the
    /// promise was dropped, nobody can receive the value: it comes back as `Err(value)`.
    pub fn resolve(self, value: T) -> Result<(), T> {
        let _ = value;
        // TODO(ch04) stage 4: store the value, wake the stored waker (outside the borrow).
        todo!("Resolver::resolve: store the value and wake the awaiting task")
    }
}

// TODO(ch04) stage 4: a dropped Resolver that never resolved must not leave the awaiting task
// pending forever: add `impl<T> Drop for Resolver<T>` (mark the slot, wake the waker). And add
// `impl<T> Drop for Promise<T>`, so `resolve` can tell that nobody is listening any more.

impl<T> Future for Promise<T> {
    type Output = Result<T, BrokenPromise>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let _ = cx;
        // TODO(ch04) stage 4: the value, or BrokenPromise, or store the waker and wait.
        todo!("Promise::poll: Ready with the value (or BrokenPromise), else store the waker")
    }
}

/// [`legacy::lookup`] as an `async fn`, on the running loop: its callback resolves a promise,
/// and this function awaits the promise. A lookup the service never answers (its loop closed)
/// is `Err(LookupError::NoAnswer)`.
pub async fn lookup_async(host: &str) -> Result<Ipv4Addr, LookupError> {
    let _ = host;
    // TODO(ch04) stage 4: make a promise, give legacy::lookup a callback that resolves it,
    // await the promise.
    todo!("lookup_async: legacy::lookup with a callback that resolves a promise, then await it")
}
