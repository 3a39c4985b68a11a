//! Pinning: why a future the compiler makes may refer to itself, the two ways to pin one, and
//! how a hand-written future that wraps another reaches its child through the pin.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use crate::slot::{Setter, Slot, slot};

// ANCHOR: self_reference
/// Waits for a go-ahead, then greets the first name. The array `names` is stored inside this
/// function's future, and so is `first`, a reference into it, because `first` is used after the
/// `.await`.
pub async fn greet_first(names: [String; 2], go_ahead: Slot<()>) -> String {
    let first = &names[0]; // a reference into a local of this future...
    go_ahead.await; // ...still alive across the .await
    format!("hello, {first}")
}
// ANCHOR_END: self_reference

// ANCHOR: pin_on_stack
/// Polls a `greet_first` future by hand, twice, without moving it in between.
pub fn greet_by_hand() -> (Poll<String>, Poll<String>) {
    let (go_ahead, setter): (Slot<()>, Setter<()>) = slot();
    let future = greet_first(["alice".into(), "bob".into()], go_ahead);
    // `pin!` moves the future into this stack frame and hands out a `Pin<&mut _>` to it. From
    // here on the future cannot be moved (nor returned from this function): only the pinned
    // reference is left to reach it.
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let first = future.as_mut().poll(&mut cx); // `as_mut` reborrows the pin for one poll
    setter.set_result(());
    let second = future.as_mut().poll(&mut cx);
    (first, second)
}
// ANCHOR_END: pin_on_stack

// ANCHOR: box_pin
/// A boxed, pinned future of any type that produces a `String`. The future lives on the heap
/// and never moves; the `Pin<Box<_>>` that owns it is an ordinary value that can be moved,
/// returned and stored next to futures of other types.
pub type BoxGreeting = Pin<Box<dyn Future<Output = String> + Send>>;

/// Two futures of different types in one `Vec`, which only works behind a pointer.
pub fn greetings(go_ahead: Slot<()>) -> Vec<BoxGreeting> {
    vec![
        Box::pin(greet_first(["carol".into(), "dave".into()], go_ahead)),
        Box::pin(async { String::from("hello, whoever is there") }),
    ]
}
// ANCHOR_END: box_pin

// `Counted` lives in examples/counted.rs, a whole std-only program (wrapping an async block that
// is not `Unpin`), because the book's run button sends that file to the playground; the library
// compiles the same file as a module, so the tests below test the one copy the book shows.
#[allow(dead_code, reason = "the program's `main` is for the playground and `cargo run`")]
#[path = "../examples/counted.rs"]
mod counted;
pub use counted::Counted;

#[cfg(test)]
mod tests {
    use super::*;
    use course_support::{CountingWaker, poll_once};

    #[test]
    fn the_future_runs_across_its_await_while_pinned_on_the_stack() {
        assert_eq!(greet_by_hand(), (Poll::Pending, Poll::Ready("hello, alice".into())));
    }

    #[test]
    fn boxed_futures_of_different_types_run_from_one_vec() {
        let (go_ahead, setter) = slot();
        setter.set_result(());
        let (waker, _) = CountingWaker::new();
        let outputs: Vec<_> =
            greetings(go_ahead).into_iter().map(|mut f| poll_once(&mut f, &waker)).collect();
        assert_eq!(
            outputs,
            [Poll::Ready("hello, carol".into()), Poll::Ready("hello, whoever is there".into())]
        );
    }

    #[test]
    fn counted_polls_a_child_that_is_not_unpin() {
        let (go_ahead, setter) = slot();
        let mut counted = pin!(Counted::new(greet_first(["dan".into(), "erin".into()], go_ahead)));
        let (waker, wakes) = CountingWaker::new();
        let mut cx = Context::from_waker(&waker);
        assert_eq!(counted.as_mut().poll(&mut cx), Poll::Pending);
        setter.set_result(());
        assert_eq!(wakes.wakes(), 1, "the child's wake reaches the wrapper's waker");
        assert_eq!(counted.as_mut().poll(&mut cx), Poll::Ready(("hello, dan".into(), 2)));
    }

    #[test]
    fn unpin_follows_the_child() {
        fn is_unpin<T: Unpin>() -> bool {
            true
        }
        // `Counted<Slot<()>>` is Unpin because `Slot` is; `Counted<async block>` is not (the
        // compile-fail case of this chapter shows the error), so it can only be used pinned.
        assert!(is_unpin::<Counted<Slot<()>>>());
    }
}
