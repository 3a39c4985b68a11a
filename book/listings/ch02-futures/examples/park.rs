//! `thread::park` and `Thread::unpark` as a whole program, std-only so that the book's ▶ button
//! can run it on the Rust playground: the park token, a one-shot "ready" signal between two
//! threads, and which thread an `unpark` reaches.
//! `cargo run -p hand-futures-listings --example park` runs it locally. The listing library
//! compiles this same file as its module `park` (`#[path]` in src/park.rs) and tests it there.

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

fn main() {
    unpark_before_park();
    println!("unpark, unpark, park: park returned at once (the token was kept)");

    wait_for_worker();
    println!("wait_for_worker: the worker's flag was set, and this thread woke to see it");

    let (here, elsewhere) = handles_know_their_thread();
    println!("the main thread's handle is this thread: on main {here}, on another thread {elsewhere}");
}
