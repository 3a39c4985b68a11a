//! Keeps book/src/generated/ch08-*.txt equal to what the chapter's programs print.

#[test]
fn edges_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch08-edges"),
        &[],
        "cargo run -p reactor-listings --bin ch08-edges",
        "ch08-edges.txt",
    );
}
