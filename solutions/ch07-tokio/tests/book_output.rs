//! Keeps book/src/generated/ch07-agent.txt equal to what the chapter's example prints.

#[test]
fn agent_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch07-agent"),
        &[],
        "cargo run -p hand-tokio-solution --bin ch07-agent",
        "ch07-agent.txt",
    );
}
