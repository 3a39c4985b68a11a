//! The waker of `executor::ChannelWaker` built by hand from a `RawWakerVTable`: what
//! `Waker::from(Arc<W>)` does for you. Every executor that cannot use `Arc` (no allocator,
//! one static task, a waker packed into an index) builds its wakers this way.

use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::executor::ChannelWaker;

// ANCHOR: raw_waker
/// The four functions every clone of the waker shares. The `data` pointer they get is always
/// one that `Arc::into_raw` produced from an `Arc<ChannelWaker>`, and each live `RawWaker`
/// owns one strong count of that `Arc`.
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A `Waker` for `inner`, built by hand.
pub fn raw_channel_waker(inner: Arc<ChannelWaker>) -> Waker {
    // The strong count `inner` held now belongs to the waker we build.
    let data = Arc::into_raw(inner).cast::<()>();
    // SAFETY: `Waker::from_raw` requires the vtable functions to uphold the `RawWaker` contract
    // for this `data`. `data` comes from `Arc::into_raw` and carries one strong count, which is
    // exactly what every function below assumes; `ChannelWaker` is `Send + Sync`, so the
    // waker may be used and woken from any thread.
    unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) }
}

/// `clone`: called when the `Waker` is cloned. Contract: return a `RawWaker` that wakes the same
/// task and stays valid on its own; the original stays valid too. Must not block or panic.
unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is from `Arc::into_raw::<ChannelWaker>` and the waker being cloned still
    // owns a strong count, so the allocation is alive; the new count belongs to the clone.
    unsafe { Arc::increment_strong_count(data.cast::<ChannelWaker>()) };
    RawWaker::new(data, &VTABLE)
}

/// `wake`: called by `Waker::wake`, which consumes the waker. Contract: wake the task, and
/// release whatever this waker owned (here: its strong count), as `drop` would.
unsafe fn wake(data: *const ()) {
    // SAFETY: `data` is from `Arc::into_raw::<ChannelWaker>`, and the consumed waker's strong
    // count is handed to this `Arc`, which releases it when it goes out of scope.
    let inner = unsafe { Arc::from_raw(data.cast::<ChannelWaker>()) };
    inner.notify();
}

/// `wake_by_ref`: called by `Waker::wake_by_ref`. Contract: wake the task without consuming the
/// waker: the strong count stays with the waker, which is still alive after this call.
unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: as in `wake`, but the count still belongs to the waker: `ManuallyDrop` keeps this
    // temporary `Arc` from releasing it.
    let inner = ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<ChannelWaker>()) });
    inner.notify();
}

/// `drop`: called when a `Waker` is dropped without waking. Contract: release what this waker
/// owned, exactly once.
unsafe fn drop_waker(data: *const ()) {
    // SAFETY: `data` is from `Arc::into_raw::<ChannelWaker>`; the dropped waker's strong count
    // is given back to an `Arc` and released with it. The waker is never used again.
    drop(unsafe { Arc::from_raw(data.cast::<ChannelWaker>()) });
}
// ANCHOR_END: raw_waker

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clone_wakes_and_every_strong_count_is_given_back() {
        let (inner, woken) = ChannelWaker::new();
        let waker = raw_channel_waker(inner.clone());
        assert_eq!(Arc::strong_count(&inner), 2, "the waker owns one count");

        let copy = waker.clone();
        assert_eq!(Arc::strong_count(&inner), 3, "each clone owns one more");
        waker.wake_by_ref();
        assert_eq!(Arc::strong_count(&inner), 3, "wake_by_ref keeps the waker's count");
        copy.wake();
        assert_eq!(Arc::strong_count(&inner), 2, "wake consumes the clone and its count");
        drop(waker);
        assert_eq!(Arc::strong_count(&inner), 1, "drop gives the last waker's count back");

        assert_eq!(woken.try_iter().count(), 2, "one message per wake");
    }

    #[test]
    fn the_raw_waker_works_from_another_thread() {
        let (inner, woken) = ChannelWaker::new();
        let waker = raw_channel_waker(inner);
        std::thread::spawn(move || waker.wake()).join().unwrap();
        assert!(woken.try_recv().is_ok());
    }
}
