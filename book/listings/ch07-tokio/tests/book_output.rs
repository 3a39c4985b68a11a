//! Keeps book/src/generated/ch07-*.txt equal to what the chapter's programs print.

use course_support::book_output::check;

#[test]
fn three_tasks_output_in_the_book_is_current() {
    check(
        env!("CARGO_BIN_EXE_ch07-three-tasks"),
        &[],
        "cargo run -p hand-tokio-listings --bin ch07-three-tasks",
        "ch07-three-tasks.txt",
    );
}

#[test]
fn nested_runtime_output_in_the_book_is_current() {
    check(
        env!("CARGO_BIN_EXE_ch07-nested"),
        &[],
        "cargo run -p hand-tokio-listings --bin ch07-nested",
        "ch07-nested.txt",
    );
}

#[test]
fn coop_budget_output_in_the_book_is_current() {
    check(
        env!("CARGO_BIN_EXE_ch07-coop"),
        &[],
        "cargo run -p hand-tokio-listings --bin ch07-coop",
        "ch07-coop.txt",
    );
}

#[test]
fn tokio_main_output_in_the_book_is_current() {
    check(
        env!("CARGO_BIN_EXE_ch07-tokio-main"),
        &[],
        "cargo run -p hand-tokio-listings --bin ch07-tokio-main",
        "ch07-tokio-main.txt",
    );
}
