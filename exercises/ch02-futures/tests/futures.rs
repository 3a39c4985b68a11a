//! Chapter 2 behaviour tests. The same file tests your stub (`cargo test -p hand-futures`) and the
//! reference solution (`cargo test -p hand-futures-solution`).
//!
//! Each test is written against a plausible wrong answer and says which one when it fails.
//! Every test runs under a watchdog, so a future that is never woken, or an executor that never
//! wakes up, fails the test with a likely cause instead of hanging `cargo test`.
//! Nothing here sleeps: orderings between threads are forced with channels and joins.
//!
//! The tests come in stages, one per part of the exercise; run one stage with
//! `cargo test -p hand-futures stage1` (stage1: Ready and YieldNow, stage2: LoadProfile,
//! stage3: ThreadWaker, stage4: block_on).

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::task::{Context, Poll, Waker};
use std::thread;

use course_support::{
    CountingWaker, Trace, panic_message, poll_once, watchdog, watchdog_causes,
};
use hand_futures::{
    LoadProfile, Profile, ThreadWaker, User, WaitError, block_on, load_profile, ready, yield_now,
};

// ---------------------------------------------------------------- test futures

/// Returns `Pending` `pending` times (waking its waker each time, as a well-behaved future
/// must), then `Ready(value)`. Logs each poll to the trace as "<name> polled".
struct Delayed<T> {
    name: &'static str,
    pending: u32,
    value: Option<T>,
    trace: Trace,
}

impl<T> Delayed<T> {
    fn new(name: &'static str, pending: u32, value: T, trace: &Trace) -> Self {
        Delayed { name, pending, value: Some(value), trace: trace.clone() }
    }
}

impl<T> Unpin for Delayed<T> {}

impl<T> Future for Delayed<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        this.trace.push(format!("{} polled", this.name));
        if this.pending > 0 {
            this.pending -= 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(this.value.take().expect("test future polled after it returned Ready"))
    }
}

fn alice() -> User {
    User { id: 7, name: "alice".into() }
}

fn alices_orders() -> Vec<String> {
    vec!["book".into(), "lamp".into()]
}

/// The two lookups `load_profile` takes, logging when each is *called* (which creates its
/// future) and, through `Delayed`, each time its future is polled.
fn lookups(
    trace: &Trace,
    user_pending: u32,
    orders_pending: u32,
) -> (
    impl FnOnce() -> Delayed<User> + Send + 'static,
    impl FnOnce(u32) -> Delayed<Vec<String>> + Send + 'static,
) {
    let (t1, t2) = (trace.clone(), trace.clone());
    let get_user = move || {
        t1.push("get_user()");
        Delayed::new("user", user_pending, alice(), &t1)
    };
    let get_orders = move |id: u32| {
        t2.push(format!("get_orders({id})"));
        Delayed::new("orders", orders_pending, alices_orders(), &t2)
    };
    (get_user, get_orders)
}

/// Polls `future` once, failing with the message for the commonest state-machine bug if it
/// returns `Pending` although nothing arranged a wake. The lookups of these tests wake their
/// waker whenever they return `Pending`, so a `Pending` without a wake came from `LoadProfile`
/// itself.
fn poll_expecting_a_wake_with_pending<F>(future: &mut F, trace: &Trace) -> Poll<F::Output>
where
    F: Future + Unpin,
{
    let (waker, wakes) = CountingWaker::new();
    let before = trace.lines().len();
    let result = poll_once(future, &waker);
    if result.is_pending() && wakes.wakes() == 0 {
        panic!(
            "LoadProfile returned Pending although no inner future was Pending (nothing arranged \
             a wake, so nobody would ever poll it again). The async fn only pauses at an \
             .await whose future is Pending: after a state's work is done (get_user() called, \
             the user arrived), go on to the next state in the same poll, in a loop. This poll \
             ran: {:?}",
            &trace.lines()[before..]
        );
    }
    result
}

/// Polls `future` until it is ready, writing one line per poll: its result, what the trace
/// logged during that poll, and how many wakes had happened by then.
fn transcript<F>(mut future: F, trace: &Trace) -> Vec<String>
where
    F: Future<Output = Profile> + Unpin,
{
    let (waker, wakes) = CountingWaker::new();
    let mut lines = Vec::new();
    for n in 1..=10 {
        let before = trace.lines().len();
        let wakes_before = wakes.wakes();
        let result = poll_once(&mut future, &waker);
        if result.is_pending() && wakes.wakes() == wakes_before {
            // Same check as `poll_expecting_a_wake_with_pending`, with this transcript's waker.
            panic!(
                "LoadProfile returned Pending at poll {n} although no inner future was Pending \
                 (nothing arranged a wake, so nobody would ever poll it again). The async fn \
                 only pauses at an .await whose future is Pending: after a state's work is done, \
                 go on to the next state in the same poll, in a loop. This poll ran: {:?}",
                &trace.lines()[before..]
            );
        }
        let logged = trace.lines()[before..].join(", ");
        lines.push(format!("poll {n}: {result:?}; ran: [{logged}]; wakes so far: {}", wakes.wakes()));
        if result.is_ready() {
            return lines;
        }
    }
    lines.push("still Pending after 10 polls".into());
    lines
}

/// Fails at once, with stage 1's message, if `YieldNow` returns `Pending` without waking its
/// waker. The stage 4 tests that await `yield_now()` call this first: with that stage 1 bug,
/// `block_on` would sleep forever and the watchdog would blame `block_on` instead.
fn require_yield_now_to_wake() {
    let (waker, wakes) = CountingWaker::new();
    let mut future = yield_now();
    if poll_once(&mut future, &waker).is_pending() && wakes.wakes() == 0 {
        panic!(
            "this test needs stage 1's YieldNow to wake its waker before returning Pending; it \
             did not (see stage1_yield_now_wakes_its_waker_before_returning_pending). Without \
             that wake, block_on sleeps forever: fix YieldNow first"
        );
    }
}

// ---------------------------------------------------------------- Ready

#[test]
fn stage1_ready_hands_over_its_value_on_the_first_poll() {
    watchdog("Ready::poll never returns?", || {
        let (waker, wakes) = CountingWaker::new();
        // A `String` cannot be copied: the value has to be moved out of the future.
        let mut future = ready(String::from("result"));
        let first = poll_once(&mut future, &waker);
        assert_eq!(
            first,
            Poll::Ready(String::from("result")),
            "a Ready future has its value already: the first poll must return Ready(value)"
        );
        assert_eq!(wakes.wakes(), 0, "Ready has nothing to wait for, so it must not wake anyone");
    });
}

#[test]
fn stage1_ready_polled_again_panics_with_a_clear_message() {
    watchdog("Ready::poll never returns?", || {
        let (waker, _) = CountingWaker::new();
        let mut future = ready(1);
        assert_eq!(poll_once(&mut future, &waker), Poll::Ready(1));
        let again = panic::catch_unwind(AssertUnwindSafe(|| poll_once(&mut future, &waker)));
        let payload = again.expect_err(
            "polling a Ready after it returned its value must panic (the value is gone); \
             returning Pending would hang the caller, since nobody is going to wake it",
        );
        let message = panic_message(&*payload);
        assert!(
            message.contains("after completion"),
            "the panic should say the future was polled after completion; it said: {message:?}"
        );
    });
}

// ---------------------------------------------------------------- YieldNow

#[test]
fn stage1_yield_now_is_pending_exactly_once_then_ready() {
    watchdog("YieldNow::poll never returns?", || {
        let (waker, _) = CountingWaker::new();
        let mut future = yield_now();
        let mut results = Vec::new();
        for _ in 0..3 {
            let result = poll_once(&mut future, &waker);
            results.push(result);
            if result.is_ready() {
                break;
            }
        }
        let pendings = results.iter().filter(|r| r.is_pending()).count();
        assert_ne!(
            pendings, 0,
            "YieldNow returned Ready on its first poll: like `asyncio.sleep(0)` it must give way \
             once (return Pending) before it finishes"
        );
        assert_eq!(
            results,
            [Poll::Pending, Poll::Ready(())],
            "YieldNow gives way exactly once: Pending on the first poll, Ready on the second"
        );
    });
}

#[test]
fn stage1_yield_now_wakes_its_waker_before_returning_pending() {
    watchdog("YieldNow::poll never returns?", || {
        let (waker, wakes) = CountingWaker::new();
        let mut future = yield_now();
        let first = poll_once(&mut future, &waker);
        assert_eq!(first, Poll::Pending, "YieldNow's first poll must return Pending");
        assert_eq!(
            wakes.wakes(),
            1,
            "YieldNow returned Pending without waking its waker (exactly once): returning Pending \
             promises a wake, and nobody else will ever wake this future"
        );
        assert_eq!(poll_once(&mut future, &waker), Poll::Ready(()));
        assert_eq!(
            wakes.wakes(),
            1,
            "YieldNow woke its waker again when it returned Ready: a finished future has nothing \
             left to be polled for"
        );
    });
}

#[test]
fn stage4_block_on_finishes_a_future_that_yields() {
    watchdog_causes(
        &[
            "block_on loses the wake, which YieldNow makes during the poll: is the notified flag \
                 cleared (or a new ThreadWaker made) after the poll, instead of the wake being \
                 consumed by wait?",
            "ThreadWaker's wake_by_ref does not record the wake (the stage 3 tests say so).",
        ],
        || {
            require_yield_now_to_wake();
            let out = block_on(async {
                for _ in 0..3 {
                    yield_now().await;
                }
                "done"
            });
            assert_eq!(out, "done");
        },
    );
}

// ---------------------------------------------------------------- LoadProfile

#[test]
fn stage2_load_profile_runs_nothing_until_it_is_polled() {
    watchdog("LoadProfile::poll never returns?", || {
        // The given async fn, for comparison: calling it runs none of its body.
        let async_trace = Trace::new();
        let (get_user, get_orders) = lookups(&async_trace, 0, 0);
        let async_version = load_profile(get_user, get_orders);
        assert!(async_trace.lines().is_empty());
        drop(async_version);

        let trace = Trace::new();
        let (get_user, get_orders) = lookups(&trace, 0, 0);
        let mut future = LoadProfile::new(get_user, get_orders);
        assert_eq!(
            trace.lines(),
            Vec::<String>::new(),
            "LoadProfile::new already ran part of the body: a future does nothing until it is \
             polled (like a Python coroutine object that nobody awaited). Store the two lookups \
             and call get_user() on the first poll"
        );
        let (waker, _) = CountingWaker::new();
        let _ = poll_once(&mut future, &waker);
        assert_eq!(
            trace.lines().first().map(String::as_str),
            Some("get_user()"),
            "the first poll must start the body by calling get_user()"
        );
    });
}

#[test]
fn stage2_load_profile_keeps_going_while_inner_futures_are_ready() {
    watchdog("LoadProfile::poll never returns: is there a loop that never reaches Ready?", || {
        let trace = Trace::new();
        let (get_user, get_orders) = lookups(&trace, 0, 0);
        let mut future = LoadProfile::new(get_user, get_orders);
        let (waker, wakes) = CountingWaker::new();
        let first = poll_once(&mut future, &waker);
        assert!(
            first.is_ready() || wakes.wakes() > 0,
            "LoadProfile returned Pending without arranging a wake: both inner futures were \
             Ready, and the async fn only pauses at an .await whose future is Pending. After a \
             state's work is done, go on to the next state in the same poll. Ran: {:?}",
            trace.lines()
        );
        assert_eq!(
            first,
            Poll::Ready(Profile { name: "alice".into(), orders: alices_orders() }),
            "with both lookups ready at once, the async fn finishes on its first poll"
        );
    });
}

#[test]
fn stage2_load_profile_asks_for_orders_only_once_the_user_has_arrived() {
    watchdog("LoadProfile::poll never returns?", || {
        let trace = Trace::new();
        let (get_user, get_orders) = lookups(&trace, 1, 0);
        let mut future = LoadProfile::new(get_user, get_orders);

        let first = poll_expecting_a_wake_with_pending(&mut future, &trace);
        assert_eq!(
            first,
            Poll::Pending,
            "the user lookup was Pending once, so the first poll of LoadProfile must return \
             Pending (as the async fn does at `get_user().await`). Ran: {:?}",
            trace.lines()
        );
        assert!(
            !trace.lines().iter().any(|l| l.starts_with("get_orders")),
            "get_orders was called while the user was still Pending: the second lookup needs the \
             first one's answer (the user id), so it can only start after `get_user().await`. \
             Ran: {:?}",
            trace.lines()
        );
        let second = poll_expecting_a_wake_with_pending(&mut future, &trace);
        assert!(
            second.is_ready(),
            "the second poll found the user ready and the orders ready at once, so LoadProfile \
             must finish in that poll; it returned {second:?}. Ran: {:?}",
            trace.lines()
        );
        assert!(
            trace.lines().contains(&"get_orders(7)".to_string()),
            "get_orders must be called with the id of the user the first lookup returned (7). \
             Ran: {:?}",
            trace.lines()
        );
        assert_eq!(
            trace.lines().iter().filter(|l| *l == "get_user()").count(),
            1,
            "get_user was called more than once: the user future must be kept in the state and \
             polled again, not created anew on every poll"
        );
    });
}

#[test]
fn stage2_load_profile_behaves_like_the_async_fn_poll_for_poll() {
    watchdog("LoadProfile::poll never returns?", || {
        // (how many times the user lookup is Pending, how many times the orders lookup is)
        for (user_pending, orders_pending) in [(0, 0), (1, 0), (0, 1), (2, 3)] {
            let async_trace = Trace::new();
            let (get_user, get_orders) = lookups(&async_trace, user_pending, orders_pending);
            let want = transcript(Box::pin(load_profile(get_user, get_orders)), &async_trace);

            let trace = Trace::new();
            let (get_user, get_orders) = lookups(&trace, user_pending, orders_pending);
            let got = transcript(LoadProfile::new(get_user, get_orders), &trace);

            for (n, (want, got)) in want.iter().zip(&got).enumerate() {
                assert_eq!(
                    got, want,
                    "with the user Pending {user_pending}x and the orders Pending \
                     {orders_pending}x, poll {} of LoadProfile differs from the async fn \
                     (left: yours, right: the async fn)",
                    n + 1
                );
            }
            assert_eq!(
                got.len(),
                want.len(),
                "LoadProfile needed a different number of polls than the async fn: {got:#?}"
            );
        }
    });
}

/// Hands the waker of its first poll to the test and returns `Pending` without waking: the wake
/// is up to whoever holds that waker. Ready once `released` is set.
struct WakeFromOutside {
    waker_out: Option<Sender<Waker>>,
    released: Arc<AtomicUsize>,
}

impl Future for WakeFromOutside {
    type Output = User;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<User> {
        if self.released.load(Ordering::SeqCst) > 0 {
            return Poll::Ready(alice());
        }
        if let Some(out) = self.waker_out.take() {
            out.send(cx.waker().clone()).unwrap();
        }
        Poll::Pending
    }
}

#[test]
fn stage2_load_profile_passes_its_context_on_to_the_inner_future() {
    watchdog("LoadProfile::poll never returns?", || {
        let (tx, rx) = mpsc::channel();
        let released = Arc::new(AtomicUsize::new(0));
        let inner = WakeFromOutside { waker_out: Some(tx), released: released.clone() };
        let trace = Trace::new();
        let (_, get_orders) = lookups(&trace, 0, 0);
        let mut future = LoadProfile::new(move || inner, get_orders);

        let (waker, wakes) = CountingWaker::new();
        let first = poll_once(&mut future, &waker);
        assert_eq!(
            first,
            Poll::Pending,
            "the user future stays Pending until it is released, so LoadProfile's first poll must \
             return Pending"
        );
        let Ok(inner_waker) = rx.try_recv() else {
            panic!(
                "LoadProfile's first poll did not poll the user future (it never received a \
                 waker): the first poll calls get_user() and polls the future it returns"
            )
        };
        released.store(1, Ordering::SeqCst);
        inner_waker.wake();
        assert_eq!(
            wakes.wakes(),
            1,
            "the user future woke the waker it was given, and that wake did not reach \
             LoadProfile's own waker: poll inner futures with the Context you were given, \
             not with one you made up (the executor only hears about wakes of its own waker)"
        );
        let after = poll_once(&mut future, &waker);
        assert!(
            after.is_ready(),
            "after the user future was released and woke, the next poll must finish (the orders \
             are ready at once); LoadProfile returned {after:?}"
        );
    });
}

/// Pending until `released` is set. Keeps the waker of its *latest* poll (as a well-behaved
/// future must: the task may have moved to another waker since), and gives the test a way to
/// wake whatever waker it holds now.
struct KeepsLatestWaker {
    latest: Arc<std::sync::Mutex<Option<Waker>>>,
    released: Arc<AtomicUsize>,
}

impl Future for KeepsLatestWaker {
    type Output = User;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<User> {
        if self.released.load(Ordering::SeqCst) > 0 {
            return Poll::Ready(alice());
        }
        let mut latest = self.latest.lock().unwrap();
        // `will_wake` is a cheap "is this the same waker?"; clone only if it changed.
        if !latest.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *latest = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

#[test]
fn stage2_load_profile_polled_with_a_new_waker_lets_the_latest_one_be_woken() {
    watchdog("LoadProfile::poll never returns?", || {
        let latest = Arc::new(std::sync::Mutex::new(None::<Waker>));
        let released = Arc::new(AtomicUsize::new(0));
        let inner = KeepsLatestWaker { latest: latest.clone(), released: released.clone() };
        let trace = Trace::new();
        let (_, get_orders) = lookups(&trace, 0, 0);
        let mut future = LoadProfile::new(move || inner, get_orders);

        // Polled first by one task's waker, then (say, after being moved into another executor)
        // by another's.
        let (old_waker, old_wakes) = CountingWaker::new();
        let (new_waker, new_wakes) = CountingWaker::new();
        assert!(poll_once(&mut future, &old_waker).is_pending(), "the user is not released yet");
        assert!(poll_once(&mut future, &new_waker).is_pending(), "the user is not released yet");
        released.store(1, Ordering::SeqCst);
        let held = latest.lock().unwrap().take().expect("the user future was polled");
        held.wake();
        assert_eq!(
            (old_wakes.wakes(), new_wakes.wakes()),
            (0, 1),
            "LoadProfile was polled with waker A, then with waker B; its inner future woke the \
             waker it was polled with last. That wake reached A {} times and B {} times; it must \
             reach B once: pass each poll's own Context on to the inner future (never one kept \
             from an earlier poll)",
            old_wakes.wakes(),
            new_wakes.wakes()
        );
    });
}

#[test]
fn stage2_load_profile_polled_after_completion_panics_with_a_clear_message() {
    watchdog("LoadProfile::poll never returns?", || {
        let trace = Trace::new();
        let (get_user, get_orders) = lookups(&trace, 0, 0);
        let mut future = LoadProfile::new(get_user, get_orders);
        let (waker, _) = CountingWaker::new();
        let first = poll_expecting_a_wake_with_pending(&mut future, &trace);
        assert!(
            first.is_ready(),
            "with both lookups ready at once, the first poll must finish; LoadProfile returned \
             {first:?}"
        );
        let ran_before = trace.lines();
        let again = panic::catch_unwind(AssertUnwindSafe(|| poll_once(&mut future, &waker)));
        let payload = again.expect_err(
            "a finished LoadProfile must panic when polled again, as the async fn does; \
             returning Pending would hang the caller, since nobody is going to wake it",
        );
        let message = panic_message(&*payload);
        assert!(
            message.contains("after completion"),
            "the panic should say the future was polled after completion; it said: {message:?}"
        );
        assert_eq!(
            trace.lines(),
            ran_before,
            "polling a finished LoadProfile ran lookups again before it panicked: keep a Done \
             state, and panic from it without calling anything"
        );
    });
}

// ---------------------------------------------------------------- ThreadWaker

#[test]
fn stage3_a_wake_that_comes_before_wait_is_not_lost() {
    watchdog(
        "ThreadWaker::wait slept although a wake had already arrived: the wake was lost. \
         wake must set the notified flag, and wait must check (and clear) it before parking",
        || {
            let signal = ThreadWaker::for_current_thread();
            let waker = Waker::from(signal.clone());
            // The wake happens, completely, on another thread before this thread waits.
            thread::spawn(move || waker.wake()).join().unwrap();
            signal.wait().expect("wait on the thread that created the ThreadWaker must succeed");
        },
    );
}

#[test]
fn stage3_a_wake_is_kept_even_when_its_unpark_was_used_up_elsewhere() {
    watchdog(
        "ThreadWaker::wait slept although a wake had arrived: its unpark had been used up by \
         another thread::park (code in a poll may park too), and wait relied on the park token \
         alone. wake must also set a notified flag, and wait must return at once when it is set",
        || {
            let signal = ThreadWaker::for_current_thread();
            let waker = Waker::from(signal.clone());
            thread::spawn(move || waker.wake()).join().unwrap();
            // The wake left this thread's park token; some other code on this thread uses it up.
            // `park` with the token present returns at once, so this does not block.
            thread::park();
            signal.wait().expect("wait on the thread that created the ThreadWaker must succeed");
        },
    );
}

/// Waits on `signal` (owned by this thread) `rounds` times; each time a helper thread wakes it
/// only after this thread has said it is about to wait. With `stray_unpark`, this thread also
/// unparks itself before each wait: an unpark that is not a wake. Returns the trace of who did
/// what.
fn wait_for_helper(rounds: usize, stray_unpark: bool) -> Vec<String> {
    let trace = Trace::new();
    let (about_to_wait, go) = mpsc::channel::<(usize, Waker)>();
    let helper_trace = trace.clone();
    let helper = thread::spawn(move || {
        for (round, waker) in go {
            helper_trace.push(format!("helper wakes {round}"));
            waker.wake();
        }
    });
    for round in 0..rounds {
        // A fresh ThreadWaker each round, and no park token left over from the last one
        // (`park_timeout(ZERO)` uses a token up if there is one, and never sleeps): each round
        // checks one wait on its own.
        thread::park_timeout(std::time::Duration::ZERO);
        let signal = ThreadWaker::for_current_thread();
        if stray_unpark {
            thread::current().unpark();
        }
        about_to_wait.send((round, Waker::from(signal.clone()))).unwrap();
        signal.wait().expect("wait on the thread that created the ThreadWaker must succeed");
        trace.push(format!("wait {round} returned"));
    }
    drop(about_to_wait);
    helper.join().unwrap();
    trace.lines()
}

#[test]
fn stage3_wait_sleeps_until_another_thread_wakes_it() {
    watchdog(
        "ThreadWaker::wait never returned although another thread called wake: does wake \
         unpark the thread that created the ThreadWaker (store thread::current() in \
         for_current_thread), rather than whichever thread calls wake?",
        || {
            let lines = wait_for_helper(10, false);
            for round in 0..10 {
                let woken = lines.iter().position(|l| *l == format!("helper wakes {round}"));
                let returned = lines.iter().position(|l| *l == format!("wait {round} returned"));
                assert!(
                    woken < returned,
                    "wait {round} returned before the helper thread woke it (no wake had been \
                     stored, no park token was left): wait must sleep (thread::park) until a \
                     wake arrives. Trace: {lines:?}"
                );
            }
        },
    );
}

#[test]
fn stage3_an_unpark_that_is_not_a_wake_does_not_end_wait() {
    watchdog(
        "ThreadWaker::wait never returned although another thread called wake: does wake \
         unpark the thread that created the ThreadWaker?",
        || {
            let lines = wait_for_helper(10, true);
            for round in 0..10 {
                let woken = lines.iter().position(|l| *l == format!("helper wakes {round}"));
                let returned = lines.iter().position(|l| *l == format!("wait {round} returned"));
                assert!(
                    woken < returned,
                    "wait {round} returned before the helper thread woke it, after a stray \
                     unpark of the waiting thread: thread::park also returns for unparks that \
                     are not wakes (and spuriously). Park in a `while` loop that checks the \
                     notified flag after every park, not once with `if`, and return only once \
                     the flag was set. Trace: {lines:?}"
                );
            }
        },
    );
}

#[test]
fn stage3_each_wake_is_used_up_by_one_wait() {
    watchdog(
        "ThreadWaker::wait never returned although another thread called wake: does wake \
         unpark the thread that created the ThreadWaker?",
        || {
            let signal = ThreadWaker::for_current_thread();
            Waker::from(signal.clone()).wake();
            signal.wait().unwrap();
            // That wake is used up: the next wait must sleep until the next wake. Its unpark
            // left a park token (wait returned without parking); use it up without sleeping, so
            // that only the notified flag can end the next wait early.
            thread::park_timeout(std::time::Duration::ZERO);
            let trace = Trace::new();
            let waker = Waker::from(signal.clone());
            let (about_to_wait, go) = mpsc::channel::<()>();
            let helper_trace = trace.clone();
            let helper = thread::spawn(move || {
                go.recv().unwrap();
                helper_trace.push("helper wakes");
                waker.wake();
            });
            about_to_wait.send(()).unwrap();
            signal.wait().unwrap();
            trace.push("second wait returned");
            helper.join().unwrap();
            assert_eq!(
                trace.lines(),
                ["helper wakes", "second wait returned"],
                "the second wait returned without a new wake: the first wake was still stored. One \
                 wake must satisfy one wait only: clear the notified flag as you consume it (a \
                 `swap(false, ...)` reads and clears in one step)"
            );
        },
    );
}

#[test]
fn stage3_wake_by_ref_is_a_wake_too() {
    watchdog(
        "ThreadWaker::wait slept although the waker had been woken with wake_by_ref (which is \
         how YieldNow and most futures wake, since they only borrow the waker): if you override \
         wake_by_ref, it must record the wake and unpark exactly like wake (make wake call \
         wake_by_ref, so the two cannot differ)",
        || {
            let signal = ThreadWaker::for_current_thread();
            let waker = Waker::from(signal.clone());
            thread::spawn(move || waker.wake_by_ref()).join().unwrap();
            signal.wait().expect("wait on the thread that created the ThreadWaker must succeed");
        },
    );
}

#[test]
fn stage3_waiting_on_another_thread_is_an_error_not_a_hang() {
    watchdog(
        "ThreadWaker::wait on a thread that its wakes never unpark slept forever: compare \
         thread::current().id() with the stored thread's id and return Err(WaitError::WrongThread)",
        || {
            let signal = ThreadWaker::for_current_thread();
            let elsewhere = signal.clone();
            let result = thread::spawn(move || elsewhere.wait()).join().unwrap();
            assert_eq!(
                result,
                Err(WaitError::WrongThread),
                "only the thread that created the ThreadWaker can be woken by it"
            );
        },
    );
}

// ---------------------------------------------------------------- block_on

#[test]
fn stage4_block_on_returns_the_output_of_the_future() {
    watchdog("block_on never returns, even for a future that is ready at once?", || {
        assert_eq!(block_on(ready(42)), 42);
        let text = block_on(async { format!("{} + {}", ready(1).await, ready(2).await) });
        assert_eq!(text, "1 + 2");
    });
}

/// Each poll before the last asks a helper thread for one wake (sending it the waker) and
/// returns `Pending`. After `rounds` wakes it is ready with (polls, polls nobody asked for).
struct WokenByHelper {
    rounds: usize,
    requested: usize,
    woken: Arc<AtomicUsize>,
    polls: usize,
    unasked: usize,
    to_helper: Sender<Waker>,
}

impl Future for WokenByHelper {
    type Output = (usize, usize);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(usize, usize)> {
        let this = self.get_mut();
        this.polls += 1;
        let woken = this.woken.load(Ordering::SeqCst);
        if woken == this.rounds {
            return Poll::Ready((this.polls, this.unasked));
        }
        if woken < this.requested {
            // The wake we asked for has not come: nobody asked for this poll.
            this.unasked += 1;
            return Poll::Pending;
        }
        this.requested += 1;
        this.to_helper.send(cx.waker().clone()).unwrap();
        Poll::Pending
    }
}

#[test]
fn stage4_block_on_polls_only_when_woken() {
    watchdog(
        "block_on never returned although every wake arrived (from another thread): does the \
         waker unpark the thread block_on runs on, and is a wake that arrives during a poll kept \
         until the next wait?",
        || {
            const ROUNDS: usize = 20;
            let woken = Arc::new(AtomicUsize::new(0));
            let (to_helper, wakers) = mpsc::channel::<Waker>();
            let helper_woken = woken.clone();
            let helper = thread::spawn(move || {
                for waker in wakers {
                    helper_woken.fetch_add(1, Ordering::SeqCst);
                    waker.wake();
                }
            });
            let future = WokenByHelper {
                rounds: ROUNDS,
                requested: 0,
                woken,
                polls: 0,
                unasked: 0,
                to_helper,
            };
            let (polls, unasked) = block_on(future);
            helper.join().unwrap();
            assert_eq!(
                unasked, 0,
                "block_on polled {polls} times for {ROUNDS} wakes, {unasked} of them before the \
                 wake had come: it polls without being woken. Between polls, block_on must sleep \
                 in ThreadWaker::wait until the waker is called. If it does: does wait clear the \
                 notified flag, and does it park in a `while` loop (with `if`, a wake that \
                 arrives during park is left stored, and the next wait returns at once)?"
            );
            assert_eq!(
                polls,
                ROUNDS + 1,
                "block_on should poll once at the start and once per wake ({ROUNDS} wakes, each asked for only after the previous poll, so none can coalesce)"
            );
        },
    );
}

/// Each poll before the last has another thread wake it, and waits until that thread is done:
/// the wake has fully happened before `poll` returns `Pending`, so before block_on can sleep.
struct WokenDuringPoll {
    rounds: usize,
    polls: usize,
}

impl Future for WokenDuringPoll {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        this.polls += 1;
        if this.polls > this.rounds {
            return Poll::Ready(this.polls);
        }
        let waker = cx.waker().clone();
        thread::spawn(move || waker.wake()).join().unwrap();
        Poll::Pending
    }
}

#[test]
fn stage4_block_on_a_wake_that_arrives_during_the_poll_is_kept() {
    watchdog(
        "block_on slept forever: the future was woken (from another thread) while it was being \
         polled, before block_on went to sleep, and that wake was lost. Is the notified flag \
         cleared after the poll instead of being consumed by the wait?",
        || {
            let polls = block_on(WokenDuringPoll { rounds: 3, polls: 0 });
            assert_eq!(polls, 4, "three wakes: block_on should poll once more per wake");
        },
    );
}

#[test]
fn stage4_block_on_runs_the_hand_written_state_machine_to_the_end() {
    watchdog_causes(
        &[
            "block_on loses wakes that arrive during a poll (is the notified flag cleared after \
                 the poll?)",
            "LoadProfile returns Pending when no inner future did (stage 2 says so)",
            "ThreadWaker's wake_by_ref does not record the wake (stage 3 says so).",
        ],
        || {
            require_yield_now_to_wake();
            let trace = Trace::new();
            let (t1, t2) = (trace.clone(), trace.clone());
            let profile = block_on(LoadProfile::new(
                move || {
                    Box::pin(async move {
                        yield_now().await;
                        t1.push("user arrived");
                        alice()
                    })
                },
                move |id| {
                    Box::pin(async move {
                        yield_now().await;
                        t2.push(format!("orders for {id} arrived"));
                        alices_orders()
                    })
                },
            ));
            assert_eq!(profile, Profile { name: "alice".into(), orders: alices_orders() });
            assert_eq!(trace.lines(), ["user arrived", "orders for 7 arrived"]);
        },
    );
}

/// Pending until the test's helper thread wakes it. Its first poll hands the waker to the
/// helper; every later poll that comes before that wake is reported to the helper (and counted)
/// as a poll nobody asked for.
struct WokenLate {
    woken: Arc<AtomicUsize>,
    to_helper: Option<Sender<Waker>>,
    unasked: Sender<()>,
    unasked_polls: usize,
}

impl Future for WokenLate {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        if this.woken.load(Ordering::SeqCst) > 0 {
            return Poll::Ready(this.unasked_polls);
        }
        match this.to_helper.take() {
            Some(to_helper) => to_helper.send(cx.waker().clone()).unwrap(),
            None => {
                this.unasked_polls += 1;
                let _ = this.unasked.send(());
            }
        }
        Poll::Pending
    }
}

#[test]
fn stage4_block_on_sleeps_until_woken_however_long_the_wake_takes() {
    watchdog(
        "block_on never returned although the future was woken: does the waker unpark the \
         thread block_on runs on?",
        || {
            let woken = Arc::new(AtomicUsize::new(0));
            let (to_helper, waker_rx) = mpsc::channel::<Waker>();
            let (unasked, unasked_rx) = mpsc::channel::<()>();
            let helper_woken = woken.clone();
            let helper = thread::spawn(move || {
                let waker = waker_rx.recv().expect("the first poll hands over its waker");
                // The wake comes late: only after block_on has had time to poll again on its own,
                // or at once if it does. A correct block_on never polls without a wake, so it
                // passes whatever this number is and however slow the machine; the number only
                // bounds how long a block_on that sleeps a little and polls again gets to show
                // itself (any sleep of up to a few dozen milliseconds is caught).
                let _ = unasked_rx.recv_timeout(std::time::Duration::from_millis(250));
                helper_woken.store(1, Ordering::SeqCst);
                waker.wake();
            });
            let future = WokenLate {
                woken,
                to_helper: Some(to_helper),
                unasked,
                unasked_polls: 0,
            };
            let unasked_polls = block_on(future);
            helper.join().unwrap();
            assert_eq!(
                unasked_polls, 0,
                "block_on polled the future {unasked_polls} more time(s) before its waker was \
                 called: it sleeps a little (or spins) and polls again instead of waiting for a \
                 wake. A wake may take any time to come (a network reply, a timer); between polls \
                 block_on must park in ThreadWaker::wait until the waker is called, with no \
                 timeout"
            );
        },
    );
}

/// A future that must not move once polled: it remembers the address of its first poll and
/// checks it on every later one. `PhantomPinned` makes it `!Unpin`, like the future of an
/// `async` block that holds a borrow of its own local across an `.await`.
struct StaysPut {
    first_address: Option<usize>,
    to_helper: Option<Sender<Waker>>,
    woken: Arc<AtomicUsize>,
    _pinned: std::marker::PhantomPinned,
}

impl Future for StaysPut {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let address = &*self as *const Self as usize;
        // SAFETY: nothing is moved out of `this`; we only update fields in place.
        let this = unsafe { self.get_unchecked_mut() };
        let first = *this.first_address.get_or_insert(address);
        assert_eq!(first, address, "a pinned future was moved between two polls");
        if this.woken.load(Ordering::SeqCst) > 0 {
            return Poll::Ready(address);
        }
        if let Some(to_helper) = this.to_helper.take() {
            to_helper.send(cx.waker().clone()).unwrap();
        }
        Poll::Pending
    }
}

#[test]
fn stage4_block_on_drives_futures_that_are_not_unpin() {
    watchdog_causes(
        &[
            "block_on loses a wake that arrives during the poll (the second half awaits \
                 yield_now, which wakes during the poll): is the notified flag cleared, or a new \
                 ThreadWaker made, after the poll?",
            "block_on polls with a waker that is not its ThreadWaker's, or waits on another one",
            "an earlier stage: ThreadWaker's wake and wake_by_ref must record the wake and \
                 unpark (stage 3 says which).",
        ],
        || {
            require_yield_now_to_wake();
            // A future that is !Unpin by declaration, woken from another thread.
            let woken = Arc::new(AtomicUsize::new(0));
            let (to_helper, wakers) = mpsc::channel::<Waker>();
            let helper_woken = woken.clone();
            let helper = thread::spawn(move || {
                for waker in wakers {
                    helper_woken.store(1, Ordering::SeqCst);
                    waker.wake();
                }
            });
            block_on(StaysPut {
                first_address: None,
                to_helper: Some(to_helper),
                woken: woken.clone(),
                _pinned: std::marker::PhantomPinned,
            });
            helper.join().unwrap();

            // And the everyday case: an async block that borrows its own local across `.await`.
            let summary = block_on(async {
                let orders = alices_orders();
                let first = &orders[0]; // a borrow of a local of this future...
                yield_now().await; // ...held across an .await: the future refers to itself
                format!("{first} of {}", orders.len())
            });
            assert_eq!(
                summary, "book of 2",
                "block_on must poll the async block to its end and return its output"
            );
        },
    );
}
