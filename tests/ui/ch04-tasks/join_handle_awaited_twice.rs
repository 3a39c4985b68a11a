// A task has one result, and awaiting its JoinHandle moves the handle into the `.await`: the
// result can be taken once. In asyncio `await task` twice returns the result twice (or raises
// twice); in Rust the second await does not compile. Keep the first result if you need it again.
// Expected error: use of moved value: `task`.
use event_loop::{VirtualClock, run_with_clock};

fn main() {
    run_with_clock(VirtualClock::new(), async {
        let task = tasks::spawn(async { 42 });
        let first = task.await;
        let second = task.await;
        assert_eq!(first, second);
    })
    .unwrap();
}
