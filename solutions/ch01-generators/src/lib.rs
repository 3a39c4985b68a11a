//! Chapter 1 — Generators: functions that pause. **Reference solution.**
//!
//! Stable Rust has no `yield` keyword, so every coroutine in this chapter is what the compiler
//! would generate for one: a struct holding the local state, an enum saying where execution
//! stopped, and a `resume` method that runs from there to the next pause.
//!
//! Diff this file against `exercises/ch01-generators/src/lib.rs` to see the lesson.

use std::collections::VecDeque;

// The trait and `Then`'s type are given code: the exercise's file, compiled here as it is.
#[path = "../../../exercises/ch01-generators/src/coroutine.rs"]
mod coroutine;
/// Your "Predict the order" answer (`cargo test -p generators predict`).
pub mod predict;

pub use coroutine::{Coroutine, CoroutineState, ResumeError, Then};
use coroutine::ThenState;

// ANCHOR: countdown
/// Yields `from`, `from - 1`, …, `1`, then completes with `"liftoff"`.
pub struct Countdown {
    state: CountdownState,
}

/// Where a `Countdown` stopped: the compiler would generate exactly this kind of enum.
enum CountdownState {
    /// The next resume yields this number (or completes, if it is 0).
    Counting(u32),
    /// Returned `Complete`; further resumes are errors.
    Done,
}

impl Countdown {
    pub fn new(from: u32) -> Self {
        Countdown {
            state: CountdownState::Counting(from),
        }
    }
}

impl Coroutine for Countdown {
    type Resume = ();
    type Yield = u32;
    type Return = &'static str;

    fn resume(&mut self, _: ()) -> Result<CoroutineState<u32, &'static str>, ResumeError> {
        match self.state {
            CountdownState::Counting(0) => {
                self.state = CountdownState::Done;
                Ok(CoroutineState::Complete("liftoff"))
            }
            CountdownState::Counting(n) => {
                self.state = CountdownState::Counting(n - 1);
                Ok(CoroutineState::Yielded(n))
            }
            CountdownState::Done => Err(ResumeError::Finished),
        }
    }
}
// ANCHOR_END: countdown

// ANCHOR: average
/// What a [`RunningAverage`] returns when it is told to finish.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// How many values were sent in.
    pub count: usize,
    /// Their mean, or `None` if no value was sent.
    pub mean: Option<f64>,
}

/// A coroutine that receives values: send `Some(x)` and it yields the mean of everything sent so
/// far; send `None` and it completes with a [`Summary`].
///
/// Unlike a Python generator there is no priming step: the very first resume already carries a
/// value, and that value counts.
#[derive(Debug, Default)]
pub struct RunningAverage {
    count: usize,
    total: f64,
    finished: bool,
}

impl RunningAverage {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Coroutine for RunningAverage {
    type Resume = Option<f64>;
    type Yield = f64;
    type Return = Summary;

    fn resume(&mut self, input: Option<f64>) -> Result<CoroutineState<f64, Summary>, ResumeError> {
        if self.finished {
            return Err(ResumeError::Finished);
        }
        match input {
            Some(x) => {
                self.count += 1;
                self.total += x;
                Ok(CoroutineState::Yielded(self.total / self.count as f64))
            }
            None => {
                self.finished = true;
                let mean = (self.count > 0).then(|| self.total / self.count as f64);
                Ok(CoroutineState::Complete(Summary {
                    count: self.count,
                    mean,
                }))
            }
        }
    }
}
// ANCHOR_END: average

// ANCHOR: then
impl<A, B, F> Coroutine for Then<A, B, F>
where
    A: Coroutine,
    A::Resume: Clone,
    B: Coroutine<Resume = A::Resume, Yield = A::Yield>,
    F: FnOnce(A::Return) -> B,
{
    type Resume = A::Resume;
    type Yield = A::Yield;
    type Return = B::Return;

    fn resume(
        &mut self,
        input: A::Resume,
    ) -> Result<CoroutineState<A::Yield, B::Return>, ResumeError> {
        if let ThenState::First { first, .. } = &mut self.state {
            // The input is kept in case `first` finishes now: then it starts the second
            // coroutine, the way one `poll` runs through several finished `.await`s.
            match first.resume(input.clone())? {
                CoroutineState::Yielded(y) => return Ok(CoroutineState::Yielded(y)),
                CoroutineState::Complete(r) => {
                    let ThenState::First { next, .. } =
                        std::mem::replace(&mut self.state, ThenState::Done)
                    else {
                        unreachable!("we are in the First state")
                    };
                    self.state = ThenState::Second(next(r));
                }
            }
        }
        let ThenState::Second(second) = &mut self.state else {
            return Err(ResumeError::Finished);
        };
        let step = second.resume(input)?;
        if let CoroutineState::Complete(_) = step {
            self.state = ThenState::Done;
        }
        Ok(step)
    }
}
// ANCHOR_END: then

// ANCHOR: scheduler
/// A task for the [`Scheduler`]: a coroutine that yields `()` whenever it is willing to let
/// others run. It must be `'static`: the scheduler owns it for as long as it likes.
pub type Task = Box<dyn Coroutine<Resume = (), Yield = (), Return = ()>>;

/// What happened to a task in one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// It ran and paused; it went to the back of the ready queue.
    Yielded,
    /// It ran to its end and was dropped.
    Finished,
    /// Resuming it failed; it was dropped and the others kept running.
    Failed(ResumeError),
}

/// One line of the scheduler's trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The pass over the ready queue during which this step ran (0 for the first pass).
    pub tick: u64,
    /// The name the task was spawned with.
    pub task: String,
    pub step: Step,
}

/// The smallest event loop: a FIFO ready queue of tasks, resumed round-robin.
///
/// One *tick* is one pass over the tasks that were ready when the pass began. A task that yields
/// is queued again for the next tick, so a task that yields `n` times finishes at tick `n`.
#[derive(Default)]
pub struct Scheduler {
    ready: VecDeque<(String, Task)>,
    now: u64,
}

impl Scheduler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `task` to run. The `'static` bound is part of the exercise: do not change it.
    pub fn spawn<C>(&mut self, name: &str, task: C)
    where
        C: Coroutine<Resume = (), Yield = (), Return = ()> + 'static,
    {
        self.ready.push_back((name.to_owned(), Box::new(task)));
    }

    /// The current tick: how many passes over the ready queue have completed.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Runs until no task is left, returning every step in the order it happened.
    pub fn run(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        while !self.ready.is_empty() {
            // Tasks queued during this pass wait for the next one, so every tick is finite.
            for _ in 0..self.ready.len() {
                let (name, mut task) = self.ready.pop_front().expect("counted above");
                let step = match task.resume(()) {
                    Ok(CoroutineState::Yielded(())) => Step::Yielded,
                    Ok(CoroutineState::Complete(())) => Step::Finished,
                    Err(error) => Step::Failed(error),
                };
                events.push(Event {
                    tick: self.now,
                    task: name.clone(),
                    step: step.clone(),
                });
                if step == Step::Yielded {
                    self.ready.push_back((name, task));
                }
            }
            self.now += 1;
        }
        events
    }
}
// ANCHOR_END: scheduler
