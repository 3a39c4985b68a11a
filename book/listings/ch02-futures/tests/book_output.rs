//! Keeps book/src/generated/ch02-*.txt equal to what the program prints.

#[test]
fn laziness_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch02-poll-trace"),
        &["lazy"],
        "cargo run -p hand-futures-listings --bin ch02-poll-trace -- lazy",
        "ch02-lazy.txt",
    );
}

#[test]
fn poll_trace_output_in_the_book_is_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_ch02-poll-trace"),
        &["wake"],
        "cargo run -p hand-futures-listings --bin ch02-poll-trace -- wake",
        "ch02-poll-trace.txt",
    );
}
