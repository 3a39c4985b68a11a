// Polling the future of an `async fn` through `Pin::new`. `Pin::new` is the safe way to pin only
// for types that are `Unpin`, which may move even while pinned. The future of an `async fn` (or
// an `async` block) is not: this one keeps `first`, a reference into its own local `names`,
// across the `.await`, so moving it would leave `first` pointing at the old place. Pin it with
// `std::pin::pin!` (on the stack) or `Box::pin` (on the heap) instead.
// Expected error: E0277, the `async fn`'s future cannot be unpinned.
// (An `async fn` rather than an `async` block: an async block's type name carries the file's
// path, and rustc lays a long one out differently, so the blessed output would depend on where
// the repository is checked out.)

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};

use hand_futures::yield_now;

async fn greet_first() -> String {
    let names = [String::from("alice"), String::from("bob")];
    let first = &names[0];
    yield_now().await;
    format!("hello, {first}")
}

fn main() {
    let mut greeting = greet_first();
    let mut cx = Context::from_waker(Waker::noop());
    let _ = Pin::new(&mut greeting).poll(&mut cx);
}
