//! `cargo xtask progress`: where the learner is, chapter by chapter (rustlings' list, on this
//! workspace).
//!
//! Each exercise's tests are run with `cargo test -p <package> --no-fail-fast` in the learner's
//! own target dir, and libtest's human output is read (its JSON format is unstable). The pure
//! parts — reading that output, deciding a status, choosing the first failure to show — are
//! functions of text, tested without running cargo.

use crate::Result;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The message `todo!()` panics with; a test that fails with it has not been started.
pub const TODO_MESSAGE: &str = "not yet implemented";

/// Tests that check the given signatures (compile-fail cases); they pass on the untouched stub,
/// so they do not count as "started".
pub const SIGNATURE_TESTS: &[&str] = &["compile_fail"];

/// One chapter's exercise crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exercise {
    /// `exercises/chNN-slug`.
    pub dir: PathBuf,
    /// `chNN-slug`.
    pub slug: String,
    /// The package name, for `cargo test -p`.
    pub package: String,
    /// The book page's first heading (`1. Generators: functions that pause`), else the slug.
    pub title: String,
}

/// Every `exercises/chNN-*` with a Cargo.toml, in chapter order.
pub fn exercises(root: &Path) -> Result<Vec<Exercise>> {
    let mut found = Vec::new();
    let dir = root.join("exercises");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let slug = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let manifest = path.join("Cargo.toml");
        if !slug.starts_with("ch") || !manifest.is_file() {
            continue;
        }
        let toml = std::fs::read_to_string(&manifest)?;
        let package = package_name(&toml)
            .ok_or_else(|| format!("{} has no [package] name", manifest.display()))?;
        let page = root.join("book/src").join(format!("{slug}.md"));
        let title = std::fs::read_to_string(&page)
            .ok()
            .and_then(|text| first_heading(&text))
            .unwrap_or_else(|| slug.clone());
        found.push(Exercise {
            dir: path,
            slug,
            package,
            title,
        });
    }
    found.sort_by(|a, b| a.slug.cmp(&b.slug));
    Ok(found)
}

/// The `name` of the `[package]` table of a Cargo.toml (not of `[lib]` or a `[[test]]`).
pub fn package_name(toml: &str) -> Option<String> {
    let mut in_package = false;
    for line in toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if in_package && let Some(value) = line.strip_prefix("name") {
            let value = value.trim_start().strip_prefix('=')?.trim();
            return Some(value.trim_matches('"').to_string());
        }
    }
    None
}

fn first_heading(markdown: &str) -> Option<String> {
    markdown
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(|h| h.trim().to_string())
}

/// One test's result, as libtest printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    /// The test binary (`tests/generators.rs`, `src/lib.rs`, `Doc-tests generators`).
    pub binary: String,
    pub name: String,
    pub passed: bool,
    /// For a failed test: what it printed (the panic message, without backtrace).
    pub message: Option<String>,
}

/// Reads the combined output of `cargo test` (cargo's `Running ...` lines on stderr and
/// libtest's report on stdout, in one stream). Ignored tests are left out.
pub fn parse_libtest(output: &str) -> Vec<TestOutcome> {
    let mut outcomes: Vec<TestOutcome> = Vec::new();
    let mut binary = String::new();
    // (binary, test name, lines) of the `---- name stdout ----` block being read.
    let mut block: Option<(String, String, Vec<&str>)> = None;
    let flush = |block: &mut Option<(String, String, Vec<&str>)>,
                 outcomes: &mut Vec<TestOutcome>| {
        if let Some((bin, name, lines)) = block.take()
            && let Some(o) = outcomes
                .iter_mut()
                .rev()
                .find(|o| o.binary == bin && o.name == name)
        {
            o.message = Some(failure_message(&lines));
        }
    };
    for line in output.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("Running ") {
            flush(&mut block, &mut outcomes);
            // `Running tests/x.rs (target/debug/deps/x-hash)` or `Running unittests src/lib.rs (...)`
            let rest = rest.strip_prefix("unittests ").unwrap_or(rest);
            binary = rest.split(" (").next().unwrap_or(rest).to_string();
            continue;
        }
        if let Some(krate) = trimmed.strip_prefix("Doc-tests ") {
            flush(&mut block, &mut outcomes);
            binary = format!("Doc-tests {krate}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("---- ")
            && let Some(name) = rest
                .strip_suffix(" stdout ----")
                .or_else(|| rest.strip_suffix(" stderr ----"))
        {
            flush(&mut block, &mut outcomes);
            block = Some((binary.clone(), name.to_string(), Vec::new()));
            continue;
        }
        if let Some(rest) = line.strip_prefix("test ")
            && let Some((name, result)) = rest.rsplit_once(" ... ")
        {
            let passed = match result.trim() {
                "ok" => true,
                "FAILED" => false,
                _ => continue, // ignored, bench
            };
            flush(&mut block, &mut outcomes);
            outcomes.push(TestOutcome {
                binary: binary.clone(),
                name: name.to_string(),
                passed,
                message: None,
            });
            continue;
        }
        if line == "failures:" || line.starts_with("test result:") {
            flush(&mut block, &mut outcomes);
            continue;
        }
        if let Some((_, _, lines)) = block.as_mut() {
            lines.push(line);
        }
    }
    flush(&mut block, &mut outcomes);
    outcomes
}

/// The useful part of a failed test's output: the panic location line is turned into
/// `at file:line`, the message kept, the backtrace and `note: run with RUST_BACKTRACE` dropped.
fn failure_message(lines: &[&str]) -> String {
    let mut kept = Vec::new();
    let mut in_backtrace = false;
    for line in lines {
        if line.starts_with("stack backtrace:") {
            in_backtrace = true;
            continue;
        }
        if line.starts_with("note: ") {
            in_backtrace = false;
            continue;
        }
        if in_backtrace {
            continue;
        }
        if let Some(rest) = line.strip_prefix("thread '")
            && let Some((_, at)) = rest.split_once(" panicked at ")
        {
            kept.push(format!("(panicked at {})", at.trim_end_matches(':')));
            continue;
        }
        kept.push(line.to_string());
    }
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    // The location goes after the message: the message is what the learner reads first.
    if let Some(pos) = kept.iter().position(|l| l.starts_with("(panicked at ")) {
        let at = kept.remove(pos);
        kept.push(at);
    }
    kept.join("\n")
}

/// Where a learner is on one exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Every behaviour test fails with `todo!()`'s message.
    NotStarted { total: usize },
    /// Some tests fail.
    InProgress { passed: usize, total: usize },
    /// Every test passes.
    Done { total: usize },
    /// The crate (or its tests) does not compile; the first error.
    DoesNotCompile { error: String },
    /// cargo ran no test at all (an empty crate, or cargo failed before testing).
    NoTests { output: String },
}

impl Status {
    pub fn is_done(&self) -> bool {
        matches!(self, Status::Done { .. })
    }

    /// The status column of the list.
    pub fn label(&self) -> String {
        match self {
            Status::NotStarted { .. } => "not started".into(),
            Status::InProgress { passed, total } => format!("{passed} of {total} tests pass"),
            Status::Done { total } => format!("done ({total} tests pass)"),
            Status::DoesNotCompile { .. } => "does not compile".into(),
            Status::NoTests { .. } => "no tests ran".into(),
        }
    }
}

/// Decides a status from cargo's exit and output and the tests read from it.
pub fn classify(success: bool, output: &str, outcomes: &[TestOutcome]) -> Status {
    // A target that does not compile hides every count (cargo may still have run the others).
    if !success
        && output.contains("could not compile")
        && let Some(error) = first_compile_error(output)
    {
        return Status::DoesNotCompile { error };
    }
    if outcomes.is_empty() {
        if let Some(error) = first_compile_error(output) {
            return Status::DoesNotCompile { error };
        }
        return Status::NoTests {
            output: last_lines(output, 15),
        };
    }
    let total = outcomes.len();
    let passed = outcomes.iter().filter(|o| o.passed).count();
    if passed == total && success {
        return Status::Done { total };
    }
    let behaviour: Vec<&TestOutcome> = outcomes
        .iter()
        .filter(|o| !SIGNATURE_TESTS.contains(&o.name.as_str()))
        .collect();
    let untouched = !behaviour.is_empty()
        && behaviour.iter().all(|o| {
            !o.passed
                && o.message
                    .as_deref()
                    .is_some_and(|m| m.contains(TODO_MESSAGE))
        });
    if untouched {
        Status::NotStarted { total }
    } else {
        Status::InProgress { passed, total }
    }
}

/// The first failed test a learner should read: the lowest stage first (test names start with
/// `stageN_`), then in the order the test binaries ran, then by name (libtest's order).
pub fn first_failure(outcomes: &[TestOutcome]) -> Option<&TestOutcome> {
    let binaries: Vec<&str> = {
        let mut seen = Vec::new();
        for o in outcomes {
            if !seen.contains(&o.binary.as_str()) {
                seen.push(o.binary.as_str());
            }
        }
        seen
    };
    outcomes.iter().filter(|o| !o.passed).min_by_key(|o| {
        (
            stage_of(&o.name),
            binaries.iter().position(|b| *b == o.binary),
            o.name.clone(),
        )
    })
}

/// `stage2_x` -> 2; a test without a stage sorts after every stage.
pub fn stage_of(name: &str) -> u32 {
    let base = name.rsplit("::").next().unwrap_or(name);
    base.strip_prefix("stage")
        .and_then(|rest| rest.split('_').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(u32::MAX)
}

/// The first `error...` block cargo or rustc printed, if compiling failed.
pub fn first_compile_error(output: &str) -> Option<String> {
    if !output.contains("could not compile") && !output.contains("error[E") {
        return None;
    }
    let lines: Vec<&str> = output.lines().collect();
    let start = lines
        .iter()
        .position(|l| {
            l.starts_with("error[") || (l.starts_with("error:") && !l.contains("could not compile"))
        })
        .or_else(|| lines.iter().position(|l| l.starts_with("error")))?;
    let block: Vec<&str> = lines[start..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .take(20)
        .copied()
        .collect();
    Some(block.join("\n"))
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// What one run of an exercise's tests gave.
#[derive(Debug, Clone)]
pub struct Run {
    pub status: Status,
    pub outcomes: Vec<TestOutcome>,
}

/// Runs `cargo test -p <package> --no-fail-fast` in `root` (the learner's target dir) and reads
/// the result. Backtraces are turned off so that each failure is its message.
pub fn run(root: &Path, exercise: &Exercise) -> Result<Run> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let (mut reader, writer) = std::io::pipe()?;
    let mut child = Command::new(cargo)
        .args(["test", "-p", &exercise.package, "--no-fail-fast"])
        .env("RUST_BACKTRACE", "0")
        .env("CARGO_TERM_COLOR", "never")
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .spawn()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    let mut output = String::new();
    {
        use std::io::Read as _;
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        output.push_str(&String::from_utf8_lossy(&bytes));
    }
    let status = child.wait()?;
    let outcomes = parse_libtest(&output);
    Ok(Run {
        status: classify(status.success(), &output, &outcomes),
        outcomes,
    })
}

/// The newest modification time of any file under `dir` (for `--watch`, polled once a second:
/// an exercise is a handful of files, so this costs nothing and needs no file-watching crate).
pub fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if path
                    .file_name()
                    .is_some_and(|n| n != "target" && n != ".git")
                {
                    stack.push(path);
                }
            } else if let Ok(m) = meta.modified() {
                newest = newest.max(Some(m));
            }
        }
    }
    newest
}

#[cfg(test)]
mod tests {
    use super::*;

    const STUB: &str = "\
   Compiling generators v0.1.0 (/work/main/exercises/ch01-generators)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 2.65s
     Running unittests src/lib.rs (target/debug/deps/generators-6469fe9ce4eec03e)

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/generators.rs (target/debug/deps/generators-bb48cc2d502f1fb9)

running 2 tests
test stage2_then_yields ... FAILED
test stage1_countdown ... FAILED

failures:

---- stage2_then_yields stdout ----

thread 'stage2_then_yields' (13149) panicked at exercises/ch01-generators/src/lib.rs:90:9:
not yet implemented: Then::resume
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- stage1_countdown stdout ----

thread 'stage1_countdown' (13150) panicked at exercises/ch01-generators/src/lib.rs:28:9:
not yet implemented: Countdown::new: store where the countdown starts
stack backtrace:
   0: __rustc::rust_begin_unwind
             at /rustc/x/library/std/src/panicking.rs:689:5
note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.


failures:
    stage1_countdown
    stage2_then_yields

test result: FAILED. 0 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/ui.rs (target/debug/deps/ui-0a)

running 1 test
test compile_fail ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 3.10s

error: 1 target failed:
    `-p generators --test generators`
";

    #[test]
    fn libtest_output_is_read_per_binary_with_each_failure_message() {
        let outcomes = parse_libtest(STUB);
        assert_eq!(outcomes.len(), 3, "{outcomes:#?}");
        assert_eq!(outcomes[0].binary, "tests/generators.rs");
        assert_eq!(outcomes[0].name, "stage2_then_yields");
        assert!(!outcomes[0].passed);
        assert_eq!(
            outcomes[0].message.as_deref(),
            Some(
                "not yet implemented: Then::resume\n\
                 (panicked at exercises/ch01-generators/src/lib.rs:90:9)"
            ),
            "the message must drop the note and keep the location after the message"
        );
        assert_eq!(
            outcomes[1].message.as_deref(),
            Some(
                "not yet implemented: Countdown::new: store where the countdown starts\n\
                 (panicked at exercises/ch01-generators/src/lib.rs:28:9)"
            ),
            "the backtrace must be dropped"
        );
        assert_eq!(outcomes[2].binary, "tests/ui.rs");
        assert_eq!(outcomes[2].name, "compile_fail");
        assert!(outcomes[2].passed && outcomes[2].message.is_none());
    }

    #[test]
    fn an_untouched_stub_is_not_started_even_though_its_signature_check_passes() {
        let outcomes = parse_libtest(STUB);
        assert_eq!(
            classify(false, STUB, &outcomes),
            Status::NotStarted { total: 3 }
        );
    }

    #[test]
    fn one_real_failure_makes_it_in_progress() {
        let output = STUB.replace(
            "not yet implemented: Then::resume",
            "assertion `left == right` failed: then yielded 3 after the first completed",
        );
        let outcomes = parse_libtest(&output);
        assert_eq!(
            classify(false, &output, &outcomes),
            Status::InProgress {
                passed: 1,
                total: 3
            }
        );
    }

    #[test]
    fn a_passing_behaviour_test_makes_it_in_progress() {
        let output = STUB.replace(
            "test stage2_then_yields ... FAILED",
            "test stage2_then_yields ... ok",
        );
        let outcomes = parse_libtest(&output);
        assert_eq!(
            classify(false, &output, &outcomes),
            Status::InProgress {
                passed: 2,
                total: 3
            }
        );
    }

    #[test]
    fn all_passing_is_done_and_ignored_tests_do_not_count() {
        let output = "     Running tests/a.rs (x)\n\nrunning 3 tests\ntest stage1_a ... ok\n\
                      test stage1_b ... ignored, slow\ntest stage2_c ... ok\n\n\
                      test result: ok. 2 passed; 0 failed; 1 ignored\n";
        let outcomes = parse_libtest(output);
        assert_eq!(classify(true, output, &outcomes), Status::Done { total: 2 });
        assert!(first_failure(&outcomes).is_none());
    }

    #[test]
    fn a_compile_error_is_reported_with_its_first_error() {
        let output = "   Compiling generators v0.1.0 (/w/exercises/ch01-generators)\n\
                      error[E0308]: mismatched types\n --> src/lib.rs:3:5\n  |\n3 |     1u8\n  |     ^^^ expected `u32`\n\n\
                      error: could not compile `generators` (lib) due to 1 previous error\n";
        let status = classify(false, output, &parse_libtest(output));
        assert_eq!(
            status,
            Status::DoesNotCompile {
                error: "error[E0308]: mismatched types\n --> src/lib.rs:3:5\n  |\n3 |     1u8\n  |     ^^^ expected `u32`".into()
            }
        );
        assert_eq!(status.label(), "does not compile");

        // A test file that no longer compiles (a changed signature) while the lib's tests ran.
        let mixed = format!("{STUB}{output}");
        assert!(matches!(
            classify(false, &mixed, &parse_libtest(&mixed)),
            Status::DoesNotCompile { .. }
        ));
    }

    #[test]
    fn the_first_failure_shown_is_the_lowest_stage_whatever_order_they_finished_in() {
        let outcomes = parse_libtest(STUB);
        let first = first_failure(&outcomes).expect("two tests failed");
        assert_eq!(first.name, "stage1_countdown");
        assert_eq!(stage_of("stage12_x"), 12);
        assert_eq!(stage_of("tests::stage3_y"), 3);
        assert_eq!(stage_of("compile_fail"), u32::MAX);
    }

    #[test]
    fn package_names_come_from_the_package_table_only() {
        let toml = "[package]\nname = \"hand-futures\"\nversion = \"0.1.0\"\n\n[lib]\nname = \"hand_futures\"\n";
        assert_eq!(package_name(toml).as_deref(), Some("hand-futures"));
        assert_eq!(package_name("[lib]\nname = \"x\"\n"), None);
    }

    #[test]
    fn watch_sees_a_saved_file_and_ignores_target() {
        let dir = std::env::temp_dir().join(format!("xtask-progress-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::create_dir_all(dir.join("target")).unwrap();
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let set = |path: &Path, t: SystemTime| {
            std::fs::write(path, "x").unwrap();
            std::fs::File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(t)
                .unwrap();
        };
        set(&dir.join("src/lib.rs"), old);
        assert_eq!(newest_mtime(&dir), Some(old));
        let newer = old + std::time::Duration::from_secs(5);
        set(
            &dir.join("target/build.o"),
            newer + std::time::Duration::from_secs(5),
        );
        assert_eq!(
            newest_mtime(&dir),
            Some(old),
            "files under target/ are not the learner's"
        );
        set(&dir.join("src/lib.rs"), newer);
        assert_eq!(newest_mtime(&dir), Some(newer), "a saved file must be seen");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn labels() {
        assert_eq!(Status::NotStarted { total: 3 }.label(), "not started");
        assert_eq!(
            Status::InProgress {
                passed: 4,
                total: 9
            }
            .label(),
            "4 of 9 tests pass"
        );
        assert_eq!(Status::Done { total: 9 }.label(), "done (9 tests pass)");
    }
}
