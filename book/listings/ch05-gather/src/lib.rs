//! Chapter 5 teaching code: a join that re-polls every child on any wake (and what that costs),
//! a join of two futures of different types, a flag that makes many notifications one, and
//! what dropping a half-done future loses (cancellation safety).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

// ANCHOR: naive
/// The first join anyone writes: every child is polled with the parent's own waker, so a wake
/// says "something is ready" but not *what*, and every unfinished child is polled again.
pub async fn naive_join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    // Boxed and pinned: a child may be `!Unpin`, and `poll` needs `Pin<&mut F>`.
    let mut children: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = children.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut all_done = true;
        for (child, output) in children.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match child.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("every child finished")).collect()
}
// ANCHOR_END: naive

// ANCHOR: join2
/// Two futures of *different* types, run concurrently in the caller's task: the answer when
/// `join_all`'s one-type `Vec` does not fit. Its output is a tuple, so each child keeps its own
/// output type. (`futures::join!` and `tokio::join!` are this, for any fixed number of futures.)
pub async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    // Pinned where they are, on this future's own state: `pin!` needs no allocation, and the
    // two futures stay put until `join2` finishes (see chapter 2b).
    let mut a = pin!(a);
    let mut b = pin!(b);
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        // Two children: re-polling both on any wake costs at most one useless poll.
        if out_a.is_none()
            && let Poll::Ready(value) = a.as_mut().poll(cx)
        {
            out_a = Some(value);
        }
        if out_b.is_none()
            && let Poll::Ready(value) = b.as_mut().poll(cx)
        {
            out_b = Some(value);
        }
        if out_a.is_some() && out_b.is_some() { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    (out_a.expect("a finished"), out_b.expect("b finished"))
}
// ANCHOR_END: join2

// ANCHOR: coalesce
/// One visitor's doorbell, beside a list shared by every doorbell. Rings that come before the
/// visitor is let in count as one: `rang` is raised by the first ring, and lowered just
/// *before* the visitor is let in, so a ring that comes while they are inside lists them again.
pub struct Doorbell {
    name: &'static str,
    rang: AtomicBool,
    list: Arc<Mutex<Vec<&'static str>>>,
}

impl Doorbell {
    pub fn new(name: &'static str, list: Arc<Mutex<Vec<&'static str>>>) -> Self {
        Doorbell { name, rang: AtomicBool::new(false), list }
    }

    /// Lists the visitor, unless they are listed already. Returns whether this ring listed them.
    pub fn ring(&self) -> bool {
        if self.rang.swap(true, Ordering::SeqCst) {
            return false; // listed already, and not let in yet: nothing to add
        }
        self.list.lock().unwrap().push(self.name);
        true
    }

    /// Called just before the visitor is let in: from now on, a ring lists them again.
    pub fn let_in(&self) {
        self.rang.store(false, Ordering::SeqCst);
    }
}
// ANCHOR_END: coalesce

// ANCHOR: inbox
/// A queue of messages on one thread, with a future that takes the next one.
#[derive(Default)]
pub struct Inbox {
    messages: RefCell<VecDeque<String>>,
    waiter: RefCell<Option<Waker>>,
}

impl Inbox {
    pub fn send(&self, message: &str) {
        self.messages.borrow_mut().push_back(message.to_owned());
        let waiter = self.waiter.borrow_mut().take();
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// Cancel-safe: a message is taken out only in the poll that returns it, so dropping the
    /// future before that loses nothing.
    pub async fn recv(&self) -> String {
        poll_fn(|cx: &mut Context<'_>| match self.messages.borrow_mut().pop_front() {
            Some(message) => Poll::Ready(message),
            None => {
                *self.waiter.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }

    /// *Not* cancel-safe: after the first `recv`, the first message lives only in this
    /// future's state. Drop the future while it waits for the second, and the first is gone.
    pub async fn recv_pair(&self) -> (String, String) {
        let first = self.recv().await;
        let second = self.recv().await;
        (first, second)
    }
}

/// Whichever of two futures finishes first; the other is dropped. (`tokio::select!` with two
/// branches.) `Left`/`Right` say which one won.
pub enum Either<L, R> {
    Left(L),
    Right(R),
}

pub async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(value) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(value));
        }
        if let Poll::Ready(value) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(value));
        }
        Poll::Pending
    })
    .await
}
// ANCHOR_END: inbox

/// Shared by the cancellation-safety demo's sender and receiver.
pub type SharedInbox = Rc<Inbox>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem;
    use event_loop::{VirtualClock, run_with_clock, sleep};
    use std::cell::Cell;
    use std::time::Duration;

    struct Counted<F>(Pin<Box<F>>, Rc<Cell<usize>>);
    impl<F: Future> Future for Counted<F> {
        type Output = F::Output;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            self.1.set(self.1.get() + 1);
            self.0.as_mut().poll(cx)
        }
    }

    /// 100 children that each wake once, at their own time: 2 polls each would do; the naive
    /// join makes 100 + 100 + 99 + ... + 2 = 5150.
    #[test]
    fn the_naive_join_polls_quadratically() {
        let polls = Rc::new(Cell::new(0));
        let children: Vec<_> = (1..=100u64)
            .map(|i| Counted(Box::pin(sleep(Duration::from_millis(i))), polls.clone()))
            .collect();
        run_with_clock(VirtualClock::new(), naive_join_all(children)).unwrap();
        assert_eq!(polls.get(), 5150, "100 first polls, then every unfinished child at each of 100 wakes");
    }

    #[test]
    fn join2_runs_two_types_concurrently() {
        let clock = VirtualClock::new();
        let (out, took) = run_with_clock(clock.clone(), async {
            let a = async {
                sleep(Duration::from_secs(2)).await;
                1u8
            };
            let b = async {
                sleep(Duration::from_secs(1)).await;
                "b"
            };
            let out = join2(a, b).await;
            (out, event_loop::Handle::current().unwrap().time().unwrap())
        })
        .unwrap();
        assert_eq!(out, (1, "b"));
        assert_eq!(took, Duration::from_secs(2), "the longest, not the sum");
    }

    #[test]
    fn a_doorbell_lists_its_visitor_once_until_let_in() {
        let list = Arc::new(Mutex::new(Vec::new()));
        let (a, b) = (Doorbell::new("a", list.clone()), Doorbell::new("b", list.clone()));
        assert!(a.ring());
        assert!(!a.ring(), "a second ring before the visitor is let in is not listed");
        assert!(b.ring(), "another visitor has a bell of their own");
        assert_eq!(mem::take(&mut *list.lock().unwrap()), ["a", "b"]);
        a.let_in();
        assert!(a.ring(), "once let in, a ring lists the visitor again");
    }
}
