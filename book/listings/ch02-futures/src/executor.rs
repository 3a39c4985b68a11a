//! A tiny executor that prints each poll and each wake: the poll/wake cycle made visible.
//! Its waker sends a message on a channel; the executor sleeps on the channel between polls.

use std::fmt::Debug;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::task::{Context, Poll, Wake, Waker};

// ANCHOR: channel_waker
/// A waker that delivers each wake as a message on a channel: "poll that task again".
pub struct ChannelWaker {
    tx: Sender<()>,
}

impl ChannelWaker {
    /// The waker's state, and the receiving end the executor sleeps on.
    pub fn new() -> (Arc<ChannelWaker>, Receiver<()>) {
        let (tx, rx) = mpsc::channel();
        (Arc::new(ChannelWaker { tx }), rx)
    }

    /// What every wake does, from whichever thread it comes.
    pub fn notify(&self) {
        // An error means the executor has returned and dropped the receiver: nobody is left to
        // poll, so there is nobody to tell.
        let _ = self.tx.send(());
    }
}

/// `Wake` is the safe way to make a `Waker`: implement it for a type, put a value in an `Arc`,
/// and `Waker::from(arc)` does the rest (cloning the waker clones the `Arc`).
impl Wake for ChannelWaker {
    /// Called with the waker consumed (`waker.wake()`).
    fn wake(self: Arc<Self>) {
        self.notify();
    }

    /// Called through a reference (`waker.wake_by_ref()`). The default would clone the `Arc`
    /// and call `wake`; doing the work here saves that.
    fn wake_by_ref(self: &Arc<Self>) {
        self.notify();
    }
}
// ANCHOR_END: channel_waker

// ANCHOR: run_traced
/// Polls `future` to completion, printing each poll and wake. Between polls it sleeps on
/// `woken` until a wake arrives; `after_pending` runs each time the future returns `Pending`.
///
/// If the future returns `Pending` without arranging a wake, this sleeps forever: the future
/// broke its promise, and no executor can know that it will never be woken.
pub fn run_traced<F>(
    future: F,
    waker: &Waker,
    woken: &Receiver<()>,
    mut after_pending: impl FnMut(),
) -> F::Output
where
    F: Future,
    F::Output: Debug,
{
    let mut future = pin!(future);
    let mut cx = Context::from_waker(waker);
    let mut polls = 0;
    loop {
        polls += 1;
        println!("poll {polls}");
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => {
                println!("  -> Ready({output:?})");
                return output;
            }
            Poll::Pending => println!("  -> Pending: sleeping until a wake arrives"),
        }
        after_pending();
        woken.recv().expect("the waker's channel closed while the future was pending");
        println!("woken");
    }
}
// ANCHOR_END: run_traced
