// call_soon_threadsafe takes a callback from another thread to the loop's thread, so the
// callback must be `Send`. An `Rc` is not: its count is not atomic.
// Expected error: `Rc<RefCell<Vec<&str>>>` cannot be sent between threads safely.
use std::cell::RefCell;
use std::rc::Rc;

use event_loop::{EventLoop, VirtualClock};

fn main() {
    let event_loop = EventLoop::with_clock(VirtualClock::new());
    let log = Rc::new(RefCell::new(Vec::new()));
    let remote = event_loop.remote();
    let in_callback = log.clone();
    remote.call_soon_threadsafe(move || in_callback.borrow_mut().push("ran")).unwrap();
}
