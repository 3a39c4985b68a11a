//! Chapter 6 behaviour tests. The same file tests your stub (`cargo test -p offload`) and the
//! reference solution (`cargo test -p offload-solution`).
//!
//! Each test is written against a plausible wrong implementation and names it when it fails.
//! Every test runs under a watchdog, so a wake that never comes fails instead of hanging. No test
//! sleeps: channels and barriers order the threads, and loop time is virtual (a callback that
//! "works for 250 ms" advances the virtual clock by 250 ms).
//!
//! Run one stage at a time: `cargo test -p offload stage1` (then stage2, stage3, stage4).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};
use std::time::Duration;

use course_support::{DropCounter, watchdog_causes};
use event_loop::{EventLoop, Handle, LoopError, VirtualClock, run_with_clock, sleep};
use offload::{
    Blocking, BlockingError, LineSource, PoolError, SlowReport, ThreadPool, ThreadsafeError,
    call_soon_timed, read_line, run_coroutine_threadsafe, set_slow_threshold, spawn_timed,
    take_slow_reports,
};
use tasks::JoinError;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn pool(workers: usize) -> ThreadPool {
    ThreadPool::new(workers).unwrap_or_else(|e| panic!("ThreadPool::new({workers}) failed: {e}"))
}

/// Runs `main` to completion on a fresh loop with the given virtual clock.
fn run_on<F: Future>(clock: &VirtualClock, main: F) -> F::Output {
    run_with_clock(clock.clone(), main).expect("the loop ran the test's main future")
}

/// The running loop's time.
fn now() -> Duration {
    Handle::current()
        .expect("called on the loop")
        .time()
        .expect("the loop is alive")
}

/// Unwraps a blocking result, naming what went wrong for the learner.
fn ok<T>(result: Result<T, BlockingError>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(BlockingError::Lost) => panic!(
            "{what} gave Err(BlockingError::Lost): the job was dropped without completing its future. \
             Does a panic kill the worker, or does shutdown drop queued jobs instead of calling them \
             with Err(PoolError::ShutDown)?"
        ),
        Err(error) => panic!("{what} gave Err({error:?}) ({error}), expected Ok"),
    }
}

/// `pool.spawn_blocking(f)` for a closure that waits for something: run by mistake on the thread
/// that called `spawn_blocking` (the loop's thread, in a task), it would wait for ever, so it
/// fails at once with a message naming the mistake instead.
fn off_the_caller<T, F>(pool: &ThreadPool, f: F) -> Blocking<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let caller = thread::current().id();
    pool.spawn_blocking(move || {
        assert!(
            thread::current().id() != caller,
            "spawn_blocking ran the closure on the thread that called it (the loop's thread, when \
             called from a task): a blocking closure there stops the loop, and this one would wait \
             for ever. Submit it to the pool as a job instead"
        );
        f()
    })
}

/// Waits for a blocking closure's "I have started" message.
fn wait_started(started: &mpsc::Receiver<()>) {
    started.recv().unwrap_or_else(|_| {
        panic!(
            "the closure given to spawn_blocking was dropped without starting: spawn_blocking never \
             submitted it to the pool, or ran it on the calling thread (where this test's closure \
             refuses to run)"
        )
    })
}

/// Yields once: wakes itself and returns Pending, so the loop runs other work before the next poll.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

const POOL_CAUSES: &[&str] = &[
    "a worker never takes the job: push_back it, then available.notify_one(), and have the worker \
     wait on the Condvar in a loop that pops the queue",
    "the worker runs its job while holding the queue's lock, so no other worker can take a job",
    "ThreadPool::new starts fewer threads than asked",
];

const WAKE_CAUSES: &[&str] = &[
    "the worker never wakes the waker that Blocking::poll stored (fill must take it and call wake())",
    "Blocking::poll does not store cx.waker() when the result is not there yet",
    "Blocking::poll checks for the result and stores the waker under two separate locks: the worker \
     can store the result in between and find no waker to wake (a lost wake)",
    "fill wakes the waker before storing the result: the task polls at once, finds nothing, \
     and is never woken again",
    "the job never runs: spawn_blocking must submit it to the pool",
];

// ------------------------------------------------------------------ stage 1: the pool

#[test]
fn stage1_a_pool_of_zero_workers_is_refused() {
    watchdog_causes(
        &["ThreadPool::new(0) waits for something instead of returning an error"],
        || {
            match ThreadPool::new(0) {
                Err(PoolError::NoWorkers) => {}
                Err(other) => panic!(
                    "ThreadPool::new(0) gave Err({other:?}); the error for zero workers is PoolError::NoWorkers"
                ),
                Ok(_) => panic!(
                    "ThreadPool::new(0) returned a pool: a pool without workers would accept jobs and never \
                 run them. Refuse it with Err(PoolError::NoWorkers)"
                ),
            }
            let three = pool(3);
            assert_eq!(three.size(), 3, "ThreadPool::new(3).size() must be 3");
        },
    );
}

#[test]
fn stage1_jobs_run_on_the_workers_in_queue_order() {
    watchdog_causes(POOL_CAUSES, || {
        let me = thread::current().id();
        let one = pool(1);
        let (tx, rx) = mpsc::channel();
        for i in 0..10 {
            let tx = tx.clone();
            one.execute(move || tx.send((i, thread::current().id())).unwrap())
                .expect("execute on a running pool must return Ok");
        }
        let got: Vec<(i32, ThreadId)> = (0..10)
            .map(|_| rx.recv().expect("every job sends once"))
            .collect();
        assert!(
            got.iter().all(|(_, id)| *id != me),
            "a job ran on the thread that called execute: jobs must run on the pool's worker threads"
        );
        let mut ids: Vec<ThreadId> = got.iter().map(|(_, id)| *id).collect();
        ids.dedup();
        assert_eq!(
            ids.len(),
            1,
            "a pool of ONE worker ran ten jobs on {} different threads: it started a thread per job \
             instead of handing the jobs to its one worker",
            ids.len()
        );
        let order: Vec<i32> = got.iter().map(|(i, _)| *i).collect();
        assert_eq!(
            order,
            (0..10).collect::<Vec<_>>(),
            "a pool of one worker ran ten jobs out of order: the queue is first in, first out \
             (push_back to queue, pop_front to take)"
        );
    });
}

#[test]
fn stage1_a_job_waits_for_a_free_worker_instead_of_a_new_thread() {
    watchdog_causes(POOL_CAUSES, || {
        let two = pool(2);
        let (started_tx, started) = mpsc::channel::<(&str, ThreadId)>();
        let mut gates = Vec::new();
        for name in ["A", "B"] {
            let (gate_tx, gate) = mpsc::channel::<()>();
            gates.push(gate_tx);
            let started_tx = started_tx.clone();
            two.execute(move || {
                started_tx.send((name, thread::current().id())).unwrap();
                let _ = gate.recv();
            })
            .expect("execute on a running pool must return Ok");
        }
        let first = started.recv().unwrap();
        let second = started.recv().unwrap();
        let (a, b) = if first.0 == "A" {
            (first.1, second.1)
        } else {
            (second.1, first.1)
        };
        assert_ne!(
            a, b,
            "jobs A and B ran on the same thread at the same time?"
        );

        // Both workers are busy: job C must wait in the queue for one of them.
        let started_c = started_tx.clone();
        two.execute(move || started_c.send(("C", thread::current().id())).unwrap())
            .expect("execute on a running pool must return Ok");
        gates[0].send(()).unwrap(); // A finishes; its worker is free.
        let (name, c) = started.recv().unwrap();
        assert_eq!(name, "C");
        assert!(
            c == a,
            "job C ran on a thread that is neither of the pool's two workers (both were busy): the \
             pool started a thread for it. A fixed pool queues the job until a worker is free; C \
             should have run on A's worker once A finished"
        );
        gates[1].send(()).unwrap();
    });
}

#[test]
fn stage1_a_panicking_job_does_not_kill_its_worker() {
    watchdog_causes(
        &[
            "the worker thread died with the panicking job: run each job inside \
             std::panic::catch_unwind(AssertUnwindSafe(...)) and carry on",
            "the worker runs jobs while holding the queue's lock: the panic poisoned the Mutex",
        ],
        || {
            let one = pool(1);
            one.execute(|| {
                panic!("this job fails on purpose (the test expects this panic message)")
            })
            .expect("execute on a running pool must return Ok");
            let (tx, rx) = mpsc::channel();
            one.execute(move || tx.send("second job ran").unwrap())
                .expect("execute must still return Ok after a job panicked");
            assert_eq!(
                rx.recv(),
                Ok("second job ran"),
                "the job after a panicking one never ran"
            );
        },
    );
}

thread_local! {
    /// Set by a job on the worker that runs it; dropped when that worker thread exits.
    static ALIVE: RefCell<Option<mpsc::Sender<()>>> = const { RefCell::new(None) };
}

#[test]
fn stage1_shutdown_joins_every_worker() {
    watchdog_causes(
        &[
            "a worker waiting for a job never sees the shutdown: shutdown must set shut_down and \
             notify_all, and the worker must check shut_down each time it wakes",
            "shutdown joins a worker while holding the queue's lock, which that worker needs to exit",
            "the worker runs its job while holding the queue's lock, so the other worker never gets one",
        ],
        || {
            let two = pool(2);
            let (alive_tx, alive) = mpsc::channel();
            // Both jobs meet at the barrier with this thread: one job on each worker.
            let barrier = Arc::new(Barrier::new(3));
            for _ in 0..2 {
                let (tx, barrier) = (alive_tx.clone(), barrier.clone());
                two.execute(move || {
                    ALIVE.with(|a| *a.borrow_mut() = Some(tx));
                    barrier.wait();
                })
                .expect("execute on a running pool must return Ok");
            }
            drop(alive_tx);
            barrier.wait();

            two.shutdown();
            // Each worker's thread-local sender is dropped when that thread exits, and joining a
            // thread waits for its thread-local destructors.
            assert_eq!(
                alive.try_recv(),
                Err(mpsc::TryRecvError::Disconnected),
                "shutdown() returned while a thread that ran a job was still running: it must join \
                 every worker (JoinHandle::join) before it returns (and jobs run only on workers)"
            );
        },
    );
}

/// Tells the test, when dropped, that a queued job went away.
struct Gone(&'static str, mpsc::Sender<&'static str>);

impl Drop for Gone {
    fn drop(&mut self) {
        let _ = self.1.send(self.0);
    }
}

#[test]
fn stage1_shutdown_fails_queued_jobs_and_refuses_new_ones() {
    watchdog_causes(
        &[
            "shutdown waits for the queued jobs to run instead of failing them at once (take the \
             queue out under the lock, then call each job with Err(PoolError::ShutDown))",
            "shutdown never returns: the worker does not exit when shut_down is set and the queue is empty",
            "the worker runs its job while holding the queue's lock, so shutdown cannot take the queue",
        ],
        || {
            let one = Arc::new(pool(1));
            let (started_tx, started) = mpsc::channel();
            let (gate_tx, gate) = mpsc::channel::<()>();
            one.execute(move || {
                started_tx.send(()).unwrap();
                let _ = gate.recv();
            })
            .unwrap();
            started.recv().unwrap(); // The worker is busy; what comes next waits in the queue.

            let ran = Arc::new(AtomicBool::new(false));
            let (gone_tx, gone) = mpsc::channel();
            for name in ["B", "C"] {
                let (ran, probe) = (ran.clone(), Gone(name, gone_tx.clone()));
                one.execute(move || {
                    let _probe = probe;
                    ran.store(true, Ordering::SeqCst);
                })
                .unwrap();
            }
            let shutting = one.clone();
            let shutdown = thread::spawn(move || shutting.shutdown());
            // The queued jobs are failed while job A is still running.
            let mut failed = [gone.recv().unwrap(), gone.recv().unwrap()];
            failed.sort();
            assert_eq!(failed, ["B", "C"]);
            assert!(
                !ran.load(Ordering::SeqCst),
                "a job queued behind a busy worker ran: either it was never queued (the pool ran it on \
                 a thread of its own) or shutdown ran the queue; shutdown fails the queued jobs"
            );
            gate_tx.send(()).unwrap(); // Let A finish, so the worker can be joined.
            let refused = shutdown.join().expect("shutdown panicked");
            assert_eq!(
                refused, 2,
                "shutdown() returns how many queued jobs it failed: 2 were queued"
            );
            assert_eq!(
                one.execute(|| {}),
                Err(PoolError::ShutDown),
                "execute after shutdown must be refused with Err(PoolError::ShutDown)"
            );
            assert_eq!(
                one.shutdown(),
                0,
                "a second shutdown() has nothing left to fail: it returns 0"
            );
        },
    );
}

#[test]
fn stage1_a_job_can_shut_down_its_own_pool() {
    watchdog_causes(
        &[
            "shutdown joins the thread it runs on: a job that shuts down (or drops) its own pool \
             waits for its own end. Skip the worker whose thread().id() is thread::current().id()",
            "a worker waiting for a job never sees the shutdown: shutdown must set shut_down and \
             notify_all, and the worker must check shut_down each time it wakes",
        ],
        || {
            // The pool's last handle is dropped by one of its own jobs, so `Drop` runs
            // `shutdown` on a worker thread (a job calling `shutdown()` itself is the same case).
            let two = Arc::new(pool(2));
            let (gate_tx, gate) = mpsc::channel::<()>();
            let (done_tx, done) = mpsc::channel();
            let own = two.clone();
            two.execute(move || {
                let _ = gate.recv(); // Until the test has dropped its handle.
                drop(own); // The last handle: shuts the pool down, on this worker.
                done_tx.send(()).unwrap();
            })
            .expect("execute on a running pool must return Ok");
            drop(two);
            gate_tx.send(()).unwrap();
            done.recv().unwrap_or_else(|_| {
                panic!(
                    "a job that dropped the last handle to its own pool never got past the drop: \
                     shutdown (run by Drop on that worker) panicked, probably joining the thread it \
                     runs on (a thread cannot join itself; std's join panics or deadlocks). Skip \
                     the worker whose thread().id() is thread::current().id()"
                )
            });
        },
    );
}

// ------------------------------------------------------------------ stage 2: spawn_blocking

#[test]
fn stage2_spawn_blocking_runs_the_closure_on_a_worker() {
    require_store_then_wake();
    watchdog_causes(WAKE_CAUSES, || {
        let one = pool(1);
        let clock = VirtualClock::new();
        let (loop_thread, results) = run_on(&clock, async {
            let mut results = Vec::new();
            for i in 0..3u64 {
                let blocking: Blocking<(u64, ThreadId)> =
                    one.spawn_blocking(move || (i * i, thread::current().id()));
                results.push(ok(blocking.await, "awaiting spawn_blocking"));
            }
            (thread::current().id(), results)
        });
        let values: Vec<u64> = results.iter().map(|r| r.0).collect();
        assert_eq!(
            values,
            [0, 1, 4],
            "each future must give its own closure's return value"
        );
        assert!(
            results.iter().all(|r| r.1 != loop_thread),
            "spawn_blocking ran the closure on the loop's thread: a blocking closure there stops \
             every task. Submit it to the pool as a job instead"
        );
        assert!(
            results.iter().all(|r| r.1 == results[0].1),
            "three closures on a pool of ONE worker ran on different threads: spawn_blocking started \
             its own thread instead of submitting a job to the pool"
        );
    });
}

/// A waker that, when woken, polls the future at once, on the waking thread, and reports what
/// it saw: the strictest reader a result can have.
struct PollOnWake {
    future: Arc<Mutex<Blocking<u32>>>,
    seen: Mutex<mpsc::Sender<Poll<Result<u32, BlockingError>>>>,
}

impl Wake for PollOnWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut future = self.future.lock().unwrap();
        let polled = Pin::new(&mut *future).poll(&mut Context::from_waker(Waker::noop()));
        let _ = self.seen.lock().unwrap().send(polled);
    }
}

const STORE_THEN_WAKE_CAUSES: &[&str] = &[
    "fill wakes the waker while still holding the slot's lock: a task polled at once, on the \
     waking thread, needs that lock. Take the waker out, release the lock, then wake",
    "the job never runs or never finishes (is it submitted to the pool?)",
];

/// Stage 2's handoff check: the first poll registers a waker that polls again *inside* `wake`,
/// on the worker's thread, so a `fill` that wakes before it stores is caught every time, not
/// only when the threads happen to interleave badly. `before` prefixes the message for that bug.
fn check_store_then_wake(before: &str) {
    let one = pool(1);
    let (gate_tx, gate) = mpsc::channel::<()>();
    let future = Arc::new(Mutex::new(off_the_caller(&one, move || {
        let _ = gate.recv();
        42u32
    })));
    let (seen_tx, seen) = mpsc::channel();
    let waker = Waker::from(Arc::new(PollOnWake {
        future: future.clone(),
        seen: Mutex::new(seen_tx),
    }));
    let first = Pin::new(&mut *future.lock().unwrap()).poll(&mut Context::from_waker(&waker));
    if let Poll::Ready(Err(BlockingError::Panicked { message })) = first {
        panic!("{message}");
    }
    assert!(
        first.is_pending(),
        "the closure is waiting for the test, yet the future was Ready"
    );
    gate_tx.send(()).unwrap();
    // A second job on the pool's only worker runs after the first one has finished,
    // wake included: by then the waker has been woken, or never will be.
    let (done_tx, done) = mpsc::channel();
    one.execute(move || done_tx.send(()).unwrap()).unwrap();
    done.recv().unwrap();
    let Ok(seen) = seen.try_recv() else {
        let now =
            Pin::new(&mut *future.lock().unwrap()).poll(&mut Context::from_waker(Waker::noop()));
        panic!(
            "the closure finished (the future now polls {now:?}), but the waker given to the \
             first poll was never woken: Blocking::poll must store cx.waker(), and fill must \
             take it and wake it after storing the result"
        );
    };
    match seen {
        Poll::Ready(Ok(42)) => {}
        Poll::Pending => panic!(
            "{before}fill woke the waker before it stored the result: a task polled right after \
             the wake found Pending (and, having been woken already, would wait forever). Store \
             the result, then take the waker and wake it"
        ),
        other => {
            panic!("the poll right after the wake gave {other:?}, expected Ready(Ok(42))")
        }
    }
}

#[test]
fn stage2_the_result_is_stored_before_the_wake() {
    watchdog_causes(STORE_THEN_WAKE_CAUSES, || check_store_then_wake(""));
}

/// Later tests await `spawn_blocking` futures on a loop, where a `fill` that wakes before it
/// stores loses the wake only when the loop's poll wins the race: such a test would hang now and
/// then and blame something else. Each test that awaits one on a loop runs stage 2's
/// deterministic check first.
fn require_store_then_wake() {
    const CAUSES: &[&str] = &[
        "(in stage 2's store-then-wake check, which this test runs first) fill wakes the waker \
         while still holding the slot's lock: a task polled at once, on the waking thread, needs \
         that lock. Take the waker out, release the lock, then wake",
        "(in stage 2's store-then-wake check, which this test runs first) the job never runs or \
         never finishes (is it submitted to the pool?)",
    ];
    watchdog_causes(CAUSES, || {
        check_store_then_wake(
            "this test needs stage 2's store-then-wake order, and it is broken (see \
             stage2_the_result_is_stored_before_the_wake): ",
        )
    });
}

/// A waker that sends a message per wake: the waiting thread blocks on the receiver.
struct ChannelWaker(Mutex<mpsc::Sender<()>>);

impl Wake for ChannelWaker {
    fn wake(self: Arc<Self>) {
        let _ = self.0.lock().unwrap().send(());
    }
}

#[test]
fn stage2_no_wake_is_lost_when_the_worker_races_the_poll() {
    require_store_then_wake();
    watchdog_causes(
        &[
            "Blocking::poll checks for the result and stores the waker under two separate locks: \
             a worker that stores the result in between finds no waker and wakes nobody (a lost \
             wake). Check and register under ONE lock",
            "fill takes the waker before storing the result, or looks for it under a different lock",
        ],
        || {
            let one = pool(1);
            let (woken_tx, woken) = mpsc::channel();
            let waker = Waker::from(Arc::new(ChannelWaker(Mutex::new(woken_tx))));
            // Closures that finish at once: the worker stores each result while the test thread
            // is polling, thousands of times, so any window between "check" and "register" is hit.
            for i in 0..5_000u32 {
                let mut future = one.spawn_blocking(move || i);
                let value = loop {
                    match Pin::new(&mut future).poll(&mut Context::from_waker(&waker)) {
                        Poll::Ready(result) => break ok(result, "a quick closure"),
                        Poll::Pending => woken.recv().unwrap(),
                    }
                };
                assert_eq!(value, i, "each future gives its own closure's result");
            }
        },
    );
}

#[test]
fn stage2_a_worker_wakes_a_task_on_an_idle_loop() {
    require_store_then_wake();
    watchdog_causes(WAKE_CAUSES, || {
        let one = pool(1);
        let clock = VirtualClock::new();
        let (gate_tx, gate) = mpsc::channel::<()>();
        // Opens the gate only once the loop has gone idle (no timers: it parks until unparked),
        // so the result can only reach the task through a wake from the worker thread.
        let watcher = clock.clone();
        let opener = thread::spawn(move || {
            while watcher.idles() == 0 {
                thread::yield_now();
            }
            gate_tx.send(()).unwrap();
        });
        let (value, at) = run_on(&clock, async {
            let reader = tasks::spawn_named(
                "reader",
                off_the_caller(&one, move || gate.recv().map(|()| "opened")),
            );
            let value = reader.await.expect("the reader task finished");
            (value, now())
        });
        assert_eq!(ok(value, "awaiting spawn_blocking in a task"), Ok("opened"));
        opener.join().unwrap();
        assert_eq!(
            at,
            Duration::ZERO,
            "no timer was involved: virtual time must not move"
        );
    });
}

#[test]
fn stage2_the_ticker_keeps_ticking_while_a_closure_blocks() {
    require_store_then_wake();
    watchdog_causes(WAKE_CAUSES, || {
        let one = pool(2);
        let clock = VirtualClock::new();
        let (gate_tx, gate) = mpsc::channel::<()>();
        let (ticks, answer, at) = run_on(&clock, async {
            let loop_thread = thread::current().id();
            let ticks = Rc::new(Cell::new(0));
            let counter = ticks.clone();
            let ticker = tasks::spawn_named("ticker", async move {
                for _ in 0..5 {
                    sleep(Duration::from_secs(1)).await;
                    counter.set(counter.get() + 1);
                }
                let _ = gate_tx.send(()); // After five ticks, the "user" answers.
            });
            let answer = one
                .spawn_blocking(move || {
                    if thread::current().id() == loop_thread {
                        return "ran on the loop thread"; // Waiting here would block the loop forever.
                    }
                    let _ = gate.recv();
                    "answered"
                })
                .await;
            ticker.await.expect("the ticker finished");
            (ticks.get(), answer, now())
        });
        assert_ne!(
            ok(answer, "awaiting spawn_blocking"),
            "ran on the loop thread",
            "spawn_blocking ran the closure on the loop's thread: while it blocked, the ticker could \
             not tick. Submit it to the pool"
        );
        assert_eq!(
            ticks, 5,
            "the ticker ticked {ticks} times while the closure blocked; a free loop ticks 5 times"
        );
        assert_eq!(
            at,
            Duration::from_secs(5),
            "five one-second ticks take 5 s of virtual time"
        );
    });
}

// ------------------------------------------------------------------ stage 3: other threads

/// A scripted terminal for `read_line`: lines come from a channel, and a read on the loop's own
/// thread answers at once with a marker instead of blocking the loop for ever.
struct Script {
    lines: mpsc::Receiver<String>,
    loop_thread: ThreadId,
}

impl LineSource for Script {
    fn next_line(&mut self) -> Option<String> {
        if thread::current().id() == self.loop_thread {
            return Some("<read on the loop thread>".to_owned());
        }
        self.lines.recv().ok()
    }
}

#[test]
fn stage3_read_line_reads_on_the_pool_while_the_ticker_ticks() {
    require_store_then_wake();
    watchdog_causes(WAKE_CAUSES, || {
        let one = pool(1);
        let clock = VirtualClock::new();
        let (first, second, ticks) = run_on(&clock, async {
            let (typist, lines) = mpsc::channel();
            let script = Script {
                lines,
                loop_thread: thread::current().id(),
            };
            let ticks = Rc::new(Cell::new(0));
            let counter = ticks.clone();
            let ticker = tasks::spawn_named("ticker", async move {
                for _ in 0..3 {
                    sleep(Duration::from_secs(1)).await;
                    counter.set(counter.get() + 1);
                }
                typist.send("hello".to_owned()).unwrap();
                // The typist is dropped here: the end of the input.
            });
            let (script, first) = ok(read_line(&one, script).await, "the first read_line");
            let ticks_then = ticks.get();
            ticker.await.expect("the ticker finished");
            let (_, second) = ok(read_line(&one, script).await, "the second read_line");
            (first, second, ticks_then)
        });
        assert_ne!(
            first.as_deref(),
            Some("<read on the loop thread>"),
            "read_line called next_line on the loop's thread: a blocking read there stops every task. \
             Move the source into a spawn_blocking closure and return it with the line"
        );
        assert_eq!(
            first.as_deref(),
            Some("hello"),
            "the first read_line must give the typed line"
        );
        assert_eq!(
            ticks, 3,
            "the ticker ticked {ticks} times while the prompt waited; a free loop ticks 3 times"
        );
        assert_eq!(
            second, None,
            "at the end of the input (the typist dropped), read_line gives None"
        );
    });
}

const THREADSAFE_CAUSES: &[&str] = &[
    "run_coroutine_threadsafe's callback is never queued: use remote.call_soon_threadsafe",
    "the task's result is never sent back to the ConcurrentFuture (or wait() receives on the \
     wrong channel)",
    "ConcurrentFuture keeps a Sender of its own channel, so recv() never reports a dropped sender",
];

#[test]
fn stage3_run_coroutine_threadsafe_runs_the_future_on_the_loop() {
    require_store_then_wake();
    watchdog_causes(THREADSAFE_CAUSES, || {
        let one = pool(1);
        let clock = VirtualClock::new();
        let (loop_thread, outcome, at) = run_on(&clock, async {
            let remote = Handle::current().unwrap().remote().unwrap();
            // The other thread is one of the pool's workers; the loop stays free meanwhile.
            let outcome = off_the_caller(&one, move || {
                let sent = run_coroutine_threadsafe(&remote, || {
                    let made_on = thread::current().id();
                    async move {
                        sleep(Duration::from_secs(2)).await;
                        (made_on, thread::current().id(), 40 + 2)
                    }
                })
                .expect("the loop is running: run_coroutine_threadsafe must return Ok");
                sent.wait()
            })
            .await;
            (thread::current().id(), outcome, now())
        });
        let (made_on, polled_on, value) = match outcome {
            Ok(Ok(done)) => done,
            Ok(Err(error)) => panic!("wait() gave Err({error:?}) for a future that returns 42"),
            Err(BlockingError::Panicked { message }) => panic!(
                "the worker calling run_coroutine_threadsafe panicked: {message}. It must not spawn on \
                 the calling thread (no loop runs there); queue a callback with \
                 remote.call_soon_threadsafe that spawns the task on the loop"
            ),
            Err(error) => panic!("spawn_blocking gave Err({error:?})"),
        };
        assert_eq!(value, 42, "wait() must give the future's output");
        assert_eq!(
            made_on, loop_thread,
            "the future must be made (make() called) on the loop's thread"
        );
        assert_eq!(
            polled_on, loop_thread,
            "the future must be polled on the loop's thread"
        );
        assert_eq!(
            at,
            Duration::from_secs(2),
            "the future slept 2 s of loop time"
        );
    });
}

/// `run_coroutine_threadsafe(remote, make)` called on a thread where no loop runs; a panic that
/// says it tried to spawn right here gets a message naming that mistake.
fn send_from_outside<M, F>(
    remote: &event_loop::RemoteHandle,
    make: M,
) -> Result<offload::ConcurrentFuture<F::Output>, LoopError>
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_coroutine_threadsafe(remote, make))).unwrap_or_else(
        |payload| {
            let message = course_support::panic_message(&*payload);
            panic!(
                "run_coroutine_threadsafe panicked on a thread where no loop runs: {message}. It must \
                 not spawn on the calling thread; queue a callback with remote.call_soon_threadsafe \
                 that spawns the task on the loop"
            )
        },
    )
}

#[test]
fn stage3_run_coroutine_threadsafe_reports_a_dropped_loop_and_a_panic() {
    require_store_then_wake();
    watchdog_causes(THREADSAFE_CAUSES, || {
        // A loop that is gone refuses at once.
        let event_loop = EventLoop::with_clock(VirtualClock::new());
        let remote = event_loop.remote();
        drop(event_loop);
        assert!(
            matches!(
                send_from_outside(&remote, || async { 1 }),
                Err(LoopError::Closed)
            ),
            "run_coroutine_threadsafe on a dropped loop must return Err(LoopError::Closed)"
        );

        // A loop dropped with the callback still queued: wait() must not wait for ever.
        let event_loop = EventLoop::with_clock(VirtualClock::new());
        let sent = send_from_outside(&event_loop.remote(), || async { 1 })
            .expect("the loop is alive: run_coroutine_threadsafe must return Ok");
        drop(event_loop);
        assert_eq!(
            sent.wait(),
            Err(ThreadsafeError::Dropped),
            "the loop was dropped before running the future: wait() must give Err(ThreadsafeError::Dropped)"
        );

        // A future that panics on the loop.
        let one = pool(1);
        let outcome = run_on(&VirtualClock::new(), async {
            let remote = Handle::current().unwrap().remote().unwrap();
            off_the_caller(&one, move || {
                run_coroutine_threadsafe(&remote, || async {
                    panic!("the coroutine fails on purpose")
                })
                .expect("the loop is running")
                .wait()
            })
            .await
        });
        match ok(outcome, "the worker waiting for the future") {
            Err(ThreadsafeError::Failed(JoinError::Panicked { message, .. })) => {
                assert!(
                    message.contains("fails on purpose"),
                    "the panic message must be kept, got {message:?}"
                )
            }
            Err(ThreadsafeError::Dropped) => panic!(
                "a future that panicked on the loop gave Err(ThreadsafeError::Dropped), but the loop \
                 is alive: the panic unwound through the task that was to send the result, so the \
                 sender was dropped unsent. Spawn the future as a task of its own, and let a second \
                 task await its JoinHandle and send what it gets: Err(JoinError::Panicked {{ .. }}) \
                 becomes ThreadsafeError::Failed"
            ),
            other => panic!(
                "a future that panicked on the loop gave {other:?}: wait() must give \
                 Err(ThreadsafeError::Failed(JoinError::Panicked {{ .. }})). Send the JoinHandle's \
                 result as it is, error included"
            ),
        }
    });
}

// ------------------------------------------------------------------ stage 4: detector and faults

const DETECTOR_CAUSES: &[&str] = &[
    "call_soon_timed does not schedule the callback (handle.call_soon)",
    "Timed::poll does not poll the inner future",
];

/// A report in whole milliseconds, with labelled fields, so a failure message reads
/// `Report { name: "c", took_ms: 150, started_ms: 120 }`.
#[derive(Debug, PartialEq)]
struct Report {
    name: String,
    took_ms: u128,
    started_ms: u128,
}

fn report(name: &str, took_ms: u128, started_ms: u128) -> Report {
    Report {
        name: name.to_owned(),
        took_ms,
        started_ms,
    }
}

fn summary(reports: &[SlowReport]) -> Vec<Report> {
    reports
        .iter()
        .map(|r| report(&r.name, r.took.as_millis(), r.started.as_millis()))
        .collect()
}

#[test]
fn stage4_a_slow_task_poll_is_reported_with_the_task_name() {
    watchdog_causes(DETECTOR_CAUSES, || {
        let clock = VirtualClock::new();
        let work = clock.clone();
        let reports = run_on(&clock, async move {
            let handle = Handle::current().unwrap();
            set_slow_threshold(&handle, ms(100)).unwrap();
            let hog = spawn_timed("hog", async move {
                work.advance(ms(250)); // 250 ms of work without an await: it holds the loop.
                yield_now().await;
            });
            let polite = spawn_timed("polite", async {
                sleep(Duration::from_secs(10)).await; // Waiting is not holding the loop.
                yield_now().await;
            });
            hog.await.unwrap();
            polite.await.unwrap();
            take_slow_reports(&handle)
        });
        let got = summary(&reports);
        assert!(
            !got.iter().any(|r| r.name == "polite"),
            "the detector reported `polite`, which slept 10 s between polls but never held the loop \
             (got {got:?}): time each poll on its own, from just before to just after the inner poll"
        );
        assert_eq!(
            got,
            [report("hog", 250, 0)],
            "one report: `hog`'s first poll took 250 ms, starting at 0 ms. Name it with \
             tasks::current_name()"
        );
        assert!(
            reports[0].to_string().contains("hog"),
            "a report's Display names the task"
        );
    });
}

#[test]
fn stage4_the_detector_times_each_callback_not_the_iteration() {
    watchdog_causes(DETECTOR_CAUSES, || {
        let clock = VirtualClock::new();
        let work = clock.clone();
        let reports = run_on(&clock, async move {
            let handle = Handle::current().unwrap();
            set_slow_threshold(&handle, ms(100)).unwrap();
            for (name, cost) in [("a", 60), ("b", 60), ("c", 150)] {
                let work = work.clone();
                call_soon_timed(&handle, name, move || work.advance(ms(cost))).unwrap();
            }
            yield_now().await; // The three callbacks run in the next iteration, one after another.
            yield_now().await;
            take_slow_reports(&handle)
        });
        let got = summary(&reports);
        assert!(
            !got.iter().any(|r| r.name == "a" || r.name == "b"),
            "the detector reported a 60 ms callback (got {got:?}); each of `a` and `b` ran 60 ms, \
             under the 100 ms threshold. It timed more than the single callback (the iteration, or \
             from when it was scheduled): read the clock when the callback starts and when it returns"
        );
        assert_eq!(
            got,
            [report("c", 150, 120)],
            "one report: `c` took 150 ms, starting at 120 ms"
        );

        let gone = EventLoop::with_clock(VirtualClock::new()).handle();
        assert!(
            matches!(
                call_soon_timed(&gone, "late", || {}),
                Err(LoopError::Closed)
            ),
            "call_soon_timed on a dropped loop must return Err(LoopError::Closed), like call_soon"
        );
    });
}

#[test]
fn stage4_a_panicking_closure_is_an_error_and_the_worker_survives() {
    require_store_then_wake();
    watchdog_causes(
        &[
            "the worker died with the panicking closure, so the next closure never runs: catch the \
             panic (catch_unwind) in spawn_blocking's job",
            "the Blocking future is never completed when the closure panics",
        ],
        || {
            let one = pool(1);
            let (first, second) = run_on(&VirtualClock::new(), async {
                let first = one
                    .spawn_blocking(|| -> u32 {
                        panic!("disk on fire (the test expects this panic)")
                    })
                    .await;
                let second = one.spawn_blocking(|| 7u32).await;
                (first, second)
            });
            match first {
                Err(BlockingError::Panicked { message }) => assert!(
                    message.contains("disk on fire"),
                    "BlockingError::Panicked must carry the panic's message, got {message:?}"
                ),
                Err(BlockingError::Lost) => panic!(
                    "a panicking closure gave Err(BlockingError::Lost): its panic was not caught in \
                     spawn_blocking's job, so the job was dropped mid-way. Catch it with catch_unwind \
                     and complete the future with Err(BlockingError::Panicked {{ message }})"
                ),
                other => panic!(
                    "a panicking closure gave {other:?}, expected Err(BlockingError::Panicked {{ .. }})"
                ),
            }
            assert_eq!(ok(second, "the closure after a panicking one"), 7);
        },
    );
}

#[test]
fn stage4_shutdown_fails_a_queued_closure_with_an_error() {
    require_store_then_wake();
    watchdog_causes(
        &[
            "shutdown does not complete the queued closure's future: call each queued job with \
             Err(PoolError::ShutDown), and have spawn_blocking's job turn that into \
             Err(BlockingError::ShutDown)",
            "shutdown waits for the queued jobs to run instead of failing them at once",
        ],
        || {
            let one = Arc::new(pool(1));
            let (started_tx, started) = mpsc::channel();
            let (gate_tx, gate) = mpsc::channel::<()>();
            let running = off_the_caller(&one, move || {
                started_tx.send(()).unwrap();
                gate.recv().is_ok()
            });
            wait_started(&started);
            let queued = one.spawn_blocking(|| "ran after all");
            let shutting = one.clone();
            let shutdown = thread::spawn(move || shutting.shutdown());

            let (queued, running, late) = run_on(&VirtualClock::new(), async {
                let queued = queued.await; // Failed by the shutdown, while `running` still runs.
                gate_tx.send(()).unwrap();
                let running = running.await;
                (
                    queued,
                    running,
                    one.spawn_blocking(|| "after shutdown").await,
                )
            });
            match queued {
                Err(BlockingError::ShutDown) => {}
                Err(BlockingError::Lost) => panic!(
                    "the queued closure's future gave Err(BlockingError::Lost): shutdown dropped the job \
                     instead of calling it with Err(PoolError::ShutDown)"
                ),
                Ok(_) => panic!(
                    "a closure queued behind a running one on a pool of one worker ran anyway: it was \
                     never queued (spawn_blocking started a thread for it?) or shutdown ran the queue \
                     instead of failing it with Err(BlockingError::ShutDown)"
                ),
                other => panic!(
                    "the queued closure's future gave {other:?}, expected Err(BlockingError::ShutDown)"
                ),
            }
            assert_eq!(
                shutdown.join().expect("shutdown panicked"),
                1,
                "shutdown() returns how many queued jobs it failed: 1"
            );
            assert!(
                ok(running, "the closure running during shutdown"),
                "the running closure finishes normally"
            );
            assert_eq!(
                late,
                Err(BlockingError::ShutDown),
                "spawn_blocking on a shut-down pool must give a future of Err(BlockingError::ShutDown)"
            );
        },
    );
}

#[test]
fn stage4_dropping_a_blocking_future_leaks_neither_thread_nor_result() {
    watchdog_causes(
        &[
            "the worker is stuck delivering a result nobody will read: it must store the result and \
             move on, whether or not the future still exists",
            "the worker died when the future was gone (an unwrap on a dropped receiver?)",
        ],
        || {
            let one = pool(1);
            let results = DropCounter::new();
            let probe = results.probe();
            let (gate_tx, gate) = mpsc::channel::<()>();
            let (ran_on_tx, ran_on) = mpsc::channel();
            let mut future = off_the_caller(&one, move || {
                let _ = gate.recv();
                ran_on_tx.send(thread::current().id()).unwrap();
                probe
            });
            let polled = Pin::new(&mut future).poll(&mut Context::from_waker(Waker::noop()));
            if let Poll::Ready(Err(BlockingError::Panicked { message })) = polled {
                panic!("{message}");
            }
            assert!(
                polled.is_pending(),
                "the closure is waiting for the test, yet the future was Ready"
            );
            drop(future);
            gate_tx.send(()).unwrap();

            // The pool's only worker must be free for the next job.
            let (tx, rx) = mpsc::channel();
            one.execute(move || tx.send(thread::current().id()).unwrap())
                .unwrap();
            let next_on = rx.recv().unwrap();
            assert_eq!(
                ran_on.recv().ok(),
                Some(next_on),
                "two jobs on a pool of ONE worker ran on different threads: jobs must run on the \
                 pool's workers, not on threads of their own"
            );
            assert_eq!(
                results.dropped(),
                1,
                "the closure's result outlived both its future and its job: a result nobody can read \
                 must be dropped (is it kept in a global, or leaked with mem::forget?)"
            );
        },
    );
}

#[test]
fn stage4_a_wake_after_the_loop_was_dropped_is_harmless() {
    watchdog_causes(
        &[
            "the worker died waking a task whose loop is gone: the wake must ignore Err(Closed)",
            "the job never completes after its future was dropped with the loop",
        ],
        || {
            let one = pool(1);
            let (gate_tx, gate) = mpsc::channel::<()>();
            let (started_tx, started) = mpsc::channel();
            run_on(&VirtualClock::new(), async {
                let orphan = tasks::spawn_named(
                    "orphan",
                    off_the_caller(&one, move || {
                        started_tx.send(()).unwrap();
                        let _ = gate.recv();
                    }),
                );
                yield_now().await; // The orphan polls once and registers its waker.
                drop(orphan); // Detached; the loop (and the task) go away with this run.
            });
            wait_started(&started);
            gate_tx.send(()).unwrap(); // The worker finishes, and wakes a task on a dropped loop.

            let (tx, rx) = mpsc::channel();
            one.execute(move || tx.send("still working").unwrap())
                .unwrap();
            assert_eq!(
                rx.recv(),
                Ok("still working"),
                "the worker must survive a wake for a dropped loop"
            );
        },
    );
}
