//! Calling an `async fn` runs none of its body: it builds a future. The body starts on the first
//! poll, exactly like a Python coroutine object that starts only when awaited.

// The code lives in src/bin/lazy.rs, a whole std-only program, because the book's run button
// sends that file to the playground; the library compiles the same file as a module, so there
// is one copy: the one `ch02-poll-trace` runs and the test below tests.
#[allow(dead_code, reason = "the program's `main` is for the playground and `cargo run`")]
#[path = "bin/lazy.rs"]
mod program;
pub use program::{fetch_data, when_does_it_run};

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn the_body_runs_on_the_first_poll_not_at_the_call() {
        let log = RefCell::new(Vec::new());
        drop(fetch_data("x", &log));
        assert!(log.borrow().is_empty(), "building and dropping the future ran nothing");
        assert_eq!(
            when_does_it_run(),
            [
                "called fetch_data(): got a future",
                "poll 1",
                "  [body] fetch_data(https://api.example.com) is running",
                "  -> Ready(200)",
            ]
        );
    }
}
