//! Chapter 3 behaviour tests. The same file tests your stub (`cargo test -p event-loop`) and the
//! reference solution (`cargo test -p event-loop-solution`).
//!
//! Each test is written against a plausible wrong loop and says which one when it fails. Every
//! test runs under a watchdog, so a loop that never returns fails instead of hanging. Time is
//! the virtual clock's: an hour of timers takes no real time, and the clock's counters show
//! whether the loop waited for a deadline once or spun towards it.
//!
//! Callbacks here never assert: the loop catches a callback's panic (that is one of the
//! behaviours under test), so callbacks record what they saw and the test asserts afterwards.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use course_support::{DropCounter, Trace, panic_message, watchdog};
use event_loop::{Clock, EventLoop, Handle, LoopError, VirtualClock, run_with_clock, sleep};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A loop on a fresh virtual clock, and a clone of the clock to read its counters.
fn virtual_loop() -> (EventLoop, VirtualClock) {
    let clock = VirtualClock::new();
    (EventLoop::with_clock(clock.clone()), clock)
}

/// A callback that pushes `line` to `trace`.
fn log(trace: &Trace, line: &str) -> impl FnOnce() + 'static {
    let (trace, line) = (trace.clone(), line.to_owned());
    move || trace.push(line)
}

/// A callback that pushes `line` and the loop time (whole seconds) to `trace`.
fn log_time(trace: &Trace, handle: &Handle, line: &str) -> impl FnOnce() + 'static {
    let (trace, handle, line) = (trace.clone(), handle.clone(), line.to_owned());
    move || trace.push(format!("{line}@{}", handle.time().unwrap().as_secs()))
}

/// A callback that stops the loop.
fn stopper(handle: &Handle) -> impl FnOnce() + 'static {
    let handle = handle.clone();
    move || handle.stop().unwrap()
}

/// Fails the test if any callback panicked: a `RefCell` borrow held while a callback runs shows
/// up here as "already borrowed".
fn assert_no_panics(event_loop: &EventLoop) {
    let panics = event_loop.take_panics();
    assert!(
        panics.is_empty(),
        "callbacks panicked inside the loop: {panics:?}\n(\"already borrowed\"? release the \
         loop's RefCell borrow before running a callback: callbacks call back into the loop)"
    );
}

const STOP_SUSPECT: &str = "run_forever never returned: does stop() set a flag that the loop \
     checks after each iteration? Or does the loop idle forever with nothing to do?";
const TIMER_SUSPECT: &str = "a timer never fired: when nothing is ready, does the loop call \
     clock.idle_until(Some(next deadline)) and then move due timers to the ready queue? \
     (the virtual clock only moves when the loop idles on it)";

// ---------------------------------------------------------------- call_soon and timers

#[test]
fn call_soon_runs_callbacks_in_the_order_they_were_scheduled() {
    watchdog(STOP_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let trace = Trace::new();
        for name in ["first", "second", "third", "fourth"] {
            event_loop.call_soon(log(&trace, name)).unwrap();
        }
        event_loop.call_soon(stopper(&event_loop.handle())).unwrap();
        event_loop.run_forever().unwrap();
        assert_no_panics(&event_loop);

        let lines = trace.lines();
        assert_ne!(
            lines,
            ["fourth", "third", "second", "first"],
            "call_soon ran last-in first-out: the ready queue is a FIFO (push_back, pop_front)"
        );
        assert_eq!(lines, ["first", "second", "third", "fourth"], "call_soon is first-in first-out");
    });
}

#[test]
fn timers_fire_in_deadline_order_at_their_deadline() {
    watchdog(TIMER_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let trace = Trace::new();
        // Scheduled in an order that is neither the deadline order nor its reverse.
        for (name, at) in [("two", 2), ("three", 3), ("one", 1), ("five", 5), ("four", 4)] {
            event_loop.call_later(secs(at), log_time(&trace, &handle, name)).unwrap();
        }
        event_loop.call_later(secs(6), stopper(&handle)).unwrap();
        event_loop.run_forever().unwrap();
        assert_no_panics(&event_loop);

        let names: Vec<String> =
            trace.lines().iter().map(|l| l.split('@').next().unwrap().to_owned()).collect();
        assert_ne!(
            names,
            ["two", "three", "one", "five", "four"],
            "timers fired in the order they were scheduled: they must fire by deadline (a heap \
             keyed on the deadline)"
        );
        assert_ne!(
            names,
            ["five", "four", "three", "two", "one"],
            "timers fired latest deadline first: BinaryHeap pops its greatest element, so the \
             earliest deadline must compare greatest"
        );
        assert_eq!(
            trace.lines(),
            ["one@1", "two@2", "three@3", "four@4", "five@5"],
            "each timer fires at its own deadline, earliest first (name@seconds)"
        );
    });
}

#[test]
fn timers_with_equal_deadlines_fire_in_scheduling_order() {
    watchdog(TIMER_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let trace = Trace::new();
        event_loop.call_later(secs(2), log(&trace, "late")).unwrap();
        for i in 0..10 {
            event_loop.call_later(secs(1), log(&trace, &i.to_string())).unwrap();
        }
        // Same deadline, scheduled last: stops the loop after the ten.
        event_loop.call_later(secs(1), stopper(&handle)).unwrap();
        event_loop.run_forever().unwrap();
        assert_no_panics(&event_loop);

        let lines = trace.lines();
        let fifo: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        let lifo: Vec<String> = fifo.iter().rev().cloned().collect();
        assert_ne!(
            lines, lifo,
            "equal deadlines fired newest first: the tie-breaker (sequence number) is reversed"
        );
        assert_eq!(
            lines, fifo,
            "timers with the same deadline must fire in the order they were scheduled: break \
             ties with a sequence number (a heap alone does not keep insertion order)"
        );
    });
}

#[test]
fn a_timer_an_hour_away_costs_one_idle_not_a_spin() {
    watchdog(
        "waiting an hour for one timer never ended: is the loop re-reading the clock until the \
         deadline, instead of calling clock.idle_until(Some(deadline)) once?",
        || {
            let (event_loop, clock) = virtual_loop();
            let handle = event_loop.handle();
            event_loop.call_later(secs(3600), stopper(&handle)).unwrap();
            let reads_before = clock.reads();
            event_loop.run_forever().unwrap();
            assert_no_panics(&event_loop);

            assert_eq!(event_loop.time(), secs(3600), "the loop should stop at the timer, at 3600 s");
            let idles = clock.idles();
            assert!(
                idles <= 2,
                "the loop went idle {idles} times to wait for one timer: idle once, until the \
                 next deadline, not in small steps"
            );
            let reads = clock.reads() - reads_before;
            assert!(
                reads <= 20,
                "the loop read the clock {reads} times to wait for one timer: it is spinning. \
                 When nothing is ready, idle until the next deadline."
            );
        },
    );
}

#[test]
fn an_hour_of_one_second_ticks_runs_in_virtual_time() {
    watchdog(
        "an hour of one-second ticks did not finish: does each idle jump to the next deadline?",
        || {
            let (event_loop, clock) = virtual_loop();
            let ticks = Rc::new(Cell::new(0u32));

            fn tick(handle: Handle, ticks: Rc<Cell<u32>>) {
                ticks.set(ticks.get() + 1);
                if ticks.get() == 3600 {
                    handle.stop().unwrap();
                } else {
                    let next = handle.clone();
                    handle.call_later(secs(1), move || tick(next, ticks)).unwrap();
                }
            }
            let (handle, t) = (event_loop.handle(), ticks.clone());
            event_loop.call_later(secs(1), move || tick(handle, t)).unwrap();
            event_loop.run_forever().unwrap();
            assert_no_panics(&event_loop);

            assert_eq!(ticks.get(), 3600, "every tick should have run once");
            assert_eq!(event_loop.time(), secs(3600), "3600 ticks of 1 s end at 3600 s");
            assert!(
                clock.idles() <= 3601,
                "{} idles for 3600 timers: wait for each deadline once, not in steps",
                clock.idles()
            );
        },
    );
}

#[test]
fn time_never_goes_backwards_and_a_deadline_in_the_past_runs_soon() {
    watchdog(
        "a timer whose deadline had already passed never ran: a due timer is one whose deadline \
         is <= now, not == now",
        || {
            let (event_loop, clock) = virtual_loop();
            let handle = event_loop.handle();
            clock.advance(secs(10));
            let trace = Trace::new();
            event_loop.call_at(secs(5), log_time(&trace, &handle, "past")).unwrap();
            event_loop.call_at(Duration::ZERO, log_time(&trace, &handle, "zero")).unwrap();
            event_loop.call_at(secs(12), stopper(&handle)).unwrap();

            let run = panic::catch_unwind(AssertUnwindSafe(|| event_loop.run_forever()));
            let run = run.unwrap_or_else(|p| {
                panic!(
                    "call_at with a deadline in the past made the loop panic ({}). \
                     Duration subtraction underflows: compare, or use saturating_sub",
                    panic_message(&*p)
                )
            });
            run.unwrap();
            assert_no_panics(&event_loop);

            assert_eq!(
                trace.lines(),
                ["zero@10", "past@10"],
                "deadlines in the past are due at once, earliest first, and loop time stays at \
                 10 s (it must never go back to a timer's deadline)"
            );
            assert_eq!(event_loop.time(), secs(12), "the loop stopped at the 12 s timer");
        },
    );
}

#[test]
fn a_cancelled_timer_never_runs_and_is_dropped() {
    watchdog(TIMER_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let trace = Trace::new();
        let drops = DropCounter::new();
        let probe = drops.probe();
        let ran = log(&trace, "cancelled timer ran");
        let timer = event_loop
            .call_later(secs(1), move || {
                let _probe = &probe;
                ran();
            })
            .unwrap();
        event_loop.call_later(secs(2), log(&trace, "kept timer ran")).unwrap();
        event_loop.call_later(secs(2), stopper(&handle)).unwrap();
        timer.cancel();
        event_loop.run_forever().unwrap();
        assert_no_panics(&event_loop);

        assert_eq!(trace.lines(), ["kept timer ran"], "a cancelled timer must not run");
        assert_eq!(
            drops.dropped(),
            1,
            "the cancelled timer's callback should be dropped once the loop gets to it"
        );
    });
}

// ---------------------------------------------------------------- iterations and stop

#[test]
fn stop_finishes_the_current_iteration_and_keeps_the_rest_for_the_next_run() {
    watchdog(STOP_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let trace = Trace::new();
        let (h, t) = (handle.clone(), trace.clone());
        event_loop
            .call_soon(move || {
                t.push("A stops the loop");
                h.stop().unwrap();
                h.call_soon(log(&t, "D (scheduled by A)")).unwrap();
            })
            .unwrap();
        event_loop.call_soon(log(&trace, "B")).unwrap();
        event_loop.call_soon(log(&trace, "C")).unwrap();
        event_loop.run_forever().unwrap();
        assert_no_panics(&event_loop);

        let lines = trace.lines();
        assert!(
            lines.len() >= 3,
            "run_forever returned in the middle of an iteration: {lines:?}. stop() lets the \
             current iteration finish (B and C were already queued when it began)"
        );
        assert_eq!(
            lines,
            ["A stops the loop", "B", "C"],
            "D was scheduled during the iteration that stopped: it belongs to the next iteration"
        );
        assert!(!event_loop.is_running(), "is_running() after run_forever returned");

        event_loop.call_soon(stopper(&handle)).unwrap();
        event_loop.run_forever().unwrap();
        assert_no_panics(&event_loop);
        assert_eq!(
            trace.lines(),
            ["A stops the loop", "B", "C", "D (scheduled by A)"],
            "stop() lost a callback that was already scheduled: it must run on the next run"
        );
    });
}

#[test]
fn a_stopping_loop_does_not_wait_for_its_next_timer() {
    watchdog(STOP_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let trace = Trace::new();
        event_loop.call_later(secs(3600), log_time(&trace, &handle, "hour")).unwrap();
        event_loop.call_soon(stopper(&handle)).unwrap();
        event_loop.run_forever().unwrap();
        assert_eq!(
            event_loop.time(),
            Duration::ZERO,
            "stop() was called at 0 s but run_forever returned at {:?}: a stopping loop must \
             not idle until the next timer",
            event_loop.time()
        );
        assert!(trace.lines().is_empty(), "the hour timer fired although the loop was stopped");

        event_loop.call_later(secs(3600), stopper(&handle)).unwrap();
        event_loop.run_forever().unwrap();
        assert_no_panics(&event_loop);
        assert_eq!(trace.lines(), ["hour@3600"], "the timer survives the stop and fires later");
    });
}

#[test]
fn stop_before_run_forever_runs_exactly_one_iteration() {
    watchdog(
        "run_forever ignored a stop() made before it started: does it clear the flag on entry? \
         (asyncio: stop before run means run one iteration, then return)",
        || {
            let (event_loop, _) = virtual_loop();
            let handle = event_loop.handle();
            let trace = Trace::new();
            let (h, t) = (handle.clone(), trace.clone());
            event_loop
                .call_soon(move || {
                    t.push("first iteration");
                    h.call_soon(log(&t, "second iteration")).unwrap();
                })
                .unwrap();
            event_loop.stop();
            event_loop.run_forever().unwrap();
            assert_no_panics(&event_loop);
            assert_eq!(
                trace.lines(),
                ["first iteration"],
                "stop() before run_forever: one iteration runs, then run_forever returns"
            );
        },
    );
}

#[test]
fn a_callback_that_reschedules_itself_cannot_starve_timers() {
    watchdog(
        "a callback that reschedules itself kept the loop busy forever: run only the callbacks \
         that were queued when the iteration began; the ones they schedule wait for the next \
         iteration, after the due timers have been moved in",
        || {
            let (event_loop, clock) = virtual_loop();
            let spins = Rc::new(Cell::new(0u32));

            // Each spin "takes" 10 ms of loop time, then queues itself again.
            fn spin(handle: Handle, clock: VirtualClock, spins: Rc<Cell<u32>>) {
                spins.set(spins.get() + 1);
                clock.advance(Duration::from_millis(10));
                let again = handle.clone();
                let _ = handle.call_soon(move || spin(again, clock, spins));
            }
            let (h, c, s) = (event_loop.handle(), clock.clone(), spins.clone());
            event_loop.call_soon(move || spin(h, c, s)).unwrap();
            event_loop.call_later(secs(1), stopper(&event_loop.handle())).unwrap();
            event_loop.run_forever().unwrap();
            assert_no_panics(&event_loop);

            let spins = spins.get();
            assert!(
                (100..=102).contains(&spins),
                "the 1 s timer fired after {spins} spins of 10 ms: due timers must be moved to \
                 the ready queue in every iteration (expected about 100)"
            );
        },
    );
}

// ---------------------------------------------------------------- run_until_complete and sleep

/// Wraps a future and counts how often it is polled.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Rc<Cell<u32>>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.inner.as_mut().poll(cx)
    }
}

#[test]
fn run_until_complete_returns_the_output_when_the_future_is_done() {
    watchdog(
        "run_until_complete never returned: is the main future polled again when its waker is \
         woken, and does its completion stop the loop?",
        || {
            let (event_loop, _) = virtual_loop();
            let polls = Rc::new(Cell::new(0));
            let future = CountPolls {
                inner: Box::pin(async {
                    sleep(secs(2)).await;
                    sleep(secs(1)).await;
                    42
                }),
                polls: polls.clone(),
            };
            let out = event_loop.run_until_complete(future);
            assert_no_panics(&event_loop);
            assert_eq!(
                out,
                Ok(42),
                "run_until_complete must return the future's output once it is done"
            );
            assert_eq!(
                event_loop.time(),
                secs(3),
                "the future slept 2 s then 1 s: run_until_complete returned at the wrong time"
            );
            assert_eq!(
                polls.get(),
                3,
                "the main future was polled {} times: poll it once at the start and once per \
                 wake (here: start, after 2 s, after 3 s), never on every iteration",
                polls.get()
            );
            assert!(!event_loop.is_running(), "is_running() after run_until_complete returned");
        },
    );
}

#[test]
fn run_until_complete_runs_timers_alongside_and_stops_when_the_future_is_done() {
    watchdog(TIMER_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let trace = Trace::new();
        event_loop.call_later(secs(1), log_time(&trace, &handle, "timer")).unwrap();
        event_loop.call_later(secs(3), log_time(&trace, &handle, "late timer")).unwrap();
        let (h, t) = (handle.clone(), trace.clone());
        let polls = Rc::new(Cell::new(0));
        let future = CountPolls {
            inner: Box::pin(async move {
                t.push(format!("main starts@{}", h.time().unwrap().as_secs()));
                sleep(secs(2)).await;
                t.push(format!("main wakes@{}", h.time().unwrap().as_secs()));
                "done"
            }),
            polls: polls.clone(),
        };
        let out = event_loop.run_until_complete(future);
        assert_no_panics(&event_loop);
        assert_eq!(out, Ok("done"));
        assert_eq!(
            trace.lines(),
            ["main starts@0", "timer@1", "main wakes@2"],
            "the 1 s timer fires while the future sleeps 2 s; the loop returns as soon as the \
             future is done (the 3 s timer is not its business)"
        );
        assert_eq!(
            polls.get(),
            2,
            "the main future was polled {} times: poll it once at the start and once when its \
             sleep wakes it, not after every iteration in which a callback ran (the 1 s timer's \
             callback did not wake it)",
            polls.get()
        );
        assert_eq!(event_loop.time(), secs(2));

        event_loop.call_later(secs(2), stopper(&handle)).unwrap();
        event_loop.run_forever().unwrap();
        assert_eq!(
            trace.lines().last().map(String::as_str),
            Some("late timer@3"),
            "the 3 s timer must still be pending after run_until_complete, and fire later"
        );
    });
}

/// A [`VirtualClock`] that tells another thread each time the loop goes idle, just before it
/// parks (with no timer, the virtual clock parks the thread until it is unparked). A thread
/// that waits for this message acts only once the loop is idle: a missing unpark then hangs
/// the loop every time, instead of only when the thread happens to be slower than the loop.
struct TellWhenIdle {
    clock: VirtualClock,
    idle: mpsc::Sender<()>,
}

impl Clock for TellWhenIdle {
    fn now(&self) -> Duration {
        self.clock.now()
    }
    fn idle_until(&self, deadline: Option<Duration>) {
        let _ = self.idle.send(());
        self.clock.idle_until(deadline);
    }
}

/// A loop on a [`TellWhenIdle`] clock, and the receiving end of its messages.
fn loop_that_tells_when_idle() -> (EventLoop, mpsc::Receiver<()>) {
    let (idle, idled) = mpsc::channel();
    (EventLoop::with_clock(TellWhenIdle { clock: VirtualClock::new(), idle }), idled)
}

#[test]
fn a_wake_from_another_thread_reaches_an_idle_loop() {
    watchdog(
        "the loop went idle (nothing ready, no timers: the clock parked its thread), then \
         another thread woke the main future, and the loop never noticed: the waker did not \
         unpark the loop's thread (MainWaker::wake_by_ref: raise the flag, then unpark)",
        || {
            let (event_loop, idled) = loop_that_tells_when_idle();
            let mut idled = Some(idled);
            let flag = Arc::new(AtomicBool::new(false));
            let out = event_loop.run_until_complete(std::future::poll_fn(move |cx| {
                if flag.load(Ordering::SeqCst) {
                    return Poll::Ready("woken from a thread");
                }
                if let Some(idled) = idled.take() {
                    let (flag, waker) = (flag.clone(), cx.waker().clone());
                    thread::spawn(move || {
                        // Wait until the loop is idle; Err: the loop is gone, nothing to wake.
                        if idled.recv().is_ok() {
                            flag.store(true, Ordering::SeqCst);
                            waker.wake();
                        }
                    });
                }
                Poll::Pending
            }));
            assert_eq!(out, Ok("woken from a thread"));
        },
    );
}

#[test]
fn call_soon_threadsafe_from_another_thread_runs_on_the_loop() {
    watchdog(
        "the loop went idle (nothing ready, no timers: the clock parked its thread), then \
         another thread sent a callback with call_soon_threadsafe, and it never ran or could \
         not stop the loop: call_soon_threadsafe did not unpark the loop's thread? Or the \
         injection queue is not drained at the start of every iteration, or Handle::current() \
         does not see the running loop",
        || {
            let (event_loop, idled) = loop_that_tells_when_idle();
            let remote = event_loop.remote();
            let loop_thread = thread::current().id();
            let trace = Trace::new();
            let t = trace.clone();
            let sender = thread::spawn(move || {
                // Send only once the loop is idle; Err: the loop is gone, nothing to send to.
                if idled.recv().is_err() {
                    return;
                }
                remote
                    .call_soon_threadsafe(move || {
                        let same_thread = thread::current().id() == loop_thread;
                        t.push(format!("ran on the loop's thread: {same_thread}"));
                        Handle::current().expect("no current loop inside a callback").stop().unwrap();
                    })
                    .unwrap();
            });
            event_loop.run_forever().unwrap();
            sender.join().unwrap();
            assert_no_panics(&event_loop);
            assert_eq!(trace.lines(), ["ran on the loop's thread: true"]);
        },
    );
}

#[test]
fn stop_during_run_until_complete_is_an_error_and_keeps_the_other_callbacks() {
    watchdog(STOP_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let trace = Trace::new();
        let drops = DropCounter::new();
        let probe = drops.probe();
        event_loop.call_later(secs(1), stopper(&handle)).unwrap();
        event_loop.call_later(secs(5), log_time(&trace, &handle, "later")).unwrap();
        let out = event_loop.run_until_complete(async move {
            let _probe = probe;
            sleep(secs(10)).await;
        });
        assert_eq!(
            out,
            Err(LoopError::StoppedBeforeComplete),
            "stop() before the future finished: run_until_complete returns that error"
        );
        assert_eq!(event_loop.time(), secs(1));
        assert_eq!(drops.dropped(), 1, "the unfinished future must be dropped (cancelled)");

        event_loop.call_later(secs(5), stopper(&handle)).unwrap();
        event_loop.run_forever().unwrap();
        assert_eq!(trace.lines(), ["later@5"], "the loop's other timers must survive the stop");
    });
}

#[test]
fn a_panic_in_the_main_future_reaches_the_caller_and_the_loop_stays_usable() {
    watchdog(STOP_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let caught = panic::catch_unwind(AssertUnwindSafe(|| {
            event_loop.run_until_complete(async { panic!("the main future broke") })
        }));
        let payload = caught.expect_err(
            "the main future panicked but run_until_complete returned: its panic belongs to \
             the caller (like the exception asyncio re-raises)",
        );
        assert!(panic_message(&*payload).contains("the main future broke"));
        assert!(
            !event_loop.is_running(),
            "the loop still says it is running after the panic: reset the running state in a \
             guard's Drop, so it happens on every way out"
        );
        assert!(Handle::current().is_none(), "Handle::current() must be None after the run");
        assert_eq!(event_loop.run_until_complete(async { 7 }), Ok(7));
    });
}

#[test]
fn run_makes_a_loop_runs_the_future_and_leaves_no_loop_behind() {
    watchdog("run never returned: see run_until_complete", || {
        let trace = Trace::new();
        let drops = DropCounter::new();
        let (probe, t) = (drops.probe(), trace.clone());
        let out = run_with_clock(VirtualClock::new(), async move {
            let handle = Handle::current().expect("no current loop inside the future");
            // Still pending when the future is done: run must not leave it behind.
            handle.call_later(secs(3600), move || t.push(format!("{probe:?} ran"))).unwrap();
            sleep(secs(5)).await;
            (handle.time().unwrap(), handle)
        });
        let (at, handle) = out.expect("run_with_clock failed");
        assert_eq!(at, secs(5), "run returns when the future is done, at 5 s");
        // Closed or dropped, the two look the same from here: run must not keep its loop.
        assert!(
            handle.is_closed(),
            "the loop run made is still open after run returned: close it (or let it drop)"
        );
        assert_eq!(handle.call_soon(|| {}), Err(LoopError::Closed));
        assert_eq!(
            drops.dropped(),
            1,
            "run returned with its loop's pending timer still alive: the loop must be closed \
             (or dropped), which drops what was pending"
        );
        assert!(trace.lines().is_empty(), "the pending timer ran: run does not wait for timers");
    });
}

// ---------------------------------------------------------------- bad input

#[test]
fn a_closed_loop_refuses_everything_with_an_error_and_drops_what_was_pending() {
    watchdog(STOP_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let trace = Trace::new();
        let drops = DropCounter::new();
        let (p1, p2, t1, t2) = (drops.probe(), drops.probe(), trace.clone(), trace.clone());
        event_loop.call_soon(move || t1.push(format!("{p1:?} ran"))).unwrap();
        event_loop.call_later(secs(1), move || t2.push(format!("{p2:?} ran"))).unwrap();
        let remote = event_loop.remote();

        assert_eq!(event_loop.close(), Ok(()));
        assert!(event_loop.is_closed());
        assert_eq!(
            drops.dropped(),
            2,
            "close() must drop the pending callback and timer (asyncio discards them)"
        );
        assert!(trace.lines().is_empty(), "close() must not run pending callbacks");

        let soon = panic::catch_unwind(AssertUnwindSafe(|| event_loop.call_soon(|| {})));
        let soon = soon.unwrap_or_else(|_| {
            panic!("call_soon on a closed loop panicked: return Err(LoopError::Closed)")
        });
        assert_eq!(soon, Err(LoopError::Closed), "call_soon on a closed loop");
        assert!(event_loop.call_later(secs(1), || {}).is_err_and(|e| e == LoopError::Closed));
        assert!(event_loop.call_at(secs(1), || {}).is_err_and(|e| e == LoopError::Closed));
        assert_eq!(remote.call_soon_threadsafe(|| {}), Err(LoopError::Closed));
        assert_eq!(event_loop.run_forever(), Err(LoopError::Closed), "run_forever on a closed loop");
        assert_eq!(
            event_loop.run_until_complete(async {}),
            Err(LoopError::Closed),
            "run_until_complete on a closed loop"
        );
        assert_eq!(event_loop.close(), Ok(()), "closing twice is allowed (asyncio allows it)");
    });
}

#[test]
fn a_running_loop_cannot_be_run_again_nor_can_another_loop_nest_inside_it() {
    watchdog(
        "a callback tried to run a loop inside the running one and it never returned: \
         run_* must check for a running loop first and return Err(AlreadyRunning)",
        || {
            let (event_loop, _) = virtual_loop();
            let handle = event_loop.handle();
            let seen = Rc::new(RefCell::new(Vec::new()));
            let (h, s) = (handle.clone(), seen.clone());
            event_loop
                .call_soon(move || {
                    let mut s = s.borrow_mut();
                    s.push(format!("is_running={}", h.is_running()));
                    s.push(format!("current={}", Handle::current().is_some_and(|c| c.is_running())));
                    s.push(format!("run_until_complete={:?}", h.run_until_complete(async { 1 })));
                    s.push(format!("run_forever={:?}", h.run_forever()));
                    let other = EventLoop::with_clock(VirtualClock::new());
                    s.push(format!("other loop={:?}", other.run_until_complete(async { 2 })));
                    s.push(format!("run={:?}", run_with_clock(VirtualClock::new(), async { 3 })));
                    h.stop().unwrap();
                })
                .unwrap();
            assert!(Handle::current().is_none(), "Handle::current() outside any run must be None");
            event_loop.run_forever().unwrap();
            assert_no_panics(&event_loop);

            let e = format!("{:?}", Err::<(), _>(LoopError::AlreadyRunning));
            assert_eq!(
                *seen.borrow(),
                [
                    "is_running=true".to_owned(),
                    "current=true".to_owned(),
                    format!("run_until_complete={e}"),
                    format!("run_forever={e}"),
                    format!("other loop={e}"),
                    format!("run={e}"),
                ],
                "inside a callback the loop is running, Handle::current() finds it, and every \
                 attempt to run a loop (this one or a new one) on the same thread is refused"
            );
            assert!(!event_loop.is_running());
            assert!(Handle::current().is_none(), "Handle::current() must be None after the run");
        },
    );
}

#[test]
fn closing_a_running_loop_is_an_error_and_the_loop_keeps_running() {
    watchdog(STOP_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let trace = Trace::new();
        let (h, t) = (handle.clone(), trace.clone());
        event_loop
            .call_soon(move || t.push(format!("close while running: {:?}", h.close())))
            .unwrap();
        event_loop.call_soon(log(&trace, "next callback")).unwrap();
        event_loop.call_soon(stopper(&handle)).unwrap();
        event_loop.run_forever().unwrap();
        assert_no_panics(&event_loop);

        assert_eq!(
            trace.lines(),
            ["close while running: Err(CloseWhileRunning)", "next callback"],
            "close() from inside the running loop is refused, and the loop carries on"
        );
        assert!(!event_loop.is_closed(), "the refused close() must not have closed the loop");
        assert_eq!(event_loop.close(), Ok(()), "once stopped, the loop can be closed");
    });
}

#[test]
fn a_panicking_callback_is_reported_and_the_loop_keeps_going() {
    watchdog(STOP_SUSPECT, || {
        let (event_loop, clock) = virtual_loop();
        let handle = event_loop.handle();
        let trace = Trace::new();
        clock.advance(secs(7));
        event_loop.call_soon(log(&trace, "before")).unwrap();
        event_loop.call_soon(|| panic!("boom")).unwrap();
        event_loop.call_soon(log(&trace, "after")).unwrap();
        event_loop.call_soon(stopper(&handle)).unwrap();

        let run = panic::catch_unwind(AssertUnwindSafe(|| event_loop.run_forever()));
        let run = run.unwrap_or_else(|p| {
            panic!(
                "a panicking callback took the loop down ({}): run each callback under \
                 catch_unwind and record the panic",
                panic_message(&*p)
            )
        });
        assert_eq!(run, Ok(()), "a callback's panic is reported by take_panics, not by run_forever");
        assert_eq!(trace.lines(), ["before", "after"], "the other callbacks must still run");
        assert!(!event_loop.is_running());

        let panics = event_loop.take_panics();
        assert_eq!(panics.len(), 1, "exactly one callback panicked: {panics:?}");
        assert!(panics[0].message.contains("boom"), "the record keeps the message: {panics:?}");
        assert_eq!(panics[0].at, secs(7), "the record keeps the loop time of the panic");
        assert!(event_loop.take_panics().is_empty(), "take_panics hands each record out once");
    });
}

#[test]
fn dropping_the_loop_drops_everything_pending_and_handles_report_closed() {
    watchdog(STOP_SUSPECT, || {
        let (event_loop, _) = virtual_loop();
        let handle = event_loop.handle();
        let remote = event_loop.remote();
        let drops = DropCounter::new();
        let (p1, p2) = (drops.probe(), drops.probe());
        // Each callback also holds a Handle to its own loop: that must not keep the loop alive.
        let (h1, h2) = (handle.clone(), handle.clone());
        event_loop.call_soon(move || drop((p1, h1))).unwrap();
        event_loop.call_later(secs(1), move || drop((p2, h2))).unwrap();
        remote.call_soon_threadsafe(|| {}).unwrap();

        drop(event_loop);
        assert_eq!(drops.dropped(), 2, "dropping the loop must drop its pending callbacks");
        assert!(handle.is_closed(), "a handle to a dropped loop reports it closed");
        assert_eq!(handle.call_soon(|| {}), Err(LoopError::Closed));
        assert_eq!(remote.call_soon_threadsafe(|| {}), Err(LoopError::Closed));
    });
}
