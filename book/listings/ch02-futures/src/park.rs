//! Putting a thread to sleep and waking it without a channel: `thread::park` and
//! `Thread::unpark`, the parts `block_on` is built from. A one-shot "ready" signal between two
//! threads, and the park token that makes the order of `park` and `unpark` not matter.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

// ANCHOR: token
/// An `unpark` that comes first is not lost: it leaves the thread's one token, and the next
/// `park` uses it up and returns at once. Tokens do not add up: a second `unpark` before the
/// `park` changes nothing.
pub fn unpark_before_park() {
    thread::current().unpark();
    thread::current().unpark();
    thread::park(); // returns at once: the token was there, and now it is used up
    // A second `thread::park()` here would sleep until some other thread unparks us.
}
// ANCHOR_END: token

// ANCHOR: wait_for_ready
/// Starts a worker that sets `ready` and unparks this thread, then sleeps until `ready` is set.
pub fn wait_for_worker() {
    let ready = Arc::new(AtomicBool::new(false));
    let me = thread::current(); // a handle to this thread, which any thread may `unpark`
    let worker = {
        let ready = ready.clone();
        thread::spawn(move || {
            ready.store(true, Ordering::Release); // first the fact...
            me.unpark(); // ...then the nudge
        })
    };
    // `park` may return without any `unpark` (a spurious wakeup), and an `unpark` from someone
    // else counts too, so a return from `park` proves nothing: check the flag and park again.
    while !ready.load(Ordering::Acquire) {
        thread::park();
    }
    worker.join().unwrap();
}
// ANCHOR_END: wait_for_ready

// ANCHOR: which_thread
/// Whether the calling thread is the one `handle` refers to: only then will an `unpark` on
/// `handle` end this thread's `park`.
pub fn is_this_thread(handle: &thread::Thread) -> bool {
    thread::current().id() == handle.id()
}

/// A handle taken on one thread is "this thread" there, and not on any other.
pub fn handles_know_their_thread() -> (bool, bool) {
    let main = thread::current();
    let here = is_this_thread(&main);
    let elsewhere = thread::scope(|s| s.spawn(|| is_this_thread(&main)).join().unwrap());
    (here, elsewhere) // (true, false)
}
// ANCHOR_END: which_thread

#[cfg(test)]
mod tests {
    use super::*;
    use course_support::watchdog;

    #[test]
    fn a_thread_handle_is_this_thread_only_on_its_own_thread() {
        assert_eq!(handles_know_their_thread(), (true, false));
    }

    #[test]
    fn an_unpark_before_park_is_kept_as_the_token() {
        watchdog("park slept although unpark came first: the token was lost?", unpark_before_park);
    }

    #[test]
    fn the_waiting_thread_sleeps_until_the_worker_sets_the_flag() {
        watchdog("wait_for_worker never returned: is the flag set before the unpark?", || {
            for _ in 0..100 {
                wait_for_worker();
            }
        });
    }
}
