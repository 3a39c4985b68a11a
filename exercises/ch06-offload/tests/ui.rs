//! Compile-fail checks for chapter 6 (cases in tests/ui/ch06-offload/ at the repository root).
#[test]
fn compile_fail() {
    course_support::ui::check_compile_fail("ch06-offload");
}
