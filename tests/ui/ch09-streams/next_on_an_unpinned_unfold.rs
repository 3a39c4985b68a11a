// `unfold` keeps its step's future (here an async block) inside the stream, so the stream is not
// `Unpin`, and `next()` needs `Self: Unpin`: it re-pins the borrowed stream on every call with
// `Pin::new`, which would let the stream move between polls. Pin it once, first:
// `let mut tokens = std::pin::pin!(unfold(..));` (on the stack), or `Box::pin(unfold(..))`,
// then call `tokens.next()` on the pinned handle.
use std::time::Duration;

use streams::{StreamExt, unfold};

fn main() {
    let mut tokens = unfold(0u32, |n| async move {
        event_loop::sleep(Duration::from_millis(100)).await;
        if n < 3 { Some((n, n + 1)) } else { None }
    });
    // In an async fn this line would read `while let Some(t) = tokens.next().await { .. }`.
    let _first = tokens.next();
}
