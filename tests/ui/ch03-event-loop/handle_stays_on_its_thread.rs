// A `Handle` reaches its loop's single-threaded state (an `Rc`, `RefCell`s), so it must never
// leave the loop's thread. asyncio finds this out at run time, if at all ("... attached to a
// different loop", or a corrupted loop); here the compiler refuses the program.
// The way in from another thread is a `RemoteHandle` and `call_soon_threadsafe`.
// Expected error: `Weak<...>` cannot be sent between threads safely (E0277).
use std::thread;

use event_loop::{EventLoop, VirtualClock};

fn main() {
    let event_loop = EventLoop::with_clock(VirtualClock::new());
    let handle = event_loop.handle();
    let worker = thread::spawn(move || {
        handle.call_soon(|| println!("scheduled from a worker thread")).unwrap();
    });
    worker.join().unwrap();
}
