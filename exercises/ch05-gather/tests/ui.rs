//! Compile-fail checks for chapter 5 (cases in tests/ui/ch05-gather/ at the repository root).
#[test]
fn compile_fail() {
    course_support::ui::check_compile_fail("ch05-gather");
}
