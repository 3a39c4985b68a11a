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

/// The ruler and bar lines of a drawing (everything but the times printed after each bar).
fn scale_of(drawing: &str) -> Vec<String> {
    drawing.lines().map(|l| l.split("  0.").next().unwrap().trim_end().to_owned()).collect()
}

#[test]
fn a_real_run_that_finishes_a_little_late_draws_the_books_scale() {
    use intro::{Span, render};
    let exact = [
        Span { job: "A", start: 0.0, end: 2.0 },
        Span { job: "C", start: 0.0, end: 3.0 },
    ];
    // What a real run measures: every timer fires a few milliseconds late.
    let late = [
        Span { job: "A", start: 0.0, end: 2.03 },
        Span { job: "C", start: 0.001, end: 3.04 },
    ];
    let (exact, late) = (render("t", &exact), render("t", &late));
    assert_eq!(
        scale_of(&late),
        scale_of(&exact),
        "a run 0.04 s late must draw the same 3 s ruler and bars as the exact one:\n{late}\n{exact}"
    );
    assert!(exact.contains("     0s    1s    2s    3s\n"), "{exact}");
}
