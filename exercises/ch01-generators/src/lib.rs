//! Chapter 1 — Generators: functions that pause. **Exercise.**
//!
//! Stable Rust has no `yield` keyword, so you will write every coroutine the way the compiler
//! would generate one: a struct holding the state, an enum saying where execution stopped, and a
//! `resume` method that runs from there to the next pause.
//!
//! Work through the `TODO(ch01)` markers in order, running `cargo test -p generators` as you go.
//! Stuck? `exercises/ch01-generators/HINTS.md` has hints, from gentle questions to specifics.
//! Signatures marked "do not change" carry bounds that the compile-fail checks depend on.

use std::collections::VecDeque;

mod coroutine;
/// Your "Predict the order" answer (`cargo test -p generators predict`).
pub mod predict;

pub use coroutine::{Coroutine, CoroutineState, ResumeError, Then};
#[allow(unused_imports)] // `Then::resume` below matches on its states
use coroutine::ThenState;

// ANCHOR: countdown
/// Yields `from`, `from - 1`, …, `1`, then completes with `"liftoff"`.
pub struct Countdown {
    // TODO(ch01): the state `resume` needs. Where can a countdown be stopped?
}

impl Countdown {
    pub fn new(from: u32) -> Self {
        let _ = from;
        todo!("Countdown::new: store where the countdown starts")
    }
}

impl Coroutine for Countdown {
    type Resume = ();
    type Yield = u32;
    type Return = &'static str;

    fn resume(&mut self, _: ()) -> Result<CoroutineState<u32, &'static str>, ResumeError> {
        todo!("Countdown::resume: yield the next number, or complete, or report Finished")
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
pub struct RunningAverage {
    // TODO(ch01): what must survive between two resumes?
}

impl RunningAverage {
    pub fn new() -> Self {
        todo!("RunningAverage::new")
    }
}

impl Coroutine for RunningAverage {
    type Resume = Option<f64>;
    type Yield = f64;
    type Return = Summary;

    fn resume(&mut self, input: Option<f64>) -> Result<CoroutineState<f64, Summary>, ResumeError> {
        let _ = input;
        todo!("RunningAverage::resume: Some(x) yields the mean so far, None completes")
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
        let _ = (input, &self.state);
        // TODO(ch01): forward to whichever coroutine is running (`self.state` is a `ThenState`,
        // given in coroutine.rs). When the first one completes, build the second from its return
        // value and start it with the same input.
        todo!("Then::resume: delegate like Python's `yield from`")
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
        let _ = (name, task, &mut self.ready);
        todo!("Scheduler::spawn: box the task and queue it")
    }

    /// The current tick: how many passes over the ready queue have completed.
    pub fn now(&self) -> u64 {
        let _ = self.now;
        todo!("Scheduler::now")
    }

    /// Runs until no task is left, returning every step in the order it happened.
    pub fn run(&mut self) -> Vec<Event> {
        // TODO(ch01): pass over the tasks that are ready *now*, resuming each once; then count
        // the tick. Which tasks go back in the queue, and where?
        todo!("Scheduler::run: the round-robin loop")
    }
}
// ANCHOR_END: scheduler
