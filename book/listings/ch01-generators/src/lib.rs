//! Chapter 1 listings: what a Python generator turns into when you write it by hand in Rust.
//! None of this is the exercise's answer; it is the pattern the exercise asks you to apply.

use generators::{Coroutine, CoroutineState, ResumeError};

// The iterator listing lives in examples/squares.rs, a whole std-only program, because the book's
// run button sends that file to the playground; the library compiles the same file as a module,
// so there is one copy, and the tests below test it.
#[allow(dead_code, reason = "the program's `main` is for the playground and `cargo run`")]
#[path = "../examples/squares.rs"]
mod squares_program;
pub use squares_program::{Squares, squares};

// ANCHOR: greeter
/// Python:
/// ```python
/// def greeter():
///     name = yield "who are you?"
///     mood = yield f"hello, {name}! how are you?"
///     return f"{name} is {mood}"
/// ```
///
/// Each `yield` is a place where the function can stop, so each becomes a state. The values that
/// live across a `yield` (`name`) move into the state that needs them.
pub enum Greeter {
    /// Not started: the next resume runs up to the first `yield`.
    Start,
    /// Paused at the first `yield`; the next input is the name.
    AskedName,
    /// Paused at the second `yield`, remembering the name.
    AskedMood { name: String },
    /// Returned. Resuming is an error from now on.
    Done,
}

impl Coroutine for Greeter {
    type Resume = String;
    type Yield = String;
    type Return = String;

    fn resume(&mut self, input: String) -> Result<CoroutineState<String, String>, ResumeError> {
        // Take the current state out, leaving `Done` behind: if anything below returned early,
        // the coroutine would count as finished rather than be resumable in a half-updated state.
        match std::mem::replace(self, Greeter::Done) {
            Greeter::Start => {
                *self = Greeter::AskedName;
                Ok(CoroutineState::Yielded("who are you?".into()))
            }
            Greeter::AskedName => {
                let reply = format!("hello, {input}! how are you?");
                *self = Greeter::AskedMood { name: input };
                Ok(CoroutineState::Yielded(reply))
            }
            Greeter::AskedMood { name } => Ok(CoroutineState::Complete(format!("{name} is {input}"))),
            Greeter::Done => Err(ResumeError::Finished),
        }
    }
}
// ANCHOR_END: greeter

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squares_are_an_iterator() {
        assert_eq!(squares(3).collect::<Vec<_>>(), [1, 4, 9]);
    }

    #[test]
    fn greeter_converses_then_refuses() {
        let mut g = Greeter::Start;
        // The first input is ignored, as the body has not reached a `yield` that could receive it.
        assert_eq!(g.resume(String::new()), Ok(CoroutineState::Yielded("who are you?".into())));
        assert_eq!(
            g.resume("Ferris".into()),
            Ok(CoroutineState::Yielded("hello, Ferris! how are you?".into()))
        );
        assert_eq!(g.resume("fine".into()), Ok(CoroutineState::Complete("Ferris is fine".into())));
        assert_eq!(g.resume("again".into()), Err(ResumeError::Finished));
    }
}
