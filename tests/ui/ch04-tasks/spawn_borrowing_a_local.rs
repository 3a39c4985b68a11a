// A spawned task belongs to the loop, not to the function that spawned it: it may run after that
// function has returned, so it may not borrow the function's locals. `spawn` requires a
// `'static` future; move what the task needs into it (`async move`) instead.
// Expected error: the async block may outlive the current function, but it borrows `name`.
use event_loop::{VirtualClock, run_with_clock};

fn main() {
    run_with_clock(VirtualClock::new(), async {
        let name = String::from("report.txt");
        let task = tasks::spawn(async { name.len() });
        task.await.unwrap();
    })
    .unwrap();
}
