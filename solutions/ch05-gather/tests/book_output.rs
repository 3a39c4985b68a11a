//! Keeps book/src/generated/ch05-*.txt equal to what the chapter's programs print.

#[test]
fn agent_tools_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch05-agent-tools"),
        &[],
        // What the learner types: their own code prints the same once stage 4 passes.
        "cargo run -p gather --example agent_tools",
        "ch05-agent-tools.txt",
    );
}
