//! Chapter 2's tracing executor as a whole program, std-only so that the book's ▶ button can run
//! it on the Rust playground: a waker that sends on a channel, an executor that sleeps on the
//! channel between polls, and a future that a worker thread completes and wakes.
//! `cargo run -p hand-futures-listings --example executor` runs it locally. The listing library
//! compiles this same file as its module `executor` (`#[path]` in src/executor.rs), so
//! `ch02-poll-trace` runs this `ChannelWaker` and `run_traced` too.

use std::fmt::Debug;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

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

/// What a worker thread and the future waiting for it share: whether the work is done, and the
/// waker of the last poll, for the worker to wake.
type Shared = Arc<Mutex<(bool, Option<Waker>)>>;

/// Ready once the worker has set the shared flag. Each `Pending` first stores the waker the
/// worker will wake: that is the promise every `Pending` makes.
struct WorkerDone {
    shared: Shared,
}

impl Future for WorkerDone {
    type Output = &'static str;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        let mut shared = self.shared.lock().unwrap();
        if shared.0 {
            return Poll::Ready("the worker's result");
        }
        shared.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}

fn main() {
    let shared: Shared = Arc::new(Mutex::new((false, None)));
    // The worker starts only once the future has returned `Pending`, so the output is the same
    // on every run.
    let (go, wait_for_go) = mpsc::channel::<()>();
    let worker = {
        let shared = shared.clone();
        thread::spawn(move || {
            wait_for_go.recv().unwrap();
            println!("worker thread: done; waking the waker");
            // Set the flag under the lock; wake after releasing it, so that the poll the wake
            // causes does not have to wait for this lock.
            let waker = {
                let mut shared = shared.lock().unwrap();
                shared.0 = true;
                shared.1.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        })
    };

    let (inner, woken) = ChannelWaker::new();
    let waker = Waker::from(inner);
    let mut go = Some(go);
    run_traced(WorkerDone { shared }, &waker, &woken, || {
        if let Some(go) = go.take() {
            go.send(()).unwrap();
        }
    });
    worker.join().unwrap();
}
