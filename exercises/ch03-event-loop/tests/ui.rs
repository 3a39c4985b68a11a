//! Compile-fail checks for chapter 3. The cases live in tests/ui/ch03-event-loop/ at the root
//! of the repository, so the stub and the solution are checked against the same `.stderr` files.
//!
//! The `.stderr` files were blessed on rustc 1.95; other compilers word errors differently, so
//! there the test is skipped with that reason rather than failed.

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "compile-fail output was blessed on rustc 1.95 (re-bless with TRYBUILD=overwrite)"
)]
#[test]
fn compile_fail() {
    trybuild::TestCases::new().compile_fail("../../tests/ui/ch03-event-loop/*.rs");
}
