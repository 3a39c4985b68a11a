//! Keeps book/src/generated/ch03-*.txt equal to what the chapter's programs print.
//!
//! The programs are the exercise's examples, built here against the reference solution as
//! `[[bin]]`s. Each file's header is the command a learner runs (`-p event-loop --example ..`):
//! a finished exercise prints the same.

#[test]
fn timers_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch03-timers"),
        &[],
        "cargo run -p event-loop --example timers",
        "ch03-timers.txt",
    );
}

#[test]
fn lifecycle_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch03-lifecycle"),
        &[],
        "cargo run -p event-loop --example lifecycle",
        "ch03-lifecycle.txt",
    );
}
