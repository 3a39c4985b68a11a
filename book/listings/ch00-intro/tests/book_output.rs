//! The timelines in chapter 0 are this program's output, checked here on virtual time.

#[test]
fn timelines_in_the_book_are_current() {
    course_support::book_output::check(
        env!("CARGO_BIN_EXE_timelines"),
        &["--virtual"],
        "cargo run -p intro --bin timelines -- --virtual",
        "ch00-timelines.txt",
    );
}

#[test]
fn concurrent_takes_the_longest_job_and_the_others_the_sum() {
    let text = intro::all_timelines(true);
    let totals: Vec<&str> = text.lines().filter(|l| l.contains("total")).collect();
    assert_eq!(totals, ["  total: 6.0s", "  total: 6.0s", "  total: 3.0s"], "{text}");
}
