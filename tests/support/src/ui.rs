//! Compile-fail checks: code the course says must not compile, and why.
//!
//! A chapter's cases are `tests/ui/<chapter>/*.rs` at the workspace root, each with the compiler
//! output it was blessed with beside it (`<case>.stderr`). An exercise's `tests/ui.rs` is one
//! call, [`check_compile_fail`], so the stub and the solution check the same cases.
//!
//! - On rustc 1.95, the compiler the `.stderr` files were blessed with, every case must produce
//!   exactly its `.stderr` (trybuild's comparison).
//! - On any other compiler the wording of errors differs, so the comparison is looser but still
//!   real: every case must fail to compile, with the error codes its `.stderr` records (`E0277`)
//!   and, for errors without a code (lints such as `unused_must_use`), the same error headlines.
//!   The cases are copied without their `.stderr` under `<target>/course-ui/`, trybuild writes
//!   this compiler's output there (`TRYBUILD=overwrite`, in a child run of the same test), and the
//!   errors are compared.
//!
//! `COURSE_UI_MODE=codes` forces the second way on rustc 1.95 (to test it), `COURSE_UI_MODE=exact`
//! forces the first. To bless new output on rustc 1.95:
//! `TRYBUILD=overwrite cargo test -p <chapter package>-solution --test ui`.
//!
//! A failure names each failing case and what it teaches: the comment lines at the top of the
//! case file.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Set in the child run: the directory of copied cases to run trybuild on.
const INNER_DIR_VAR: &str = "COURSE_UI_INNER_DIR";
/// Overrides which comparison is used: `exact` or `codes`.
const MODE_VAR: &str = "COURSE_UI_MODE";

/// Runs the compile-fail cases of `chapter` (`tests/ui/<chapter>/*.rs` at the workspace root).
/// See the [module docs](self).
pub fn check_compile_fail(chapter: &str) {
    let dir = crate::workspace_root().join("tests/ui").join(chapter);
    check_dir(&dir, Mode::for_this_compiler());
}

/// How the compiler's output is compared with the blessed `.stderr`.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Exactly (trybuild), on the compiler the files were blessed with.
    Exact,
    /// By error codes and code-less error headlines, on any other compiler.
    ErrorCodes,
}

#[rustversion::stable(1.95)]
const BLESSED_COMPILER: bool = true;
#[rustversion::not(stable(1.95))]
const BLESSED_COMPILER: bool = false;

impl Mode {
    /// `Exact` on rustc 1.95, `ErrorCodes` elsewhere; `COURSE_UI_MODE` overrides.
    pub fn for_this_compiler() -> Mode {
        match std::env::var(MODE_VAR).as_deref() {
            Ok("exact") => Mode::Exact,
            Ok("codes") => Mode::ErrorCodes,
            Ok(other) => panic!("{MODE_VAR}={other:?} is not one of \"exact\", \"codes\""),
            Err(_) if BLESSED_COMPILER => Mode::Exact,
            Err(_) => Mode::ErrorCodes,
        }
    }
}

/// Runs the cases in `dir` with `mode`. [`check_compile_fail`] is this on the chapter's directory;
/// course-support's own tests call it on fixtures.
#[doc(hidden)]
pub fn check_dir(dir: &Path, mode: Mode) {
    // The child run started by `check_error_codes`: only produce this compiler's output.
    if let Some(inner) = std::env::var_os(INNER_DIR_VAR) {
        trybuild::TestCases::new().compile_fail(Path::new(&inner).join("*.rs"));
        return;
    }

    let cases = cases_in(dir);
    let blessing = std::env::var_os("TRYBUILD").is_some_and(|v| v == "overwrite");
    if !(blessing && mode == Mode::Exact) {
        let unblessed: Vec<String> = cases
            .iter()
            .filter(|c| !c.with_extension("stderr").is_file())
            .map(|c| describe(c))
            .collect();
        assert!(
            unblessed.is_empty(),
            "\n\ncompile-fail cases without a blessed .stderr beside them:\n{}\n\
             Bless them on rustc 1.95 with `TRYBUILD=overwrite cargo test -p <package> --test ui`, \
             then read each .stderr: it must fail for the reason the case teaches.\n",
            unblessed.join("\n")
        );
    }
    match mode {
        Mode::Exact => check_exact(&cases),
        Mode::ErrorCodes => check_error_codes(dir, &cases),
    }
}

/// The `.rs` files of `dir`, sorted.
fn cases_in(dir: &Path) -> Vec<PathBuf> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut cases: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display())).path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    cases.sort();
    assert!(
        !cases.is_empty(),
        "{} has no compile-fail cases (*.rs): add one, or delete the exercise's tests/ui.rs",
        dir.display()
    );
    cases
}

/// One case at a time, so a failure can name the case; trybuild prints its diff above.
fn check_exact(cases: &[PathBuf]) {
    let mut failures = String::new();
    for case in cases {
        let outcome = std::panic::catch_unwind(|| {
            trybuild::TestCases::new().compile_fail(case);
        });
        if outcome.is_err() {
            let _ = writeln!(
                failures,
                "{}\n    it did not fail as its blessed {} records: it compiled, or its errors \
                 differ (trybuild's report above says which and shows the difference)",
                describe(case),
                file_name(&case.with_extension("stderr")),
            );
        }
    }
    assert!(
        failures.is_empty(),
        "\n\ncompile-fail cases that did not fail as blessed on rustc 1.95:\n{failures}\n\
         If the new output is right (it fails for the reason the case teaches), re-bless it with \
         `TRYBUILD=overwrite cargo test -p <package> --test ui`.\n"
    );
}

/// Copies the cases without their `.stderr` into a scratch directory, has a child run of this
/// test write this compiler's output there, and compares the errors with the blessed ones.
fn check_error_codes(dir: &Path, cases: &[PathBuf]) {
    let scratch = scratch_dir(dir);
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", scratch.display()));
    for case in cases {
        let copy = scratch.join(case.file_name().unwrap());
        std::fs::copy(case, &copy).unwrap_or_else(|e| {
            panic!("cannot copy {} to {}: {e}", case.display(), copy.display())
        });
    }

    // TRYBUILD is read from the environment; setting it in this (multi-threaded) test process
    // would race with other threads reading the environment, so a child runs this same test.
    let test_name = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(str::to_owned)
        .expect("check_compile_fail must run inside a #[test] (its name is needed for the child run)");
    let exe = std::env::current_exe().expect("the path of the running test binary");
    let output = Command::new(&exe)
        .args([test_name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(INNER_DIR_VAR, &scratch)
        .env("TRYBUILD", "overwrite")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains("running 1 test"),
        "the child run of `{test_name}` did not run that test; its output:\n{report}"
    );

    let mut failures = String::new();
    for case in cases {
        let name = file_name(case);
        let actual_path = scratch.join(&name).with_extension("stderr");
        let Ok(actual) = std::fs::read_to_string(&actual_path) else {
            let why = if trybuild_segment(&report, &name)
                .is_some_and(|s| s.contains("fail to compile, but it succeeded"))
            {
                "    it COMPILES: the error it teaches is no longer produced (did an API change make it legal?)".to_owned()
            } else {
                format!("    trybuild could not check it; its output:\n{report}")
            };
            let _ = writeln!(failures, "{}\n{why}", describe(case));
            continue;
        };
        let blessed_path = case.with_extension("stderr");
        let blessed = std::fs::read_to_string(&blessed_path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", blessed_path.display()));
        let (want, got) = (Errors::parse(&blessed), Errors::parse(&actual));
        if let Some(difference) = want.missing_from(&got) {
            let _ = writeln!(
                failures,
                "{}\n    it fails, but not for the reason it teaches: {difference}\n    \
                 this compiler's output:\n{}",
                describe(case),
                indent(&actual, 8)
            );
        }
    }
    assert!(
        failures.is_empty(),
        "\n\ncompile-fail cases that did not fail with the errors their blessed .stderr records \
         (compared by error code, as on every compiler but rustc 1.95, which blessed them):\n{failures}"
    );
}

/// The errors of one compiler output: codes (`E0277`) and the headlines of code-less errors.
#[derive(Debug, Default, PartialEq)]
struct Errors {
    codes: BTreeSet<String>,
    uncoded: BTreeSet<String>,
}

impl Errors {
    fn parse(stderr: &str) -> Errors {
        let mut errors = Errors::default();
        for line in stderr.lines() {
            if let Some(rest) = line.strip_prefix("error[") {
                if let Some((code, _)) = rest.split_once(']') {
                    errors.codes.insert(code.to_owned());
                }
            } else if let Some(headline) = line.strip_prefix("error: ") {
                // Cargo's and rustc's summaries are not errors of the case.
                if !headline.starts_with("aborting due to") && !headline.starts_with("could not compile") {
                    errors.uncoded.insert(headline.trim().to_owned());
                }
            }
        }
        errors
    }

    /// What of `self` (the blessed errors) `actual` does not reproduce, if anything. The codes
    /// must be the same set; each blessed code-less headline must appear.
    fn missing_from(&self, actual: &Errors) -> Option<String> {
        let mut problems = Vec::new();
        if self.codes != actual.codes {
            problems.push(format!(
                "the blessed .stderr records error codes {}, this compiler reported {}",
                list(&self.codes),
                list(&actual.codes)
            ));
        }
        let missing: Vec<&String> = self.uncoded.difference(&actual.uncoded).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "the blessed .stderr has the error(s) {}, which this compiler did not report",
                missing.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        (!problems.is_empty()).then(|| problems.join("; and "))
    }
}

fn list(codes: &BTreeSet<String>) -> String {
    if codes.is_empty() {
        "none".to_owned()
    } else {
        codes.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// trybuild's report of one case: from its `test <path> ...` line to the next one.
fn trybuild_segment<'a>(report: &'a str, file_name: &str) -> Option<&'a str> {
    let start = report
        .match_indices("test ")
        .map(|(i, _)| i)
        .find(|&i| report[i..].lines().next().is_some_and(|l| l.contains(file_name)))?;
    let rest = &report[start..];
    let end = rest[5..].find("\ntest ").map_or(rest.len(), |i| i + 5);
    Some(&rest[..end])
}

/// `tests/ui/ch02-futures/forgot_await.rs, which teaches: <its leading comment>`.
fn describe(case: &Path) -> String {
    let shown = crate::root::try_workspace_root()
        .and_then(|root| case.strip_prefix(root).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| case.to_path_buf());
    match teaching(case) {
        Some(teaches) => format!("- {}, which teaches: {teaches}", shown.display()),
        None => format!("- {} (it has no leading comment saying what it teaches)", shown.display()),
    }
}

/// The comment lines (`//!` or `//`) at the top of a case, joined into one sentence.
fn teaching(case: &Path) -> Option<String> {
    let text = std::fs::read_to_string(case).ok()?;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with("//"))
        .map(|l| l.trim_start_matches("//!").trim_start_matches("//").trim())
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}

/// `<target>/course-ui/<package>-<hash of the case directory>`: one per package and chapter, so
/// the stub's and the solution's runs (and two checkouts sharing a target dir) do not collide.
fn scratch_dir(cases: &Path) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let exe = std::env::current_exe().expect("the path of the running test binary");
    // A test binary lives in <target>[/<triple>]/<profile>/deps/.
    let target = exe
        .ancestors()
        .find(|d| d.file_name().is_some_and(|n| n == "deps"))
        .and_then(|deps| deps.parent()?.parent())
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    cases.hash(&mut hasher);
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "tests".to_owned());
    target.join("course-ui").join(format!("{package}-{:016x}", hasher.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_codes_and_uncoded_headlines() {
        let stderr = "error[E0597]: `log` does not live long enough\n --> x.rs\n\
                      error: unused `YieldNow` that must be used\n\
                      note: the lint level is defined here\n\
                      error: aborting due to 2 previous errors\n";
        let errors = Errors::parse(stderr);
        assert_eq!(errors.codes, BTreeSet::from(["E0597".to_owned()]));
        assert_eq!(errors.uncoded, BTreeSet::from(["unused `YieldNow` that must be used".to_owned()]));
    }

    #[test]
    fn a_different_code_or_a_lost_lint_is_reported() {
        let blessed = Errors::parse("error[E0373]: closure may outlive\nerror: unused `X` that must be used\n");
        let same_codes_reworded = Errors::parse("error[E0373]: closure might outlive\nerror: unused `X` that must be used\n");
        assert_eq!(blessed.missing_from(&same_codes_reworded), None, "rewording alone is fine");
        let other = Errors::parse("error[E0425]: cannot find value\n");
        let why = blessed.missing_from(&other).expect("a different error must be reported");
        assert!(why.contains("E0373") && why.contains("E0425") && why.contains("unused `X`"), "{why}");
    }

    #[test]
    fn the_teaching_is_the_leading_comment() {
        let dir = std::env::temp_dir().join(format!("course-ui-teaching-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let case = dir.join("case.rs");
        std::fs::write(&case, "\n// A task may not borrow\n// from its spawner.\n#![deny(x)]\n// not this\nfn main() {}\n").unwrap();
        assert_eq!(teaching(&case).as_deref(), Some("A task may not borrow from its spawner."));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn trybuild_segments_are_found_by_file_name() {
        let report = "test /t/a.rs ... error\nExpected test case to fail to compile, but it succeeded.\n\ntest /t/b.rs ... ok\n";
        assert!(trybuild_segment(report, "a.rs").unwrap().contains("succeeded"));
        assert!(!trybuild_segment(report, "b.rs").unwrap().contains("succeeded"));
        assert!(trybuild_segment(report, "c.rs").is_none());
    }
}
