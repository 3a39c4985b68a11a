//! Compile-fail checks for chapter 4 (cases in tests/ui/ch04-tasks/ at the repository root).
#[test]
fn compile_fail() {
    course_support::ui::check_compile_fail("ch04-tasks");
}
