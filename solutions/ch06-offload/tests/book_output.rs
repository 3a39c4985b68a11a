//! Keeps book/src/generated/ch06-*.txt equal to what the chapter's programs print.

#[test]
fn ticker_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch06-ticker"),
        &[],
        "cargo run -p offload --example ticker",
        "ch06-ticker.txt",
    );
}

#[test]
fn slow_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch06-slow"),
        &[],
        "cargo run -p offload --example slow",
        "ch06-slow.txt",
    );
}
