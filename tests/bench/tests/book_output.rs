//! Keeps book/src/generated/bench/allocations.txt equal to what the allocation counter prints
//! (allocation counts are exact, unlike times, so they can be checked on every `cargo test`).

#[test]
fn allocation_counts_in_the_book_are_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_allocations"),
        &[],
        "cargo run -p course-bench --bin allocations",
        "bench/allocations.txt",
    );
}
