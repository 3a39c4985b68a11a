//! Keeps book/src/generated/ch03-*.txt equal to what the chapter's programs print.

#[test]
fn timers_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch03-timers"),
        &[],
        "cargo run -p event-loop-solution --bin ch03-timers",
        "ch03-timers.txt",
    );
}

#[test]
fn lifecycle_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch03-lifecycle"),
        &[],
        "cargo run -p event-loop-solution --bin ch03-lifecycle",
        "ch03-lifecycle.txt",
    );
}
