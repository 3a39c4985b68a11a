//! The compile-fail checker, on fixture cases (tests/ui-fixtures/): both the exact comparison
//! and the error-code comparison used on compilers other than the blessing one.

use std::panic;
use std::path::{Path, PathBuf};

use course_support::panic_message;
use course_support::ui::{Mode, check_dir};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui-fixtures").join(name)
}

/// The message of the check's panic, or a failure if it passed.
fn failure(dir: &str, mode: Mode) -> String {
    let caught = panic::catch_unwind(|| check_dir(&fixture(dir), mode));
    panic_message(&*caught.expect_err("the check passed, but the fixture must fail it"))
}

#[rustversion::stable(1.95)]
#[test]
fn exact_comparison_passes_blessed_cases() {
    check_dir(&fixture("good"), Mode::Exact);
}

#[test]
fn error_codes_pass_blessed_cases_and_lints() {
    check_dir(&fixture("good"), Mode::ErrorCodes);
}

#[test]
fn error_codes_catch_a_case_that_compiles() {
    let message = failure("compiles", Mode::ErrorCodes);
    assert!(message.contains("now_legal.rs") && message.contains("COMPILES"), "{message}");
    assert!(
        message.contains("which teaches: Claims that adding two integers is a type error."),
        "the failure must say what the case teaches: {message}"
    );
}

#[test]
fn error_codes_catch_a_case_failing_for_another_reason() {
    let message = failure("wrong-reason", Mode::ErrorCodes);
    assert!(message.contains("typo.rs") && message.contains("not for the reason it teaches"), "{message}");
    assert!(message.contains("E0308") && message.contains("E0425"), "names both codes: {message}");
}

#[rustversion::stable(1.95)]
#[test]
fn exact_comparison_names_the_failing_case() {
    let message = failure("wrong-reason", Mode::Exact);
    assert!(message.contains("typo.rs, which teaches: Meant to show a type mismatch"), "{message}");
}
