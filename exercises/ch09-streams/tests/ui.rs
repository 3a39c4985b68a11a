//! Compile-fail checks for chapter 9 (cases in tests/ui/ch09-streams/ at the repository root).
#[test]
fn compile_fail() {
    course_support::ui::check_compile_fail("ch09-streams");
}
