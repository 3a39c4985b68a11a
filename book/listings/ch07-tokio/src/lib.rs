//! Chapter 7 teaching code: each building block the reader wrote in chapters 3 to 6, as tokio
//! spells it. The functions are small and run on paused time where time matters; the tests at
//! the bottom check that each one does what the page says it does.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::{Builder, Runtime};
use tokio::task::{JoinError, JoinSet};
use tokio::time::{Instant, sleep, timeout};

// ANCHOR: runtimes
/// Chapter 3's `EventLoop::new()`, tokio's way: one thread that runs every task, like asyncio's
/// loop. `enable_time` turns on the timer driver (`enable_all` would add I/O too).
pub fn current_thread_runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}

/// The runtime `#[tokio::main]` builds by default: a pool of worker threads (one per core unless
/// told otherwise) that steal tasks from each other. A task may resume on another thread after
/// any `.await`.
pub fn multi_thread_runtime() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a multi-thread runtime")
}
// ANCHOR_END: runtimes

// ANCHOR: paused_runtime
/// The test runtime of this chapter: one thread, and a clock that moves only when every task is
/// waiting, jumping to the next timer (chapter 3's VirtualClock, tokio's `start_paused`).
pub fn paused_runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a paused runtime")
}
// ANCHOR_END: paused_runtime

/// Seconds since `start`, with one decimal, for printed timelines.
pub fn at(start: Instant) -> String {
    format!("t={:.1}s", start.elapsed().as_secs_f64())
}

// ANCHOR: spawn
/// Chapter 4's `spawn` and `JoinHandle`, on tokio. Returns what the handles reported.
pub async fn spawn_and_abort() -> (u32, bool, bool) {
    let answer = tokio::spawn(async {
        sleep(Duration::from_secs(1)).await;
        42
    });
    let endless = tokio::spawn(async {
        loop {
            sleep(Duration::from_secs(1)).await;
        }
    });
    let value = answer
        .await
        .expect("the task neither panicked nor was aborted");

    endless.abort(); // asks the runtime to drop the task's future at its next chance
    let outcome: Result<(), JoinError> = endless.await;
    let cancelled = outcome.unwrap_err().is_cancelled();

    let panicky = tokio::spawn(async { panic!("tool exploded") });
    let panicked = panicky.await.unwrap_err().is_panic(); // the panic stays in its task
    (value, cancelled, panicked)
}
// ANCHOR_END: spawn

// ANCHOR: panic_message
/// What a task's `JoinError` says: the panic's message, or the error's own text when the task
/// was cancelled instead (a cancelled error has no payload).
pub fn panic_message(error: JoinError) -> String {
    // `try_into_panic` takes the error by value: one call gives the payload, or the error back.
    let payload = match error.try_into_panic() {
        Ok(payload) => payload,
        Err(cancelled) => return cancelled.to_string(), // "task 7 was cancelled"
    };
    // The payload is bound once; both types are tried on that one binding.
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        text.to_string() // panic!("literal")
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone() // panic!("formatted {}", value)
    } else {
        "a panic with a payload that is not text".to_owned()
    }
}
// ANCHOR_END: panic_message

// ANCHOR: detach
/// Dropping a tokio `JoinHandle` does not cancel the task: it *detaches* it, exactly like
/// chapter 4's handles; the runtime owns the task until it ends. (An asyncio task nobody keeps
/// a reference to may instead be garbage-collected mid-run.) Returns how many times the
/// detached task ticked after its handle was gone.
pub async fn dropped_handle_keeps_running() -> usize {
    let ticks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handle = tokio::spawn({
        let ticks = Arc::clone(&ticks);
        async move {
            for _ in 0..3 {
                sleep(Duration::from_secs(1)).await;
                ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    drop(handle);
    sleep(Duration::from_secs(5)).await;
    ticks.load(std::sync::atomic::Ordering::Relaxed)
}
// ANCHOR_END: detach

async fn fetch(name: &'static str, secs: u64) -> &'static str {
    sleep(Duration::from_secs(secs)).await;
    name
}

async fn fetch_or_fail(name: &'static str, secs: u64, ok: bool) -> Result<&'static str, String> {
    sleep(Duration::from_secs(secs)).await;
    if ok {
        Ok(name)
    } else {
        Err(format!("{name} failed"))
    }
}

// ANCHOR: join
/// Chapter 5's `gather` and `try_gather`, as macros: a fixed number of futures, possibly of
/// different types, polled concurrently *inside the current task* (no spawning).
pub async fn join_and_try_join() -> (
    (&'static str, &'static str),
    Result<(&'static str, &'static str), String>,
) {
    let both = tokio::join!(fetch("A", 2), fetch("B", 1)); // like gather: 2 s, order kept
    // like try_gather: returns at the first Err (1 s) and drops the other future
    let first_error = tokio::try_join!(fetch_or_fail("C", 3, true), fetch_or_fail("D", 1, false));
    (both, first_error)
}
// ANCHOR_END: join

// ANCHOR: joinset
/// A `JoinSet` is a growable set of *spawned* tasks: results come in completion order, and
/// dropping the set aborts whatever is still running (chapter 5's `TaskGroup`, without the
/// automatic "one fails, cancel the rest": you write that, as the exercise does).
pub async fn join_set_in_completion_order() -> Vec<&'static str> {
    let mut set = JoinSet::new();
    for (name, secs) in [("A", 2), ("B", 1), ("C", 3)] {
        set.spawn(fetch(name, secs));
    }
    let mut done = Vec::new();
    while let Some(joined) = set.join_next().await {
        done.push(joined.expect("no task panicked"));
    }
    done
}
// ANCHOR_END: joinset

// ANCHOR: select
/// Chapter 5's `select`: the first branch to complete wins, and the other branch's future is
/// *dropped*. `biased;` polls the branches top to bottom instead of in random order.
pub async fn first_of_two() -> &'static str {
    tokio::select! {
        biased;
        fast = fetch("fast", 1) => fast,
        slow = fetch("slow", 2) => slow, // dropped at 1 s, never finishes
    }
}
// ANCHOR_END: select

// ANCHOR: select_loop
/// `select!` in a loop: a losing branch is dropped *on every turn*. A future that must survive
/// the turns (here, the one overall deadline) is created once, outside the loop, and polled by
/// reference; a branch that is recreated each turn (`rx.recv()`) must be cancel safe, which
/// tokio's docs state per method (`mpsc::Receiver::recv` is; a read that has consumed half a
/// frame is not).
pub async fn drain_until_deadline(mut rx: tokio::sync::mpsc::Receiver<u32>) -> Vec<u32> {
    let deadline = sleep(Duration::from_secs(5));
    tokio::pin!(deadline); // polled by reference across turns, so it must not move
    let mut got = Vec::new();
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            message = rx.recv() => match message {
                Some(n) => got.push(n),
                None => break, // every sender is gone
            },
        }
    }
    got
}
// ANCHOR_END: select_loop

// ANCHOR: timeout
/// asyncio's `wait_for` / `timeout`, chapter 5's `timeout`: the inner future is dropped when
/// the time is up.
pub async fn with_a_limit() -> (
    Result<&'static str, tokio::time::error::Elapsed>,
    Result<&'static str, tokio::time::error::Elapsed>,
) {
    let in_time = timeout(Duration::from_secs(2), fetch("quick", 1)).await;
    let too_late = timeout(Duration::from_secs(2), fetch("slow", 3)).await;
    (in_time, too_late)
}
// ANCHOR_END: timeout

// ANCHOR: blocking
/// Chapter 6's `spawn_blocking`: the closure runs on tokio's blocking pool, and awaiting its
/// handle lets the runtime thread run other tasks meanwhile.
pub async fn read_config() -> String {
    tokio::task::spawn_blocking(|| {
        // std::fs, a blocking prompt, a compression call: anything that would stall the loop
        std::thread::sleep(Duration::from_millis(10));
        "retries = 3".to_owned()
    })
    .await
    .expect("the closure did not panic")
}

/// `block_in_place` is the other way out, only on the multi-thread runtime: this worker thread
/// becomes a blocking thread for the call, and its queued tasks move to another worker. On a
/// current-thread runtime it panics (there is no other worker).
pub async fn checksum_in_place(data: Vec<u8>) -> u32 {
    tokio::task::block_in_place(|| data.iter().map(|&b| u32::from(b)).sum())
}
// ANCHOR_END: blocking

// ANCHOR: handle
/// Chapter 6's thread-safe spawn (`call_soon_threadsafe`, `run_coroutine_threadsafe`): a
/// `tokio::runtime::Handle` is `Send + Sync + Clone`, so another thread may spawn onto the
/// runtime, or block on a future there. The result comes back over a oneshot channel.
pub async fn from_another_thread() -> u32 {
    let handle = tokio::runtime::Handle::current();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        // This thread is not a runtime thread: block_on through the handle is allowed here.
        let doubled = handle.block_on(async { 21 * 2 });
        handle.spawn(async move {
            let _ = tx.send(doubled);
        });
    });
    rx.await.expect("the other thread sent a value")
}
// ANCHOR_END: handle

// ANCHOR: mutexes
/// The agent's state, shared by tasks. `std::sync::Mutex` is right when the lock is held for a
/// few instructions and never across an `.await`; `tokio::sync::Mutex` (asyncio's `Lock`) is
/// for holding it *across* awaits: waiting for it is itself an `.await`, not a blocked thread.
pub struct Agent {
    pub counters: std::sync::Mutex<u64>,
    pub state: tokio::sync::Mutex<String>,
}

impl Agent {
    pub async fn transition(&self, to: &str) {
        {
            let mut n = self.counters.lock().unwrap(); // a std guard: this block has no .await
            *n += 1;
        } // released here, before any .await
        let mut state = self.state.lock().await; // `async with self._state_lock:`
        sleep(Duration::from_millis(100)).await; // held across an await: fine for tokio's Mutex
        *state = to.to_owned();
    } // `state` (the guard) is dropped here: the lock is released however we leave
}
// ANCHOR_END: mutexes

// ANCHOR: guard
/// `async with session:` in Rust is a value whose `Drop` does the closing. There is no
/// asynchronous drop: if closing needs `.await` (say, a goodbye message), call an async
/// `close(self)` yourself, and let `Drop` be the synchronous safety net.
pub struct Session {
    name: &'static str,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Session {
    pub fn open(name: &'static str, log: Arc<std::sync::Mutex<Vec<String>>>) -> Session {
        log.lock().unwrap().push(format!("open {name}"));
        Session { name, log }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.log
            .lock()
            .unwrap()
            .push(format!("close {}", self.name));
    }
}

/// Closing happens on every way out: a return, a `?`, a panic, or cancellation (the future
/// holding the session is dropped at its `.await`).
pub async fn use_session(log: Arc<std::sync::Mutex<Vec<String>>>) {
    let _session = Session::open("db", log.clone());
    sleep(Duration::from_secs(10)).await; // cancelled here by the caller's timeout
    log.lock().unwrap().push("never reached".to_owned());
}
// ANCHOR_END: guard

// ANCHOR: stream
/// `async for chunk in stream:` is `while let Some(chunk) = stream.next().await`. Tokio's
/// channel receiver has `recv()` built in; the `Stream` trait itself lives in the `futures-core`
/// crate (used through `futures` or `tokio-stream`), and chapter 9 builds one by hand.
pub async fn stream_tokens() -> Vec<String> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        for token in ["Hello", ",", " world"] {
            sleep(Duration::from_millis(300)).await;
            if tx.send(token.to_owned()).await.is_err() {
                return; // the consumer stopped listening: stop producing
            }
        }
    }); // the sender is dropped when this task ends, which ends the loop below
    let mut got = Vec::new();
    while let Some(token) = rx.recv().await {
        got.push(token);
    }
    got
}
// ANCHOR_END: stream

// ANCHOR: send_fixed
/// A future keeps, across an `.await`, every local that may be used after it, and a destructor
/// that runs at the end of the scope is a use. End the `Rc`'s or the guard's scope before the
/// `.await` (a block, or `drop(x)`), and the future is `Send` again.
pub async fn count_then_wait(counter: &std::sync::Mutex<u64>) {
    {
        let rc = std::rc::Rc::new(1u64); // not Send, but gone before the .await
        *counter.lock().unwrap() += *rc;
    }
    sleep(Duration::from_millis(1)).await;
}

pub fn spawn_is_fine(counter: Arc<std::sync::Mutex<u64>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move { count_then_wait(&counter).await })
}
// ANCHOR_END: send_fixed

// ANCHOR: tokio_test
/// The attribute form of `paused_runtime`: a current-thread runtime with paused time per test.
/// (The course's own tests build the runtime by hand instead, inside a watchdog thread.)
#[cfg(test)]
#[tokio::test(start_paused = true)]
async fn ten_seconds_of_sleep_take_no_real_time() {
    let start = Instant::now();
    sleep(Duration::from_secs(10)).await; // every task waits, so the clock jumps 10 s at once
    assert_eq!(start.elapsed(), Duration::from_secs(10));
}
// ANCHOR_END: tokio_test

#[cfg(test)]
mod tests {
    use super::*;
    use course_support::watchdog;

    fn paused<F: std::future::Future>(f: F) -> F::Output {
        paused_runtime().block_on(f)
    }

    #[test]
    fn spawn_abort_and_panics_behave_as_the_page_says() {
        watchdog("a listing hung", || {
            assert_eq!(paused(spawn_and_abort()), (42, true, true))
        });
    }

    #[test]
    fn panic_message_reads_both_payload_types_and_cancellation() {
        watchdog("a listing hung", || {
            paused(async {
                let literal = tokio::spawn(async { panic!("tool exploded") });
                let literal = panic_message(literal.await.unwrap_err());
                assert_eq!(literal, "tool exploded", "a &'static str payload");
                let code = 7;
                let formatted = tokio::spawn(async move { panic!("tool {code} exploded") });
                let formatted = panic_message(formatted.await.unwrap_err());
                assert_eq!(formatted, "tool 7 exploded", "a String payload");
                let endless = tokio::spawn(std::future::pending::<()>());
                endless.abort();
                let cancelled = panic_message(endless.await.unwrap_err());
                assert!(
                    cancelled.ends_with("was cancelled"),
                    "a cancelled task's error reads {cancelled:?}"
                );
            })
        });
    }

    #[test]
    fn a_dropped_join_handle_detaches() {
        watchdog("a listing hung", || {
            assert_eq!(paused(dropped_handle_keeps_running()), 3)
        });
    }

    #[test]
    fn join_try_join_and_join_set() {
        watchdog("a listing hung", || {
            paused(async {
                let start = Instant::now();
                let (both, first_error) = join_and_try_join().await;
                assert_eq!(both, ("A", "B"));
                assert_eq!(first_error, Err("D failed".to_owned()));
                assert_eq!(
                    start.elapsed(),
                    Duration::from_secs(3),
                    "join! 2 s + try_join! 1 s"
                );
                assert_eq!(join_set_in_completion_order().await, ["B", "A", "C"]);
            })
        });
    }

    #[test]
    fn select_timeout_and_the_deadline_loop() {
        watchdog("a listing hung", || {
            paused(async {
                assert_eq!(first_of_two().await, "fast");
                let (in_time, too_late) = with_a_limit().await;
                assert_eq!(in_time.unwrap(), "quick");
                assert!(too_late.is_err());
                let (tx, rx) = tokio::sync::mpsc::channel(8);
                for n in 0..3 {
                    tx.send(n).await.unwrap();
                }
                let start = Instant::now();
                assert_eq!(drain_until_deadline(rx).await, [0, 1, 2]);
                assert_eq!(
                    start.elapsed(),
                    Duration::from_secs(5),
                    "the deadline ends the loop"
                );
            })
        });
    }

    #[test]
    fn blocking_handle_mutex_guard_stream() {
        watchdog("a listing hung", || {
            current_thread_runtime().block_on(async {
                assert_eq!(read_config().await, "retries = 3");
                assert_eq!(from_another_thread().await, 42);
            });
            multi_thread_runtime().block_on(async {
                assert_eq!(checksum_in_place(vec![1, 2, 3]).await, 6);
                let counter = Arc::new(std::sync::Mutex::new(0));
                spawn_is_fine(counter.clone()).await.unwrap();
                assert_eq!(*counter.lock().unwrap(), 1);
            });
            paused(async {
                let agent = Agent {
                    counters: Default::default(),
                    state: tokio::sync::Mutex::new("idle".into()),
                };
                agent.transition("thinking").await;
                assert_eq!(*agent.state.lock().await, "thinking");
                let log = Arc::new(std::sync::Mutex::new(Vec::new()));
                assert!(
                    timeout(Duration::from_secs(1), use_session(log.clone()))
                        .await
                        .is_err()
                );
                assert_eq!(*log.lock().unwrap(), ["open db", "close db"]);
                assert_eq!(stream_tokens().await, ["Hello", ",", " world"]);
            });
        });
    }
}
