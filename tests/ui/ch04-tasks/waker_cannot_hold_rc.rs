// Every std `Waker` is `Send + Sync`: any thread may wake it. Implementing `Wake` for a type
// compiles, but turning it into a `Waker` (`Waker::from(Arc<W>)`) requires `W: Send + Sync`, so a
// waker cannot hold an `Rc` to the loop's task table (its count is not atomic, and the table lives
// on the loop's thread). A task's waker holds the task's id and a `Send` way onto the loop
// (`RemoteHandle`); the step looks the task up on the loop's thread.
// Expected error: `Rc<RefCell<Vec<u64>>>` cannot be sent (nor shared) between threads safely.
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Wake, Waker};

struct TableWaker {
    id: u64,
    ready: Rc<RefCell<Vec<u64>>>,
}

impl Wake for TableWaker {
    fn wake(self: Arc<Self>) {
        self.ready.borrow_mut().push(self.id);
    }
}

fn main() {
    let ready = Rc::new(RefCell::new(Vec::new()));
    let waker = Waker::from(Arc::new(TableWaker { id: 1, ready }));
    waker.wake();
}
