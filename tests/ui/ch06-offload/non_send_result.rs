// The closure's result is made on the worker and read on the loop's thread: it crosses threads,
// so it must be `Send` too. An `Rc` made on the worker would share its non-atomic count with
// nobody yet, but the compiler checks types, not histories. Return the data (here the `String`)
// and wrap it in an `Rc` on the loop's side.
// Expected error: `Rc<String>` cannot be sent between threads safely.
use std::rc::Rc;

use offload::ThreadPool;

fn main() {
    let pool = ThreadPool::new(1).unwrap();
    let text = pool.spawn_blocking(|| Rc::new(String::from("read from disk")));
    drop(text);
}
