//! Compile-fail checks for chapter 3 (cases in tests/ui/ch03-event-loop/ at the repository root).
#[test]
fn compile_fail() {
    course_support::ui::check_compile_fail("ch03-event-loop");
}
