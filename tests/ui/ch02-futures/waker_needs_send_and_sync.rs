// A waker built on a `Cell`. In single-threaded Python, a flag that a callback sets is all a
// loop needs; here it does not compile. A `Waker` is `Send + Sync` (any thread may hold a clone
// and call `wake`), so `Waker::from(Arc<W>)` requires `W: Send + Sync`, and a `Cell` is not
// `Sync`: two threads waking at once would race on it. This is why `ThreadWaker` keeps its flag
// in an `AtomicBool`, and chapter 3's main waker is built the same way.
// Expected error: E0277, `Cell<bool>` cannot be shared between threads safely.

use std::cell::Cell;
use std::sync::Arc;
use std::task::{Wake, Waker};

struct FlagWaker {
    woken: Cell<bool>,
}

impl Wake for FlagWaker {
    fn wake(self: Arc<Self>) {
        self.woken.set(true);
    }
}

fn main() {
    let flag = Arc::new(FlagWaker { woken: Cell::new(false) });
    let waker = Waker::from(flag.clone());
    waker.wake();
    assert!(flag.woken.get());
}
