//! Keeps book/src/generated/ch07-agent.txt equal to what the chapter's example prints. The
//! header shows the learner's command (the example in the exercise crate); the book's copy is
//! the reference solution's run of that same example file.

#[test]
fn agent_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch07-agent"),
        &[],
        "cargo run -p hand-tokio --example agent",
        "ch07-agent.txt",
    );
}
