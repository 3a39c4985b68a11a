// The scheduler owns its tasks for as long as it likes, so a task may not borrow from the
// function that spawned it. Expected error: `log` does not live long enough.
use generators::{Coroutine, CoroutineState, ResumeError, Scheduler};

struct Borrowing<'a> {
    log: &'a mut Vec<&'static str>,
}

impl Coroutine for Borrowing<'_> {
    type Resume = ();
    type Yield = ();
    type Return = ();

    fn resume(&mut self, _: ()) -> Result<CoroutineState<(), ()>, ResumeError> {
        self.log.push("ran");
        Ok(CoroutineState::Complete(()))
    }
}

fn main() {
    let mut log = Vec::new();
    let mut scheduler = Scheduler::new();
    scheduler.spawn("borrower", Borrowing { log: &mut log });
    scheduler.run();
}
