//! Keeps book/src/generated/ch01-round-robin.txt equal to what the program prints.

#[test]
fn round_robin_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch01-round-robin"),
        &[],
        "cargo run -p generators --example round_robin",
        "ch01-round-robin.txt",
    );
}
