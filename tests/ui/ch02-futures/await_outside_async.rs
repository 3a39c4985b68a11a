// `.await` pauses the function it is written in, and only an `async fn` or `async` block can
// pause: a plain `fn` has no state machine to come back to. Use `block_on` at the top, like
// `asyncio.run`. Expected error: `await` is only allowed inside `async` functions and blocks.
use hand_futures::ready;

fn main() {
    let value = ready(200).await;
    println!("{value}");
}
