//! The benchmark workloads, one per (group, runtime) pair, shared by `benches/executors.rs` and
//! by the smoke run `cargo test` does of it.
//!
//! Every workload is a struct that owns its runtime (a loop, a tokio runtime, a pool), made once
//! outside the timed region, with a `run(&mut self) -> u64` that does the whole workload once and
//! returns a checksum. The checksum is checked against [`expected`] in the smoke run, so a
//! workload that silently skips its work (a task never awaited, a closure never run) is caught
//! before anyone reads its time.
//!
//! Fairness rules, so the ratios mean something:
//! - every runtime does the same work with the same futures ([`YieldOnce`] is the one yield
//!   future for all of them; tokio's own `yield_now` is measured separately, labelled);
//! - runtime construction is outside the timing; each iteration starts from an idle runtime;
//! - the thread pools have the same number of workers where they can be told (the reference
//!   pool gets `available_parallelism`; tokio's blocking pool sizes itself, up to 512 threads).

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// `spawn_join_10k`: tasks spawned, then each awaited.
pub const TASKS: usize = 10_000;
/// `yield_100k`: yields by one task.
pub const YIELDS: usize = 100_000;
/// `gather_10k_yield_once`: children of one gather, each yielding once.
pub const CHILDREN: usize = 10_000;
/// `join_ready_10k`: children of one gather, each ready at its first poll.
pub const READY: usize = 10_000;
/// `offload_1000` and `offload_roundtrip_1000`: closures sent to a thread pool.
pub const CLOSURES: usize = 1_000;
/// `loop_callbacks_1m`: `call_soon` callbacks.
pub const CALLBACKS: usize = 1_000_000;

/// What a workload of `n` elements returns when it did all its work: the sum `0 + 1 + ... + n-1`
/// (each element contributes its index), or `n` for the workloads that only count.
pub fn expected(n: usize) -> u64 {
    let n = n as u64;
    n * (n - 1) / 2
}

// ANCHOR: yield_once
/// The plain yield future every runtime is measured with: the first poll wakes its own waker
/// (by reference, no clone) and returns `Pending`; the second returns `Ready`. Whatever a runtime
/// spends between the two polls is its per-wake cost.
pub struct YieldOnce {
    yielded: bool,
}

pub fn yield_once() -> YieldOnce {
    YieldOnce { yielded: false }
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
// ANCHOR_END: yield_once

/// `n` yields in a row; returns `expected(n)` so it checks like the others.
pub async fn yield_times(n: usize) -> u64 {
    let mut sum = 0;
    for i in 0..n {
        yield_once().await;
        sum += i as u64;
    }
    sum
}

/// Polls `future` once with a waker that does nothing; it must be ready. This measures a
/// combinator alone, with no executor at all, for `join_ready_10k`.
pub fn poll_ready<F: Future>(future: F) -> F::Output {
    let future = pin!(future);
    match future.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a gather of ready futures was not ready at its first poll"),
    }
}

/// Workers for the reference pool: one per core the OS offers us.
pub fn pool_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The workloads on the course's crates: chapters 4-6 are always driven by the reference
/// chapter 3 loop (the crate they are built on); `loop_callbacks` uses `$event_loop`, so that
/// `--features yours` can put the reader's own loop there.
macro_rules! course_workloads {
    ($event_loop:ident, $tasks:ident, $gather:ident, $offload:ident) => {
        use super::*;
        use std::cell::Cell;
        use std::rc::Rc;
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};

        // ANCHOR: spawn_join
        /// `spawn_join_10k`: `TASKS` tasks spawned, then awaited in order.
        pub struct SpawnJoin(::event_loop::EventLoop);

        impl SpawnJoin {
            pub fn new() -> Self {
                SpawnJoin(::event_loop::EventLoop::new())
            }

            pub fn run(&mut self) -> u64 {
                self.0
                    .run_until_complete(async {
                        let handles: Vec<_> =
                            (0..TASKS).map(|i| $tasks::spawn(async move { i as u64 })).collect();
                        let mut sum = 0;
                        for handle in handles {
                            sum += handle.await.expect("a benchmark task failed");
                        }
                        sum
                    })
                    .expect("the loop refused to run")
            }
        }
        // ANCHOR_END: spawn_join

        /// `yield_100k`: one task that yields `YIELDS` times.
        pub struct Yield(::event_loop::EventLoop);

        impl Yield {
            pub fn new() -> Self {
                Yield(::event_loop::EventLoop::new())
            }

            pub fn run(&mut self) -> u64 {
                self.0
                    .run_until_complete(async {
                        $tasks::spawn(yield_times(YIELDS)).await.expect("the yielding task failed")
                    })
                    .expect("the loop refused to run")
            }
        }

        fn yield_once_children(n: usize) -> impl Iterator<Item = impl Future<Output = u64>> {
            (0..n).map(|i| async move {
                yield_once().await;
                i as u64
            })
        }

        /// `gather_10k_yield_once/reference`: chapter 5's `join_all` on the reference loop.
        pub struct Gather(::event_loop::EventLoop);

        impl Gather {
            pub fn new() -> Self {
                Gather(::event_loop::EventLoop::new())
            }

            pub fn run(&mut self) -> u64 {
                let outputs = self
                    .0
                    .run_until_complete($gather::join_all(yield_once_children(CHILDREN)))
                    .expect("the loop refused to run");
                outputs.iter().sum()
            }
        }

        /// `gather_10k_yield_once/reference_gather_on_tokio`: the same `join_all`, on tokio's
        /// current-thread runtime (it needs nothing of the course's loop: only wakers).
        pub struct GatherOnTokio(tokio::runtime::Runtime);

        impl GatherOnTokio {
            pub fn new() -> Self {
                GatherOnTokio(crate::tokio_current_thread())
            }

            pub fn run(&mut self) -> u64 {
                self.0.block_on($gather::join_all(yield_once_children(CHILDREN))).iter().sum()
            }
        }

        /// `join_ready_10k/reference`: chapter 5's `join_all` over ready futures, one poll.
        pub fn join_ready() -> u64 {
            let outputs = poll_ready($gather::join_all((0..READY).map(|i| std::future::ready(i as u64))));
            outputs.iter().sum()
        }

        /// `offload_1000` and `offload_roundtrip_1000`: chapter 6's pool, awaited on the
        /// reference loop.
        pub struct Offload {
            event_loop: ::event_loop::EventLoop,
            pool: $offload::ThreadPool,
        }

        impl Offload {
            pub fn new() -> Self {
                let pool = $offload::ThreadPool::new(pool_workers()).expect("a pool with workers");
                Offload { event_loop: ::event_loop::EventLoop::new(), pool }
            }

            /// All `CLOSURES` submitted first, then awaited: throughput.
            pub fn run_all(&mut self) -> u64 {
                let pool = &self.pool;
                self.event_loop
                    .run_until_complete(async {
                        let pending: Vec<_> =
                            (0..CLOSURES).map(|i| pool.spawn_blocking(move || i as u64)).collect();
                        let mut sum = 0;
                        for result in pending {
                            sum += result.await.expect("a pool job failed");
                        }
                        sum
                    })
                    .expect("the loop refused to run")
            }

            /// One closure at a time, each awaited before the next is sent: latency.
            pub fn run_roundtrip(&mut self) -> u64 {
                let pool = &self.pool;
                self.event_loop
                    .run_until_complete(async {
                        let mut sum = 0;
                        for i in 0..CLOSURES {
                            sum += pool.spawn_blocking(move || i as u64).await.expect("a pool job failed");
                        }
                        sum
                    })
                    .expect("the loop refused to run")
            }
        }

        impl Drop for Offload {
            fn drop(&mut self) {
                self.pool.shutdown();
            }
        }

        /// `loop_callbacks_1m`: chapter 3's loop, `$event_loop`'s.
        pub struct Callbacks {
            event_loop: $event_loop::EventLoop,
            count: Rc<Cell<u64>>,
        }

        impl Callbacks {
            pub fn new() -> Self {
                Callbacks { event_loop: $event_loop::EventLoop::new(), count: Rc::new(Cell::new(0)) }
            }

            /// Each callback schedules the next; the last one stops the loop. One callback in the
            /// ready queue at a time: the cost of one trip round the loop.
            pub fn run_chain(&mut self) -> u64 {
                fn next(handle: $event_loop::Handle, count: Rc<Cell<u64>>) {
                    let done = count.get() + 1;
                    count.set(done);
                    if done == CALLBACKS as u64 {
                        handle.stop().expect("the loop is alive");
                    } else {
                        let again = handle.clone();
                        handle.call_soon(move || next(again, count)).expect("the loop is open");
                    }
                }
                self.count.set(0);
                let (handle, count) = (self.event_loop.handle(), self.count.clone());
                self.event_loop.call_soon(move || next(handle, count)).expect("the loop is open");
                self.event_loop.run_forever().expect("the loop refused to run");
                self.count.get()
            }

            /// As `run_chain`, but each callback schedules the next through the loop's
            /// `RemoteHandle::call_soon_threadsafe`, from the loop's own thread: what a task's
            /// waker does. A loop without a same-thread fast path pays a lock and an unpark here.
            pub fn run_chain_threadsafe(&mut self) -> u64 {
                // The callback must be `Send`, so the count is an atomic (uncontended: a few
                // nanoseconds) and the last callback finds the loop with `Handle::current`.
                fn next(remote: $event_loop::RemoteHandle, count: Arc<AtomicU64>) {
                    let done = count.fetch_add(1, Ordering::Relaxed) + 1;
                    if done == CALLBACKS as u64 {
                        let handle = $event_loop::Handle::current().expect("called on the loop");
                        handle.stop().expect("the loop is alive");
                    } else {
                        let again = remote.clone();
                        remote.call_soon_threadsafe(move || next(again, count)).expect("the loop is open");
                    }
                }
                let count = Arc::new(AtomicU64::new(0));
                let (remote, first) = (self.event_loop.remote(), count.clone());
                self.event_loop.call_soon(move || next(remote, first)).expect("the loop is open");
                self.event_loop.run_forever().expect("the loop refused to run");
                count.load(Ordering::Relaxed)
            }

            /// All callbacks queued first, then one iteration runs them: the cost of queueing
            /// and running a callback, without the trips round the loop.
            pub fn run_batch(&mut self) -> u64 {
                self.count.set(0);
                for _ in 0..CALLBACKS {
                    let count = self.count.clone();
                    self.event_loop.call_soon(move || count.set(count.get() + 1)).expect("the loop is open");
                }
                // Stopped before the run: it does exactly one iteration, the whole batch.
                self.event_loop.stop();
                self.event_loop.run_forever().expect("the loop refused to run");
                self.count.get()
            }
        }
    };
}

/// The course's reference solutions of chapters 3-6.
pub mod reference {
    course_workloads!(event_loop, tasks, gather, offload);
}

/// The reader's own exercise crates of chapters 3-6 (`--features yours`).
#[cfg(feature = "yours")]
pub mod yours {
    course_workloads!(event_loop_yours, tasks_yours, gather_yours, offload_yours);
}

/// The reader's crates are measured only once a smoke run of the workload finishes with the
/// right checksum: an unfinished chapter (`todo!()`), a panic, a wrong result or a hang is
/// reported and that chapter skipped, instead of crashing or hanging the whole run.
/// (Compiled without `--features yours` too, so that its tests always run.)
pub mod preflight {
    use std::panic::{self, AssertUnwindSafe};
    use std::sync::mpsc;
    use std::time::Duration;

    /// How long one smoke run may take before it counts as hung.
    pub const SMOKE_LIMIT: Duration = Duration::from_secs(20);

    /// Runs `smoke` once on its own thread; `true` if it returned `want` in time. Otherwise
    /// says on stderr which chapter to finish, and returns `false`.
    pub fn ready(groups: &str, chapter: &str, smoke: fn() -> u64, want: u64) -> bool {
        match check(smoke, want, SMOKE_LIMIT) {
            Ok(()) => true,
            Err(problem) => {
                let package = chapter.split('(').nth(1).unwrap_or("").trim_end_matches(')');
                eprintln!(
                    "\n[yours] skipping {groups} for your crate: your {chapter} failed its smoke \
                     run: {problem}.\n[yours] Finish the chapter first: `cargo test -p {package}` \
                     shows what is missing.\n"
                );
                false
            }
        }
    }

    /// What went wrong with one smoke run of `smoke`, if anything.
    pub fn check(smoke: fn() -> u64, want: u64, limit: Duration) -> Result<(), String> {
        let (sender, receiver) = mpsc::channel();
        let hook = panic::take_hook();
        panic::set_hook(Box::new(|_| {})); // the payload is reported by the caller, once
        std::thread::spawn(move || {
            let _ = sender.send(panic::catch_unwind(AssertUnwindSafe(smoke)));
        });
        let outcome = receiver.recv_timeout(limit);
        panic::set_hook(hook);
        match outcome {
            Ok(Ok(got)) if got == want => Ok(()),
            Ok(Ok(got)) => Err(format!("it returned checksum {got}, not {want}: some work was skipped")),
            Ok(Err(payload)) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                Err(format!("it panicked: {message}"))
            }
            // The hung thread is left behind: the benchmark does not measure that chapter.
            Err(_) => Err(format!(
                "it did not finish within {}s (likely a lost wake, or a loop that idles while \
                 work is queued). Its thread cannot be stopped and may still be using a core: \
                 the numbers of this run are suspect, so fix the chapter and run again",
                limit.as_secs_f64()
            )),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_finished_workload_passes_and_each_failure_says_what_it_was() {
            assert_eq!(check(|| 6, 6, SMOKE_LIMIT), Ok(()));
            let unfinished = check(|| todo!("Builder::spawn_on: put the task in the table"), 6, SMOKE_LIMIT);
            assert_eq!(
                unfinished,
                Err("it panicked: not yet implemented: Builder::spawn_on: put the task in the table".into())
            );
            let skipped = check(|| 5, 6, SMOKE_LIMIT).unwrap_err();
            assert!(skipped.contains("checksum 5, not 6"), "{skipped}");
            let hung = check(
                || {
                    std::thread::sleep(Duration::from_secs(3600));
                    0
                },
                6,
                Duration::from_millis(50),
            )
            .unwrap_err();
            assert!(hung.contains("did not finish") && hung.contains("lost wake"), "{hung}");
        }
    }
}

/// A tokio current-thread runtime with nothing turned on but the scheduler (no I/O, no timers):
/// the closest tokio gets to the course's loop.
pub fn tokio_current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().expect("a tokio runtime")
}

/// As [`tokio_current_thread`], with the blocking pool capped at the reference pool's size, so
/// that `offload_*/tokio_spawn_blocking_capped` compares the mechanism with the same number of
/// threads (tokio's default lets the pool grow to 512).
pub fn tokio_current_thread_capped_pool() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(pool_workers())
        .build()
        .expect("a tokio runtime")
}

/// The same workloads on the runtimes a reader would otherwise pick.
pub mod others {
    use super::*;
    use async_executor::LocalExecutor;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;

    // ANCHOR: tokio_spawn_join
    pub fn tokio_spawn_join(rt: &tokio::runtime::Runtime) -> u64 {
        rt.block_on(async {
            let handles: Vec<_> = (0..TASKS).map(|i| tokio::spawn(async move { i as u64 })).collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.expect("a benchmark task failed");
            }
            sum
        })
    }
    // ANCHOR_END: tokio_spawn_join

    pub fn tokio_yield(rt: &tokio::runtime::Runtime) -> u64 {
        rt.block_on(async { tokio::spawn(yield_times(YIELDS)).await.expect("the yielding task failed") })
    }

    /// tokio's own `yield_now`: its wake is deferred until the scheduler has checked for I/O and
    /// timers (it "yields to the driver"), so this measures more than a plain yield.
    pub fn tokio_yield_now(rt: &tokio::runtime::Runtime) -> u64 {
        rt.block_on(async {
            tokio::spawn(async {
                let mut sum = 0;
                for i in 0..YIELDS {
                    tokio::task::yield_now().await;
                    sum += i as u64;
                }
                sum
            })
            .await
            .expect("the yielding task failed")
        })
    }

    pub fn async_executor_spawn_join(ex: &LocalExecutor<'static>) -> u64 {
        futures::executor::block_on(ex.run(async {
            let handles: Vec<_> = (0..TASKS).map(|i| ex.spawn(async move { i as u64 })).collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await;
            }
            sum
        }))
    }

    pub fn async_executor_yield(ex: &LocalExecutor<'static>) -> u64 {
        futures::executor::block_on(ex.run(ex.spawn(yield_times(YIELDS))))
    }

    pub fn futures_spawn_join(pool: &mut LocalPool) -> u64 {
        let spawner = pool.spawner();
        pool.run_until(async {
            let handles: Vec<_> = (0..TASKS)
                .map(|i| spawner.spawn_local_with_handle(async move { i as u64 }).expect("spawn"))
                .collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await;
            }
            sum
        })
    }

    pub fn futures_yield(pool: &mut LocalPool) -> u64 {
        let spawner = pool.spawner();
        pool.run_until(async {
            spawner.spawn_local_with_handle(yield_times(YIELDS)).expect("spawn").await
        })
    }

    pub fn futures_join_all_on_tokio(rt: &tokio::runtime::Runtime) -> u64 {
        rt.block_on(futures::future::join_all((0..CHILDREN).map(|i| async move {
            yield_once().await;
            i as u64
        })))
        .iter()
        .sum()
    }

    pub fn futures_join_ready() -> u64 {
        poll_ready(futures::future::join_all((0..READY).map(|i| std::future::ready(i as u64)))).iter().sum()
    }

    pub fn tokio_offload_all(rt: &tokio::runtime::Runtime) -> u64 {
        rt.block_on(async {
            let pending: Vec<_> =
                (0..CLOSURES).map(|i| tokio::task::spawn_blocking(move || i as u64)).collect();
            let mut sum = 0;
            for handle in pending {
                sum += handle.await.expect("a blocking job failed");
            }
            sum
        })
    }

    pub fn tokio_offload_roundtrip(rt: &tokio::runtime::Runtime) -> u64 {
        rt.block_on(async {
            let mut sum = 0;
            for i in 0..CLOSURES {
                sum += tokio::task::spawn_blocking(move || i as u64).await.expect("a blocking job failed");
            }
            sum
        })
    }

    /// The pool nobody should write: a new OS thread per closure, its result sent back on a
    /// oneshot channel, awaited on the reference loop.
    pub fn thread_per_call_all(event_loop: &::event_loop::EventLoop) -> u64 {
        event_loop
            .run_until_complete(async {
                let pending: Vec<_> = (0..CLOSURES).map(|i| thread_per_call(move || i as u64)).collect();
                let mut sum = 0;
                for receiver in pending {
                    sum += receiver.await.expect("the thread died");
                }
                sum
            })
            .expect("the loop refused to run")
    }

    pub fn thread_per_call_roundtrip(event_loop: &::event_loop::EventLoop) -> u64 {
        event_loop
            .run_until_complete(async {
                let mut sum = 0;
                for i in 0..CLOSURES {
                    sum += thread_per_call(move || i as u64).await.expect("the thread died");
                }
                sum
            })
            .expect("the loop refused to run")
    }

    fn thread_per_call<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> futures::channel::oneshot::Receiver<T> {
        let (sender, receiver) = futures::channel::oneshot::channel();
        std::thread::spawn(move || {
            let _ = sender.send(f());
        });
        receiver
    }
}
