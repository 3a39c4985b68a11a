//! Compile-fail checks for chapter 7 (cases in tests/ui/ch07-tokio/ at the repository root).
#[test]
fn compile_fail() {
    course_support::ui::check_compile_fail("ch07-tokio");
}
