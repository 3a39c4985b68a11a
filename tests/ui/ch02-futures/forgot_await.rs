// Forgetting `.await`. In Python the forgotten coroutine object is dropped with only a
// "never awaited" warning at run time; here the future is dropped unpolled too, so none of it
// runs, but `#![deny(unused_must_use)]` turns the compiler's warning into an error.
// Expected errors: an unused `YieldNow`, and an unused future returned by an `async fn`.
#![deny(unused_must_use)]

use hand_futures::yield_now;

async fn fetch_data() -> u32 {
    200
}

async fn handler() {
    yield_now();
    fetch_data();
}

fn main() {
    let _ = handler();
}
