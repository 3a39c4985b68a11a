//! Pin projection as a whole program, std-only so that the book's ▶ button can run it on the
//! Rust playground: `Counted` wraps a future that is not `Unpin` (an async block holding a
//! reference to its own local across an `.await`) and reaches it through the pin.
//! `cargo run -p hand-futures-listings --example counted` runs it locally. The listing library
//! compiles this same file as part of its module `pin` (`#[path]` in src/pin.rs) and tests
//! `Counted` there.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

// ANCHOR: projection
/// Wraps a future and counts how often it was polled: a hand-written future that holds a child
/// future, as chapter 5's `timeout` and `select` do. `F` may be `!Unpin`, so `Counted` may be
/// too: the auto trait makes `Counted<F>: Unpin` exactly when `F: Unpin`, which is what the
/// projection below needs (rule 1 below). Do not write `impl<F> Unpin for Counted<F>`.
pub struct Counted<F> {
    inner: F,  // structurally pinned: when the Counted is pinned, so is `inner`
    polls: u32, // not pinned: a plain counter that may be changed through `&mut`
}

impl<F> Counted<F> {
    pub fn new(inner: F) -> Self {
        Counted { inner, polls: 0 }
    }

    /// The pin projection: from a pinned `Counted` to a pinned `inner` and a plain `&mut polls`.
    fn project(self: Pin<&mut Self>) -> (Pin<&mut F>, &mut u32) {
        // SAFETY: `get_unchecked_mut` hands out `&mut Self`, which we promise not to use to move
        // anything out of the pinned `Counted`. We only split it into its two fields: `inner`
        // goes back behind a `Pin` at once (it is pinned because `self` is: `Counted` has no
        // `Drop` that moves it, no method that moves it out of a pinned `Counted`, and is
        // `Unpin` only when `F` is), and `polls` is never pinned, so `&mut u32` is fine.
        unsafe {
            let this = self.get_unchecked_mut();
            (Pin::new_unchecked(&mut this.inner), &mut this.polls)
        }
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = (F::Output, u32);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (inner, polls) = self.project();
        *polls += 1;
        match inner.poll(cx) {
            Poll::Ready(output) => Poll::Ready((output, *polls)),
            Poll::Pending => Poll::Pending,
        }
    }
}
// ANCHOR_END: projection

/// Returns `Pending` once, waking its waker at once, then `Ready(())`: an `.await` that pauses
/// the future around it for exactly one poll, as chapter 2's `YieldNow` does.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true; // `YieldOnce` is `Unpin`, so `Pin<&mut Self>` gives `&mut` freely
        cx.waker().wake_by_ref(); // keep the promise: ask to be polled again
        Poll::Pending
    }
}

fn main() {
    // An async block's future is never `Unpin`; this one also refers to its own local `names`
    // across the `.await`, so moving it after the first poll would really break it.
    let child = async {
        let names = [String::from("alice"), String::from("bob")];
        let first = &names[0];
        YieldOnce { yielded: false }.await;
        format!("hello, {first}")
    };
    // Pin the wrapper on the stack; `Counted::poll` projects that pin onto the child.
    let mut counted = pin!(Counted::new(child));
    // The child's wake goes to `Waker::noop()` and is lost; we poll again anyway, because we know
    // `YieldOnce` is ready on its second poll. An executor waits for the wake instead (chapter
    // 2's `block_on`).
    let mut cx = Context::from_waker(Waker::noop());
    println!("poll 1 -> {:?}", counted.as_mut().poll(&mut cx));
    println!("poll 2 -> {:?}", counted.as_mut().poll(&mut cx));
}
