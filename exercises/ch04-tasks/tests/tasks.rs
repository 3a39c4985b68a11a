//! Chapter 4 behaviour tests. The same file tests your stub (`cargo test -p tasks`) and the
//! reference solution (`cargo test -p tasks-solution`).
//!
//! Each test is written against a plausible wrong implementation and names it when it fails.
//! Every test runs under a watchdog, so a task that is never woken fails instead of hanging, and
//! every test runs on the virtual clock: ten seconds of sleeping take no real time.
//!
//! Run one stage at a time: `cargo test -p tasks stage1` (then stage2, stage3, stage4).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::Ipv4Addr;
use std::panic;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use course_support::{DropCounter, Trace, watchdog_causes};
use event_loop::{EventLoop, Handle, LoopError, VirtualClock, run_with_clock, sleep};
use tasks::legacy::LookupError;
use tasks::{
    BrokenPromise, Builder, JoinError, JoinHandle, current_name, live_tasks, lookup_async, promise, spawn,
    spawn_named,
};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A loop on a fresh virtual clock, and a clone of the clock to read its counters.
fn virtual_loop() -> (EventLoop, VirtualClock) {
    let clock = VirtualClock::new();
    (EventLoop::with_clock(clock.clone()), clock)
}

/// Runs `main` to completion on a fresh loop with a virtual clock.
fn run<F: Future>(main: F) -> F::Output {
    run_with_clock(VirtualClock::new(), main).expect("the loop ran the test's main future")
}

/// The running loop's time, in milliseconds (a readable number for messages).
fn now_ms() -> u128 {
    Handle::current().expect("called on the loop").time().expect("the loop is alive").as_millis()
}

/// Polls `future` once with a waker that does nothing: "has it finished yet?", asked without
/// waiting.
fn poll_now<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// Awaits a task that nothing aborts and that does not panic, and returns its output.
async fn output<T>(task: JoinHandle<T>) -> T {
    let name = task.name().to_owned();
    match task.await {
        Ok(value) => value,
        Err(JoinError::Panicked { message, .. }) if message.contains("borrowed") => panic!(
            "task `{name}` panicked with \"{message}\": a RefCell borrow of the task table was \
             held while task code ran (task code spawns, aborts and lists tasks). Take the future \
             out of the table before polling it, and release every borrow before calling into \
             task code."
        ),
        Err(JoinError::Panicked { message, .. }) => panic!("task `{name}` panicked: {message}"),
        Err(error) => panic!(
            "awaiting task `{name}` gave Err({error:?}), yet nothing aborted it: the JoinHandle \
             resolved before its task finished. A handle stays Pending (storing the waker) until \
             the task's future returns Ready, then gives Ok(output)."
        ),
    }
}

const JOIN_CAUSES: &[&str] = &[
    "once you have written stage 3: the 'scheduled' flag is never cleared (or is cleared after \
     the poll), so a wake finds it set and queues nothing",
    "JoinHandle::poll does not store cx.waker(), or the task does not wake that waker when it \
     finishes (JoinState::finish)",
    "spawn_on does not queue the task's first step (handle.call_soon(move || step(id)))",
    "the task's waker does not queue a step (RemoteHandle::call_soon_threadsafe)",
    "JoinHandle::poll keeps the first waker it saw instead of the latest one",
];

/// Why a task that waits (on a timer, on a wake) is never polled again, most likely first.
const LOST_WAKE_CAUSES: &[&str] = &[
    "from stage 3 on: the 'scheduled' flag is never cleared, or cleared after the poll instead of \
     before it: the step must store(false) before polling, or every later wake finds it set and \
     queues nothing",
    "the task's waker does not queue a step: wake_by_ref must call \
     remote.call_soon_threadsafe(move || step(id))",
    "the step does not put the future back in the table when the poll returns Pending",
];

/// Numbers a list of causes for a failure message.
fn numbered(causes: &[&str]) -> String {
    causes.iter().enumerate().map(|(i, cause)| format!("\n  {}. {cause}", i + 1)).collect()
}

const LATEST_WAKER_CAUSES: &[&str] = &[
    "JoinHandle::poll keeps the first waker it saw instead of the latest one (this test polls the \
     handle once with a waker that does nothing, then awaits it)",
    "JoinHandle::poll does not store cx.waker(), or the task does not wake that waker when it finishes",
];

const ABORT_CAUSES: &[&str] = &[
    "abort() does not complete the JoinHandle with Err(JoinError::Cancelled) and wake its awaiting task",
    "abort() only sets a flag, and the aborted task is never polled again to act on it",
];

const WAKE_CAUSES: &[&str] = &[
    "the waker runs the step itself (inline) instead of queueing it: a wake during the task's \
     own poll then finds the future lent out, and is lost. Queue it with call_soon_threadsafe",
    "from stage 3 on: the 'scheduled' flag is cleared after the poll instead of before it, so a \
     wake during the poll is lost",
    "the task's waker does not queue a step (RemoteHandle::call_soon_threadsafe)",
];

const THREAD_WAKE_CAUSES: &[&str] = &[
    "a wake from another thread does not go through RemoteHandle::call_soon_threadsafe \
     (Handle::current() and thread-locals are empty on other threads)",
    "the 'scheduled' flag is never cleared, so no wake queues a step after the first",
    "the waker runs the step itself: on another thread there is no loop to find the task in",
];

const PROMISE_CAUSES: &[&str] = &[
    "Promise::poll does not store cx.waker()",
    "resolve() does not wake the stored waker, or dropping the Resolver does not",
];

/// The explanation for a resolved promise that reports BrokenPromise.
const RESOLVE_ALSO_DROPS: &str = " It gave Err(BrokenPromise) although resolve() was called: \
    resolve(self) consumes the Resolver, so the Resolver's Drop runs too, at the end of resolve, \
    and sets resolver_dropped. Promise::poll must look for the value first, and report \
    BrokenPromise only when there is no value and the resolver is gone.";

// ------------------------------------------------------------------ futures the tests use

/// Returns Ready on its first poll, after waking itself (a stale wake), and records any poll after
/// that.
struct FinishesWithAStaleWake {
    polled_after_ready: Rc<Cell<bool>>,
    done: bool,
}

impl Future for FinishesWithAStaleWake {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            self.polled_after_ready.set(true);
        }
        self.done = true;
        cx.waker().wake_by_ref();
        Poll::Ready(())
    }
}

/// Pending forever; hands its waker out so the test can wake it later.
struct StashesItsWaker(Rc<RefCell<Option<Waker>>>);

impl Future for StashesItsWaker {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Pending until `released`; on its first poll it sends its waker to another thread.
struct WokenFromAThread {
    sent: Option<mpsc::Sender<Waker>>,
    released: Arc<AtomicBool>,
}

impl Future for WokenFromAThread {
    type Output = thread::ThreadId;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<thread::ThreadId> {
        if self.released.load(Ordering::SeqCst) {
            return Poll::Ready(thread::current().id());
        }
        if let Some(sender) = self.sent.take() {
            sender.send(cx.waker().clone()).expect("the waking thread is listening");
        }
        Poll::Pending
    }
}

/// Counts its polls and keeps its latest waker. Poll 1 waits; poll 2 wakes itself, then waits;
/// poll 3 is Ready.
struct WakesItselfOnItsSecondPoll {
    polls: Rc<Cell<u32>>,
    waker: Rc<RefCell<Option<Waker>>>,
}

impl Future for WakesItselfOnItsSecondPoll {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        match self.polls.get() {
            1 => Poll::Pending,
            2 => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            _ => Poll::Ready(()),
        }
    }
}

/// Uses the task table when dropped (lists the tasks and spawns one, as a real destructor that
/// cancels or reports might), and records whether that panicked: it does ("already borrowed") if
/// whoever drops it still holds a RefCell borrow of the table.
struct UsesTheTableWhenDropped {
    outcome: Rc<RefCell<Option<Result<(), String>>>>,
}

impl Drop for UsesTheTableWhenDropped {
    fn drop(&mut self) {
        let used = panic::catch_unwind(|| {
            let here = Handle::current().expect("the future is dropped on the loop's thread, during the run");
            let _ = live_tasks(&here);
            drop(spawn_named("spawned-by-a-destructor", async {}));
        });
        let used = used.map_err(|payload| {
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned())
        });
        *self.outcome.borrow_mut() = Some(used);
    }
}

// ------------------------------------------------------------------ stage 1: spawn and join

#[test]
fn stage1_a_task_runs_and_its_handle_yields_the_output() {
    watchdog_causes(JOIN_CAUSES, || {
        let answer = run(async { output(spawn(async { 6 * 7 })).await });
        assert_eq!(answer, 42, "awaiting the JoinHandle of `async {{ 6 * 7 }}` must give Ok(42)");

        let text = run(async { output(spawn(async { String::from("owned output") })).await });
        assert_eq!(text, "owned output", "a task's output is moved to whoever awaits its handle");
    });
}

#[test]
fn stage1_spawn_queues_the_first_step_instead_of_polling_inline() {
    watchdog_causes(JOIN_CAUSES, || {
        let trace = Trace::new();
        let t = trace.clone();
        run(async move {
            t.push("main: before spawn");
            let a = spawn({
                let t = t.clone();
                async move { t.push("A: first poll") }
            });
            t.push("main: after spawning A");
            let b = spawn({
                let t = t.clone();
                async move { t.push("B: first poll") }
            });
            t.push("main: after spawning B");
            output(a).await;
            output(b).await;
        });

        let lines = trace.lines();
        let first_poll = trace.position("A: first poll");
        let after_spawn = trace.position("main: after spawning A");
        assert!(
            first_poll > after_spawn,
            "task A's first poll ran inside spawn() (trace: {lines:?}): spawn must queue the task's \
             first step with call_soon and return at once. asyncio's create_task schedules the task, \
             it does not run it; the spawner keeps going until it awaits."
        );
        assert_eq!(
            lines,
            ["main: before spawn", "main: after spawning A", "main: after spawning B", "A: first poll", "B: first poll"],
            "tasks must start in the order they were spawned, once the spawner awaits \
             (each spawn queues one call_soon step, and the ready queue is FIFO)"
        );
    });
}

#[test]
fn stage1_spawn_on_waits_for_the_run_and_a_closed_loop_refuses() {
    watchdog_causes(JOIN_CAUSES, || {
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let trace = Trace::new();
        let t = trace.clone();
        let task = Builder::new()
            .name("early")
            .spawn_on(&handle, async move {
                t.push("ran");
                "early result"
            })
            .expect("spawn_on a loop that is open but not running must succeed (asyncio's loop.create_task)");
        assert!(
            trace.lines().is_empty(),
            "spawn_on polled the task before the loop ran: the first step must wait in the ready queue"
        );
        let output = event_loop.run_until_complete(task).unwrap();
        assert_eq!(output, Ok("early result"), "the task spawned before the run must run during it");
        assert!(
            live_tasks(&handle).is_empty(),
            "a finished task is still in the table ({:?}): remove it when its future returns Ready",
            live_tasks(&handle)
        );

        event_loop.close().unwrap();
        let counter = DropCounter::new();
        let probe = counter.probe();
        let refused = Builder::new().spawn_on(&handle, async move { drop(probe) });
        assert!(
            matches!(refused, Err(LoopError::Closed)),
            "spawn_on a closed loop must return Err(LoopError::Closed) (the loop's call_soon says so), \
             got {}",
            if refused.is_ok() { "Ok" } else { "another error" }
        );
        assert_eq!(
            counter.dropped(),
            1,
            "the refused task's future must be dropped at once, not kept in the table of a closed loop: \
             queue the first step (call_soon) first, and only then put the task in the table, so \
             that the `?` on a refused call_soon returns before anything was stored"
        );
        assert!(live_tasks(&handle).is_empty(), "a refused task must not appear in live_tasks");
    });
}

#[test]
fn stage1_the_handle_resolves_only_when_the_task_finishes() {
    watchdog_causes(LATEST_WAKER_CAUSES, || {
        let trace = Trace::new();
        let t = trace.clone();
        let (early, result, at) = run(async move {
            let mut task = spawn(async move {
                sleep(secs(1)).await;
                t.push("first sleep over");
                sleep(secs(1)).await;
                t.push("second sleep over");
                7
            });
            sleep(Duration::from_millis(1500)).await;
            // Half-way through the second sleep: the task is not done.
            let early = match poll_now(&mut task) {
                Poll::Ready(result) => Some(format!("{result:?}")),
                Poll::Pending => None,
            };
            let result = task.await;
            (early, result, now_ms())
        });
        assert_eq!(
            early, None,
            "the JoinHandle resolved at t=1.5s, with {early:?}, while its task was still sleeping \
             (it finishes at t=2s): a handle must stay Pending until the task's future returns Ready"
        );
        assert_eq!(result, Ok(7), "the handle must give the task's output");
        assert_eq!(at, 2000, "the handle must resolve when the task finishes, at t=2000ms, not at t={at}ms");
        assert_eq!(trace.lines(), ["first sleep over", "second sleep over"], "the task runs to its end");
    });
}

#[test]
fn stage1_dropping_the_handle_detaches_the_task() {
    watchdog_causes(JOIN_CAUSES, || {
        let trace = Trace::new();
        let t = trace.clone();
        let counter = DropCounter::new();
        let (probe, c) = (counter.probe(), counter.clone());
        let dropped_before_the_end = run(async move {
            let handle = spawn_named("detached", async move {
                let _probe = probe;
                t.push("the detached task started");
                sleep(secs(1)).await;
                t.push("the detached task finished");
            });
            drop(handle);
            sleep(secs(2)).await;
            c.dropped() == 1
        });
        let lines = trace.lines();
        if lines == ["the detached task started"] && !dropped_before_the_end {
            panic!(
                "the detached task slept for 1 s and was never polled again (it was not dropped \
                 either): its timer's wake was lost. Likely causes, most likely first:{}",
                numbered(LOST_WAKE_CAUSES)
            );
        }
        assert_eq!(
            lines,
            ["the detached task started", "the detached task finished"],
            "dropping a JoinHandle must detach the task, not cancel it{}: the loop's task table \
             owns the task, the handle only waits for it. (asyncio's trap is the opposite: an \
             unreferenced Task may be garbage-collected mid-run.)",
            if dropped_before_the_end { " (its future was dropped)" } else { "" }
        );
    });
}

#[test]
fn stage1_a_task_knows_its_name() {
    watchdog_causes(JOIN_CAUSES, || {
        let (outside, named_handle, inside, unnamed_handle, unnamed_inside, interleaved, after) = run(async {
            let outside = current_name();
            let named = spawn_named("fetcher", async { current_name() });
            let named_handle = named.name().to_owned();
            let unnamed = spawn(async { current_name() });
            let unnamed_handle = unnamed.name().to_owned();
            // Two tasks that interleave: each must see its own name after each await.
            let x = spawn_named("x", async {
                sleep(secs(1)).await;
                current_name()
            });
            let y = spawn_named("y", async {
                sleep(secs(1)).await;
                current_name()
            });
            let inside = output(named).await;
            let unnamed_inside = output(unnamed).await;
            let interleaved = (output(x).await, output(y).await);
            (outside, named_handle, inside, unnamed_handle, unnamed_inside, interleaved, current_name())
        });
        assert_eq!(outside, None, "current_name() outside any task (in the main future) must be None");
        assert_eq!(named_handle, "fetcher", "JoinHandle::name() must be the name given at spawn");
        assert_eq!(
            inside.as_deref(),
            Some("fetcher"),
            "current_name() inside the task `fetcher` returned {inside:?}: set the task's name in a \
             thread-local around each poll"
        );
        assert!(
            unnamed_handle.starts_with("task-") && unnamed_inside.as_deref() == Some(unnamed_handle.as_str()),
            "an unnamed task is called `task-<id>` (asyncio: `Task-1`), on its handle and inside it; \
             got `{unnamed_handle}` on the handle and {unnamed_inside:?} inside"
        );
        assert_eq!(
            interleaved,
            (Some("x".to_owned()), Some("y".to_owned())),
            "two interleaved tasks must each see their own name: set it for every poll, not once"
        );
        assert_eq!(
            after, None,
            "current_name() in the main future returned {after:?} after tasks ran: restore the \
             previous value when a task's poll returns"
        );
    });
}

#[test]
fn stage1_tasks_that_yield_take_turns() {
    watchdog_causes(WAKE_CAUSES, || {
        /// Wakes itself and returns Pending once (asyncio's `await asyncio.sleep(0)`).
        struct YieldNow(bool);
        impl Future for YieldNow {
            type Output = ();
            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                if self.0 {
                    return Poll::Ready(());
                }
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
        let trace = Trace::new();
        let t = trace.clone();
        run(async move {
            let mut handles = Vec::new();
            for name in ["A", "B"] {
                let t = t.clone();
                handles.push(spawn_named(name, async move {
                    for i in 0..3 {
                        t.push(format!("{name}{i}"));
                        YieldNow(false).await;
                    }
                }));
            }
            for handle in handles {
                output(handle).await;
            }
        });
        assert_eq!(
            trace.lines(),
            ["A0", "B0", "A1", "B1", "A2", "B2"],
            "a task that wakes itself must go to the back of the ready queue, behind the other task \
             (its wake queues a step; the step does not poll it again on the spot)"
        );
    });
}

#[test]
fn stage1_a_wake_from_another_thread_reaches_the_task() {
    watchdog_causes(THREAD_WAKE_CAUSES, || {
        let (event_loop, clock) = virtual_loop();
        let (sender, receiver) = mpsc::channel::<Waker>();
        let released = Arc::new(AtomicBool::new(false));
        let release = released.clone();
        // Set once the run is over, so that the waking thread never waits for an idle that
        // will not come (when the test fails early).
        let run_over = Arc::new(AtomicBool::new(false));
        let over = run_over.clone();
        let waking_thread = thread::spawn(move || {
            let Ok(waker) = receiver.recv() else {
                return; // The task never ran (the test has failed already).
            };
            // Wait until the loop has gone idle (nothing to run, no timer): only this wake can
            // give it work now. It cannot idle before the task's first poll, which sent the
            // waker. A spin on a counter, not a sleep.
            while clock.idles() == 0 && !over.load(Ordering::SeqCst) {
                thread::yield_now();
            }
            release.store(true, Ordering::SeqCst);
            waker.wake();
        });
        let loop_thread = thread::current().id();
        let polled_on = event_loop
            .run_until_complete(async move {
                spawn_named("woken", WokenFromAThread { sent: Some(sender), released }).await
            })
            .unwrap();
        run_over.store(true, Ordering::SeqCst);
        waking_thread.join().unwrap();
        assert_eq!(
            polled_on,
            Ok(loop_thread),
            "the task must finish, polled on the loop's thread, after a wake from another thread"
        );
    });
}

#[test]
fn stage1_dropping_the_loop_drops_every_pending_task() {
    watchdog_causes(WAKE_CAUSES, || {
        let counter = DropCounter::new();
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let c = counter.clone();
        event_loop
            .run_until_complete(async move {
                let probe = c.probe();
                let sleeper = spawn_named("sleeper", async move {
                    let _probe = probe;
                    sleep(secs(3600)).await;
                });
                // This task holds another task's JoinHandle.
                let probe = c.probe();
                drop(spawn_named("joiner", async move {
                    let _probe = probe;
                    let _ = sleeper.await;
                }));
                // This task's future holds its own waker.
                let probe = c.probe();
                drop(spawn_named("self-waker", async move {
                    let _probe = probe;
                    StashesItsWaker(Rc::default()).await;
                }));
                sleep(secs(1)).await;
            })
            .unwrap();
        let live = live_tasks(&handle);
        assert_eq!(counter.dropped(), 0, "the three tasks are pending, none may be dropped yet");
        assert_eq!(live, ["sleeper", "joiner", "self-waker"], "three tasks are pending");

        drop(event_loop);
        let dropped = counter.dropped();
        assert_eq!(
            dropped, 3,
            "dropping the loop dropped {dropped} of its 3 pending tasks' futures: something keeps the \
             task table alive in a reference cycle. Does a JoinHandle (one task here holds another's) \
             or a waker hold an Rc to the table? Hold the loop's Handle (a Weak) and look the table \
             up with Handle::local."
        );
        assert!(live_tasks(&handle).is_empty(), "a dropped loop has no live tasks");
    });
}

#[test]
fn stage1_three_tasks_of_2_1_3_seconds_take_3_seconds() {
    watchdog_causes(JOIN_CAUSES, || {
        let trace = Trace::new();
        let t = trace.clone();
        let total = run(async move {
            let job = |name: &'static str, seconds: u64| {
                let t = t.clone();
                async move {
                    t.push(format!("{name} starts@{}", now_ms() / 1000));
                    sleep(secs(seconds)).await;
                    t.push(format!("{name} done@{}", now_ms() / 1000));
                    name
                }
            };
            let a = spawn_named("A", job("A", 2));
            let b = spawn_named("B", job("B", 1));
            let c = spawn_named("C", job("C", 3));
            let outputs = [a.await, b.await, c.await];
            assert_eq!(outputs, [Ok("A"), Ok("B"), Ok("C")], "each handle gives its own task's output");
            now_ms()
        });
        assert_ne!(
            total, 6000,
            "the three tasks took 6 s of virtual time: they ran one after another. Spawned tasks run \
             concurrently: while one sleeps, the loop polls the others"
        );
        assert_eq!(
            trace.lines(),
            ["A starts@0", "B starts@0", "C starts@0", "B done@1", "A done@2", "C done@3"],
            "all three start at t=0 in spawn order, and each finishes after its own duration"
        );
        assert_eq!(total, 3000, "the run takes as long as the longest task, 3 s");
    });
}

#[test]
fn stage1_a_wake_queues_a_step_instead_of_polling_inline() {
    watchdog_causes(WAKE_CAUSES, || {
        let polls = Rc::new(Cell::new(0));
        let waker: Rc<RefCell<Option<Waker>>> = Rc::default();
        let future = WakesItselfOnItsSecondPoll { polls: polls.clone(), waker: waker.clone() };
        let (polled_during_wake, polls_after) = run(async move {
            drop(spawn_named("wakeable", future));
            sleep(secs(1)).await;
            let stored = waker.borrow_mut().take();
            let stored = stored.expect("the task was never polled in 1 s: spawn_on must queue its first step");
            let before = polls.get();
            stored.wake();
            let polled_during_wake = polls.get() - before;
            sleep(secs(1)).await;
            (polled_during_wake, polls.get())
        });
        assert_eq!(
            polled_during_wake, 0,
            "the task was polled inside waker.wake(), before wake() returned: the waker ran the \
             step inline; queue it with call_soon_threadsafe. A wake only schedules the next step; \
             the loop runs it later, from its ready queue (asyncio's done callbacks go through \
             call_soon too). Run inline, the step runs task code in the middle of whoever woke it, \
             and a wake during the task's own poll finds the future lent out and is lost"
        );
        assert_ne!(
            polls_after,
            1,
            "main woke the waiting task and it was never polled again: that wake queued no step. \
             Likely causes, most likely first:{}",
            numbered(LOST_WAKE_CAUSES)
        );
        assert_eq!(
            polls_after, 3,
            "the task woke itself during its second poll and was polled {polls_after} time(s) in \
             all, not 3: a wake during the task's own poll must queue a step that polls it again \
             later. Does the waker run the step inline (the future is lent out then, so that step \
             finds nothing)? Queue it with call_soon_threadsafe. From stage 3 on: is the \
             'scheduled' flag cleared after the poll instead of before it?"
        );
    });
}

// ------------------------------------------------------------------ stage 2: abort and panics

#[test]
fn stage2_abort_drops_the_future_at_once() {
    watchdog_causes(ABORT_CAUSES, || {
        let counter = DropCounter::new();
        let trace = Trace::new();
        let (probe, t) = (counter.probe(), trace.clone());
        let (dropped_at_abort, result, at) = run(async move {
            let task = spawn_named("slow", async move {
                let _probe = probe;
                t.push("started");
                sleep(secs(10)).await;
                t.push("slept ten seconds");
            });
            sleep(secs(1)).await;
            task.abort();
            let dropped_at_abort = counter.dropped();
            let result = task.await;
            (dropped_at_abort, result, now_ms())
        });
        assert_eq!(
            dropped_at_abort, 1,
            "abort() returned but the task's future was not dropped: an abort that only sets a flag \
             drops nothing until the task is polled again, which may be never. Remove the task from \
             the table inside abort() and drop its future there (its destructors run at once)."
        );
        assert_eq!(
            result,
            Err(JoinError::Cancelled { task: "slow".into() }),
            "awaiting an aborted task's handle must give Err(JoinError::Cancelled {{ task: \"slow\" }})"
        );
        assert_eq!(at, 1000, "the aborted task's handle must resolve at once (t=1000ms), not at t={at}ms");
        assert_eq!(trace.lines(), ["started"], "no code of an aborted task may run after the abort");
    });
}

#[test]
fn stage2_a_task_aborted_before_its_first_poll_never_runs() {
    watchdog_causes(ABORT_CAUSES, || {
        let counter = DropCounter::new();
        let trace = Trace::new();
        let (probe, t) = (counter.probe(), trace.clone());
        let (dropped_at_abort, result) = run(async move {
            let task = spawn_named("never", async move {
                let _probe = probe;
                t.push("the aborted task ran");
            });
            task.abort();
            let dropped_at_abort = counter.dropped();
            let result = task.await;
            // Give the first step, still in the ready queue, every chance to run.
            sleep(secs(1)).await;
            (dropped_at_abort, result)
        });
        assert_eq!(
            dropped_at_abort, 1,
            "abort() before the first poll did not drop the task's future: an abort that only sets a \
             flag leaves it alive until a step runs. Remove the task from the table inside abort() \
             and drop its future there."
        );
        assert!(
            trace.lines().is_empty(),
            "a task aborted before its first poll was polled anyway: when its queued step runs it must \
             find no task in the table and do nothing"
        );
        assert_eq!(result, Err(JoinError::Cancelled { task: "never".into() }), "the handle reports Cancelled");
    });
}

#[test]
fn stage2_aborting_a_finished_task_keeps_its_result() {
    watchdog_causes(ABORT_CAUSES, || {
        let (finished, result) = run(async {
            let task = spawn_named("quick", async { 5 });
            sleep(secs(1)).await;
            let finished = task.is_finished();
            task.abort();
            task.abort();
            (finished, task.await)
        });
        assert!(finished, "JoinHandle::is_finished() must be true once the task returned its output");
        assert_eq!(
            result,
            Ok(5),
            "abort() on a task that had already finished replaced its output with {result:?}: \
             aborting a finished task is a no-op, and the handle still gives the output"
        );
    });
}

#[test]
fn stage2_a_task_that_aborts_itself_is_dropped_when_its_poll_returns() {
    watchdog_causes(ABORT_CAUSES, || {
        let counter = DropCounter::new();
        let trace = Trace::new();
        let (probe, t, inner_counter) = (counter.probe(), trace.clone(), counter.clone());
        let (dropped_after_poll, result) = run(async move {
            let slot: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::new(RefCell::new(None));
            let own = slot.clone();
            let task = spawn_named("quitter", async move {
                let _probe = probe;
                sleep(secs(1)).await;
                own.borrow().as_ref().expect("main stored the handle").abort();
                t.push(format!("still running after abort(); dropped = {}", inner_counter.dropped()));
                sleep(secs(1)).await;
                t.push("ran past the next await (must not happen)");
            });
            *slot.borrow_mut() = Some(task);
            sleep(Duration::from_millis(1500)).await;
            let dropped_after_poll = counter.dropped();
            let task = slot.borrow_mut().take().expect("the handle is still in the slot");
            (dropped_after_poll, task.await)
        });
        if let Err(JoinError::Panicked { message, .. }) = &result {
            panic!(
                "the task that aborted itself panicked instead ({message}): if that says \"already \
                 borrowed\", the step holds the table's RefCell borrow while it polls. Take the \
                 future out of the table before polling (leave None), so abort() can look the task \
                 up, see it is running and mark it."
            );
        }
        assert_eq!(
            trace.lines(),
            ["still running after abort(); dropped = 0"],
            "a task that aborts itself keeps running to the end of that poll (its future cannot be \
             dropped while it is being polled), and never runs again"
        );
        assert_eq!(
            dropped_after_poll, 1,
            "a task that aborted itself was not dropped when its poll returned: mark it (abort_requested) \
             and let the step drop the future instead of putting it back"
        );
        assert_eq!(result, Err(JoinError::Cancelled { task: "quitter".into() }), "its handle reports Cancelled");
    });
}

#[test]
fn stage2_a_panicking_task_is_reported_and_the_others_keep_running() {
    watchdog_causes(JOIN_CAUSES, || {
        let (event_loop, _) = virtual_loop();
        let (good, bad_now, loop_panics, at) = event_loop
            .run_until_complete(async {
                let mut bad = spawn_named("bad", async {
                    sleep(secs(1)).await;
                    panic!("boom at one second");
                });
                let good = spawn_named("good", async {
                    sleep(secs(2)).await;
                    "good result"
                });
                let good = good.await;
                let bad_now = poll_now(&mut bad);
                (good, bad_now, event_loop.take_panics(), now_ms())
            })
            .unwrap();

        let Poll::Ready(bad) = bad_now else {
            panic!(
                "task `bad` panicked at t=1s but its JoinHandle was still pending at t=2s. {}",
                if loop_panics.is_empty() {
                    "Complete the handle with JoinError::Panicked when the poll panics.".to_owned()
                } else {
                    format!(
                        "Its panic escaped the task's step and the loop caught it as a callback panic \
                         ({loop_panics:?}): wrap the poll in std::panic::catch_unwind and complete the \
                         handle with JoinError::Panicked {{ task, message }}."
                    )
                }
            );
        };
        assert_eq!(
            bad,
            Err(JoinError::Panicked { task: "bad".into(), message: "boom at one second".into() }),
            "a panicking task's handle must give Err(JoinError::Panicked {{ task, message }})"
        );
        let shown = bad.unwrap_err().to_string();
        assert!(shown.contains("bad") && shown.contains("boom"), "JoinError's Display names the task: {shown}");
        assert_eq!(good, Ok("good result"), "another task must keep running when one panics");
        assert_eq!(at, 2000, "the other task finishes on time");
        assert!(
            loop_panics.is_empty(),
            "the loop saw callback panics {loop_panics:?}: a task's panic must be caught by its own step"
        );

        let again = event_loop.run_until_complete(async { spawn(async { "still usable" }).await });
        assert_eq!(again, Ok(Ok("still usable")), "the loop must stay usable after a task panicked");
        assert!(
            live_tasks(&event_loop.handle()).is_empty(),
            "the panicked task is still in the table ({:?}): remove it when its poll panics",
            live_tasks(&event_loop.handle())
        );
    });
}

#[test]
fn stage2_a_finished_or_aborted_task_is_never_polled_again() {
    watchdog_causes(WAKE_CAUSES, || {
        let (event_loop, _) = virtual_loop();
        let polled_after_ready = Rc::new(Cell::new(false));
        let stash: Rc<RefCell<Option<Waker>>> = Rc::default();
        let counter = DropCounter::new();
        let (finished, live_after, loop_panics) = event_loop
            .run_until_complete(async {
                let finished = spawn_named(
                    "finishes",
                    FinishesWithAStaleWake { polled_after_ready: polled_after_ready.clone(), done: false },
                )
                .await;
                let probe = counter.probe();
                let stash_in = stash.clone();
                let aborted = spawn_named("aborted", async move {
                    let _probe = probe;
                    StashesItsWaker(stash_in).await;
                });
                sleep(secs(1)).await;
                aborted.abort();
                // A wake that arrives after the abort (a timer or a thread that still holds the waker).
                stash.borrow_mut().take().expect("the task stored its waker").wake();
                sleep(secs(1)).await;
                (finished, live_tasks(&Handle::current().unwrap()), event_loop.take_panics())
            })
            .unwrap();
        assert!(
            !polled_after_ready.get(),
            "a task's future was polled again after it returned Ready (its own stale wake ran a step): \
             remove the task from the table when it finishes; a step that finds no task does nothing"
        );
        assert_eq!(finished, Ok(()), "the finished task's handle gives its output");
        assert!(
            live_after.is_empty(),
            "finished or aborted tasks are still in the table: {live_after:?}. A stale wake would poll \
             them again; remove a task when it finishes, panics or is aborted"
        );
        assert!(
            loop_panics.is_empty(),
            "waking a task that no longer exists made its step panic: {loop_panics:?}. A step must \
             look its task up and do nothing when it is gone (no unwrap, no indexing)"
        );
        assert_eq!(counter.dropped(), 1, "the aborted task's future was dropped");
    });
}

#[test]
fn stage2_live_tasks_lists_the_unfinished_tasks_by_name() {
    watchdog_causes(JOIN_CAUSES, || {
        let (event_loop, _) = virtual_loop();
        let (at_start, at_two, after_abort, inside) = event_loop
            .run_until_complete(async {
                let here = Handle::current().unwrap();
                let short = spawn_named("short", sleep(secs(1)));
                let long = spawn_named("long", sleep(secs(5)));
                drop(spawn_named("forgotten", sleep(secs(3600))));
                let inside = spawn_named("lister", async { live_tasks(&Handle::current().unwrap()) });
                let at_start = live_tasks(&here);
                sleep(secs(2)).await;
                let at_two = live_tasks(&here);
                long.abort();
                let after_abort = live_tasks(&here);
                output(short).await;
                (at_start, at_two, after_abort, output(inside).await)
            })
            .unwrap();
        assert_eq!(
            at_start,
            ["short", "long", "forgotten", "lister"],
            "right after spawning, live_tasks lists every task, in spawn order"
        );
        assert!(
            inside.contains(&"lister".to_owned()),
            "live_tasks called from inside a task must include that (running) task, as asyncio's \
             all_tasks() does; got {inside:?}"
        );
        assert_eq!(at_two, ["long", "forgotten"], "a task that finished must leave the list");
        assert_eq!(after_abort, ["forgotten"], "an aborted task must leave the list");
        assert_eq!(
            live_tasks(&event_loop.handle()),
            ["forgotten"],
            "after the run, the leaked-task detector must show the task nobody awaited"
        );
    });
}

#[test]
fn stage2_abort_drops_the_future_outside_the_tables_borrow() {
    watchdog_causes(ABORT_CAUSES, || {
        let outcome: Rc<RefCell<Option<Result<(), String>>>> = Rc::default();
        let guard = UsesTheTableWhenDropped { outcome: outcome.clone() };
        let result = run(async move {
            let task = spawn_named("guarded", async move {
                let _guard = guard;
                sleep(secs(10)).await;
            });
            sleep(secs(1)).await;
            task.abort();
            task.await
        });
        match outcome.borrow_mut().take() {
            None => panic!(
                "abort() did not drop the waiting task's future: remove the task from the table \
                 and drop its future inside abort()"
            ),
            Some(Err(message)) => panic!(
                "abort dropped the future while holding the table's borrow: the future's Drop \
                 lists the tasks and spawns one (both borrow the table) and that panicked with \
                 \"{message}\". Take the task out in one block (`let removed = {{ ... \
                 table.remove(&id) }};`), let the borrow end, and only then drop it."
            ),
            Some(Ok(())) => {}
        }
        assert_eq!(result, Err(JoinError::Cancelled { task: "guarded".into() }), "the handle reports Cancelled");
    });
}

#[test]
fn stage2_the_step_drops_an_aborted_future_outside_the_tables_borrow() {
    watchdog_causes(ABORT_CAUSES, || {
        let outcome: Rc<RefCell<Option<Result<(), String>>>> = Rc::default();
        let guard = UsesTheTableWhenDropped { outcome: outcome.clone() };
        let result = run(async move {
            let slot: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::new(RefCell::new(None));
            let own = slot.clone();
            let task = spawn_named("quits-with-a-guard", async move {
                let _guard = guard;
                sleep(secs(1)).await;
                own.borrow().as_ref().expect("main stored the handle").abort();
                sleep(secs(1)).await;
            });
            *slot.borrow_mut() = Some(task);
            sleep(Duration::from_millis(1500)).await;
            let task = slot.borrow_mut().take().expect("the handle is still in the slot");
            task.await
        });
        match outcome.borrow_mut().take() {
            None => panic!(
                "a task that aborted itself was not dropped when its poll returned: the step must \
                 see abort_requested, remove the task and drop its future"
            ),
            Some(Err(message)) => panic!(
                "the step dropped the aborted task's future while holding the table's borrow: the \
                 future's Drop lists the tasks and spawns one (both borrow the table) and that \
                 panicked with \"{message}\". Remove the task inside the borrow, end the borrow \
                 (`drop(table)` or a block), and only then drop the future."
            ),
            Some(Ok(())) => {}
        }
        assert_eq!(
            result,
            Err(JoinError::Cancelled { task: "quits-with-a-guard".into() }),
            "the handle reports Cancelled"
        );
    });
}

// ------------------------------------------------------------------ stage 3: one step per burst of wakes

/// Counts its polls; on the first one it wakes itself six times (five by reference, one by value)
/// before returning Pending. It finishes once `release` is set (by a timer).
struct WakeStorm {
    polls: Rc<Cell<u32>>,
    release: Rc<Cell<bool>>,
    waker: Rc<RefCell<Option<Waker>>>,
}

impl Future for WakeStorm {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        if self.release.get() {
            return Poll::Ready(());
        }
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        if self.polls.get() == 1 {
            for _ in 0..5 {
                cx.waker().wake_by_ref();
            }
            cx.waker().clone().wake();
        }
        Poll::Pending
    }
}

#[test]
fn stage3_many_wakes_before_a_step_queue_one_step() {
    watchdog_causes(WAKE_CAUSES, || {
        let polls = Rc::new(Cell::new(0));
        let release = Rc::new(Cell::new(false));
        let waker: Rc<RefCell<Option<Waker>>> = Rc::default();
        let storm = WakeStorm { polls: polls.clone(), release: release.clone(), waker: waker.clone() };
        let (polls_before_timer, result) = run(async move {
            let task = spawn_named("storm", storm);
            sleep(secs(1)).await;
            let polls_before_timer = polls.get();
            release.set(true);
            waker.borrow_mut().take().expect("the task stored its waker").wake();
            (polls_before_timer, task.await)
        });
        assert!(
            polls_before_timer >= 2,
            "the task was polled {polls_before_timer} time(s) although it woke itself during its first \
             poll: that wake was lost. Either the 'scheduled' flag is cleared after the poll (clear \
             it *before* polling, so a wake during the poll queues the next step), or the waker runs \
             the step itself instead of queueing it (during the poll the future is lent out, so \
             that step finds nothing to poll)."
        );
        assert_eq!(
            polls_before_timer, 2,
            "the task was polled {polls_before_timer} times for six wakes that came before its next \
             step: each wake queued its own step. Keep a 'scheduled' flag in the waker: a wake queues \
             a step only when the flag was clear (AtomicBool::swap(true)), and the step clears it."
        );
        assert_eq!(result, Ok(()), "the task finishes when the timer releases it");
    });
}

// ------------------------------------------------------------------ stage 4: promises and the callback bridge

#[test]
fn stage4_a_promise_resolved_before_it_is_awaited_gives_the_value() {
    watchdog_causes(PROMISE_CAUSES, || {
        let value = run(async {
            let (resolver, promise) = promise();
            resolver.resolve(5).expect("the promise is still there");
            promise.await
        });
        assert_eq!(
            value,
            Ok(5),
            "a promise resolved before its first poll must be Ready at once with the value, not \
             {value:?}.{}",
            if value == Err(BrokenPromise) { RESOLVE_ALSO_DROPS } else { "" }
        );

        let (resolver, promise) = promise::<String>();
        drop(promise);
        assert_eq!(
            resolver.resolve("nobody listens".to_owned()),
            Err("nobody listens".to_owned()),
            "resolve() on a promise nobody can await any more must hand the value back as Err(value)"
        );
    });
}

#[test]
fn stage4_a_promise_wakes_the_task_that_awaits_it() {
    watchdog_causes(PROMISE_CAUSES, || {
        let result = run(async {
            let (resolver, promise) = promise::<&str>();
            let waiter = spawn_named("waiter", async move { (promise.await, now_ms()) });
            sleep(secs(1)).await;
            resolver.resolve("hello").unwrap();
            sleep(secs(1)).await;
            assert!(
                waiter.is_finished(),
                "the task awaiting the promise did not finish after resolve(): Promise::poll must \
                 store cx.waker() and resolve() must wake it"
            );
            waiter.await
        });
        assert_eq!(
            result,
            Ok((Ok("hello"), 1000)),
            "the waiter must get the value when it is resolved, at t=1000ms.{}",
            if matches!(result, Ok((Err(BrokenPromise), _))) { RESOLVE_ALSO_DROPS } else { "" }
        );
    });
}

#[test]
fn stage4_a_dropped_resolver_breaks_the_promise() {
    watchdog_causes(PROMISE_CAUSES, || {
        let result = run(async {
            let (resolver, promise) = promise::<u8>();
            let waiter = spawn_named("waiter", promise);
            sleep(secs(1)).await;
            drop(resolver);
            sleep(secs(1)).await;
            assert!(
                waiter.is_finished(),
                "the resolver was dropped without resolving, and the task awaiting the promise was \
                 left pending forever: give Resolver a Drop that marks the promise broken and wakes \
                 the waiting task (asyncio's bare Future would hang here; ours reports BrokenPromise)"
            );
            waiter.await
        });
        assert_eq!(result, Ok(Err(BrokenPromise)), "the promise reports Err(BrokenPromise)");
    });
}

#[test]
fn stage4_the_callback_api_becomes_an_async_fn() {
    watchdog_causes(PROMISE_CAUSES, || {
        let (a, b, missing) = run(async {
            let a = spawn(async { (lookup_async("example.com").await, now_ms()) });
            let b = spawn(async { (lookup_async("python.org").await, now_ms()) });
            let missing = spawn(async { (lookup_async("nowhere.invalid").await, now_ms()) });
            sleep(secs(2)).await;
            assert!(
                a.is_finished() && b.is_finished() && missing.is_finished(),
                "lookup_async had not returned at t=2s although the service calls back at t=1s: does \
                 the callback resolve the promise, and does resolving wake the task awaiting it?"
            );
            (output(a).await, output(b).await, output(missing).await)
        });
        assert_eq!(
            a,
            (Ok(Ipv4Addr::new(192, 0, 2, 10)), 1000),
            "lookup_async(\"example.com\") must give the service's answer when it calls back, at t=1000ms"
        );
        assert_eq!(
            b.1, 1000,
            "two lookups in two tasks must both answer at t=1000ms (the service's timers run \
             concurrently); the second answered at t={}ms",
            b.1
        );
        assert_eq!(b.0, Ok(Ipv4Addr::new(192, 0, 2, 30)), "python.org's address");
        assert_eq!(
            missing,
            (Err(LookupError::NotFound("nowhere.invalid".into())), 1000),
            "the service's error reaches the caller of lookup_async unchanged, at t=1000ms"
        );
    });
}

