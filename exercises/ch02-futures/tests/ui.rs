//! Compile-fail checks for chapter 2 (cases in tests/ui/ch02-futures/ at the repository root).
#[test]
fn compile_fail() {
    course_support::ui::check_compile_fail("ch02-futures");
}
