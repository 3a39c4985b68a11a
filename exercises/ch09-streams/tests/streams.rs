//! Chapter 9 behaviour tests. The same file tests your stub (`cargo test -p streams`) and the
//! reference solution (`cargo test -p streams-solution`).
//!
//! Each test is written against a plausible wrong implementation and names it when it fails.
//! Every test runs under a watchdog, so a stream that never wakes its consumer fails instead of
//! hanging, and time is the chapter 3 loop's virtual clock: "a tick every second" is exact and
//! takes no real time.
//!
//! Run one stage at a time: `cargo test -p streams stage1` (then stage2, stage3, stage4).

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Once;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use course_support::{CountingWaker, DropCounter, DropProbe, watchdog_causes};
use event_loop::{EventLoop, Handle, VirtualClock, sleep};
use streams::{SendError, Sender, Stream, StreamExt, channel, countdown, interval, spawn_stream};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `main` to completion on a fresh loop with a virtual clock; the clock comes back too, for
/// the tests that count how often the loop went idle.
fn run<T>(main: impl AsyncFnOnce(VirtualClock) -> T) -> T {
    let clock = VirtualClock::new();
    let event_loop = EventLoop::with_clock(clock.clone());
    let output = event_loop
        .run_until_complete(main(clock))
        .expect("the loop ran the test's main future");
    event_loop.close().expect("the loop closes after the run");
    output
}

/// The running loop's time in milliseconds.
fn now_ms() -> u128 {
    Handle::current()
        .expect("called on the loop")
        .time()
        .expect("the loop is alive")
        .as_millis()
}

/// Polls `stream` once with `waker`, by hand.
fn poll_with<S: Stream + Unpin>(stream: &mut S, waker: &Waker) -> Poll<Option<S::Item>> {
    Pin::new(stream).poll_next(&mut Context::from_waker(waker))
}

/// Polls a stream that must answer at once; `what` names it in the message. An arithmetic
/// overflow inside the stream (a count that went past zero) fails with a message that says so;
/// the overflow's own report is kept out of the output, so the message you read is this one.
fn ready_item<S: Stream + Unpin>(stream: &mut S, what: &str) -> Option<S::Item> {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !course_support::panic_message(info.payload()).ends_with("with overflow") {
                default(info);
            }
        }));
    });
    let (waker, _) = CountingWaker::new();
    let polled = panic::catch_unwind(AssertUnwindSafe(|| poll_with(stream, &waker)));
    let polled = polled.unwrap_or_else(|payload| {
        let message = course_support::panic_message(&*payload);
        if message.ends_with("with overflow") {
            panic!(
                "polling {what} panicked (\"{message}\"): the stream counted past its end. Check \
                 for the end (0 left) *before* subtracting, and answer Ready(None) on every poll \
                 after the end"
            );
        }
        panic::resume_unwind(payload)
    });
    match polled {
        Poll::Ready(item) => item,
        Poll::Pending => panic!(
            "{what} returned Pending, but everything it needed was ready: a stream returns Pending \
             only when it has to wait for something (and has arranged for the waker to be woken)"
        ),
    }
}

/// An endless stream 1, 2, 3, ... that counts its polls, always ready.
struct Numbers {
    next: u32,
    polls: Rc<Cell<usize>>,
}

impl Stream for Numbers {
    type Item = u32;
    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<u32>> {
        let this = self.get_mut();
        this.polls.set(this.polls.get() + 1);
        this.next += 1;
        Poll::Ready(Some(this.next))
    }
}

fn numbers() -> (Numbers, Rc<Cell<usize>>) {
    let polls = Rc::new(Cell::new(0));
    (
        Numbers {
            next: 0,
            polls: polls.clone(),
        },
        polls,
    )
}

/// Yields `items` with a `Pending` before each one (waking its waker first, as a stream that
/// waits briefly would), then ends. Adapters must pass the `Pending`s through.
struct Hesitant {
    items: Vec<u32>,
    ready: bool,
}

impl Stream for Hesitant {
    type Item = u32;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        let this = self.get_mut();
        if this.items.is_empty() {
            return Poll::Ready(None);
        }
        if !this.ready {
            this.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.ready = false;
        Poll::Ready(Some(this.items.remove(0)))
    }
}

// ---------------------------------------------------------------------------------------------
// Stage 1: a hand-written stream, and `next`.
// ---------------------------------------------------------------------------------------------

#[test]
fn stage1_countdown_yields_each_number_then_ends() {
    watchdog_causes(
        &["Countdown::poll_next never returns Ready(None), so the loop never ends"],
        || {
            let mut stream = countdown(3);
            let mut seen = Vec::new();
            for _ in 0..4 {
                seen.push(ready_item(&mut stream, "countdown(3)"));
            }
            assert_eq!(
                seen,
                [Some(3), Some(2), Some(1), None],
                "countdown(3) must yield 3, 2, 1 and then Ready(None) (the end of the stream); 0 is \
             not an item"
            );
            assert_eq!(
                ready_item(&mut countdown(0), "countdown(0)"),
                None,
                "countdown(0) is empty: Ready(None) at once"
            );
        },
    );
}

#[test]
fn stage1_countdown_polled_after_the_end_stays_ended() {
    watchdog_causes(&["Countdown::poll_next loops"], || {
        let mut stream = countdown(1);
        assert_eq!(
            ready_item(&mut stream, "countdown(1)"),
            Some(1),
            "countdown(1) yields 1 first"
        );
        assert_eq!(
            ready_item(&mut stream, "countdown(1) after its one item"),
            None,
            "then it ends"
        );
        for attempt in 1..=3 {
            let what = format!("countdown(1) again, {attempt} poll(s) after it had returned None");
            if let Some(n) = ready_item(&mut stream, &what) {
                panic!(
                    "countdown(1) yielded {n} when polled again after it had returned None (poll \
                     {attempt} after the end): once ended, this course's streams stay ended \
                     (fused); check for 0 before counting down"
                );
            }
        }
    });
}

#[test]
fn stage1_next_borrows_the_stream_and_while_let_drains_it() {
    let (seen, after) = watchdog_causes(
        &[
            "Next::poll returns Pending for a ready stream (nothing wakes it again)",
            "Countdown::poll_next never ends",
        ],
        || {
            run(async |_| {
                let mut stream = countdown(3);
                let first = stream.next().await;
                let mut seen = vec![first];
                // The stream is still ours after an item: `next` only borrowed it.
                while let Some(n) = stream.next().await {
                    seen.push(Some(n));
                }
                (seen, stream.next().await)
            })
        },
    );
    assert_eq!(
        seen,
        [Some(3), Some(2), Some(1)],
        "`while let Some(n) = stream.next().await` over countdown(3) must see 3, 2, 1"
    );
    assert_eq!(after, None, "next() after the end must give None again");
}

#[test]
fn stage1_a_pinned_unfold_works_with_next() {
    let seen = watchdog_causes(
        &["Next::poll returns Pending without the stream having registered a wake"],
        || {
            run(async |_| {
                // `unfold` over an async block is not `Unpin`: pinned once, on this future's stack,
                // `Pin<&mut Unfold<..>>` is an `Unpin` stream, and `next` works on it.
                let mut tokens = std::pin::pin!(streams::unfold(0u32, |n| async move {
                    sleep(ms(100)).await;
                    if n < 3 { Some((n, n + 1)) } else { None }
                }));
                let mut seen = Vec::new();
                while let Some(n) = tokens.next().await {
                    seen.push((n, now_ms()));
                }
                seen
            })
        },
    );
    assert_eq!(
        seen,
        [(0, 100), (1, 200), (2, 300)],
        "a pinned unfold whose step sleeps 100 ms must yield 0, 1, 2 at 100, 200, 300 ms through \
         next(): Next must return the stream's Pending as it is, and poll again when woken"
    );
}

// ---------------------------------------------------------------------------------------------
// Stage 2: adapters.
// ---------------------------------------------------------------------------------------------

#[test]
fn stage2_map_applies_the_function_to_each_item_in_order() {
    watchdog_causes(&["Map::poll_next loops"], || {
        let mut calls = 0;
        let mut stream = countdown(3).map(|n| {
            calls += 1;
            format!("t-{n}")
        });
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(ready_item(&mut stream, "countdown(3).map(..)"));
        }
        drop(stream);
        assert_eq!(
            seen,
            [
                Some("t-3".to_owned()),
                Some("t-2".to_owned()),
                Some("t-1".to_owned()),
                None
            ],
            "map must pass each item through the function, in order, and end when the inner stream ends"
        );
        assert_eq!(
            calls, 3,
            "the function must run once per item (it ran {calls} times for 3 items)"
        );
    });
}

#[test]
fn stage2_filter_keeps_polling_after_a_rejected_item() {
    watchdog_causes(
        &["Filter::poll_next never stops looping: does it return when the inner stream ends?"],
        || {
            let mut stream = countdown(6).filter(|n| n % 3 == 0);
            let (waker, wakes) = CountingWaker::new();
            let mut seen = Vec::new();
            for poll in 1..=3 {
                match poll_with(&mut stream, &waker) {
                    Poll::Ready(item) => seen.push(item),
                    Poll::Pending => panic!(
                        "filter returned Pending on poll {poll} after rejecting an item, though the \
                     inner stream (a countdown) had the next one ready (items so far: {seen:?}, \
                     wakes: {}). Without a wake nobody polls again and the consumer hangs; with \
                     one the loop goes round for nothing. A rejected item is not a reason to \
                     return: loop and poll the inner stream again",
                        wakes.wakes()
                    ),
                }
            }
            assert_eq!(
                seen,
                [Some(6), Some(3), None],
                "countdown(6).filter(multiple of 3) must yield 6, 3, then end"
            );
        },
    );
}

#[test]
fn stage2_adapters_pass_pending_through() {
    let seen = watchdog_causes(
        &[
            "an adapter returned Pending when its inner stream was ready, without waking",
            "an adapter turned the inner stream's Pending into Ready(None), or looped on it",
        ],
        || {
            run(async |_| {
                let hesitant = Hesitant {
                    items: vec![1, 2, 3, 4, 5, 6],
                    ready: false,
                };
                let mut stream = hesitant.filter(|n| n % 2 == 0).map(|n| n * 10).take(2);
                let mut seen = Vec::new();
                while let Some(n) = stream.next().await {
                    seen.push(n);
                }
                seen
            })
        },
    );
    assert_eq!(
        seen,
        [20, 40],
        "over a stream that returns Pending before each item, filter(even).map(x10).take(2) must \
         give 20, 40: an adapter returns the inner stream's Pending as it is (the inner stream \
         has arranged the wake); turning it into Ready(None) ends the stream early"
    );
}

#[test]
fn stage2_take_does_not_poll_the_inner_stream_past_the_limit() {
    watchdog_causes(&["Take::poll_next loops"], || {
        let (inner, polls) = numbers();
        let mut stream = inner.take(3);
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(ready_item(&mut stream, "numbers().take(3)"));
        }
        assert_eq!(
            seen,
            [Some(1), Some(2), Some(3)],
            "take(3) must hand out the first three items"
        );
        assert_eq!(
            ready_item(&mut stream, "take(3) after 3 items"),
            None,
            "take(3) must end after 3 items"
        );
        assert_eq!(
            polls.get(),
            3,
            "take(3) polled its inner stream {} times for 3 items: it asked for a 4th item and \
             threw it away. Check the count *before* polling the inner stream: for an interval \
             that extra poll arms a timer, for a producer it starts work nobody will read",
            polls.get()
        );
        assert_eq!(
            ready_item(&mut stream, "take(3), polled again"),
            None,
            "take stays ended"
        );
        assert_eq!(
            polls.get(),
            3,
            "take(3) polled its inner stream again after it had ended"
        );
        let (inner, polls) = numbers();
        assert_eq!(
            ready_item(&mut inner.take(0), "take(0)"),
            None,
            "take(0) is empty"
        );
        assert_eq!(
            polls.get(),
            0,
            "take(0) must not poll its inner stream at all"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Stage 3: an interval on the loop's timers.
// ---------------------------------------------------------------------------------------------

#[test]
fn stage3_interval_ticks_once_per_period() {
    let seen = watchdog_causes(
        &[
            "Interval::poll_next returns Pending without arming a timer, or without storing the \
             waker where the timer's callback finds it: nothing wakes the consumer (the test \
             stage3_interval_pending_wakes_the_latest_waker_from_one_timer says which)",
            "Interval::poll_next yields a tick but leaves its fired timer in `timer`: a timer from \
             the previous tick is still stored in `timer`, so no new one is armed and the next \
             tick never comes. Take (and cancel) `timer` when a tick is yielded (the test \
             stage3_interval_pending_wakes_the_latest_waker_from_one_timer says so)",
            "the timer's callback does not wake the stored waker",
        ],
        || {
            run(async |_| {
                let mut ticks = interval(ms(1000)).take(3);
                let mut seen = Vec::new();
                while let Some(tick) = ticks.next().await {
                    seen.push((tick, now_ms()));
                }
                seen
            })
        },
    );
    assert_eq!(
        seen,
        [(1, 1000), (2, 2000), (3, 3000)],
        "interval(1 s).take(3) must tick 1, 2, 3 at loop times 1 s, 2 s, 3 s (tick n is n whole \
         periods after the first poll); the pairs are (tick, loop time in ms)"
    );
}

#[test]
fn stage3_interval_pending_wakes_the_latest_waker_from_one_timer() {
    let report = watchdog_causes(&["the interval's timer callback loops"], || {
        run(async |_| {
            let mut ticks = interval(ms(1000));
            let (first_waker, first) = CountingWaker::new();
            let (second_waker, second) = CountingWaker::new();
            // Polled 10 times before the tick (spurious polls happen: a select, a join), then
            // once more with another waker (the consumer moved to another task).
            for _ in 0..10 {
                assert!(
                    poll_with(&mut ticks, &first_waker).is_pending(),
                    "the interval gave a tick at {} ms, before the first period had passed",
                    now_ms()
                );
            }
            assert!(
                poll_with(&mut ticks, &second_waker).is_pending(),
                "no tick is due yet"
            );
            sleep(ms(1500)).await;
            let first_tick = (first.wakes(), second.wakes());
            // The tick is due: the consumer polls, gets it, and waits for the next one.
            let tick = poll_with(&mut ticks, &second_waker);
            let (third_waker, third) = CountingWaker::new();
            let waiting = poll_with(&mut ticks, &third_waker);
            sleep(ms(1000)).await;
            (first_tick, tick, waiting, third.wakes())
        })
    });
    let ((first, second), tick, waiting, third) = report;
    assert!(
        first + second <= 1,
        "one tick woke the interval's consumer {} times after 11 polls: more than one timer fired \
         for it, and each callback woke a waker. Arm one timer per tick (keep its TimerHandle in \
         `timer`, and arm only when there is none), and let the callback take the waker out of \
         the cell, so that it is woken once",
        first + second
    );
    assert!(
        !(first == 1 && second == 0),
        "the tick woke the waker of the first poll, not of the latest: the timer's callback \
         captured the waker it was armed with. Store each poll's waker in the shared `waker` \
         cell, and let the callback take it from there"
    );
    assert_eq!(
        second, 1,
        "the interval returned Pending, but nothing woke its consumer when the tick came due: \
         before returning Pending, store the waker and arm a timer (Handle::call_at) whose \
         callback wakes it"
    );
    assert_eq!(
        tick,
        Poll::Ready(Some(1)),
        "polled at 1.5 s, after its wake, the interval must yield tick 1"
    );
    assert!(
        waiting.is_pending(),
        "polled again at 1.5 s, right after tick 1, the interval must wait for tick 2 (at 2 s)"
    );
    assert_eq!(
        third, 1,
        "the first tick woke its consumer, but the second never did (woken {third} times by \
         2.5 s): a timer from the previous tick is still stored in `timer`, so no new one was \
         armed. When a tick is yielded, take the timer out of `timer` (and cancel it; it has \
         fired, or is about to)"
    );
}

#[test]
fn stage3_interval_skips_missed_ticks() {
    let seen = watchdog_causes(
        &[
            "Interval::poll_next returns Pending without storing the waker in the shared cell, or \
             without arming a timer: nothing wakes the consumer (the test \
             stage3_interval_pending_wakes_the_latest_waker_from_one_timer says which)",
            "Interval::poll_next yields a tick but leaves its fired timer in `timer`: a timer from \
             the previous tick is still stored in `timer`, so no new one is armed and the next \
             tick never comes. Take (and cancel) `timer` when a tick is yielded (the test \
             stage3_interval_pending_wakes_the_latest_waker_from_one_timer says so)",
            "Interval::poll_next returns Pending for a tick that is already overdue, with a timer \
             in the past that never comes",
        ],
        || {
            run(async |_| {
                let mut ticks = interval(ms(1000));
                let mut seen = Vec::new();
                for _ in 0..2 {
                    let tick = ticks.next().await.expect("an interval never ends");
                    seen.push((tick, now_ms()));
                }
                // The consumer is busy for 2.5 periods: ticks 3 and 4 come due meanwhile.
                sleep(ms(2500)).await;
                for _ in 0..2 {
                    let tick = ticks.next().await.expect("an interval never ends");
                    seen.push((tick, now_ms()));
                }
                seen
            })
        },
    );
    assert_eq!(
        &seen[..2],
        [(1, 1000), (2, 2000)],
        "the first two ticks come at 1 s and 2 s"
    );
    let late = seen[2];
    assert!(
        late != (3, 4500),
        "after a consumer was busy from 2 s to 4.5 s, the interval replayed the missed tick 3 \
         (ticks: {seen:?}). This course's interval skips missed ticks: yield one tick at once, \
         numbered by the periods elapsed (4), and the next at the next multiple of the period (5 s)"
    );
    assert_eq!(
        late,
        (4, 4500),
        "a late poll at 4.5 s must get a tick at once, numbered 4 (whole periods since the start), \
         not wait for a new period (ticks: {seen:?})"
    );
    assert_eq!(
        seen[3],
        (5, 5000),
        "after the late tick at 4.5 s the next comes at 5 s, on the original grid, not a full \
         period after the late one (ticks: {seen:?})"
    );
}

#[test]
fn stage3_dropping_an_interval_cancels_its_timer() {
    let (once, many) = watchdog_causes(&["the interval's Drop loops"], || {
        run(async |clock| {
            // Polls a fresh interval `polls` times before its first tick, drops it, then sleeps
            // 5 s: how often was the old consumer woken, and how often did the loop go idle?
            let after_drop = async |polls: usize| {
                let mut ticks = interval(ms(1000));
                let (waker, wakes) = CountingWaker::new();
                for _ in 0..polls {
                    assert!(
                        poll_with(&mut ticks, &waker).is_pending(),
                        "no tick is due before the first period"
                    );
                }
                drop(ticks);
                let idles_before = clock.idles();
                sleep(ms(5000)).await;
                (wakes.wakes(), clock.idles() - idles_before)
            };
            let once = after_drop(1).await;
            let many = after_drop(10).await;
            (once, many)
        })
    });
    let ((wakes, idles), (many_wakes, many_idles)) = (once, many);
    assert_eq!(
        wakes, 0,
        "a timer armed by a dropped interval fired {wakes} time(s) and woke its old consumer: the \
         interval's Drop must cancel its timer (TimerHandle::cancel), which also frees the callback"
    );
    assert_eq!(
        idles, 1,
        "after the interval was dropped the loop should have had one thing left to wait for (the \
         test's own 5 s sleep), but it went idle {idles} times: a timer of the dropped interval \
         is still on the loop. Cancel it in Drop"
    );
    assert!(
        many_wakes == 0 && many_idles == 1,
        "an interval polled 10 times before its first tick, then dropped, left timers on the loop \
         (its old consumer was woken {many_wakes} time(s), the loop went idle {many_idles} times \
         for one 5 s sleep), though one poll and a drop left none: the interval arms a new timer \
         on every Pending poll, and Drop cancels only the last. Arm a timer only when none is \
         armed (`timer` is None)"
    );
}

// ---------------------------------------------------------------------------------------------
// Stage 4: a channel stream, and a streamed answer that stops when the consumer breaks.
// ---------------------------------------------------------------------------------------------

#[test]
fn stage4_receiver_waits_and_is_woken_by_send_and_by_the_end() {
    watchdog_causes(&["Receiver::poll_next or Sender::send loops"], || {
        let (sender, mut receiver) = channel::<&str>();
        let (waker, wakes) = CountingWaker::new();
        assert!(
            poll_with(&mut receiver, &waker).is_pending(),
            "an empty channel with a live sender must be Pending"
        );
        sender.send("hello").expect("the receiver is alive");
        assert_eq!(
            wakes.wakes(),
            1,
            "the receiver returned Pending, then `send` woke it {} times instead of once: store \
             the waker in poll_next, and have send take it and wake it",
            wakes.wakes()
        );
        assert_eq!(
            poll_with(&mut receiver, &waker),
            Poll::Ready(Some("hello")),
            "the sent value comes next"
        );
        sender.send("world").expect("the receiver is alive");
        assert!(
            poll_with(&mut receiver, &waker).is_ready(),
            "a queued value is ready at once"
        );
        assert!(
            poll_with(&mut receiver, &waker).is_pending(),
            "empty again: Pending"
        );
        let before = wakes.wakes();
        drop(sender);
        assert_eq!(
            wakes.wakes(),
            before + 1,
            "dropping the Sender did not wake the waiting receiver: the end of the stream is news \
             too, and a consumer waiting for the next token would wait forever. Sender's Drop \
             must mark the channel closed and wake"
        );
        assert_eq!(
            poll_with(&mut receiver, &waker),
            Poll::Ready(None),
            "once the sender is gone and the queue is empty, the stream ends"
        );
        assert_eq!(
            poll_with(&mut receiver, &waker),
            Poll::Ready(None),
            "and stays ended"
        );
    });
}

#[test]
fn stage4_send_to_a_dropped_receiver_fails_and_nothing_unread_leaks() {
    watchdog_causes(&["Sender::send or Receiver's Drop loops"], || {
        let counter = DropCounter::new();
        let (sender, receiver) = channel::<DropProbe>();
        sender.send(counter.probe()).expect("the receiver is alive");
        sender.send(counter.probe()).expect("the receiver is alive");
        drop(receiver);
        assert_eq!(
            counter.dropped(),
            2,
            "two values sent and never read were still alive after the receiver was dropped \
             ({} dropped): the Receiver's Drop must drop the queue, not leave it to the sender",
            counter.dropped()
        );
        match sender.send(counter.probe()) {
            Err(SendError(_probe)) => {}
            Ok(()) => panic!(
                "send succeeded after the receiver was dropped: the producer cannot tell that the \
                 consumer stopped listening. Refuse with Err(SendError(value))"
            ),
        }
    });
}

/// A producer of answer tokens, one every 100 ms: logs each send and, when its future is
/// dropped, its cleanup (a probe it holds, and a line in the log).
async fn answer(
    sender: Sender<String>,
    tokens: Vec<&'static str>,
    log: Rc<RefCell<Vec<String>>>,
    probe: DropProbe,
) {
    struct Cleanup(Rc<RefCell<Vec<String>>>, #[allow(dead_code)] DropProbe);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            self.0.borrow_mut().push(format!("cleanup@{}", now_ms()));
        }
    }
    let _cleanup = Cleanup(log.clone(), probe);
    for token in tokens {
        sleep(ms(100)).await;
        log.borrow_mut().push(format!("sent {token}@{}", now_ms()));
        if sender.send(token.to_owned()).is_err() {
            return;
        }
    }
}

const TOKENS: [&str; 6] = ["The", "answer", "is", "forty", "-", "two"];

#[test]
fn stage4_tokens_arrive_one_by_one_then_the_stream_ends() {
    let (seen, log) = watchdog_causes(
        &[
            "TaskStream::poll_next returns Pending without the receiver storing the waker: the \
             producer's send wakes nobody",
            "the Sender is never dropped when the producer finishes, or its Drop does not wake: \
             the stream never ends",
        ],
        || {
            run(async |_| {
                let log = Rc::new(RefCell::new(Vec::new()));
                let counter = DropCounter::new();
                let (l, probe) = (log.clone(), counter.probe());
                let mut stream =
                    spawn_stream("answer", move |tx| answer(tx, TOKENS.to_vec(), l, probe));
                let mut seen = Vec::new();
                while let Some(token) = stream.next().await {
                    seen.push(format!("{token}@{}", now_ms()));
                }
                let log = log.borrow().clone();
                (seen, log)
            })
        },
    );
    assert_eq!(
        seen,
        [
            "The@100",
            "answer@200",
            "is@300",
            "forty@400",
            "-@500",
            "two@600"
        ],
        "each token must reach the consumer when it is sent, one every 100 ms (token@ms), and the \
         stream end when the producer returns (producer log: {log:?})"
    );
}

#[test]
fn stage4_breaking_early_stops_the_producer_at_once() {
    let report = watchdog_causes(
        &[
            "the receiver does not store its waker when it returns Pending, so the producer's send \
             wakes nobody (stage4_receiver_waits_and_is_woken_by_send_and_by_the_end says so)",
            "TaskStream::poll_next does not poll the receiver with the consumer's context",
        ],
        || {
            run(async |clock| {
                let log = Rc::new(RefCell::new(Vec::new()));
                let counter = DropCounter::new();
                let handle = Handle::current().expect("on the loop");
                let (l, probe) = (log.clone(), counter.probe());
                let mut stream =
                    spawn_stream("answer", move |tx| answer(tx, TOKENS.to_vec(), l, probe));
                let mut seen = Vec::new();
                while let Some(token) = stream.next().await {
                    seen.push(token);
                    if seen.len() == 2 {
                        break; // The user interrupts the answer.
                    }
                }
                // `break` left the loop, but `stream` is still in scope; the drop is the point.
                drop(stream);
                let at_break = (
                    counter.dropped(),
                    tasks::live_tasks(&handle),
                    now_ms(),
                    log.borrow().clone(),
                );
                let idles_before = clock.idles();
                sleep(ms(10_000)).await;
                let idles = clock.idles() - idles_before;
                let log = log.borrow().clone();
                (seen, at_break, idles, log)
            })
        },
    );
    let (seen, (dropped, live, break_ms, log_at_break), idles, log) = report;
    assert_eq!(
        seen,
        ["The", "answer"],
        "the consumer reads two tokens, then breaks"
    );
    assert!(
        live.is_empty(),
        "right after the consumer broke out and dropped the stream (at {break_ms} ms), the \
         producer task is still alive (live tasks: {live:?}; producer log at the break: \
         {log_at_break:?}). It ran on, and cleaned up only when it ended by itself, after its next \
         send failed on the closed channel (producer log 10 s later: {log:?}): a dropped \
         JoinHandle detaches its task, it does not stop it. TaskStream's Drop must abort the \
         producer"
    );
    assert_eq!(
        dropped, 1,
        "the producer's task ended but its future was not dropped at the break (probes dropped: \
         {dropped}; log: {log:?}): its cleanup must run before the consumer's next line"
    );
    assert_eq!(
        log.last().map(String::as_str),
        Some(format!("cleanup@{break_ms}").as_str()),
        "the producer must send nothing after the break, and its cleanup must run at the break \
         ({break_ms} ms); producer log: {log:?}"
    );
    assert_eq!(
        idles, 1,
        "after the break the loop went idle {idles} times during the test's own 10 s sleep: \
         something of the stream (a timer, a task) is still on the loop (producer log: {log:?})"
    );
}
