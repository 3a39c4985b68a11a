//! Keeps book/src/generated/ch04-*.txt equal to what the chapter's programs print.

#[test]
fn three_tasks_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch04-three-tasks"),
        &[],
        "cargo run -p tasks-solution --bin ch04-three-tasks",
        "ch04-three-tasks.txt",
    );
}

#[test]
fn abort_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch04-abort"),
        &[],
        "cargo run -p tasks-solution --bin ch04-abort",
        "ch04-abort.txt",
    );
}
