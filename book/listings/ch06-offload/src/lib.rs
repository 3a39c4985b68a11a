//! Chapter 6 teaching code. Nothing here is the exercise's answer: each item shows one idea the
//! chapter needs, on its own.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

// ANCHOR: parallel
/// Counts the primes below `limit` on `threads` threads at once. Each thread takes every
/// `threads`-th number. The closures are `move`: each owns copies of the three numbers it uses
/// and borrows nothing. `thread::scope` is here for its join: every thread it started is joined
/// before `scope` returns, even if this code stopped before its own `join` calls. With CPython's GIL only one thread runs Python bytecode at a
/// time, so this shape of code gains nothing in Python; in Rust every thread runs on its own
/// core, truly in parallel.
pub fn count_primes_parallel(limit: u64, threads: u64) -> u64 {
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|start| {
                scope.spawn(move || {
                    (start..limit)
                        .step_by(threads as usize)
                        .filter(|&n| is_prime(n))
                        .count() as u64
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a counting thread panicked"))
            .sum()
    })
}

fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}
// ANCHOR_END: parallel

// ANCHOR: mailbox
/// A one-slot mailbox between threads: `put` stores a value and signals; `take` waits until
/// there is one. The `Condvar` wait releases the lock while it sleeps and takes it back before
/// returning; it may also return for no reason (a spurious wake-up), hence the `while`.
#[derive(Default)]
pub struct Mailbox<T> {
    slot: Mutex<Option<T>>,
    filled: Condvar,
}

impl<T> Mailbox<T> {
    pub fn put(&self, value: T) {
        *self.slot.lock().unwrap() = Some(value);
        self.filled.notify_one();
    }

    pub fn take(&self) -> T {
        let mut slot = self.slot.lock().unwrap();
        while slot.is_none() {
            slot = self.filled.wait(slot).unwrap();
        }
        slot.take().expect("checked by the loop")
    }
}
// ANCHOR_END: mailbox

// ANCHOR: waker_is_send
/// Every `Waker` is `Send + Sync`: the standard library requires it of every waker's vtable
/// functions. So a waker may be moved to a worker thread and woken there; what the wake does
/// (for our loop: `call_soon_threadsafe`, which locks a queue and unparks the loop) must be
/// safe from any thread.
pub fn wake_from_another_thread(waker: Waker) {
    thread::spawn(move || waker.wake())
        .join()
        .expect("the waking thread panicked");
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Waker>();
};
// ANCHOR_END: waker_is_send

// ANCHOR: lost_wake
/// What a worker and a future share, with a `poll` that has a lost-wake window.
#[derive(Default)]
pub struct Shared {
    pub value: Mutex<Option<u32>>,
    pub waker: Mutex<Option<Waker>>,
}

impl Shared {
    /// WRONG: "is it there?" and "wake me" are two separate critical sections. A worker that
    /// stores the value and looks for a waker *between* them finds none and wakes nobody; then
    /// this poll stores a waker nobody will ever wake.
    pub fn poll_racy(&self, cx: &mut Context<'_>) -> Poll<u32> {
        if let Some(value) = self.value.lock().unwrap().take() {
            return Poll::Ready(value);
        }
        // <- the window: the worker may store the value and check the waker right here.
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }

    /// The worker's side that the window above loses against.
    pub fn complete(&self, value: u32) {
        *self.value.lock().unwrap() = Some(value);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }
}
// ANCHOR_END: lost_wake

// ANCHOR: round_trip
/// A closure given to another thread must own what it uses (`'static`): it cannot borrow a
/// local of the caller, who may be gone before the thread runs. To use a value there and get
/// it back, move it in and return it with the result.
pub fn shout_on_a_thread(mut text: String) -> (String, usize) {
    let worker = thread::spawn(move || {
        text.make_ascii_uppercase();
        let len = text.len();
        (text, len) // The value travels back with the result.
    });
    worker.join().expect("the worker panicked")
}
// ANCHOR_END: round_trip

// ANCHOR: catch
/// Runs `job` and turns its panic into an error: the thread that called this lives on. The
/// panic hook still prints the panic's message to stderr.
pub fn run_caught<T>(job: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(job)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "<non-string panic payload>".to_owned())
    })
}
// ANCHOR_END: catch

/// The same mailbox shared by a producer thread and this one.
pub fn mailbox_round() -> u32 {
    let mailbox = Arc::new(Mailbox::default());
    let producer = mailbox.clone();
    let worker = thread::spawn(move || producer.put(7));
    let value = mailbox.take();
    worker.join().unwrap();
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use course_support::CountingWaker;

    #[test]
    fn parallel_count_equals_the_sequential_one() {
        let sequential = (0..10_000).filter(|&n| is_prime(n)).count() as u64;
        assert_eq!(count_primes_parallel(10_000, 4), sequential);
        assert_eq!(sequential, 1229);
    }

    #[test]
    fn the_mailbox_hands_a_value_over() {
        assert_eq!(mailbox_round(), 7);
    }

    #[test]
    fn a_waker_woken_on_another_thread_counts() {
        let (waker, counter) = CountingWaker::new();
        wake_from_another_thread(waker);
        assert_eq!(counter.wakes(), 1);
    }

    #[test]
    fn the_racy_poll_works_when_the_window_is_missed() {
        let shared = Shared::default();
        let (waker, counter) = CountingWaker::new();
        assert!(
            shared
                .poll_racy(&mut Context::from_waker(&waker))
                .is_pending()
        );
        shared.complete(5);
        assert_eq!(counter.wakes(), 1);
        assert_eq!(
            shared.poll_racy(&mut Context::from_waker(&waker)),
            Poll::Ready(5)
        );
    }

    #[test]
    fn a_value_goes_to_a_thread_and_back() {
        assert_eq!(shout_on_a_thread("hi".into()), ("HI".to_owned(), 2));
    }

    #[test]
    fn a_panic_becomes_an_error() {
        assert_eq!(run_caught(|| 1), Ok(1));
        assert_eq!(
            run_caught(|| -> u8 { panic!("boom") }),
            Err("boom".to_owned())
        );
    }
}
