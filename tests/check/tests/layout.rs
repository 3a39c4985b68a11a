//! The course's layout rules, checked by reading files (no build). ARCHITECTURE.md states them.

use std::fs;
use std::path::{Path, PathBuf};

use course_check::{Exercise, exercises, root};

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn workspace_manifest() -> toml::Table {
    read(&root().join("Cargo.toml")).parse().expect("root Cargo.toml parses")
}

fn default_members() -> Vec<String> {
    workspace_manifest()["workspace"]["default-members"]
        .as_array()
        .expect("default-members is a list")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn no_stub_is_a_default_member_and_every_solution_is() {
    let members = default_members();
    for m in &members {
        assert!(!m.starts_with("exercises/"), "{m} is a default member: root `cargo test` would run a stub");
    }
    for e in exercises() {
        let solution = format!("solutions/{}", e.dir);
        assert!(members.contains(&solution), "{solution} is not a default member: root `cargo test` skips it");
    }
    for entry in fs::read_dir(root().join("book/listings")).unwrap() {
        let dir = format!("book/listings/{}", entry.unwrap().file_name().to_string_lossy());
        assert!(members.contains(&dir), "{dir} is not a default member: the book would include unbuilt code");
    }
}

fn solution_manifest(e: &Exercise) -> toml::Table {
    read(&e.solution_dir().join("Cargo.toml")).parse().expect("solution Cargo.toml parses")
}

#[test]
fn every_exercise_has_a_solution_with_the_same_lib_and_tests() {
    for e in exercises() {
        assert!(e.solution_dir().is_dir(), "exercises/{} has no solutions/{}", e.dir, e.dir);
        let manifest = solution_manifest(&e);
        assert_eq!(
            manifest["package"]["name"].as_str(),
            Some(format!("{}-solution", e.package).as_str()),
            "solutions/{} must be the package `{}-solution`",
            e.dir,
            e.package
        );
        assert_eq!(
            manifest["lib"]["name"].as_str(),
            Some(e.lib_name().as_str()),
            "solutions/{}: [lib] name must equal the exercise's, so one test file serves both",
            e.dir
        );
        let test_paths: Vec<PathBuf> = manifest
            .get("test")
            .and_then(|t| t.as_array())
            .into_iter()
            .flatten()
            .filter_map(|t| t["path"].as_str())
            .map(|p| e.solution_dir().join(p))
            .filter_map(|p| p.canonicalize().ok())
            .collect();
        for test_file in fs::read_dir(e.stub_dir().join("tests")).unwrap() {
            let test_file = test_file.unwrap().path();
            if test_file.extension().is_some_and(|x| x == "rs") {
                assert!(
                    test_paths.contains(&test_file.canonicalize().unwrap()),
                    "solutions/{} has no [[test]] pointing at {}",
                    e.dir,
                    test_file.display()
                );
            }
        }
    }
}

#[test]
fn every_stub_names_its_chapter_and_has_todos_and_hints() {
    for e in exercises() {
        let lib = read(&e.stub_dir().join("src/lib.rs"));
        let number: u32 = e.dir[2..4].parse().expect("exercise dirs are chNN-slug");
        assert!(
            lib.lines().take_while(|l| l.starts_with("//!")).any(|l| l.contains(&format!("Chapter {number}"))),
            "exercises/{}/src/lib.rs must open with a //! header naming Chapter {number}",
            e.dir
        );
        assert!(lib.contains("TODO"), "exercises/{}/src/lib.rs has no TODO marker", e.dir);
        assert!(lib.contains("todo!("), "exercises/{}/src/lib.rs has no todo!(): is it solved?", e.dir);
        assert!(e.stub_dir().join("HINTS.md").is_file(), "exercises/{} has no HINTS.md", e.dir);
    }
}

#[test]
fn compile_fail_cases_are_blessed_and_run_by_course_support() {
    for e in exercises() {
        let cases = root().join("tests/ui").join(&e.dir);
        let ui = e.stub_dir().join("tests/ui.rs");
        if !cases.is_dir() {
            continue;
        }
        let runner = read(&ui);
        let call = format!("course_support::ui::check_compile_fail(\"{}\");", e.dir);
        assert!(
            runner.contains(&call) && !runner.contains("rustversion") && !runner.contains("trybuild::"),
            "{} must be the one test `compile_fail` calling `{call}` (see ARCHITECTURE.md): \
             course_support::ui runs the cases exactly on rustc 1.95 and by error code elsewhere",
            ui.display()
        );
        for case in fs::read_dir(&cases).unwrap() {
            let case = case.unwrap().path();
            if case.extension().is_some_and(|x| x == "rs") {
                assert!(case.with_extension("stderr").is_file(), "{} has no blessed .stderr", case.display());
            }
        }
    }
}

/// `(link, title)` of every chapter in SUMMARY.md that has a page.
fn summary_pages() -> Vec<String> {
    read(&root().join("book/src/SUMMARY.md"))
        .lines()
        .filter_map(|l| l.split("](").nth(1))
        .filter_map(|rest| rest.split(')').next())
        .filter(|link| !link.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_chapter_with_an_exercise_is_complete() {
    let pages = summary_pages();
    for e in exercises() {
        let page = format!("{}.md", e.dir);
        assert!(pages.contains(&page), "exercises/{} has no chapter {page} in SUMMARY.md", e.dir);
        let text = read(&root().join("book/src").join(&page));
        for must in [
            "minutes",
            "<details>",
            "Coming from asyncio",
            &format!("cargo test -p {}", e.package),
            "HINTS.md",
        ] {
            assert!(text.contains(must), "book/src/{page} lacks `{must}` (see ARCHITECTURE.md conventions)");
        }
    }
    for page in pages {
        if let Some(dir) = page.strip_suffix(".md").filter(|p| p.starts_with("ch")) {
            if root().join("exercises").join(dir).is_dir() {
                assert!(root().join("solutions").join(dir).is_dir(), "{page}: exercise without solution");
            }
        }
    }
}

/// Every fenced block in the book: (file, line, info string, body).
fn fenced_blocks() -> Vec<(PathBuf, usize, String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut stack = vec![root().join("book/src")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "md") {
                let text = read(&path);
                let mut open: Option<(usize, String, Vec<String>)> = None;
                for (i, line) in text.lines().enumerate() {
                    let trimmed = line.trim_start();
                    match &mut open {
                        None if trimmed.starts_with("```") => {
                            open = Some((i + 1, trimmed.trim_start_matches('`').trim().to_owned(), vec![]))
                        }
                        Some(_) if trimmed.starts_with("```") => {
                            let (n, info, body) = open.take().unwrap();
                            blocks.push((path.clone(), n, info, body));
                        }
                        Some((_, _, body)) => body.push(line.to_owned()),
                        None => {}
                    }
                }
                assert!(open.is_none(), "{}: a code fence is never closed", path.display());
            }
        }
    }
    blocks
}

#[test]
fn no_rust_block_in_the_book_is_pasted() {
    for (file, line, info, body) in fenced_blocks() {
        let at = format!("{}:{line}", file.display());
        // mdBook treats a fence without a language as Rust, so every fence must name one.
        assert!(!info.is_empty(), "{at}: a code fence without a language (mdBook would treat it as Rust)");
        let lang = info.split([',', ' ']).next().unwrap();
        if lang == "rust" {
            for l in body.iter().filter(|l| !l.trim().is_empty()) {
                let l = l.trim();
                assert!(
                    (l.starts_with("{{#include ") || l.starts_with("{{#rustdoc_include ")) && l.ends_with("}}"),
                    "{at}: Rust in the book must be included from a compiled file, found `{l}`"
                );
            }
        }
        if lang == "console" || lang == "text" && body.iter().any(|l| l.starts_with("$ cargo")) {
            panic!("{at}: program output must be included from book/src/generated/, not typed");
        }
    }
}

#[test]
fn every_include_points_at_an_existing_file_and_anchor() {
    for (file, line, _, body) in fenced_blocks() {
        for l in &body {
            let Some(inner) = l.trim().strip_prefix("{{#").and_then(|s| s.strip_suffix("}}")) else {
                continue;
            };
            let target = inner.split_once(' ').map(|x| x.1.trim()).unwrap_or_default();
            let (path, anchor) = match target.split_once(':') {
                Some((p, a)) => (p, Some(a)),
                None => (target, None),
            };
            let resolved = file.parent().unwrap().join(path);
            let text = fs::read_to_string(&resolved).unwrap_or_else(|_| {
                panic!("{}:{line}: includes {path}, which does not exist", file.display())
            });
            if let Some(anchor) = anchor.filter(|a| a.parse::<usize>().is_err() && !a.contains(':')) {
                assert!(
                    text.contains(&format!("ANCHOR: {anchor}")) && text.contains(&format!("ANCHOR_END: {anchor}")),
                    "{}:{line}: {path} has no anchor `{anchor}`",
                    file.display()
                );
            }
        }
    }
}
