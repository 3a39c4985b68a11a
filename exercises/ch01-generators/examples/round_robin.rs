//! Three jobs, like three asyncio tasks sleeping 2, 1 and 3 s, on your round-robin scheduler.
//!
//! Run it against your own code with `cargo run -p generators --example round_robin`.
//! A tick stands for one second: each job yields once for every second it still has to wait.

use std::collections::HashSet;

use generators::{Coroutine, CoroutineState, ResumeError, Scheduler, Step};

// ANCHOR: job
/// A job that has to wait `seconds` ticks: it yields once per tick of waiting, then finishes.
struct Job {
    seconds_left: u32,
    finished: bool,
}

impl Coroutine for Job {
    type Resume = ();
    type Yield = ();
    type Return = ();

    fn resume(&mut self, _: ()) -> Result<CoroutineState<(), ()>, ResumeError> {
        if self.finished {
            return Err(ResumeError::Finished);
        }
        if self.seconds_left == 0 {
            self.finished = true;
            return Ok(CoroutineState::Complete(()));
        }
        self.seconds_left -= 1;
        Ok(CoroutineState::Yielded(()))
    }
}
// ANCHOR_END: job

fn main() {
    // ANCHOR: main
    let jobs = [("A", 2), ("B", 1), ("C", 3)];
    let mut scheduler = Scheduler::new();
    for (name, seconds) in jobs {
        scheduler.spawn(name, Job { seconds_left: seconds, finished: false });
    }
    let events = scheduler.run();
    // ANCHOR_END: main

    // A job "starts" at its first step and is "done" at the step that finished it.
    let mut started = HashSet::new();
    for event in &events {
        if started.insert(event.task.clone()) {
            println!("t={}  {} start", event.tick, event.task);
        }
        match &event.step {
            Step::Yielded => {}
            Step::Finished => println!("t={}  {} done", event.tick, event.task),
            Step::Failed(error) => println!("t={}  {} failed: {error}", event.tick, event.task),
        }
    }
    let last = events.last().map_or(0, |e| e.tick);
    let one_by_one: u32 = jobs.iter().map(|(_, s)| s).sum();
    println!("all done at t={last}; one after another it would be t={one_by_one}");
}
