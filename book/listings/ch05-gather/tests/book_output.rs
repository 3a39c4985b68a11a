//! Keeps book/src/generated/ch05-cancel-safety.txt equal to what the program prints.

#[test]
fn cancel_safety_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch05-cancel-safety"),
        &[],
        "cargo run -p gather-listings --bin ch05-cancel-safety",
        "ch05-cancel-safety.txt",
    );
}
