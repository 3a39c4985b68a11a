//! Compile-fail checks for chapter 1 (cases in tests/ui/ch01-generators/ at the repository root).
#[test]
fn compile_fail() {
    course_support::ui::check_compile_fail("ch01-generators");
}
