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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

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
}
