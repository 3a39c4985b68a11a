//! Chapter 1 behaviour tests. The same file tests your stub (`cargo test -p generators`) and the
//! reference solution (`cargo test -p generators-solution`).
//!
//! Each test is written against a plausible wrong answer and says which one when it fails.
//! Every test runs under a watchdog, so a coroutine that never completes fails instead of hanging.
//!
//! The tests come in stages, one per part of the exercise; run one stage with
//! `cargo test -p generators stage1` (stage1: Countdown and RunningAverage, stage2: Then,
//! stage3: the Scheduler). Each stage's tests use only that stage's code, so a bug in an earlier
//! part cannot show up as a failure of a later one.

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
fn stage1_countdown_yields_from_n_down_to_one_then_lifts_off() {
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
        assert_eq!(ret, "liftoff", "a finished Countdown completes with \"liftoff\"");
    });
}

#[test]
fn stage1_countdown_from_zero_completes_on_the_first_resume() {
    watchdog("Countdown never completes?", || {
        assert_eq!(
            Countdown::new(0).resume(()),
            Ok(CoroutineState::Complete("liftoff")),
            "there is nothing to count down from 0: the first resume completes"
        );
    });
}

#[test]
fn stage1_a_finished_countdown_reports_an_error_instead_of_panicking_or_restarting() {
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
fn stage1_running_average_counts_the_very_first_value() {
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
fn stage1_running_average_yields_the_mean_of_everything_so_far() {
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
fn stage1_running_average_completes_with_a_summary_when_sent_none() {
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

#[test]
fn stage1_a_completed_running_average_stays_finished_whatever_it_is_sent() {
    watchdog("RunningAverage never returns?", || {
        let mut avg = RunningAverage::new();
        avg.resume(Some(4.0)).unwrap();
        assert_eq!(
            avg.resume(None),
            Ok(CoroutineState::Complete(Summary { count: 1, mean: Some(4.0) })),
            "None ends the stream: RunningAverage must complete with its Summary"
        );
        // The input that completed it (None) and a value (Some), each twice, in both orders.
        for input in [None, Some(5.0), None, Some(6.0)] {
            let again = panic::catch_unwind(AssertUnwindSafe(|| avg.resume(input)));
            let again = again.unwrap_or_else(|_| {
                panic!(
                    "resuming a completed RunningAverage with {input:?} panicked; return \
                     Err(ResumeError::Finished)"
                )
            });
            assert_eq!(
                again,
                Err(ResumeError::Finished),
                "a RunningAverage that has completed was resumed with {input:?} and returned \
                 {again:?}. The trait's contract: once it returned Complete, every later resume, \
                 whatever its input (the None that completed it too), returns \
                 Err(ResumeError::Finished). Check the finished flag before looking at the input"
            );
        }
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

/// Resumes a `Take`-like coroutine with 1, 2, 3, ... until it completes, collecting its yields.
fn drain_numbered<C: Coroutine<Resume = i32, Yield = i32>>(c: &mut C) -> (Vec<i32>, C::Return) {
    let mut yielded = Vec::new();
    for input in 1..=1000 {
        match c.resume(input) {
            Ok(CoroutineState::Yielded(y)) => yielded.push(y),
            Ok(CoroutineState::Complete(r)) => return (yielded, r),
            Err(e) => panic!(
                "resume #{input} failed before the coroutine completed: {e} (yielded so far: \
                 {yielded:?})"
            ),
        }
    }
    panic!("1000 yields and still not complete: does Then ever switch to the second coroutine?");
}

#[test]
fn stage2_then_yields_everything_from_the_first_then_the_second() {
    watchdog("Then never completes? Does it switch to the second coroutine?", || {
        let trace = Trace::new();
        let t = trace.clone();
        // `a` yields its inputs 1 and 2 back and completes on input 3; `b` starts with that same
        // input 3 (yielding it), yields 4, and completes on input 5.
        let mut both = Take::new("a", 2, &trace).then(move |first_result| {
            t.push(format!("next got {first_result:?}"));
            Take::new("b", 2, &t)
        });
        let (yielded, ret) = drain_numbered(&mut both);
        assert!(
            trace.lines().contains(&"next got \"a\"".to_string()),
            "the closure that builds the second coroutine must get the first one's return value \
             (\"a\"); trace: {:?}",
            trace.lines()
        );
        assert_eq!(
            yielded,
            [1, 2, 3, 4],
            "Then should yield all of the first coroutine's values, then all of the second's, \
             with nothing lost or added at the hand-over (a missing 3: the second coroutine was \
             not started in the call that completed the first, so that call returned nothing of \
             its own). Trace: {:?}",
            trace.lines()
        );
        assert_eq!(ret, "b", "Then completes with the second coroutine's return value");
    });
}

#[test]
fn stage2_then_builds_the_second_coroutine_only_when_the_first_completes() {
    watchdog("Then never completes?", || {
        let trace = Trace::new();
        let built = DropCounter::new();
        let marker = built.clone();
        let t = trace.clone();
        let mut both = Take::new("a", 1, &trace).then(move |_| {
            drop(marker.probe()); // counts one call of this closure
            Take::new("b", 0, &t)
        });
        assert_eq!(
            both.resume(1),
            Ok(CoroutineState::Yielded(1)),
            "the first resume goes to the first coroutine, which yields its input (1) back"
        );
        assert_eq!(
            built.dropped(),
            0,
            "the closure that builds the second coroutine ran while the first was still running \
             (after one resume, the first had only yielded): build the second lazily, when the \
             first returns Complete"
        );
        assert_eq!(
            both.resume(2),
            Ok(CoroutineState::Complete("b")),
            "on input 2 the first coroutine completes; the same input starts the second, which \
             completes at once with \"b\". Trace: {:?}",
            trace.lines()
        );
        assert_eq!(
            built.dropped(),
            1,
            "the closure that builds the second coroutine ran {} times; it must run exactly \
             once, at the hand-over (it is an FnOnce: take it out of the First state by value)",
            built.dropped()
        );
    });
}

#[test]
fn stage2_then_sends_each_input_to_whichever_coroutine_is_running() {
    watchdog("Then never completes?", || {
        let trace = Trace::new();
        let t = trace.clone();
        let mut both = Take::new("a", 1, &trace).then(move |_| Take::new("b", 1, &t));

        assert_eq!(
            both.resume(1),
            Ok(CoroutineState::Yielded(1)),
            "the first input goes to `a`, which yields it back"
        );
        assert_eq!(
            both.resume(2),
            Ok(CoroutineState::Yielded(2)),
            "when `a` completes on input 2, the same input starts `b`, and `b`'s yield is returned"
        );
        assert_eq!(
            both.resume(3),
            Ok(CoroutineState::Complete("b")),
            "input 3 goes to `b`, which completes with its name. Trace: {:?}",
            trace.lines()
        );
        assert_eq!(
            trace.lines(),
            ["a got 1", "a got 2", "b got 2", "b got 3"],
            "inputs went to the wrong coroutine: each input goes to the one that is running, and \
             the input that completes `a` also starts `b`"
        );
    });
}

#[test]
fn stage2_a_finished_then_is_an_error_and_resumes_nothing() {
    watchdog("Then never completes?", || {
        let trace = Trace::new();
        let t = trace.clone();
        let mut both = Take::new("a", 0, &trace).then(move |_| Take::new("b", 0, &t));
        assert_eq!(
            both.resume(7),
            Ok(CoroutineState::Complete("b")),
            "`a` completes on its first input, which starts `b`, which completes too: Then \
             completes with \"b\" in that same call. Trace: {:?}",
            trace.lines()
        );
        // Again with the very input that completed it, and with another one.
        for input in [7, 8] {
            assert_eq!(
                both.resume(input),
                Err(ResumeError::Finished),
                "a Then that has completed was resumed again (with {input}); it must return \
                 Err(ResumeError::Finished) whatever the input. Trace: {:?}",
                trace.lines()
            );
        }
        assert_eq!(
            trace.lines(),
            ["a got 7", "b got 7"],
            "after Then completed, neither inner coroutine may be resumed again (keep a Done \
             state, and answer Finished from it without touching `b`)"
        );
    });
}

// ---------------------------------------------------------------- Scheduler

/// A job like asyncio's `await asyncio.sleep(seconds)`: logs "<name> start" on its first step, yields once per second it still has
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

/// Fails with the message for a scheduler that does not take turns: one that runs a task again
/// right after it yielded while another task was waiting (sequential: it resumes a task until
/// it finishes, or puts a yielded task back at the front), or that starts tasks in another order
/// than they were spawned in (a LIFO queue).
fn assert_takes_turns(events: &[generators::Event], spawned: &[&str]) {
    let trace: Vec<String> = events.iter().map(|e| format!("t{} {} {:?}", e.tick, e.task, e.step)).collect();
    let mut started = Vec::new();
    for e in events {
        if !started.contains(&e.task.as_str()) {
            started.push(e.task.as_str());
        }
    }
    assert_eq!(
        started, spawned,
        "tasks first ran in the order {started:?}, but were spawned as {spawned:?}: the ready \
         queue must be FIFO (push_back to queue, pop_front to run), like asyncio's deque. \
         Steps: {trace:?}"
    );
    for (i, pair) in events.windows(2).enumerate() {
        let (this, next) = (&pair[0], &pair[1]);
        let others_waiting = events[i + 1..].iter().any(|e| e.task != this.task);
        if this.step == Step::Yielded && next.task == this.task && others_waiting {
            panic!(
                "task {} yielded and was resumed again at once, while other tasks were waiting: \
                 the scheduler is sequential (it keeps resuming one task until it finishes, or \
                 puts a yielded task back at the front). A task that yields goes to the *back* \
                 of the ready queue, behind the others. Steps: {trace:?}",
                this.task
            );
        }
    }
}

/// Fails with the message for a tick that counts steps instead of passes over the queue.
fn assert_one_tick_per_pass(events: &[generators::Event]) {
    let first_tick = events.first().map(|e| e.tick);
    let in_first_pass = events.iter().take_while(|e| Some(e.tick) == first_tick).count();
    let ticks: Vec<u64> = events.iter().map(|e| e.tick).collect();
    assert!(
        in_first_pass > 1,
        "the first pass over three ready tasks should resume all three at the same tick, but the \
         tick changed after the first step: the tick counts passes over the ready queue (one \
         tick for all the tasks that were ready when the pass began), so add 1 after the pass, \
         not after each step. Ticks of the steps: {ticks:?}"
    );
}

fn abc(trace: &Trace) -> Scheduler {
    let mut s = Scheduler::new();
    s.spawn("A", Job::new("A", 2, trace));
    s.spawn("B", Job::new("B", 1, trace));
    s.spawn("C", Job::new("C", 3, trace));
    s
}

#[test]
fn stage3_scheduler_interleaves_three_jobs_like_asyncio() {
    watchdog("Scheduler::run never returns: do finished tasks leave the queue?", || {
        let trace = Trace::new();
        let events = abc(&trace).run();
        assert_takes_turns(&events, &["A", "B", "C"]);
        let lines = trace.lines();
        assert_eq!(
            lines,
            ["A start", "B start", "C start", "B done", "A done", "C done"],
            "jobs of 2, 1 and 3 ticks, run round-robin from a FIFO queue, start in spawn order \
             and finish shortest first, as three asyncio tasks sleeping 2, 1 and 3 s do"
        );
    });
}

#[test]
fn stage3_scheduler_steps_tasks_fifo_one_pass_per_tick() {
    watchdog("Scheduler::run never returns?", || {
        let events = abc(&Trace::new()).run();
        assert_takes_turns(&events, &["A", "B", "C"]);
        assert_one_tick_per_pass(&events);
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
fn stage3_concurrent_jobs_take_the_longest_not_the_sum() {
    watchdog("Scheduler::run never returns?", || {
        let mut s = abc(&Trace::new());
        let events = s.run();
        assert_takes_turns(&events, &["A", "B", "C"]);
        assert_one_tick_per_pass(&events);
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
fn stage3_scheduler_drops_each_task_as_soon_as_it_finishes_and_never_resumes_it() {
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
        assert_takes_turns(&events, &["A", "B", "watcher"]);

        let lines = trace.lines();
        assert!(
            !lines.iter().any(|l| l.contains("resumed after done")),
            "a task that had finished was resumed again (it answered Finished): a task that \
             completes leaves the queue for good. Trace: {lines:?}"
        );
        assert!(
            events.iter().all(|e| e.step != Step::Failed(ResumeError::Finished)),
            "a step failed with Finished although every task here completes normally: was a \
             finished task resumed again? Steps: {events:?}"
        );
        // A finishes in tick 0, before the watcher's first step; B finishes in tick 2.
        let seen: Vec<&String> = lines.iter().filter(|l| l.starts_with("watcher")).collect();
        assert_eq!(
            seen,
            ["watcher sees 1 dropped", "watcher sees 1 dropped", "watcher sees 2 dropped", "watcher sees 2 dropped"],
            "the watcher saw how many tasks had been dropped at each of its steps: A finished in \
             tick 0 and B in tick 2, so a scheduler that drops each task as it finishes shows \
             1, 1, 2, 2. Lower numbers mean finished tasks were kept (collected in a list, or \
             held until run() returns) instead of being dropped right away"
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
fn stage3_a_failing_task_is_reported_and_the_others_still_run() {
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
        assert_eq!(
            trace.lines(),
            ["B start", "B done"],
            "after the broken task failed, B must still run to its end"
        );
    });
}
