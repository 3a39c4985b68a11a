//! How many heap allocations each runtime makes per element of the benchmark workloads: the
//! measurement behind the book's explanation of where the reference executor's time goes.
//!
//! Unlike times, these counts are exact and the same on every machine, so the book shows this
//! program's output as generated text, checked by `cargo test` (tests/book_output.rs).
//! Each workload runs once to warm its runtime up (queues grown, pools started), then once more
//! with counting on; the counts are of that second run, divided by the number of elements.

use course_bench::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The system allocator, counting calls to `alloc` and `realloc` while `COUNTING` is on.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees are ours; the counters are plain atomics and never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System` through `alloc`/`realloc` above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(new_size.saturating_sub(layout.size()) as u64, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations and bytes per element of the second of two runs of `workload`.
fn per_element(elements: usize, mut workload: impl FnMut() -> u64) -> (f64, f64) {
    workload(); // warm-up, not counted
    ALLOCATIONS.store(0, Ordering::SeqCst);
    BYTES.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let checksum = workload();
    COUNTING.store(false, Ordering::SeqCst);
    std::hint::black_box(checksum);
    let n = elements as f64;
    (ALLOCATIONS.load(Ordering::SeqCst) as f64 / n, BYTES.load(Ordering::SeqCst) as f64 / n)
}

fn row(group: &str, function: &str, elements: usize, workload: impl FnMut() -> u64) {
    let (allocations, bytes) = per_element(elements, workload);
    println!("{group:<22} {function:<29} {allocations:>8.2} {bytes:>9.0}");
}

fn main() {
    println!("{:<22} {:<29} {:>8} {:>9}", "group", "function", "allocs", "bytes");
    println!("{:<22} {:<29} {:>8} {:>9}", "", "", "per elem", "per elem");
    // With `--features yours`: which of the reader's chapters can be counted (each `yours` row
    // goes right under the reference rows of its group).
    let mine = Yours::check();

    let mut reference = reference::SpawnJoin::new();
    row("spawn_join_10k", "reference", TASKS, || reference.run());
    let rt = tokio_current_thread();
    row("spawn_join_10k", "tokio_current_thread", TASKS, || others::tokio_spawn_join(&rt));
    let ex = async_executor::LocalExecutor::new();
    row("spawn_join_10k", "async_executor_local", TASKS, || others::async_executor_spawn_join(&ex));
    let mut pool = futures::executor::LocalPool::new();
    row("spawn_join_10k", "futures_local_pool", TASKS, || others::futures_spawn_join(&mut pool));
    mine.spawn_join();

    let mut reference = reference::Yield::new();
    row("yield_100k", "reference", YIELDS, || reference.run());
    row("yield_100k", "tokio_current_thread", YIELDS, || others::tokio_yield(&rt));
    row("yield_100k", "async_executor_local", YIELDS, || others::async_executor_yield(&ex));
    row("yield_100k", "futures_local_pool", YIELDS, || others::futures_yield(&mut pool));
    mine.yields();

    let mut reference = reference::Gather::new();
    row("gather_10k_yield_once", "reference", CHILDREN, || reference.run());
    let mut on_tokio = reference::GatherOnTokio::new();
    row("gather_10k_yield_once", "reference_gather_on_tokio", CHILDREN, || on_tokio.run());
    row("gather_10k_yield_once", "futures_join_all_on_tokio", CHILDREN, || others::futures_join_all_on_tokio(&rt));
    mine.gather();

    row("join_ready_10k", "reference", READY, reference::join_ready);
    row("join_ready_10k", "futures_join_all", READY, others::futures_join_ready);
    mine.join_ready();

    let mut reference = reference::Callbacks::new();
    row("loop_callbacks_1m", "reference_chain", CALLBACKS, || reference.run_chain());
    row("loop_callbacks_1m", "reference_batch", CALLBACKS, || reference.run_batch());
    row("loop_callbacks_1m", "reference_chain_threadsafe", CALLBACKS, || reference.run_chain_threadsafe());
    mine.callbacks();
}

/// The reader's chapters that passed their smoke run (all `false` without `--features yours`).
#[allow(dead_code)] // the fields are read only with `--features yours`
struct Yours {
    tasks: bool,
    gather: bool,
    event_loop: bool,
}

#[cfg(not(feature = "yours"))]
impl Yours {
    fn check() -> Yours {
        Yours { tasks: false, gather: false, event_loop: false }
    }
    fn spawn_join(&self) {}
    fn yields(&self) {}
    fn gather(&self) {}
    fn join_ready(&self) {}
    fn callbacks(&self) {}
}

#[cfg(feature = "yours")]
impl Yours {
    fn check() -> Yours {
        use course_bench::preflight::ready;
        use course_bench::yours;
        Yours {
            tasks: ready("spawn_join_10k and yield_100k", "chapter 4 (tasks)", || yours::SpawnJoin::new().run(), expected(TASKS)),
            gather: ready("gather_10k_yield_once and join_ready_10k", "chapter 5 (gather)", || yours::Gather::new().run(), expected(CHILDREN)),
            event_loop: ready("loop_callbacks_1m", "chapter 3 (event-loop)", || yours::Callbacks::new().run_chain(), CALLBACKS as u64),
        }
    }
    fn spawn_join(&self) {
        if self.tasks {
            let mut mine = course_bench::yours::SpawnJoin::new();
            row("spawn_join_10k", "yours", TASKS, || mine.run());
        }
    }
    fn yields(&self) {
        if self.tasks {
            let mut mine = course_bench::yours::Yield::new();
            row("yield_100k", "yours", YIELDS, || mine.run());
        }
    }
    fn gather(&self) {
        if self.gather {
            let mut mine = course_bench::yours::Gather::new();
            row("gather_10k_yield_once", "yours", CHILDREN, || mine.run());
        }
    }
    fn join_ready(&self) {
        if self.gather {
            row("join_ready_10k", "yours", READY, course_bench::yours::join_ready);
        }
    }
    fn callbacks(&self) {
        if self.event_loop {
            let mut mine = course_bench::yours::Callbacks::new();
            row("loop_callbacks_1m", "yours_chain", CALLBACKS, || mine.run_chain());
            row("loop_callbacks_1m", "yours_batch", CALLBACKS, || mine.run_batch());
            row("loop_callbacks_1m", "yours_chain_threadsafe", CALLBACKS, || mine.run_chain_threadsafe());
        }
    }
}
