//! The shape of `std::future::Future` and `std::task::Poll`, written out so the page can show
//! them next to chapter 1's `Coroutine`. Real code uses the ones in `std`.

use std::pin::Pin;
use std::task::Context;

// ANCHOR: poll
/// What one call to [`Future::poll`] produced. Chapter 1's `CoroutineState`, minus the yielded
/// value: a future that pauses hands nothing out, it only says "not yet".
pub enum Poll<T> {
    /// Finished, with the result.
    Ready(T),
    /// Not finished. Contract: whoever returns this has arranged for `cx.waker()` to be called
    /// when polling again can make progress.
    Pending,
}
// ANCHOR_END: poll

// ANCHOR: future
/// A value that will exist later, and the steps to produce it.
pub trait Future {
    /// What the future produces when it finishes (`Coroutine::Return` in chapter 1).
    type Output;

    /// Runs from where the future last paused to its next pause or to its end
    /// (`Coroutine::resume`). `cx` carries the waker to call when it is worth polling again.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output>;
}
// ANCHOR_END: future
