// The loop owns a callback until some later iteration runs it, long after `call_soon` has
// returned, so a callback may not borrow from the function that scheduled it.
// Expected error: the closure may outlive `main` but borrows `log` (move it in, or share an Rc).
use event_loop::{EventLoop, VirtualClock};

fn main() {
    let event_loop = EventLoop::with_clock(VirtualClock::new());
    let mut log = Vec::new();
    event_loop.call_soon(|| log.push("ran")).unwrap();
    event_loop.run_forever().unwrap();
}
