//! Chapter 1 behaviour tests. The same file tests your stub (`cargo test -p generators`) and the
//! reference solution (`cargo test -p generators-solution`).
//!
//! Each test is written against a plausible wrong answer and says which one when it fails.
//! Every test runs under a watchdog, so a coroutine that never completes fails instead of hanging.

use std::panic::{self, AssertUnwindSafe};

use course_support::{DropCounter, DropProbe, Trace, watchdog};
use generators::{
    Coroutine, CoroutineState, Countdown, ResumeError, RunningAverage, Scheduler, Step, Summary,
};

/// Resumes a `Resume = ()` coroutine until it completes, collecting what it yields.
fn drain<C: Coroutine<Resume = ()>>(c: &mut C) -> (Vec<C::Yield>, C::Return) {
    let mut yielded = Vec::new();
    for _ in 0..1000 {
        match c.resume(()) {
            Ok(CoroutineState::Yielded(y)) => yielded.push(y),
            Ok(CoroutineState::Complete(r)) => return (yielded, r),
            Err(e) => panic!("resume failed before the coroutine completed: {e}"),
        }
    }
    panic!("1000 yields and still not complete: does your coroutine ever reach its end state?");
}

// ---------------------------------------------------------------- Countdown

#[test]
fn countdown_yields_from_n_down_to_one_then_lifts_off() {
    watchdog("Countdown never completes?", || {
        let (yielded, ret) = drain(&mut Countdown::new(3));
        assert!(
            !yielded.contains(&0),
            "Countdown yielded 0 ({yielded:?}); it should stop after 1 and complete instead"
        );
        assert_eq!(
            yielded,
            [3, 2, 1],
            "Countdown::new(3) should yield 3, 2, 1 (an off-by-one in when you decrement?)"
        );
        assert_eq!(ret, "liftoff");
    });
}

#[test]
fn countdown_from_zero_completes_on_the_first_resume() {
    watchdog("Countdown never completes?", || {
        assert_eq!(
            Countdown::new(0).resume(()),
            Ok(CoroutineState::Complete("liftoff")),
            "there is nothing to count down from 0: the first resume completes"
        );
    });
}

#[test]
fn a_finished_countdown_reports_an_error_instead_of_panicking_or_restarting() {
    watchdog("Countdown never completes?", || {
        let mut c = Countdown::new(1);
        drain(&mut c);
        for attempt in 1..=2 {
            let again = panic::catch_unwind(AssertUnwindSafe(|| c.resume(())));
            let again = again.unwrap_or_else(|_| {
                panic!("resuming a finished Countdown panicked; return Err(ResumeError::Finished)")
            });
            assert_eq!(
                again,
                Err(ResumeError::Finished),
                "resume #{attempt} after completion: a finished coroutine stays finished \
                 (it must not complete twice or start over)"
            );
        }
    });
}

// ---------------------------------------------------------------- RunningAverage

#[test]
fn running_average_counts_the_very_first_value() {
    watchdog("RunningAverage never returns?", || {
        let mut avg = RunningAverage::new();
        assert_eq!(
            avg.resume(Some(10.0)),
            Ok(CoroutineState::Yielded(10.0)),
            "the first value sent must count: this trait has no Python-style priming step"
        );
    });
}

#[test]
fn running_average_yields_the_mean_of_everything_so_far() {
    watchdog("RunningAverage never returns?", || {
        let mut avg = RunningAverage::new();
        let means: Vec<_> = [10.0, 20.0, 60.0]
            .into_iter()
            .map(|x| avg.resume(Some(x)))
            .collect();
        assert_eq!(
            means,
            [
                Ok(CoroutineState::Yielded(10.0)),
                Ok(CoroutineState::Yielded(15.0)),
                Ok(CoroutineState::Yielded(30.0)),
            ],
            "each yield is the mean of all values sent so far (not the last value, not a sum)"
        );
    });
}

#[test]
fn running_average_completes_with_a_summary_when_sent_none() {
    watchdog("RunningAverage never returns?", || {
        let mut avg = RunningAverage::new();
        avg.resume(Some(1.0)).unwrap();
        avg.resume(Some(2.0)).unwrap();
        assert_eq!(
            avg.resume(None),
            Ok(CoroutineState::Complete(Summary { count: 2, mean: Some(1.5) })),
            "None ends the stream and is not a value itself"
        );
        assert_eq!(
            avg.resume(Some(3.0)),
            Err(ResumeError::Finished),
            "after completing, RunningAverage must refuse further values"
        );

        let empty = RunningAverage::new().resume(None);
        assert_eq!(
            empty,
            Ok(CoroutineState::Complete(Summary { count: 0, mean: None })),
            "the mean of no values is None, not NaN"
        );
    });
}

// ---------------------------------------------------------------- Then (delegation)

/// Records every input it receives; yields each input back; after `steps` yields, completes
/// with its name.
struct Take {
    name: &'static str,
    steps: u32,
    trace: Trace,
    done: bool,
}

impl Take {
    fn new(name: &'static str, steps: u32, trace: &Trace) -> Self {
        Take { name, steps, trace: trace.clone(), done: false }
    }
}

impl Coroutine for Take {
    type Resume = i32;
    type Yield = i32;
    type Return = &'static str;

    fn resume(&mut self, input: i32) -> Result<CoroutineState<i32, &'static str>, ResumeError> {
        if self.done {
            self.trace.push(format!("{} resumed after it finished", self.name));
            return Err(ResumeError::Finished);
        }
        self.trace.push(format!("{} got {input}", self.name));
        if self.steps == 0 {
            self.done = true;
            return Ok(CoroutineState::Complete(self.name));
        }
        self.steps -= 1;
        Ok(CoroutineState::Yielded(input))
    }
}

#[test]
fn then_yields_everything_from_the_first_then_the_second() {
    watchdog("Then never completes? Does it switch to the second coroutine?", || {
        let mut both = Countdown::new(2).then(|first_result| {
            assert_eq!(first_result, "liftoff", "the second half must get the first's return value");
            Countdown::new(1)
        });
        let (yielded, ret) = drain(&mut both);
        assert_eq!(
            yielded,
            [2, 1, 1],
            "Then should yield all of the first coroutine's values, then all of the second's, \
             with nothing lost or added at the hand-over"
        );
        assert_eq!(ret, "liftoff");
    });
}

#[test]
fn then_builds_the_second_coroutine_only_when_the_first_completes() {
    watchdog("Then never completes?", || {
        let built = DropCounter::new();
        let marker = built.clone();
        let mut both = Countdown::new(1).then(move |_| {
            drop(marker.probe()); // counts one call of this closure
            Countdown::new(0)
        });
        assert_eq!(both.resume(()), Ok(CoroutineState::Yielded(1)));
        assert_eq!(
            built.dropped(),
            0,
            "the second coroutine was built before the first had finished: build it lazily"
        );
        assert_eq!(both.resume(()), Ok(CoroutineState::Complete("liftoff")));
        assert_eq!(built.dropped(), 1, "the closure must run exactly once, at the hand-over");
    });
}

#[test]
fn then_sends_each_input_to_whichever_coroutine_is_running() {
    watchdog("Then never completes?", || {
        let trace = Trace::new();
        let t = trace.clone();
        let mut both = Take::new("a", 1, &trace).then(move |_| Take::new("b", 1, &t));

        assert_eq!(both.resume(1), Ok(CoroutineState::Yielded(1)));
        assert_eq!(
            both.resume(2),
            Ok(CoroutineState::Yielded(2)),
            "when `a` completes on input 2, the same input starts `b`, and `b`'s yield is returned"
        );
        assert_eq!(both.resume(3), Ok(CoroutineState::Complete("b")));
        assert_eq!(
            trace.lines(),
            ["a got 1", "a got 2", "b got 2", "b got 3"],
            "inputs went to the wrong coroutine"
        );
    });
}

#[test]
fn a_finished_then_is_an_error_and_resumes_nothing() {
    watchdog("Then never completes?", || {
        let trace = Trace::new();
        let t = trace.clone();
        let mut both = Take::new("a", 0, &trace).then(move |_| Take::new("b", 0, &t));
        assert_eq!(both.resume(7), Ok(CoroutineState::Complete("b")));
        assert_eq!(both.resume(8), Err(ResumeError::Finished));
        assert_eq!(
            trace.lines(),
            ["a got 7", "b got 7"],
            "after Then completed, neither inner coroutine may be resumed again"
        );
    });
}

// ---------------------------------------------------------------- Scheduler

/// The notes' job: logs "<name> start" on its first step, yields once per second it still has
/// to wait, and logs "<name> done" as it finishes.
struct Job {
    name: &'static str,
    seconds_left: u32,
    started: bool,
    finished: bool,
    trace: Trace,
    _probe: Option<DropProbe>,
}

impl Job {
    fn new(name: &'static str, seconds: u32, trace: &Trace) -> Self {
        Job {
            name,
            seconds_left: seconds,
            started: false,
            finished: false,
            trace: trace.clone(),
            _probe: None,
        }
    }
}

impl Coroutine for Job {
    type Resume = ();
    type Yield = ();
    type Return = ();

    fn resume(&mut self, _: ()) -> Result<CoroutineState<(), ()>, ResumeError> {
        if self.finished {
            self.trace.push(format!("{} resumed after done", self.name));
            return Err(ResumeError::Finished);
        }
        if !self.started {
            self.started = true;
            self.trace.push(format!("{} start", self.name));
        }
        if self.seconds_left == 0 {
            self.finished = true;
            self.trace.push(format!("{} done", self.name));
            return Ok(CoroutineState::Complete(()));
        }
        self.seconds_left -= 1;
        Ok(CoroutineState::Yielded(()))
    }
}

fn abc(trace: &Trace) -> Scheduler {
    let mut s = Scheduler::new();
    s.spawn("A", Job::new("A", 2, trace));
    s.spawn("B", Job::new("B", 1, trace));
    s.spawn("C", Job::new("C", 3, trace));
    s
}

#[test]
fn scheduler_interleaves_jobs_in_the_notes_order() {
    watchdog("Scheduler::run never returns: do finished tasks leave the queue?", || {
        let trace = Trace::new();
        abc(&trace).run();
        let lines = trace.lines();
        if lines.starts_with(&["A start".into(), "A done".into()]) {
            panic!(
                "A ran to completion before B started: the scheduler is sequential. A task that \
                 yields goes to the back of the ready queue. Trace: {lines:?}"
            );
        }
        assert_eq!(
            lines,
            ["A start", "B start", "C start", "B done", "A done", "C done"],
            "round-robin from a FIFO queue gives the notes' order (is your queue LIFO?)"
        );
    });
}

#[test]
fn scheduler_steps_tasks_fifo_one_pass_per_tick() {
    watchdog("Scheduler::run never returns?", || {
        let events = abc(&Trace::new()).run();
        let got: Vec<(u64, &str, &Step)> =
            events.iter().map(|e| (e.tick, e.task.as_str(), &e.step)).collect();
        use Step::{Finished as F, Yielded as Y};
        let want: Vec<(u64, &str, &Step)> = vec![
            (0, "A", &Y), (0, "B", &Y), (0, "C", &Y),
            (1, "A", &Y), (1, "B", &F), (1, "C", &Y),
            (2, "A", &F), (2, "C", &Y),
            (3, "C", &F),
        ];
        assert_eq!(
            got, want,
            "each tick resumes every ready task once, in FIFO order; the tick advances once per \
             pass over the queue (not once per step)"
        );
    });
}

#[test]
fn concurrent_jobs_take_the_longest_not_the_sum() {
    watchdog("Scheduler::run never returns?", || {
        let mut s = abc(&Trace::new());
        let events = s.run();
        let last = events.last().expect("the scheduler reported no steps").tick;
        assert_ne!(last, 6, "the jobs finished at tick 6 = 2 + 1 + 3: they ran one after another");
        assert_eq!(last, 3, "interleaved, jobs of 2, 1 and 3 ticks are all done at tick 3");
        assert_eq!(s.now(), 4, "after run, now() counts the 4 passes that happened (ticks 0..=3)");
    });
}

/// Logs, at each of its steps, how many of `counter`'s probes have been dropped so far.
struct DropWatcher {
    counter: DropCounter,
    steps_left: u32,
    trace: Trace,
}

impl Coroutine for DropWatcher {
    type Resume = ();
    type Yield = ();
    type Return = ();

    fn resume(&mut self, _: ()) -> Result<CoroutineState<(), ()>, ResumeError> {
        self.trace.push(format!("watcher sees {} dropped", self.counter.dropped()));
        if self.steps_left == 0 {
            return Ok(CoroutineState::Complete(()));
        }
        self.steps_left -= 1;
        Ok(CoroutineState::Yielded(()))
    }
}

#[test]
fn scheduler_drops_each_task_as_soon_as_it_finishes_and_never_resumes_it() {
    watchdog("Scheduler::run never returns?", || {
        let trace = Trace::new();
        let drops = DropCounter::new();
        let mut s = Scheduler::new();
        let mut a = Job::new("A", 0, &trace);
        a._probe = Some(drops.probe());
        s.spawn("A", a);
        let mut b = Job::new("B", 2, &trace);
        b._probe = Some(drops.probe());
        s.spawn("B", b);
        s.spawn("watcher", DropWatcher { counter: drops.clone(), steps_left: 3, trace: trace.clone() });
        let events = s.run();

        let lines = trace.lines();
        assert!(
            !lines.iter().any(|l| l.contains("resumed after done")),
            "a finished task was resumed again: {lines:?}"
        );
        assert!(events.iter().all(|e| e.step != Step::Failed(ResumeError::Finished)));
        // A finishes in tick 0, before the watcher's first step; B finishes in tick 2.
        let seen: Vec<&String> = lines.iter().filter(|l| l.starts_with("watcher")).collect();
        assert_eq!(
            seen,
            ["watcher sees 1 dropped", "watcher sees 1 dropped", "watcher sees 2 dropped", "watcher sees 2 dropped"],
            "a finished task must be dropped right when it finishes, not kept until run() returns \
             (were finished tasks collected somewhere?)"
        );
    });
}

/// A coroutine that is already finished: every resume is an error.
struct Broken;

impl Coroutine for Broken {
    type Resume = ();
    type Yield = ();
    type Return = ();
    fn resume(&mut self, _: ()) -> Result<CoroutineState<(), ()>, ResumeError> {
        Err(ResumeError::Finished)
    }
}

#[test]
fn a_failing_task_is_reported_and_the_others_still_run() {
    watchdog("Scheduler::run never returns: is a failed task put back in the queue?", || {
        let trace = Trace::new();
        let mut s = Scheduler::new();
        s.spawn("broken", Broken);
        s.spawn("B", Job::new("B", 1, &trace));
        let events = s.run();
        assert_eq!(
            events.first().map(|e| (&e.task[..], &e.step)),
            Some(("broken", &Step::Failed(ResumeError::Finished))),
            "a resume error is reported as Step::Failed, and the scheduler carries on"
        );
        assert_eq!(
            events.iter().filter(|e| e.task == "broken").count(),
            1,
            "a failed task is dropped, not retried"
        );
        assert_eq!(trace.lines(), ["B start", "B done"]);
    });
}
