//! Keeps book/src/generated/ch10-transcript.txt equal to what the chapter's scripted session
//! prints. The header shows the learner's command (the example in the exercise crate); the book's
//! copy is the reference solution's run of that same file.

#[test]
fn transcript_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch10-transcript"),
        &[],
        "cargo run -p capstone --example transcript",
        "ch10-transcript.txt",
    );
}
