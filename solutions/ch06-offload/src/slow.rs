//! The slow-callback detector: asyncio's debug mode warns "Executing <Handle ...> took 0.250
//! seconds" for every callback or task step that held the loop longer than
//! `loop.slow_callback_duration`. Ours times single callbacks (`call_soon_timed`) and single
//! task polls (`Timed`) on the loop's own clock, and keeps the reports for `take_slow_reports`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use event_loop::{Handle, LoopError};

use crate::given::{DEFAULT_SLOW_THRESHOLD, Detector, SlowReport, Timed};

// ANCHOR: solution_slow
/// Reports `name` if the time from `started` to now, on `handle`'s clock, reaches the threshold.
/// `name` is only built for a report.
fn check(handle: &Handle, name: impl FnOnce() -> String, started: Duration) {
    let (Ok(detector), Ok(now)) = (handle.local::<Detector>(), handle.time()) else {
        return; // The loop is gone: nobody to report to.
    };
    let took = now.saturating_sub(started);
    if took >= detector.threshold.get().unwrap_or(DEFAULT_SLOW_THRESHOLD) {
        detector.reports.borrow_mut().push(SlowReport {
            name: name(),
            took,
            started,
        });
    }
}

/// `handle.call_soon(callback)`, with that one callback timed under the label `name`: the clock
/// is read when the callback *starts* (not when it is scheduled: the callbacks that run before
/// it in the same iteration are not its time) and when it returns.
pub fn call_soon_timed<F>(
    handle: &Handle,
    name: impl Into<String>,
    callback: F,
) -> Result<(), LoopError>
where
    F: FnOnce() + 'static,
{
    let name = name.into();
    let timer = handle.clone();
    handle.call_soon(move || {
        let Ok(started) = timer.time() else { return };
        callback();
        check(&timer, || name, started);
    })
}

impl<F: Future> Future for Timed<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(handle) = Handle::current() else {
            return self.future.as_mut().poll(cx); // Not on a loop: nothing to time against.
        };
        let Ok(started) = handle.time() else {
            return self.future.as_mut().poll(cx);
        };
        // One poll, timed on its own: the time the task spent waiting between polls (sleeping,
        // or waiting for a worker) is not time it held the loop.
        let polled = self.future.as_mut().poll(cx);
        check(
            &handle,
            || tasks::current_name().unwrap_or_else(|| "<main>".to_owned()),
            started,
        );
        polled
    }
}
// ANCHOR_END: solution_slow
