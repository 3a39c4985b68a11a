//! Chapter 3 teaching code. Small on purpose: each piece shows one idea the chapter's loop
//! needs, without being the loop. The exercise's answers are not here.

// ANCHOR: toy
use std::collections::VecDeque;

/// A queued callback: it gets the loop, so it can queue more.
type ToyCallback = Box<dyn FnOnce(&mut ToyLoop)>;

/// The smallest loop there is: a queue of callbacks, run oldest first until it is empty.
/// A callback gets the loop itself, so it can queue more work.
#[derive(Default)]
pub struct ToyLoop {
    ready: VecDeque<ToyCallback>,
}

impl ToyLoop {
    pub fn call_soon(&mut self, callback: impl FnOnce(&mut ToyLoop) + 'static) {
        self.ready.push_back(Box::new(callback));
    }

    /// Runs callbacks until none is left, and says how many ran.
    pub fn run_until_empty(&mut self) -> usize {
        let mut ran = 0;
        while let Some(callback) = self.ready.pop_front() {
            callback(self);
            ran += 1;
        }
        ran
    }
}
// ANCHOR_END: toy

// ANCHOR: min_heap
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The order in which alarms set for these wake-up times (in seconds) go off.
///
/// `BinaryHeap` always pops its greatest element. Wrapping each time in `Reverse` flips the
/// comparison, so the greatest `Reverse(t)` is the smallest `t`: the heap becomes a min-heap.
pub fn alarm_order(wake_up_times: &[u64]) -> Vec<u64> {
    let mut heap: BinaryHeap<Reverse<u64>> = wake_up_times.iter().copied().map(Reverse).collect();
    let mut order = Vec::new();
    while let Some(Reverse(t)) = heap.pop() {
        order.push(t);
    }
    order
}
// ANCHOR_END: min_heap

// ANCHOR: catch
use std::panic::{self, AssertUnwindSafe};

/// Runs `work`; if it panics, returns the panic's message instead of unwinding further.
pub fn run_catching(work: impl FnOnce()) -> Result<(), String> {
    // AssertUnwindSafe: we promise not to look at anything `work` may have left half-updated.
    panic::catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "<not a string>".into())
    })
}
// ANCHOR_END: catch

// ANCHOR: borrow
use std::cell::RefCell;
use std::rc::Rc;

/// A queue of jobs, shared (as the loop's state is) by everyone who may add one.
pub type Jobs = Rc<RefCell<VecDeque<Box<dyn FnOnce()>>>>;

/// WRONG: the `RefMut` made in the `while let` line lives until the end of each pass, so the
/// queue is still borrowed while `job()` runs. A job that queues another job borrows it a
/// second time, and `RefCell` panics: "already borrowed".
pub fn run_jobs_holding_the_borrow(jobs: &Jobs) {
    while let Some(job) = jobs.borrow_mut().pop_front() {
        job();
    }
}

/// Right: the borrow is a temporary of its own statement and ends at the `;`. Nothing is
/// borrowed while the job runs, so the job may use the queue.
pub fn run_jobs_releasing_the_borrow(jobs: &Jobs) {
    loop {
        let next = jobs.borrow_mut().pop_front();
        let Some(job) = next else { break };
        job();
    }
}
// ANCHOR_END: borrow

// ANCHOR: guard
use std::cell::Cell;

/// Something that may not be entered twice, like a loop's `run_forever`.
#[derive(Default)]
pub struct Door {
    inside: Cell<bool>,
}

/// Proof that someone is inside. Its `Drop` lets them out, on every way out of the scope
/// that holds it: a `return`, a `?`, the end of the block, or a panic unwinding through it.
struct Inside<'a> {
    door: &'a Door,
}

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        self.door.inside.set(false);
    }
}

impl Door {
    /// Runs `work` inside, unless someone already is.
    pub fn enter(&self, work: impl FnOnce()) -> Result<(), &'static str> {
        if self.inside.get() {
            return Err("already inside");
        }
        self.inside.set(true);
        let _inside = Inside { door: self }; // dropped last, however this function ends
        work();
        Ok(())
    }

    pub fn is_occupied(&self) -> bool {
        self.inside.get()
    }
}
// ANCHOR_END: guard

// ANCHOR: wrapper
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Waker};

/// One non-generic step, as the loop's `run_once` is: it polls "some future with no output",
/// whatever the caller's future was. (A real loop polls when woken; this demo just retries.)
fn step(future: Pin<&mut dyn Future<Output = ()>>) -> bool {
    future.poll(&mut Context::from_waker(Waker::noop())).is_ready()
}

/// Drives any future to completion through `step`, and returns its output.
pub fn drive<F: Future>(future: F) -> F::Output {
    let mut output = None;
    {
        let slot = &mut output;
        // The wrapper awaits the caller's future and parks the output in `output`. Its own
        // output is `()`, so `step` needs no type parameter. `pin!` pins it on this stack
        // frame: it borrows `output`, and it must not move once polled.
        let mut wrapped = pin!(async move { *slot = Some(future.await) });
        while !step(wrapped.as_mut()) {}
    } // the wrapper, and its borrow of `output`, end here
    output.expect("the wrapper completed, so it stored the output")
}
// ANCHOR_END: wrapper

// ANCHOR: latest_waker
/// Keeps the waker of the latest poll. `will_wake` is true when the stored waker would wake
/// the same task anyway: then the clone (an atomic increment, or worse) is skipped.
pub fn remember_waker(slot: &RefCell<Option<Waker>>, cx: &Context<'_>) {
    let mut stored = slot.borrow_mut();
    if !stored.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        *stored = Some(cx.waker().clone());
    }
}

/// Wake after unlocking: take the waker out in a statement of its own, so the borrow has ended
/// before `wake` runs whatever the waker does (which may be to poll the same future again).
pub fn ring(slot: &RefCell<Option<Waker>>) {
    let waker = slot.borrow_mut().take();
    if let Some(waker) = waker {
        waker.wake();
    }
}
// ANCHOR_END: latest_waker

// ANCHOR: ready_never_yields
/// An `async fn` that awaits a thousand futures, each of them already complete.
pub async fn thousand_ready_awaits() -> u32 {
    let mut total = 0;
    for i in 0..1000 {
        total += std::future::ready(i % 2).await; // ready: no Pending, so no yield
    }
    total
}

/// How many polls a future takes to complete, polled with a waker that does nothing.
pub fn polls_to_complete<F: Future>(future: F) -> u32 {
    let mut future = pin!(future);
    let mut polls = 0;
    loop {
        polls += 1;
        if future.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_ready() {
            return polls;
        }
    }
}
// ANCHOR_END: ready_never_yields

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::task::Poll;

    #[test]
    fn toy_loop_runs_fifo_and_follow_up_work() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut toy = ToyLoop::default();
        for name in ["a", "b"] {
            let log = log.clone();
            toy.call_soon(move |lp| {
                log.borrow_mut().push(name);
                let log = log.clone();
                lp.call_soon(move |_| log.borrow_mut().push("follow-up"));
            });
        }
        assert_eq!(toy.run_until_empty(), 4);
        assert_eq!(*log.borrow(), ["a", "b", "follow-up", "follow-up"]);
    }

    #[test]
    fn alarms_go_off_earliest_first() {
        assert_eq!(alarm_order(&[2, 1, 3]), [1, 2, 3]);
    }

    #[test]
    fn a_panic_becomes_a_message() {
        panic::set_hook(Box::new(|_| {}));
        assert_eq!(run_catching(|| panic!("broken")), Err("broken".to_owned()));
        let _ = panic::take_hook();
        assert_eq!(run_catching(|| {}), Ok(()));
    }
    #[test]
    fn holding_the_borrow_while_a_job_runs_panics() {
        let jobs: Jobs = Rc::new(RefCell::new(VecDeque::new()));
        let again = jobs.clone();
        jobs.borrow_mut().push_back(Box::new(move || again.borrow_mut().push_back(Box::new(|| {}))));
        panic::set_hook(Box::new(|_| {}));
        let caught = panic::catch_unwind(AssertUnwindSafe(|| run_jobs_holding_the_borrow(&jobs)));
        let _ = panic::take_hook();
        let payload = caught.expect_err("a job that queues a job must hit the held borrow");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(message.contains("borrowed"), "RefCell's message: {message}");
    }

    #[test]
    fn releasing_the_borrow_lets_a_job_queue_another() {
        let jobs: Jobs = Rc::new(RefCell::new(VecDeque::new()));
        let log = Rc::new(RefCell::new(Vec::new()));
        let (again, l1) = (jobs.clone(), log.clone());
        jobs.borrow_mut().push_back(Box::new(move || {
            l1.borrow_mut().push("first");
            let l2 = l1.clone();
            again.borrow_mut().push_back(Box::new(move || l2.borrow_mut().push("queued by first")));
        }));
        run_jobs_releasing_the_borrow(&jobs);
        assert_eq!(*log.borrow(), ["first", "queued by first"]);
    }

    #[test]
    fn the_guard_lets_you_out_even_when_the_work_panics() {
        let door = Door::default();
        assert_eq!(door.enter(|| assert_eq!(door.enter(|| {}), Err("already inside"))), Ok(()));
        panic::set_hook(Box::new(|_| {}));
        let caught = panic::catch_unwind(AssertUnwindSafe(|| door.enter(|| panic!("work failed"))));
        let _ = panic::take_hook();
        assert!(caught.is_err());
        assert!(!door.is_occupied(), "the guard's Drop ran during the unwinding");
        assert_eq!(door.enter(|| {}), Ok(()));
    }

    #[test]
    fn drive_returns_the_output_through_the_wrapper() {
        struct YieldTwice(u8);
        impl Future for YieldTwice {
            type Output = &'static str;
            fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<&'static str> {
                self.0 += 1;
                if self.0 > 2 { Poll::Ready("third poll") } else { Poll::Pending }
            }
        }
        assert_eq!(drive(YieldTwice(0)), "third poll");
        assert_eq!(drive(async { 6 * 7 }), 42);
    }

    #[test]
    fn the_latest_waker_is_kept_and_woken_after_the_borrow() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::task::Wake;
        struct Count(AtomicUsize);
        impl Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let (a, b) = (Arc::new(Count(AtomicUsize::new(0))), Arc::new(Count(AtomicUsize::new(0))));
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        let slot = RefCell::new(None);
        remember_waker(&slot, &Context::from_waker(&wa));
        remember_waker(&slot, &Context::from_waker(&wb));
        ring(&slot);
        assert_eq!((a.0.load(Ordering::SeqCst), b.0.load(Ordering::SeqCst)), (0, 1));
        assert!(slot.borrow().is_none());
    }

    #[test]
    fn awaiting_ready_futures_never_yields() {
        assert_eq!(polls_to_complete(thousand_ready_awaits()), 1);
    }
}
