//! The course's benchmarks: the reference executor of chapters 3-6 against tokio's current-thread
//! runtime, async-executor's `LocalExecutor` and futures' `LocalPool`, in one criterion run.
//!
//! `cargo xtask bench` runs this and prints the ratios (and asyncio's numbers, when python3 is
//! there); `cargo bench -p course-bench` runs it alone. With `--features yours`, the reader's own
//! exercise crates are measured too, as function `yours` in each group.
//!
//! The group and function names are a contract: the xtask's report and the book's table read
//! them, and results are compared across versions by them. Don't rename one without the other.

use course_bench::*;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use criterion::measurement::WallTime;
use std::time::Duration;

/// Every iteration checks its checksum: a workload that skipped work must not be timed.
fn checked(got: u64, want: u64, what: &str) -> u64 {
    assert_eq!(got, want, "{what}: wrong checksum, so the workload did not do all its work");
    got
}

fn group<'a>(c: &'a mut Criterion, name: &str, elements: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(elements as u64));
    group
}

fn spawn_join_10k(c: &mut Criterion) {
    let want = expected(TASKS);
    let mut g = group(c, "spawn_join_10k", TASKS);
    let mut reference = reference::SpawnJoin::new();
    g.bench_function("reference", |b| b.iter(|| checked(reference.run(), want, "reference")));
    let rt = tokio_current_thread();
    g.bench_function("tokio_current_thread", |b| b.iter(|| checked(others::tokio_spawn_join(&rt), want, "tokio")));
    let ex = async_executor::LocalExecutor::new();
    g.bench_function("async_executor_local", |b| {
        b.iter(|| checked(others::async_executor_spawn_join(&ex), want, "async-executor"))
    });
    let mut pool = futures::executor::LocalPool::new();
    g.bench_function("futures_local_pool", |b| {
        b.iter(|| checked(others::futures_spawn_join(&mut pool), want, "futures"))
    });
    #[cfg(feature = "yours")]
    if yours::ready("spawn_join_10k", "chapter 4 (tasks)", || yours::SpawnJoin::new().run(), want) {
        let mut mine = yours::SpawnJoin::new();
        g.bench_function("yours", |b| b.iter(|| checked(mine.run(), want, "yours")));
    }
    g.finish();
}

fn yield_100k(c: &mut Criterion) {
    let want = expected(YIELDS);
    let mut g = group(c, "yield_100k", YIELDS);
    let mut reference = reference::Yield::new();
    g.bench_function("reference", |b| b.iter(|| checked(reference.run(), want, "reference")));
    let rt = tokio_current_thread();
    g.bench_function("tokio_current_thread", |b| b.iter(|| checked(others::tokio_yield(&rt), want, "tokio")));
    let ex = async_executor::LocalExecutor::new();
    g.bench_function("async_executor_local", |b| {
        b.iter(|| checked(others::async_executor_yield(&ex), want, "async-executor"))
    });
    let mut pool = futures::executor::LocalPool::new();
    g.bench_function("futures_local_pool", |b| b.iter(|| checked(others::futures_yield(&mut pool), want, "futures")));
    // Not a target: tokio's `yield_now` defers its wake past the driver (see the book).
    g.bench_function("tokio_yield_now", |b| b.iter(|| checked(others::tokio_yield_now(&rt), want, "tokio yield_now")));
    #[cfg(feature = "yours")]
    if yours::ready("yield_100k", "chapter 4 (tasks)", || yours::Yield::new().run(), want) {
        let mut mine = yours::Yield::new();
        g.bench_function("yours", |b| b.iter(|| checked(mine.run(), want, "yours")));
    }
    g.finish();
}

fn gather_10k_yield_once(c: &mut Criterion) {
    let want = expected(CHILDREN);
    let mut g = group(c, "gather_10k_yield_once", CHILDREN);
    let mut reference = reference::Gather::new();
    g.bench_function("reference", |b| b.iter(|| checked(reference.run(), want, "reference")));
    let mut on_tokio = reference::GatherOnTokio::new();
    g.bench_function("reference_gather_on_tokio", |b| {
        b.iter(|| checked(on_tokio.run(), want, "reference gather on tokio"))
    });
    let rt = tokio_current_thread();
    g.bench_function("futures_join_all_on_tokio", |b| {
        b.iter(|| checked(others::futures_join_all_on_tokio(&rt), want, "futures join_all on tokio"))
    });
    #[cfg(feature = "yours")]
    if yours::ready("gather_10k_yield_once", "chapter 5 (gather)", || yours::Gather::new().run(), want) {
        let mut mine = yours::Gather::new();
        g.bench_function("yours", |b| b.iter(|| checked(mine.run(), want, "yours")));
    }
    g.finish();
}

fn join_ready_10k(c: &mut Criterion) {
    let want = expected(READY);
    let mut g = group(c, "join_ready_10k", READY);
    g.bench_function("reference", |b| b.iter(|| checked(reference::join_ready(), want, "reference")));
    g.bench_function("futures_join_all", |b| b.iter(|| checked(others::futures_join_ready(), want, "futures")));
    #[cfg(feature = "yours")]
    if yours::ready("join_ready_10k", "chapter 5 (gather)", yours::join_ready, want) {
        g.bench_function("yours", |b| b.iter(|| checked(yours::join_ready(), want, "yours")));
    }
    g.finish();
}

fn offload(c: &mut Criterion) {
    let want = expected(CLOSURES);
    let event_loop = event_loop::EventLoop::new();
    let mut reference = reference::Offload::new();
    #[cfg(feature = "yours")]
    let mut mine = yours::ready("offload_1000 and offload_roundtrip_1000", "chapter 6 (offload)", || yours::Offload::new().run_all(), want)
        .then(yours::Offload::new);

    // Each group gets its own tokio runtimes: blocking threads that one group started (tokio
    // keeps idle ones for 10 s) must not serve the next group.
    {
        let rt = tokio_current_thread();
        let capped = tokio_current_thread_capped_pool();
        let mut g = group(c, "offload_1000", CLOSURES);
        g.sample_size(10);
        g.bench_function("reference_pool", |b| b.iter(|| checked(reference.run_all(), want, "reference")));
        g.bench_function("tokio_spawn_blocking", |b| b.iter(|| checked(others::tokio_offload_all(&rt), want, "tokio")));
        g.bench_function("tokio_spawn_blocking_capped", |b| {
            b.iter(|| checked(others::tokio_offload_all(&capped), want, "tokio, capped pool"))
        });
        g.bench_function("thread_per_call", |b| {
            b.iter(|| checked(others::thread_per_call_all(&event_loop), want, "thread per call"))
        });
        #[cfg(feature = "yours")]
        if let Some(mine) = mine.as_mut() {
            g.bench_function("yours", |b| b.iter(|| checked(mine.run_all(), want, "yours")));
        }
        g.finish();
    }
    {
        let rt = tokio_current_thread();
        let capped = tokio_current_thread_capped_pool();
        let mut g = group(c, "offload_roundtrip_1000", CLOSURES);
        g.sample_size(10);
        g.bench_function("reference_pool", |b| b.iter(|| checked(reference.run_roundtrip(), want, "reference")));
        g.bench_function("tokio_spawn_blocking", |b| {
            b.iter(|| checked(others::tokio_offload_roundtrip(&rt), want, "tokio"))
        });
        g.bench_function("tokio_spawn_blocking_capped", |b| {
            b.iter(|| checked(others::tokio_offload_roundtrip(&capped), want, "tokio, capped pool"))
        });
        g.bench_function("thread_per_call", |b| {
            b.iter(|| checked(others::thread_per_call_roundtrip(&event_loop), want, "thread per call"))
        });
        #[cfg(feature = "yours")]
        if let Some(mine) = mine.as_mut() {
            g.bench_function("yours", |b| b.iter(|| checked(mine.run_roundtrip(), want, "yours")));
        }
        g.finish();
    }
}

fn loop_callbacks_1m(c: &mut Criterion) {
    let want = CALLBACKS as u64;
    let mut g = group(c, "loop_callbacks_1m", CALLBACKS);
    g.sample_size(10);
    let mut reference = reference::Callbacks::new();
    g.bench_function("reference_chain", |b| b.iter(|| checked(reference.run_chain(), want, "reference chain")));
    g.bench_function("reference_batch", |b| b.iter(|| checked(reference.run_batch(), want, "reference batch")));
    g.bench_function("reference_chain_threadsafe", |b| {
        b.iter(|| checked(reference.run_chain_threadsafe(), want, "reference chain, threadsafe"))
    });
    #[cfg(feature = "yours")]
    if yours::ready("loop_callbacks_1m", "chapter 3 (event-loop)", || yours::Callbacks::new().run_chain(), want) {
        let mut mine = yours::Callbacks::new();
        g.bench_function("yours_chain", |b| b.iter(|| checked(mine.run_chain(), want, "yours chain")));
        g.bench_function("yours_batch", |b| b.iter(|| checked(mine.run_batch(), want, "yours batch")));
        g.bench_function("yours_chain_threadsafe", |b| {
            b.iter(|| checked(mine.run_chain_threadsafe(), want, "yours chain, threadsafe"))
        });
    }
    g.finish();
}

#[cfg(feature = "yours")]
mod yours {
    pub use course_bench::preflight::ready;
    pub use course_bench::yours::*;
}

fn config() -> Criterion {
    // Short and few samples: the whole suite stays under five minutes on two cores, and the
    // ratios, not the third digit, are what the book reports. Command-line flags override.
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .without_plots()
}

criterion_group! {
    name = executors;
    config = config();
    targets = spawn_join_10k, yield_100k, gather_10k_yield_once, join_ready_10k, offload, loop_callbacks_1m
}
criterion_main!(executors);
