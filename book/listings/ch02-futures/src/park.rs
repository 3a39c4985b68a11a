//! Putting a thread to sleep and waking it without a channel: `thread::park` and
//! `Thread::unpark`, the parts `block_on` is built from. A one-shot "ready" signal between two
//! threads, and the park token that makes the order of `park` and `unpark` not matter.

// The code lives in examples/park.rs, a whole std-only program, because the book's run button
// sends that file to the playground; the library compiles the same file as a module, so the
// tests below test the one copy the book shows.
#[allow(dead_code, reason = "the program's `main` is for the playground and `cargo run`")]
#[path = "../examples/park.rs"]
mod program;
pub use program::{handles_know_their_thread, is_this_thread, unpark_before_park, wait_for_worker};

#[cfg(test)]
mod tests {
    use super::*;
    use course_support::watchdog;

    #[test]
    fn a_thread_handle_is_this_thread_only_on_its_own_thread() {
        assert_eq!(handles_know_their_thread(), (true, false));
    }

    #[test]
    fn an_unpark_before_park_is_kept_as_the_token() {
        watchdog("park slept although unpark came first: the token was lost?", unpark_before_park);
    }

    #[test]
    fn the_waiting_thread_sleeps_until_the_worker_sets_the_flag() {
        watchdog("wait_for_worker never returned: is the flag set before the unpark?", || {
            for _ in 0..100 {
                wait_for_worker();
            }
        });
    }
}
