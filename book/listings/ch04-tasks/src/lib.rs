//! Chapter 4 teaching code: the techniques a task system needs, each shown on its own, away
//! from the loop. The exercise combines them; none of this is its answer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Wake};

// ANCHOR: erase
/// A future of `()` standing for a future of any output: a table can hold many of these in one
/// `Vec` or map, whatever their outputs. The output is not lost: the wrapper moves it into a
/// slot that the other side (here the caller, in the exercise a handle) keeps a clone of.
pub type Erased = Pin<Box<dyn Future<Output = ()>>>;

pub fn erase<F>(future: F) -> (Erased, Rc<RefCell<Option<F::Output>>>)
where
    F: Future + 'static,
{
    let slot = Rc::new(RefCell::new(None));
    let output = slot.clone();
    let erased: Erased = Box::pin(async move {
        let value = future.await;
        *output.borrow_mut() = Some(value);
    });
    (erased, slot)
}
// ANCHOR_END: erase

// ANCHOR: catch
/// Polls `future` once and turns a panic into an `Err` with the panic's message, instead of
/// letting it unwind into the caller. After a panic the future is broken (a panicked `async`
/// block panics again if polled): the caller's only sensible move is to drop it.
pub fn poll_catching(future: &mut Erased, cx: &mut Context<'_>) -> Result<Poll<()>, String> {
    // `AssertUnwindSafe`: we promise not to look at the future's half-updated state after a
    // panic; we only drop it.
    panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))).map_err(|payload| {
        if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "<non-string panic payload>".to_owned()
        }
    })
}
// ANCHOR_END: catch

// ANCHOR: lend
/// A table of jobs, each of which may use the table while it runs (add a job, remove one).
#[derive(Default)]
pub struct Jobs {
    table: RefCell<HashMap<u32, Option<Box<dyn FnMut(&Jobs)>>>>,
}

impl Jobs {
    pub fn add(&self, id: u32, job: impl FnMut(&Jobs) + 'static) {
        self.table.borrow_mut().insert(id, Some(Box::new(job)));
    }

    pub fn remove(&self, id: u32) {
        self.table.borrow_mut().remove(&id);
    }

    pub fn len(&self) -> usize {
        self.table.borrow().len()
    }

    /// Wrong: the `RefMut` lives until the end of the statement, so a job that touches the
    /// table panics with "already borrowed".
    pub fn run_holding_the_borrow(&self, id: u32) {
        if let Some(Some(job)) = self.table.borrow_mut().get_mut(&id) {
            job(self);
        }
    }

    /// Right: take the job out (its entry stays, holding `None`), release the borrow, run it,
    /// then put it back, unless it removed itself meanwhile.
    pub fn run_lent(&self, id: u32) {
        let job = self.table.borrow_mut().get_mut(&id).and_then(Option::take);
        let Some(mut job) = job else { return };
        job(self); // No borrow is held here.
        if let Some(entry) = self.table.borrow_mut().get_mut(&id) {
            *entry = Some(job);
        }
    }
}
// ANCHOR_END: lend

// ANCHOR: doorbell
/// Many rings, one visit: rings that come while a visit is already on its way add nothing.
#[derive(Default)]
pub struct Doorbell {
    /// Set by the ring that sends a visitor, cleared by the visitor on arrival.
    pending: AtomicBool,
    visits: Mutex<Vec<&'static str>>,
}

impl Doorbell {
    /// Any thread may ring. Only the ring that finds `pending` clear queues a visit:
    /// `swap(true)` sets the flag and says, in one atomic step, whether it was already set.
    pub fn ring(&self) {
        if !self.pending.swap(true, Ordering::SeqCst) {
            self.visits.lock().unwrap().push("visit");
        }
    }

    /// The visitor arrives: clear the flag *first*, so a ring during the visit queues a new one.
    pub fn answer(&self) -> usize {
        self.pending.store(false, Ordering::SeqCst);
        std::mem::take(&mut *self.visits.lock().unwrap()).len()
    }
}
// ANCHOR_END: doorbell

// ANCHOR: id_waker
/// A waker that carries only a number and a `Send` way to deliver it. Whatever the number
/// stands for stays where it is (on one thread, in a table); the waker just says "number 7,
/// again", from any thread.
pub struct IdWaker {
    pub id: u64,
    pub sender: Mutex<mpsc::Sender<u64>>,
}

impl Wake for IdWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The receiver may be gone (the table was dropped): then there is nothing to wake.
        let _ = self.sender.lock().unwrap().send(self.id);
    }
}
// ANCHOR_END: id_waker

// ANCHOR: current
thread_local! {
    /// What this thread is working on right now, if anything.
    static CURRENT_JOB: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` with `name` as the current job, then puts back whatever was current before
/// (so nesting works, and code after `f` does not see a stale name).
pub fn as_current<R>(name: &str, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT_JOB.replace(Some(name.to_owned()));
    let result = f();
    CURRENT_JOB.set(previous);
    result
}

pub fn current_job() -> Option<String> {
    CURRENT_JOB.with(|current| current.borrow().clone())
}
// ANCHOR_END: current

// ANCHOR: cycle
/// An owner of children, where each child can reach its owner.
pub struct Owner {
    pub children: RefCell<Vec<Child>>,
}

pub struct Child {
    /// Strong: the child keeps its owner alive, and the owner keeps the child: a cycle.
    pub owner_rc: Option<Rc<Owner>>,
    /// Weak: the child can reach the owner while it exists, and keeps nothing alive.
    pub owner_weak: Weak<Owner>,
    pub probe: Option<Box<dyn std::any::Any>>,
}
// ANCHOR_END: cycle

#[cfg(test)]
mod tests {
    use super::*;
    use course_support::DropCounter;
    use std::task::Waker;

    #[test]
    fn an_erased_future_leaves_its_output_in_the_slot() {
        let (mut erased, slot) = erase(async { 6 * 7 });
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(erased.as_mut().poll(&mut cx), Poll::Ready(()));
        assert_eq!(slot.borrow_mut().take(), Some(42));
    }

    #[test]
    fn a_panicking_poll_becomes_an_error() {
        let mut erased: Erased = Box::pin(async { panic!("boom") });
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(poll_catching(&mut erased, &mut cx), Err("boom".to_owned()));
    }

    // ANCHOR: lend_demo
    #[test]
    fn a_job_that_uses_the_table_needs_the_borrow_released() {
        let jobs = Jobs::default();
        jobs.add(1, |jobs| jobs.add(2, |_| {}));

        let held = panic::catch_unwind(AssertUnwindSafe(|| jobs.run_holding_the_borrow(1)));
        assert!(held.is_err(), "the job's add() hit the borrow held around it");

        jobs.run_lent(1);
        assert_eq!(jobs.len(), 2, "job 1 ran, added job 2, and was put back");

        jobs.add(3, |jobs| jobs.remove(3));
        jobs.run_lent(3);
        assert_eq!(jobs.len(), 2, "job 3 removed itself; run_lent did not put it back");
    }
    // ANCHOR_END: lend_demo

    // ANCHOR: doorbell_demo
    #[test]
    fn five_rings_before_the_visit_make_one_visit() {
        let bell = Doorbell::default();
        for _ in 0..5 {
            bell.ring();
        }
        assert_eq!(bell.answer(), 1, "five rings, one visit");
        bell.ring();
        assert_eq!(bell.answer(), 1, "a ring after the visit started queues the next one");
        assert_eq!(bell.answer(), 0, "no ring, no visit");
    }
    // ANCHOR_END: doorbell_demo

    // ANCHOR: id_waker_demo
    #[test]
    fn a_wake_from_another_thread_delivers_the_id() {
        let (sender, receiver) = mpsc::channel();
        let waker = Waker::from(Arc::new(IdWaker { id: 7, sender: Mutex::new(sender) }));
        std::thread::spawn(move || waker.wake()).join().unwrap();
        assert_eq!(receiver.recv().unwrap(), 7, "the table's owner learns which entry to poll");
    }
    // ANCHOR_END: id_waker_demo

    #[test]
    fn the_current_job_is_restored() {
        assert_eq!(current_job(), None);
        let inner = as_current("outer", || as_current("inner", current_job));
        assert_eq!(inner.as_deref(), Some("inner"));
        assert_eq!(current_job(), None, "restored after the call");
    }

    // ANCHOR: cycle_demo
    #[test]
    fn a_strong_back_reference_leaks_and_a_weak_one_does_not() {
        let counter = DropCounter::new();

        let owner = Rc::new(Owner { children: RefCell::new(Vec::new()) });
        owner.children.borrow_mut().push(Child {
            owner_rc: Some(owner.clone()),
            owner_weak: Weak::new(),
            probe: Some(Box::new(counter.probe())),
        });
        drop(owner);
        assert_eq!(counter.dropped(), 0, "leaked: the child keeps its owner alive, and vice versa");

        let owner = Rc::new(Owner { children: RefCell::new(Vec::new()) });
        owner.children.borrow_mut().push(Child {
            owner_rc: None,
            owner_weak: Rc::downgrade(&owner),
            probe: Some(Box::new(counter.probe())),
        });
        drop(owner);
        assert_eq!(counter.dropped(), 1, "freed: a Weak does not count as an owner");
    }
    // ANCHOR_END: cycle_demo
}
