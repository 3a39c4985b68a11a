//! Chapter 5 behaviour tests. The same file tests your stub (`cargo test -p gather`) and the
//! reference solution (`cargo test -p gather-solution`).
//!
//! Each test is written against a plausible wrong implementation and names it when it fails.
//! Every test runs under a watchdog, so a combinator that never finishes fails instead of
//! hanging, and on the virtual clock, so "the longest child, not the sum" is an exact number of
//! seconds and takes no real time.
//!
//! Run one stage at a time: `cargo test -p gather stage1` (then stage2, stage3, stage4).

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use course_support::{DropCounter, DropProbe, Trace, watchdog_causes};
use event_loop::{Handle, VirtualClock, run_with_clock, sleep};
use gather::{
    AbortOnDrop, ChildSet, Elapsed, Failure, GroupError, TaskGroup, gather, gather_settled, join_all, select,
    timeout, try_gather, try_join_all,
};
use tasks::{JoinError, spawn};

/// A child future of any type with output `T`, so that one `Vec` can hold different ones.
type Child<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The panics the tests' children raise on purpose. A task catches its future's panic, but the
/// panic hook has printed it already; these are kept out of the output so that the message you
/// read is the test's.
const EXPECTED_PANICS: &[&str] = &["tool crashed", "bad input", "code: sandbox crashed"];

/// Runs `main` to completion on a fresh loop with a virtual clock.
fn run<F: Future>(main: F) -> F::Output {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !EXPECTED_PANICS.contains(&course_support::panic_message(info.payload()).as_str()) {
                default(info);
            }
        }));
    });
    match panic::catch_unwind(AssertUnwindSafe(|| run_with_clock(VirtualClock::new(), main))) {
        Ok(output) => output.expect("the loop ran the test's main future"),
        Err(payload) => {
            let message = course_support::panic_message(&*payload);
            if EXPECTED_PANICS.contains(&message.as_str()) {
                panic!(
                    "a child's panic (\"{message}\") reached the test's own future: the child was \
                     polled in the caller's task, not run as a task of its own. gather, \
                     gather_settled, try_gather and TaskGroup::spawn must spawn each child \
                     (tasks::spawn): a task catches its future's panic and its JoinHandle gives \
                     Err(JoinError::Panicked)."
                );
            }
            panic::resume_unwind(payload)
        }
    }
}

/// The running loop's time in milliseconds (a readable number for messages).
fn now_ms() -> u128 {
    Handle::current().expect("called on the loop").time().expect("the loop is alive").as_millis()
}

/// A child that "works" for `millis` of loop time, then returns `value`.
async fn after<T>(millis: u64, value: T) -> T {
    sleep(ms(millis)).await;
    value
}

/// A child that holds `probe` (dropped with it) and logs `"<name> done"` if it ever finishes.
async fn probed<T>(millis: u64, value: T, probe: DropProbe, trace: Trace, name: &str) -> T {
    let _probe = probe;
    sleep(ms(millis)).await;
    trace.push(format!("{name} done@{}", now_ms()));
    value
}

/// Wraps a future and counts its polls in a shared cell.
struct CountPolls<F> {
    future: Pin<Box<F>>,
    polls: Rc<Cell<usize>>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.future.as_mut().poll(cx)
    }
}

fn counted<F: Future>(future: F, polls: &Rc<Cell<usize>>) -> CountPolls<F> {
    CountPolls { future: Box::pin(future), polls: polls.clone() }
}

/// Returns `Pending` once, after waking its own waker: asyncio's `await asyncio.sleep(0)`.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    poll_fn(move |cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

/// The likeliest cause when a child waits for a later sibling, ahead of the others.
const SEQUENTIAL_CAUSE: &str = "join_all awaits its children one after another: a child that \
     waits for a later sibling (here, for a wake the sibling sends) then waits forever. Poll every \
     child from the start";

const SET_CAUSES: &[&str] = &[
    "ChildSet::poll_next returns Pending without storing cx.waker() as the parent's waker, or a \
     child's wake does not wake the parent",
    "ChildWaker::wake_by_ref does not push the child's index onto the ready list, or the \
     `queued` flag is never cleared before the child's poll (its later wakes are all ignored)",
    "ChildSet::new does not put every child on the ready list, so no child is ever polled",
];

/// A parent waker that counts its wakes.
#[derive(Default)]
struct CountWakes(std::sync::atomic::AtomicUsize);

impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Drives a set of one child by hand (no loop, no clock) through the wake path: first poll,
/// a wake from outside, a wake during the child's own poll. A broken path fails here at once,
/// naming its cause, instead of as a hang in the test that calls this. Every stage 1 test
/// starts with it.
fn check_the_wake_path() {
    let polls = Rc::new(Cell::new(0usize));
    let seen: Rc<RefCell<Option<Waker>>> = Rc::default();
    // Pending forever; keeps the waker of each poll; on its 2nd poll it wakes itself.
    let child = {
        let (polls, seen) = (polls.clone(), seen.clone());
        poll_fn(move |cx| {
            polls.set(polls.get() + 1);
            *seen.borrow_mut() = Some(cx.waker().clone());
            if polls.get() == 2 {
                cx.waker().wake_by_ref();
            }
            Poll::<()>::Pending
        })
    };
    let parent = Arc::new(CountWakes::default());
    let parent_waker = Waker::from(parent.clone());
    let mut cx = Context::from_waker(&parent_waker);
    let mut set = ChildSet::new(vec![child]);

    let first = set.poll_next(&mut cx);
    assert!(first.is_pending(), "poll_next of a set whose only child is Pending gave {first:?}; it must be Pending");
    assert!(
        polls.get() == 1,
        "the first poll_next of a new set polled its child {} times; it must poll each child \
         once: ChildSet::new puts every child on the ready list (flag up, index in `woken`)",
        polls.get()
    );
    let child_waker = seen.borrow().clone().expect("the child was polled");
    assert!(
        !child_waker.will_wake(&parent_waker),
        "children were polled with the parent's Context: give each child its own waker \
         (Context::from_waker(&slot.waker)), or its wakes never list it"
    );

    child_waker.wake_by_ref();
    let parent_wakes = parent.0.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        parent_wakes >= 1,
        "a child's waker was woken and the parent's waker was not: poll_next must store \
         cx.waker() in `ready.parent`, and ChildWaker::wake_by_ref must wake it (after listing \
         the child)"
    );
    let _ = set.poll_next(&mut cx);
    assert!(
        polls.get() >= 2,
        "a child whose waker was woken (from outside its poll) was not polled at the parent's \
         next poll_next: ChildWaker::wake_by_ref must push the child's index onto \
         `ready.woken`, and poll_next must take the ready list into its batch when the batch is \
         empty"
    );

    // The child's 2nd poll woke its own waker, during the poll: it must be polled again.
    let _ = set.poll_next(&mut cx);
    assert!(
        polls.get() >= 3,
        "a child that woke itself during its poll was never polled again: the `queued` flag is \
         lowered after the child's poll, so the wake during the poll found it still up and was \
         ignored. Lower the flag just before polling the child."
    );
}

// ------------------------------------------------------------------ stage 1: one task, many children

#[test]
fn stage1_join_all_takes_the_longest_child_not_the_sum() {
    watchdog_causes(SET_CAUSES, || {
        check_the_wake_path();
        let (outputs, took) = run(async {
            let outputs = join_all(vec![after(2000, "A"), after(1000, "B"), after(3000, "C")]).await;
            (outputs, now_ms())
        });
        assert!(
            took != 6000,
            "join_all of children taking 2 s, 1 s and 3 s took 6 s, the sum: your join_all runs \
             its children one after another (it awaits the first, then the second...). Poll every \
             child from the start, so their sleeps overlap: it must take 3 s, the longest."
        );
        assert_eq!(took, 3000, "join_all of 2 s, 1 s and 3 s children must finish at 3 s (took {took} ms)");
        assert_eq!(outputs.len(), 3, "join_all of three children must give three outputs, got {outputs:?}");
    });
}

#[test]
fn stage1_join_all_gives_outputs_in_input_order() {
    watchdog_causes(SET_CAUSES, || {
        check_the_wake_path();
        let outputs = run(join_all(vec![after(2000, "A"), after(1000, "B"), after(3000, "C")]));
        assert!(
            outputs != ["B", "A", "C"],
            "join_all gave {outputs:?}: the outputs are in completion order. Like asyncio.gather, \
             join_all returns them in the order of its input, whatever order the children finish \
             in: put each output at its child's index (poll_next gives you the index)."
        );
        assert_eq!(outputs, ["A", "B", "C"], "join_all must return the outputs in input order");
        let none: Vec<std::future::Ready<u8>> = Vec::new();
        assert_eq!(run(join_all(none)), Vec::<u8>::new(), "join_all of no futures is an empty Vec, at once");
    });
}

#[test]
fn stage1_poll_count_only_woken_children_are_polled_again() {
    watchdog_causes(SET_CAUSES, || {
        check_the_wake_path();
        const N: usize = 100;
        let polls = Rc::new(Cell::new(0));
        // Child i sleeps i+1 ms, so each wakes once, at its own time: 2 polls each.
        let children: Vec<_> = (0..N as u64).map(|i| counted(after(i + 1, i), &polls)).collect();
        let polls_seen = polls.clone();
        let outputs = run(join_all(children));
        assert_eq!(outputs, (0..N as u64).collect::<Vec<_>>(), "join_all must give every output in input order");
        let total = polls_seen.get();
        assert!(
            total <= 2 * N,
            "{N} children that each wake once were polled {total} times in all; a correct set polls \
             each twice ({} in all). Your set polls every unfinished child whenever any child wakes \
             (O(n²) polls). Give each child its own waker that lists the child's index on the ready \
             list, and poll only the listed children.",
            2 * N
        );
        assert_eq!(total, 2 * N, "each child must be polled once to start and once after its wake");
    });
}

#[test]
fn stage1_wakes_before_a_poll_count_once() {
    watchdog_causes(&[SEQUENTIAL_CAUSE, SET_CAUSES[0], SET_CAUSES[1], SET_CAUSES[2]], || {
        check_the_wake_path();
        let polls = Rc::new(Cell::new(0));
        let stash: Rc<RefCell<Option<Waker>>> = Rc::default();
        let go = Rc::new(Cell::new(false));
        // The sleeper: Pending (keeping its latest waker) until `go`.
        let sleeper = {
            let (stash, go) = (stash.clone(), go.clone());
            poll_fn(move |cx| {
                if go.get() {
                    return Poll::Ready(());
                }
                *stash.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            })
        };
        // The waker: at 1 s, wakes the sleeper 50 times (without letting it finish); at 2 s,
        // lets it finish and wakes it once.
        let alarm = {
            let (stash, go) = (stash.clone(), go.clone());
            async move {
                sleep(secs(1)).await;
                let waker = stash.borrow().clone().expect("the sleeper was polled and left its waker");
                for _ in 0..50 {
                    waker.wake_by_ref();
                }
                sleep(secs(1)).await;
                go.set(true);
                let waker = stash.borrow().clone().expect("the sleeper left its waker");
                waker.wake();
            }
        };
        let children: Vec<Child<'_, ()>> =
            vec![Box::pin(counted(sleeper, &polls)), Box::pin(alarm)];
        run(join_all(children));
        let n = polls.get();
        assert!(
            n < 10,
            "a child woken 50 times before its next poll was polled {n} times; it must be polled \
             once per batch of wakes (3 times in all here). Your ChildWaker lists the child once \
             per wake: keep a `queued` flag per child, list it only when the flag goes from false \
             to true, and clear the flag just before polling the child."
        );
        assert_eq!(n, 3, "the child must be polled at the start, after the 50 wakes, and after the last wake");
    });
}

#[test]
fn stage1_yield_a_child_that_wakes_itself_lets_the_loop_run() {
    watchdog_causes(
        &[
            "ChildSet::poll_next keeps taking indices off the shared ready list until it is \
             empty; a child that wakes itself during its poll puts itself back at once, so the \
             parent never returns Pending and the loop never runs again. Take one batch (the \
             list as it was when you looked), poll that, and return Pending.",
            "the `queued` flag is lowered after the child's poll: a wake during the poll is \
             ignored and the child is never polled again. Lower it just before the poll.",
            SET_CAUSES[0],
        ],
        || {
            check_the_wake_path();
            let iterations = Rc::new(Cell::new(0u32));
            let seen = Rc::new(RefCell::new(Vec::new()));
            let done = Rc::new(Cell::new(false));
            run({
                let (iterations, seen, done) = (iterations.clone(), seen.clone(), done.clone());
                async move {
                    // A callback that counts loop iterations by queueing itself each time.
                    fn tick(handle: Handle, n: Rc<Cell<u32>>, done: Rc<Cell<bool>>) {
                        n.set(n.get() + 1);
                        if !done.get() {
                            let h = handle.clone();
                            let _ = handle.call_soon(move || tick(h, n, done));
                        }
                    }
                    let handle = Handle::current().expect("on the loop");
                    tick(handle, iterations.clone(), done.clone());
                    let yielder = async {
                        for _ in 0..50 {
                            seen.borrow_mut().push(iterations.get());
                            yield_now().await;
                        }
                    };
                    let children: Vec<Child<'_, ()>> =
                        vec![Box::pin(yielder), Box::pin(yield_now())];
                    join_all(children).await;
                    done.set(true);
                }
            });
            let seen = seen.borrow().clone();
            let most = seen.iter().map(|i| seen.iter().filter(|j| *j == i).count()).max().unwrap_or(0);
            assert!(
                most <= 2,
                "a child that wakes itself (yield_now) was polled {most} times within one loop \
                 iteration (the loop's iteration count it saw at each of its polls: {seen:?}): \
                 the parent never gave the loop its turn. ChildSet::poll_next must poll one \
                 batch, the children listed when it looked, and return Pending: a child woken \
                 during the batch waits for the parent's next poll, after the loop has run \
                 everything else that was ready."
            );
            assert_eq!(seen.len(), 50, "the child yields 50 times");
        },
    );
}

#[test]
fn stage1_try_join_all_returns_the_first_error_at_once() {
    watchdog_causes(SET_CAUSES, || {
        check_the_wake_path();
        let all_ok = run(try_join_all(vec![after(2000, Ok::<_, String>(1)), after(1000, Ok(2))]));
        assert_eq!(all_ok, Ok(vec![1, 2]), "try_join_all of children that all succeed gives every value in input order");

        let drops = DropCounter::new();
        let trace = Trace::new();
        let (result, at, dropped) = run({
            let (drops, trace) = (drops.clone(), trace.clone());
            async move {
                let children: Vec<Child<'_, Result<u8, String>>> = vec![
                    Box::pin(probed(3000, Ok(1), drops.probe(), trace.clone(), "slow")),
                    Box::pin(after(1000, Err("boom".to_owned()))),
                    Box::pin(probed(2000, Ok(3), drops.probe(), trace.clone(), "middle")),
                ];
                let result = try_join_all(children).await;
                (result, now_ms(), drops.dropped())
            }
        });
        assert_eq!(result, Err("boom".to_owned()), "try_join_all must return the first Err");
        assert!(
            at == 1000,
            "try_join_all returned the error at {at} ms; the error happened at 1000 ms. Your \
             try_join_all waits for every child before looking at the results: return the \
             first Err as soon as poll_next hands it to you."
        );
        assert_eq!(dropped, 2, "when try_join_all returns its error, the other two children must have been dropped");
        assert_eq!(trace.lines(), Vec::<String>::new(), "a dropped child never finishes");
    });
}

// ------------------------------------------------------------------ stage 2: gather on tasks

const GATHER_CAUSES: &[&str] = &[
    "gather / try_gather / gather_settled never finish: check stage 1 first (cargo test -p gather stage1)",
    "AbortOnDrop's poll does not poll the JoinHandle it wraps",
];

#[test]
fn stage2_gather_spawns_its_children_when_called() {
    watchdog_causes(GATHER_CAUSES, || {
        let trace = Trace::new();
        let (outputs, awaited_at, done_at) = run({
            let trace = trace.clone();
            async move {
                let t = trace.clone();
                let job = move |name: &'static str, millis: u64| {
                    let t = t.clone();
                    async move {
                        t.push(format!("{name} started@{}", now_ms()));
                        sleep(ms(millis)).await;
                        name
                    }
                };
                let all = gather(vec![job("A", 2000), job("B", 1000), job("C", 3000)]);
                sleep(secs(5)).await; // the gather is not polled for 5 s
                let awaited_at = now_ms();
                let outputs = all.await;
                (outputs, awaited_at, now_ms())
            }
        });
        let lines = trace.lines();
        assert!(
            !lines.contains(&"A started@5000".to_owned()),
            "the children of gather started only when the gather was awaited, at 5 s (trace: \
             {lines:?}). gather must spawn each child as a task when it is called, as asyncio \
             does: its children run whether or not the gather is awaited yet. (A join_all is \
             lazy; gather is not.)"
        );
        assert_eq!(lines, ["A started@0", "B started@0", "C started@0"], "every child starts at 0 s, in input order");
        assert_eq!(outputs, Ok(vec!["A", "B", "C"]), "gather gives Ok(outputs) in input order");
        assert_eq!(done_at, awaited_at, "the children were done long before: awaiting the gather at 5 s takes no time");
    });
}

#[test]
fn stage2_gather_takes_the_longest_child_and_keeps_input_order() {
    watchdog_causes(GATHER_CAUSES, || {
        let (outputs, took) = run(async {
            let outputs = gather(vec![after(2000, "A"), after(1000, "B"), after(3000, "C")]).await;
            (outputs, now_ms())
        });
        assert!(
            took != 6000,
            "gather of 2 s, 1 s and 3 s children took 6 s, the sum: your gather awaits the \
             children one after another without spawning them. Spawn each as a task first."
        );
        assert_eq!(took, 3000, "gather of 2 s, 1 s and 3 s children must take 3 s");
        assert!(
            outputs != Ok(vec!["B", "A", "C"]),
            "gather gave {outputs:?}: completion order. Outputs come in input order."
        );
        assert_eq!(outputs, Ok(vec!["A", "B", "C"]), "gather gives Ok(outputs) in input order");
    });
}

#[test]
fn stage2_gather_returns_the_first_failure_and_the_others_keep_running() {
    watchdog_causes(GATHER_CAUSES, || {
        let trace = Trace::new();
        let drops = DropCounter::new();
        let (result, at) = run({
            let (trace, drops) = (trace.clone(), drops.clone());
            async move {
                let children: Vec<Child<'_, &str>> = vec![
                    Box::pin(probed(3000, "slow", drops.probe(), trace.clone(), "slow")),
                    Box::pin(async {
                        sleep(secs(1)).await;
                        panic!("tool crashed")
                    }),
                ];
                let result = gather(children).await;
                let at = now_ms();
                sleep(secs(5)).await; // time for "slow" to finish, if it is still alive
                (result, at)
            }
        });
        assert!(
            matches!(&result, Err(JoinError::Panicked { message, .. }) if message == "tool crashed"),
            "gather of a child that panics must return Err(JoinError::Panicked) with its message, got {result:?}"
        );
        assert!(
            at == 1000,
            "gather returned the panic at {at} ms; it happened at 1000 ms. Your gather waits for \
             every child before it looks at the outcomes: return the first failure at once (as \
             asyncio's gather raises the first exception at once)."
        );
        assert!(
            trace.lines() == ["slow done@3000"],
            "after gather returned its error, the other child never finished (trace: {:?}, \
             dropped: {}). asyncio's gather leaves the other children running when one fails, \
             and so does this one: dropping a JoinHandle detaches its task. Cancelling the rest \
             is try_gather's job (and a TaskGroup's).",
            trace.lines(),
            drops.dropped()
        );
    });
}

#[test]
fn stage2_gather_settled_returns_every_outcome_in_input_order() {
    watchdog_causes(GATHER_CAUSES, || {
        let (outcomes, took) = run(async {
            let children: Vec<Child<'_, u8>> = vec![
                Box::pin(after(2000, 1)),
                Box::pin(async {
                    sleep(secs(1)).await;
                    panic!("bad input")
                }),
                Box::pin(after(3000, 3)),
            ];
            let outcomes = gather_settled(children).await;
            (outcomes, now_ms())
        });
        assert_eq!(outcomes.len(), 3, "gather_settled gives one outcome per child, got {outcomes:?}");
        assert!(
            took == 3000,
            "gather_settled returned at {took} ms; it must wait for every child (3 s), whatever \
             fails on the way, like gather(..., return_exceptions=True)"
        );
        assert_eq!(outcomes[0], Ok(1), "outcome 0 (input order) is the first child's value");
        assert!(
            matches!(&outcomes[1], Err(JoinError::Panicked { message, .. }) if message == "bad input"),
            "outcome 1 is the second child's panic, as Err(JoinError::Panicked); got {:?}",
            outcomes[1]
        );
        assert_eq!(outcomes[2], Ok(3), "outcome 2 is the third child's value");
    });
}

#[test]
fn stage2_dropping_an_abort_on_drop_handle_drops_its_task() {
    watchdog_causes(GATHER_CAUSES, || {
        let drops = DropCounter::new();
        let trace = Trace::new();
        let (value, dropped_at_once) = run({
            let (drops, trace) = (drops.clone(), trace.clone());
            async move {
                let kept = AbortOnDrop::new(spawn(after(1000, 7)));
                let doomed = AbortOnDrop::new(spawn(probed(1000, 8, drops.probe(), trace.clone(), "doomed")));
                sleep(ms(10)).await; // both tasks have started
                drop(doomed);
                let dropped_at_once = drops.dropped();
                let value = kept.await;
                sleep(secs(2)).await;
                (value, dropped_at_once)
            }
        });
        assert_eq!(value, Ok(7), "awaiting an AbortOnDrop gives its task's result, like the JoinHandle it wraps");
        assert!(
            dropped_at_once == 1,
            "dropping an AbortOnDrop left its task's future alive (trace: {:?}): its Drop must \
             call abort() on the JoinHandle, which drops the task's future at once. (Dropping a \
             plain JoinHandle detaches the task instead.)",
            trace.lines()
        );
        assert_eq!(trace.lines(), Vec::<String>::new(), "an aborted task never finishes");
    });
}

#[test]
fn stage2_try_gather_cancels_the_others_at_the_first_failure() {
    watchdog_causes(GATHER_CAUSES, || {
        let ok = run(async { try_gather(vec![after(2000, Ok::<_, String>("a")), after(1000, Ok("b"))]).await });
        assert_eq!(ok, Ok(vec!["a", "b"]), "try_gather of children that all succeed gives every value in input order");

        let trace = Trace::new();
        let drops = DropCounter::new();
        let (result, at, dropped) = run({
            let (trace, drops) = (trace.clone(), drops.clone());
            async move {
                let children: Vec<Child<'_, Result<&str, String>>> = vec![
                    Box::pin(probed(3000, Ok("search"), drops.probe(), trace.clone(), "search")),
                    Box::pin(after(1000, Err("calculator: division by zero".to_owned()))),
                    Box::pin(probed(2000, Ok("code"), drops.probe(), trace.clone(), "code")),
                ];
                let result = try_gather(children).await;
                let at = now_ms();
                let dropped = drops.dropped();
                sleep(secs(5)).await;
                (result, at, dropped)
            }
        });
        assert_eq!(
            result,
            Err(Failure::Error("calculator: division by zero".to_owned())),
            "try_gather returns the first child's Err as Failure::Error"
        );
        assert!(
            at == 1000,
            "try_gather returned the error at {at} ms; it happened at 1000 ms. Your try_gather \
             waits for every child: return the first failure at once."
        );
        assert!(
            dropped == 2 && trace.lines().is_empty(),
            "when try_gather returned its error, {dropped} of the other 2 children had been \
             dropped, and later these finished anyway: {:?}. Dropping a JoinHandle only detaches \
             its task; try_gather must abort the others: wrap each handle in AbortOnDrop, so \
             dropping the rest cancels them (if you did, AbortOnDrop's Drop does not call \
             abort(): see stage2_dropping_an_abort_on_drop_handle_drops_its_task).",
            trace.lines()
        );

        let crashed = run(async {
            let children: Vec<Child<'_, Result<u8, String>>> =
                vec![Box::pin(async { Ok(1) }), Box::pin(async { panic!("tool crashed") })];
            try_gather(children).await
        });
        assert!(
            matches!(&crashed, Err(Failure::Task(JoinError::Panicked { message, .. })) if message == "tool crashed"),
            "a child of try_gather that panics is a Failure::Task(JoinError::Panicked), got {crashed:?}"
        );
    });
}

// ------------------------------------------------------------------ stage 3: select and timeout

#[test]
fn stage3_select_returns_the_first_to_finish_with_its_index() {
    watchdog_causes(SET_CAUSES, || {
        let (winner, at) = run(async {
            let winner = select(vec![after(2000, "A"), after(1000, "B"), after(3000, "C")]).await;
            (winner, now_ms())
        });
        assert!(
            at == 1000,
            "select returned at {at} ms; the first child finished at 1000 ms. Your select waits \
             for more than the first child: return as soon as poll_next gives one."
        );
        assert_eq!(winner, (1, "B"), "select gives (index, output) of the first child to finish");
    });
}

#[test]
fn stage3_select_drops_the_losers_before_it_returns() {
    watchdog_causes(SET_CAUSES, || {
        let trace = Trace::new();
        let drops = DropCounter::new();
        let (winner, dropped) = run({
            let (trace, drops) = (trace.clone(), drops.clone());
            async move {
                let children = vec![
                    probed(2000, "A", drops.probe(), trace.clone(), "A"),
                    probed(1000, "B", drops.probe(), trace.clone(), "B"),
                    probed(3000, "C", drops.probe(), trace.clone(), "C"),
                ];
                let winner = select(children).await;
                let dropped = drops.dropped();
                sleep(secs(5)).await;
                (winner, dropped)
            }
        });
        assert_eq!(winner, (1, "B"), "select gives (index, output) of the first child to finish");
        let lines = trace.lines();
        assert!(
            lines == ["B done@1000"],
            "after select returned, a loser kept running and finished: {lines:?}. select must \
             drop its losers (that is how a Rust future is cancelled): not wait for them, not \
             run them as tasks. Keep the children in a ChildSet that is a local of select, so \
             returning the winner drops the set and the losers with it."
        );
        assert_eq!(dropped, 3, "when select returns, the winner and both losers have been dropped");
    });
}

#[test]
fn stage3_select_of_no_futures_panics_with_a_clear_message() {
    watchdog_causes(
        &["select of no futures waits forever: nothing can ever finish, so it must panic at once \
           with a message that says so (assert! that the set is not empty)"],
        || {
            let caught = panic::catch_unwind(|| run(select(Vec::<std::future::Ready<u8>>::new())));
            let payload = match caught {
                Err(payload) => payload,
                Ok(winner) => panic!("select of no futures returned {winner:?}: there is no winner to return"),
            };
            let message = course_support::panic_message(&*payload);
            assert!(
                message.contains("no futures"),
                "select of no futures panicked with \"{message}\"; the message must say that it \
                 was given no futures (for instance \"select() was given no futures: it could \
                 never finish\"), so the caller knows what went wrong"
            );
        },
    );
}

#[test]
fn stage3_timeout_expires_on_time_and_drops_the_inner_future() {
    watchdog_causes(&["timeout never returns: does it poll its timer (event_loop::sleep) as well as the inner future?"], || {
        let trace = Trace::new();
        let drops = DropCounter::new();
        let (result, at, dropped) = run({
            let (trace, drops) = (trace.clone(), drops.clone());
            async move {
                let result = timeout(secs(2), probed(10_000, "slow", drops.probe(), trace.clone(), "slow")).await;
                let (at, dropped) = (now_ms(), drops.dropped());
                sleep(secs(20)).await;
                (result, at, dropped)
            }
        });
        assert!(
            result.is_err(),
            "a 10 s future under a 2 s timeout gave {result:?} at {at} ms: the timer never fired. \
             Make the one sleep(duration) before polling (a sleep made inside the poll starts \
             again at every wake, so it never comes due while the inner future keeps waking), \
             and poll it after the inner future at every poll."
        );
        assert_eq!(result, Err(Elapsed { after: secs(2) }), "a 10 s future under a 2 s timeout gives Err(Elapsed)");
        assert_eq!(at, 2000, "the timeout must fire at 2 s, its deadline (it returned at {at} ms)");
        assert!(
            dropped == 1 && trace.lines().is_empty(),
            "after the timeout expired the inner future was still alive (dropped: {dropped}, \
             trace later: {:?}). On expiry, timeout drops the inner future before returning: \
             keep it in a local of timeout (pinned), not in a spawned task.",
            trace.lines()
        );
    });
}

#[test]
fn stage3_timeout_deadline_does_not_move_when_the_inner_future_wakes() {
    watchdog_causes(&["timeout never returns: does it poll its timer (event_loop::sleep) as well as the inner future?"], || {
        let (result, at) = run(async {
            let ticker = async {
                for _ in 0..10 {
                    sleep(secs(1)).await;
                }
                "ten ticks"
            };
            let result = timeout(ms(2500), ticker).await;
            (result, now_ms())
        });
        assert!(
            at == 2500,
            "a 2.5 s timeout around a future that wakes every second returned {result:?} at {at} \
             ms; it must give Err(Elapsed) at 2500 ms. Your timer starts again at every poll (a \
             new sleep made inside the poll), or the deadline is only checked when the inner \
             future wakes. Make the timer once, before polling, and poll it too."
        );
        assert_eq!(result, Err(Elapsed { after: ms(2500) }), "the timeout fires at its deadline");
    });
}

/// A waker that forwards to the latest real waker and holds a probe: while anything keeps a
/// clone of it (a timer's callback, a stored waker), the probe is not dropped.
struct ProbeWaker {
    inner: Mutex<Waker>,
    _probe: DropProbe,
}

impl Wake for ProbeWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.inner.lock().unwrap().wake_by_ref();
    }
}

/// Polls `future` with a `ProbeWaker`, and lets go of its own reference when `future` finishes.
struct WithProbeWaker<F> {
    future: Pin<Box<F>>,
    probe: Option<DropProbe>,
    waker: Option<Arc<ProbeWaker>>,
}

impl<F: Future> Future for WithProbeWaker<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        if this.waker.is_none() {
            let probe = this.probe.take().expect("a probe for the first poll");
            this.waker = Some(Arc::new(ProbeWaker { inner: Mutex::new(cx.waker().clone()), _probe: probe }));
        }
        let arc = this.waker.clone().expect("set above");
        *arc.inner.lock().unwrap() = cx.waker().clone();
        let polled = this.future.as_mut().poll(&mut Context::from_waker(&Waker::from(arc)));
        if polled.is_ready() {
            this.waker = None;
        }
        polled
    }
}

#[test]
fn stage3_a_timeout_that_is_met_frees_its_timer_at_once() {
    watchdog_causes(&["timeout never returns: does it poll the inner future first, and return its output when it is ready?"], || {
        let drops = DropCounter::new();
        let (result, at, freed) = run({
            let drops = drops.clone();
            async move {
                let timed = timeout(secs(3600), after(1000, "quick"));
                let result = WithProbeWaker { future: Box::pin(timed), probe: Some(drops.probe()), waker: None }.await;
                (result, now_ms(), drops.dropped())
            }
        });
        assert_eq!(result, Ok("quick"), "a 1 s future under a one-hour timeout gives Ok(its output)");
        assert_eq!(at, 1000, "it returns when the inner future finishes, at 1 s (returned at {at} ms)");
        assert!(
            freed == 1,
            "the inner future won at 1 s, yet something still holds a clone of the waker that \
             timeout was polled with: the timeout's one-hour timer is still in the loop's heap, \
             with its callback. When the inner future wins, cancel the timer (TimerHandle::cancel, or drop \
             the event_loop::sleep, whose Drop cancels it): a cancelled timer's callback and its \
             captures are freed at once."
        );
    });
}

#[test]
fn stage3_a_future_ready_at_the_deadline_wins() {
    watchdog_causes(&["timeout never returns: does it poll its timer (event_loop::sleep) as well as the inner future?"], || {
        let result = run(timeout(secs(2), after(2000, "just in time")));
        assert_eq!(
            result,
            Ok("just in time"),
            "a future that finishes exactly at the deadline must win: timeout polls the inner \
             future before its timer (tokio's timeout does the same), so a value that is there \
             is never thrown away"
        );
        let zero = run(timeout(Duration::ZERO, async { 5 }));
        assert_eq!(zero, Ok(5), "a future that is ready at once wins even a zero timeout");
    });
}

// ------------------------------------------------------------------ stage 4: task groups

const GROUP_CAUSES: &[&str] = &[
    "TaskGroup::join never returns: after aborting the siblings, does it still wait for children \
     that will never be polled again? (an aborted child's AbortOnDrop resolves at once with \
     Err(Cancelled): keep polling the set, or stop waiting for them)",
    "check stages 1 and 2 first (cargo test -p gather stage1, stage2)",
];

#[test]
fn stage4_a_group_runs_its_children_at_once_and_waits_for_all() {
    watchdog_causes(GROUP_CAUSES, || {
        let trace = Trace::new();
        let (result, at) = run({
            let trace = trace.clone();
            async move {
                let mut group: TaskGroup<&str, String> = TaskGroup::new();
                for (name, millis) in [("search", 2000), ("calculator", 1000), ("code", 3000)] {
                    let t = trace.clone();
                    group.spawn_named(name, async move {
                        t.push(format!("{name} started@{}", now_ms()));
                        sleep(ms(millis)).await;
                        Ok(name)
                    });
                }
                assert_eq!(group.len(), 3, "three children spawned into the group");
                sleep(ms(500)).await; // join only later: the children run anyway
                let result = group.join().await;
                (result, now_ms())
            }
        });
        assert_eq!(
            trace.lines(),
            ["search started@0", "calculator started@0", "code started@0"],
            "children of a group are tasks: they start as soon as the spawner awaits, before join"
        );
        assert_eq!(at, 3000, "join of 2 s, 1 s and 3 s children returns at 3 s, the longest (returned at {at} ms)");
        assert_eq!(result, Ok(vec!["search", "calculator", "code"]), "join gives every value, in spawn order");
    });
}

#[test]
fn stage4_cancels_the_siblings_at_the_first_failure_before_join_returns() {
    watchdog_causes(GROUP_CAUSES, || {
        let trace = Trace::new();
        let drops = DropCounter::new();
        let (result, at, dropped) = run({
            let (trace, drops) = (trace.clone(), drops.clone());
            async move {
                let mut group: TaskGroup<&str, String> = TaskGroup::new();
                group.spawn(probed(3000, Ok("search"), drops.probe(), trace.clone(), "search"));
                group.spawn(after(1000, Err("calculator: division by zero".to_owned())));
                group.spawn(probed(2000, Ok("code"), drops.probe(), trace.clone(), "code"));
                let result = group.join().await;
                let (at, dropped) = (now_ms(), drops.dropped());
                sleep(secs(5)).await;
                (result, at, dropped)
            }
        });
        let later = trace.lines();
        assert!(
            !(at == 1000 && dropped == 0 && !later.is_empty()),
            "join returned the failure at 1 s but did not cancel the siblings: they finished \
             later ({later:?}). On the first failure, abort every unfinished child (AbortOnDrop::abort): \
             a TaskGroup never leaves a child running."
        );
        assert!(
            at == 1000,
            "join returned at {at} ms; the first failure was at 1000 ms. Your join waits for every \
             child before it looks for failures: on the first failure, abort the siblings at once."
        );
        assert!(
            dropped == 2,
            "when join returned, only {dropped} of the 2 cancelled siblings had been dropped \
             (trace later: {later:?}). Every child is dropped before join returns: abort() drops \
             a task's future at once, then collect the aborted children's outcomes."
        );
        assert_eq!(
            result,
            Err(GroupError { failures: vec![Failure::Error("calculator: division by zero".to_owned())] }),
            "join must report the one failure: the siblings it cancelled are not failures. Skip \
             Err(Cancelled) outcomes once the group is cancelling."
        );
        assert!(later.is_empty(), "a cancelled child never finishes; trace: {later:?}");
    });
}

#[test]
fn stage4_every_failure_is_reported_but_not_the_cancellations() {
    watchdog_causes(GROUP_CAUSES, || {
        let result = run(async {
            let mut group: TaskGroup<u8, String> = TaskGroup::new();
            group.spawn_named("search", after(1000, Err("search: rate limited".to_owned())));
            group.spawn_named("code", async {
                sleep(secs(1)).await;
                panic!("code: sandbox crashed")
            });
            group.spawn_named("calculator", after(3000, Ok(4)));
            group.join().await
        });
        let failures = match result {
            Err(GroupError { failures }) => failures,
            Ok(values) => panic!("two children failed, yet join gave Ok({values:?})"),
        };
        assert!(
            !failures.iter().any(|f| matches!(f, Failure::Task(e) if e.is_cancelled())),
            "join reported {failures:?}: a sibling the group cancelled itself is not a failure \
             (asyncio leaves CancelledError out of the ExceptionGroup). Skip Err(Cancelled) \
             outcomes once the group is cancelling."
        );
        assert!(
            failures.len() == 2,
            "two children failed at the same moment (1 s) and join reported {}: {failures:?}. \
             Like an ExceptionGroup, a TaskGroup reports every failure: after aborting the \
             siblings, keep collecting outcomes from the set; a child that failed before the \
             abort keeps its own outcome.",
            failures.len()
        );
        assert_eq!(failures[0], Failure::Error("search: rate limited".to_owned()), "failures in the order they happened");
        assert!(
            matches!(&failures[1], Failure::Task(JoinError::Panicked { task, message }) if task == "code" && message == "code: sandbox crashed"),
            "a child that panics is a Failure::Task(JoinError::Panicked) naming the task, got {:?}",
            failures[1]
        );
    });
}

#[test]
fn stage4_dropping_a_group_or_its_join_cancels_every_child() {
    watchdog_causes(GROUP_CAUSES, || {
        let trace = Trace::new();
        let drops = DropCounter::new();
        let (never_joined, timed_out, at, dropped) = run({
            let (trace, drops) = (trace.clone(), drops.clone());
            async move {
                let mut group: TaskGroup<u8, String> = TaskGroup::new();
                group.spawn(probed(1000, Ok(1), drops.probe(), trace.clone(), "forgotten"));
                sleep(ms(10)).await;
                drop(group);
                let never_joined = drops.dropped();

                // The agent's overall deadline: three tools under one timeout.
                let mut tools: TaskGroup<u8, String> = TaskGroup::new();
                for (name, millis) in [("search", 2000), ("calculator", 1000), ("code", 3000)] {
                    tools.spawn(probed(millis, Ok(1), drops.probe(), trace.clone(), name));
                }
                let timed_out = timeout(ms(1500), tools.join()).await;
                let (at, dropped) = (now_ms() - 10, drops.dropped());
                sleep(secs(5)).await;
                (never_joined, timed_out, at, dropped)
            }
        });
        assert!(
            never_joined == 1,
            "a TaskGroup dropped without join left its child running (trace: {:?}). Dropping the \
             group must abort every child: the group keeps them as AbortOnDrop handles, whose \
             Drop must call abort() (stage 2).",
            trace.lines()
        );
        assert!(
            timed_out.is_err(),
            "a 1.5 s timeout around a 3 s group gives Err(Elapsed), got {timed_out:?}: check \
             stage 3's timeout first (cargo test -p gather stage3)"
        );
        assert_eq!(at, 1500, "the timeout fires at 1.5 s");
        assert!(
            dropped == 4 && trace.lines() == ["calculator done@1010"],
            "when a timeout dropped the group's join future, the unfinished children were not \
             cancelled (dropped {} of 2; trace: {:?}). The join future owns the children (as \
             AbortOnDrop handles in its ChildSet): dropping it aborts them.",
            dropped - 2,
            trace.lines()
        );
    });
}

// ------------------------------------------------------------------ the set on its own

#[test]
fn stage1_set_hands_out_each_child_once_with_its_index() {
    watchdog_causes(SET_CAUSES, || {
        check_the_wake_path();
        let order = run(async {
            let mut set = ChildSet::new(vec![after(30, 'a'), after(10, 'b'), after(20, 'c')]);
            assert_eq!(set.len(), 3, "a new set of three children has len() 3");
            let mut order = Vec::new();
            while let Some((index, value)) = set.next().await {
                order.push((index, value, set.len()));
            }
            order
        });
        assert_eq!(
            order,
            [(1, 'b', 2), (2, 'c', 1), (0, 'a', 0)],
            "poll_next gives (index, output) in completion order, each child once, and len() \
             counts the unfinished children; then Ready(None)"
        );
    });
}
