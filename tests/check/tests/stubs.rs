//! Every behaviour test of every exercise stub fails: alone, quickly, with the stub's `todo!()`
//! message. A test that passes on the untouched stub cannot tell a learner anything.
//!
//! The stubs are built in their own target directory (`target/stub-check`): the `cargo test`
//! that runs this check holds the lock on `target/`, so a nested build there would wait forever.
//! Tests named `compile_fail` are exempt: they check signatures the stub already gives.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use course_check::{exercises, root};

/// Longer than the watchdog's 5 s, so a hang is the watchdog's to report, not ours.
const PER_TEST_LIMIT: Duration = Duration::from_secs(30);

struct TestBinary {
    package: String,
    executable: String,
    cwd: std::path::PathBuf,
}

fn build_stub_tests() -> Vec<TestBinary> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root())
        .env("CARGO_TARGET_DIR", root().join("target/stub-check"))
        .args(["test", "--no-run", "--message-format=json-render-diagnostics"]);
    for exercise in exercises() {
        cmd.args(["-p", &exercise.package]);
    }
    let out = cmd.stderr(Stdio::inherit()).output().expect("could not run cargo");
    assert!(out.status.success(), "an exercise stub does not compile (see the errors above)");

    let stubs: Vec<String> = exercises().into_iter().map(|e| e.package).collect();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact" && msg["profile"]["test"] == true)
        .filter_map(|msg| {
            let executable = msg["executable"].as_str()?.to_owned();
            let manifest = std::path::PathBuf::from(msg["manifest_path"].as_str()?);
            let package = course_check::package_name(&std::fs::read_to_string(&manifest).ok()?)?;
            let cwd = manifest.parent()?.to_path_buf();
            stubs.contains(&package).then_some(TestBinary { package, executable, cwd })
        })
        .collect()
}

fn list_tests(bin: &TestBinary) -> Vec<String> {
    let out = Command::new(&bin.executable)
        .args(["--list", "--format", "terse"])
        .current_dir(&bin.cwd)
        .output()
        .expect("could not list tests");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// Runs one test alone; returns (passed, output, how long it took). Kills it after the limit.
fn run_one(bin: &TestBinary, test: &str) -> (Option<bool>, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(&bin.executable)
        .args([test, "--exact", "--test-threads=1"])
        .current_dir(&bin.cwd)
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("could not run a stub test");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait on stub test") {
            break Some(status);
        }
        if started.elapsed() > PER_TEST_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5)); // polling a child process, not a test clock
    };
    let mut output = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut output);
    let _ = child.stderr.take().unwrap().read_to_string(&mut output);
    (status.map(|s| s.success()), output, started.elapsed())
}

#[test]
fn every_stub_test_fails_fast_with_a_todo_message() {
    let binaries = build_stub_tests();
    let mut problems = Vec::new();
    let mut checked = 0;

    for exercise in exercises() {
        let behaviour_tests: usize = binaries
            .iter()
            .filter(|b| b.package == exercise.package)
            .map(|b| list_tests(b).iter().filter(|t| t.as_str() != "compile_fail").count())
            .sum();
        if behaviour_tests == 0 {
            problems.push(format!("{}: the stub has no behaviour tests", exercise.package));
        }
    }

    for bin in &binaries {
        for test in list_tests(bin) {
            if test == "compile_fail" {
                continue;
            }
            checked += 1;
            let (passed, output, took) = run_one(bin, &test);
            let name = format!("{} :: {test}", bin.package);
            match passed {
                None => problems.push(format!("{name}: still running after {PER_TEST_LIMIT:?} (no watchdog?)")),
                Some(true) => problems.push(format!("{name}: PASSES on the untouched stub")),
                Some(false) if !output.contains("not yet implemented") => problems.push(format!(
                    "{name}: fails, but not with a todo!() message:\n{output}"
                )),
                Some(false) if took > Duration::from_secs(3) => {
                    problems.push(format!("{name}: took {took:?} to fail; stubs must fail fast"))
                }
                Some(false) => {}
            }
        }
    }

    assert!(problems.is_empty(), "stub check failed:\n- {}", problems.join("\n- "));
    eprintln!("stub check: {checked} behaviour tests, each failed on its stub with todo!()");
}
