//! Keeps book/src/generated/ch09-*.txt equal to what the chapter's programs print.

#[test]
fn early_break_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch09-early-break"),
        &[],
        "cargo run -p streams --example early_break",
        "ch09-early-break.txt",
    );
}
