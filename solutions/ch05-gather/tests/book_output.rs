//! Keeps book/src/generated/ch05-*.txt equal to what the chapter's programs print.

#[test]
fn agent_tools_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch05-agent-tools"),
        &[],
        "cargo run -p gather-solution --bin ch05-agent-tools",
        "ch05-agent-tools.txt",
    );
}
