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

/// The presenter view (book/src/instructor/speaker-notes.md includes it) is every chapter's
/// speaker notes, extracted by the `speaker_notes` bin. A changed note fails here until the page
/// is regenerated.
#[test]
fn presenter_view_has_every_chapters_current_speaker_notes() {
    let src = course_support::workspace_root().join("book/src");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_speaker_notes"))
        .arg(&src)
        .output()
        .expect("the speaker_notes bin runs");
    assert!(
        out.status.success(),
        "`cargo run -p intro --bin speaker_notes` failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).expect("the notes are UTF-8");
    let path = src.join("generated/speaker-notes.md");
    if std::env::var_os("UPDATE_BOOK_OUTPUT").is_some() {
        std::fs::write(&path, &printed).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e}\nRun `cargo xtask outputs` to generate it.", path.display())
    });
    if on_disk != printed {
        let first = on_disk
            .lines()
            .zip(printed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| on_disk.lines().count().min(printed.lines().count()));
        panic!(
            "book/src/generated/speaker-notes.md (the presenter view) is out of date: a chapter's speaker \
             notes changed since it was generated. Run `cargo xtask outputs` (or `UPDATE_BOOK_OUTPUT=1 \
             cargo test -p intro --test book_output`) to regenerate it.\nFirst difference, line {}:\n  \
             in the book:  {:?}\n  printed now:  {:?}",
            first + 1,
            on_disk.lines().nth(first).unwrap_or("(end of file)"),
            printed.lines().nth(first).unwrap_or("(end of file)"),
        );
    }
}
