//! Where the loop gets its time from, and how it waits for it.
//!
//! This module is given, in the exercise and in the solution alike: the chapter is about the
//! loop deciding *when* to wait and *until when*; a clock only answers "what time is it?" and
//! "wait until then (or until someone unparks this thread)".

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: clock
/// A source of loop time (what `loop.time()` reads), measured from the clock's own start.
/// asyncio's `loop.time()` is `time.monotonic()`, whose origin is arbitrary (large numbers);
/// counting from the start is our choice, so that output reads `t=1.0s`.
///
/// Contract: `now` never decreases. `idle_until` is how the loop waits when it has nothing to
/// run: it returns at `deadline` at the latest (never, if `None`), and may return earlier,
/// in particular when another thread unparks the loop's thread. The loop must cope with an
/// early return by looking at its queues again.
pub trait Clock {
    /// The loop's current time.
    fn now(&self) -> Duration;
    /// Waits, on the loop's thread, until `deadline` or until the thread is unparked.
    fn idle_until(&self, deadline: Option<Duration>);

    /// For a clock whose `idle_until` waits somewhere `Thread::unpark` cannot reach (chapter 8's
    /// reactor waits in the OS poller): a thread-safe callback that ends that wait early. The
    /// loop calls it, from other threads, whenever it unparks its thread for new work. The
    /// default, `None`, is right for every clock that waits by parking the thread.
    fn interrupter(&self) -> Option<Arc<dyn Fn() + Send + Sync>> {
        None
    }
}
// ANCHOR_END: clock

// ANCHOR: real_clock
/// Wall-clock time from a monotonic `Instant`; waiting parks the thread.
#[derive(Debug)]
pub struct RealClock {
    start: Instant,
}

impl RealClock {
    pub fn new() -> Self {
        RealClock { start: Instant::now() }
    }
}

impl Default for RealClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for RealClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn idle_until(&self, deadline: Option<Duration>) {
        match deadline {
            // park_timeout may return early (spurious wake, unpark): the contract allows it.
            Some(deadline) => {
                let left = deadline.saturating_sub(self.now());
                if !left.is_zero() {
                    thread::park_timeout(left);
                }
            }
            None => thread::park(),
        }
    }
}
// ANCHOR_END: real_clock

// ANCHOR: virtual_clock
/// Simulated time for tests and demos: waiting for a deadline *jumps* to it, instantly.
///
/// Clones share one time line, so a test keeps a clone to read the instruments the course's
/// tests use: how often the loop read the time, and how often it went idle.
#[derive(Debug, Clone, Default)]
pub struct VirtualClock {
    shared: Arc<VirtualShared>,
}

#[derive(Debug, Default)]
struct VirtualShared {
    now_nanos: AtomicU64,
    reads: AtomicU64,
    idles: AtomicU64,
}

impl VirtualClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves time forward by `by`, as if the code running now had taken that long.
    pub fn advance(&self, by: Duration) {
        self.shared.now_nanos.fetch_add(nanos(by), Ordering::SeqCst);
    }

    /// How many times `now` has been called (by the loop, or by anything holding the clock).
    pub fn reads(&self) -> u64 {
        self.shared.reads.load(Ordering::SeqCst)
    }

    /// How many times the loop went idle (`idle_until` calls).
    pub fn idles(&self) -> u64 {
        self.shared.idles.load(Ordering::SeqCst)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).expect("virtual time overflowed u64 nanoseconds (584 years)")
}

impl Clock for VirtualClock {
    fn now(&self) -> Duration {
        self.shared.reads.fetch_add(1, Ordering::SeqCst);
        Duration::from_nanos(self.shared.now_nanos.load(Ordering::SeqCst))
    }

    fn idle_until(&self, deadline: Option<Duration>) {
        self.shared.idles.fetch_add(1, Ordering::SeqCst);
        match deadline {
            // Nothing can happen in simulated time between now and the deadline, so skip it.
            // `fetch_max`: a deadline in the past leaves the time where it is.
            Some(deadline) => {
                self.shared.now_nanos.fetch_max(nanos(deadline), Ordering::SeqCst);
            }
            // No timer at all: only another thread can give the loop work. Wait for it.
            None => thread::park(),
        }
    }
}
// ANCHOR_END: virtual_clock
