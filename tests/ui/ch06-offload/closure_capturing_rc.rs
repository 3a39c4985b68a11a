// A closure given to spawn_blocking runs on a worker thread, so everything it captures must be
// `Send`. An `Rc`'s count is not atomic: two threads changing it at once would corrupt it, so an
// `Rc` may not cross threads. In Python any object may go to the executor (the GIL protects the
// counts); in Rust, send an `Arc`, or send the data itself and keep the `Rc` on the loop.
// Expected error: `Rc<Vec<u32>>` cannot be sent between threads safely.
use std::rc::Rc;

use offload::ThreadPool;

fn main() {
    let pool = ThreadPool::new(1).unwrap();
    let numbers = Rc::new(vec![1, 2, 3]);
    let sum = pool.spawn_blocking(move || numbers.iter().sum::<u32>());
    drop(sum);
}
