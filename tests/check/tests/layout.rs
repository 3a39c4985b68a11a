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
        if let Some(dir) = page.strip_suffix(".md").filter(|p| p.starts_with("ch"))
            && root().join("exercises").join(dir).is_dir()
        {
            assert!(root().join("solutions").join(dir).is_dir(), "{page}: exercise without solution");
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

/// One `{{#include ...}}` or `{{#rustdoc_include ...}}` in a page under book/src.
struct Include {
    /// The page, relative to book/src (`ch03-event-loop.md`).
    page: String,
    line: usize,
    /// The expression as written, `{{#include ../../x.rs:anchor}}`.
    text: String,
    /// The included file, resolved like mdBook does (relative to the page) and canonical when
    /// it exists.
    file: PathBuf,
}

/// Every include in every Markdown page under book/src, in and out of code fences (escaped
/// `\{{#include}}` is text, not an include).
fn book_includes() -> Vec<Include> {
    let src = root().join("book/src");
    let mut pages = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    let mut includes = Vec::new();
    for page in pages {
        let text = read(&page);
        let shown = page.strip_prefix(&src).unwrap().display().to_string();
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(start) = rest.find("{{#") {
                let escaped = rest[..start].ends_with('\\');
                let after = &rest[start + 3..];
                let Some(end) = after.find("}}") else { break };
                let inner = after[..end].trim();
                rest = &after[end + 2..];
                let Some((kind, arg)) = inner.split_once(char::is_whitespace) else { continue };
                if escaped || !(kind == "include" || kind == "rustdoc_include") {
                    continue;
                }
                let path = arg.split_whitespace().next().unwrap_or("").split(':').next().unwrap_or("");
                let file = page.parent().unwrap().join(path);
                includes.push(Include {
                    page: shown.clone(),
                    line: n + 1,
                    text: format!("{{{{#{inner}}}}}"),
                    file: file.canonicalize().unwrap_or(file),
                });
            }
        }
    }
    includes
}

/// `path` relative to the workspace root, for messages.
fn from_root(path: &Path) -> String {
    let root = root().canonicalize().unwrap_or_else(|_| root());
    path.strip_prefix(&root).unwrap_or(path).display().to_string()
}

#[test]
fn no_page_includes_a_file_the_learner_edits() {
    let mut found = Vec::new();
    for include in book_includes() {
        let Ok(text) = fs::read_to_string(&include.file) else {
            continue; // a missing file is every_include_points_at_an_existing_file_and_anchor's to report
        };
        if let Some((n, line)) = text.lines().enumerate().find(|(_, l)| l.contains("TODO(ch")) {
            let marker = &line[line.find("TODO(ch").unwrap()..];
            let marker = &marker[..marker.find(')').map_or(marker.len(), |i| i + 1)];
            found.push(format!(
                "book/src/{}:{}: {}\n    {} is a file the learner edits (it has {marker} markers, \
                 the first on line {}): the page would show the stub, and go stale as the learner \
                 types.",
                include.page,
                include.line,
                include.text,
                from_root(&include.file),
                n + 1,
            ));
        }
    }
    assert!(
        found.is_empty(),
        "\n\n{} include(s) of a file that has a `TODO(chNN)` marker:\n{}\n\nFix: include from \
         book/listings/chNN-<slug>/ (code written for the book), from a given file the learner \
         never edits (it lives once in the exercise, without TODO markers, and the solution \
         compiles it with #[path]), or, for the answer, from solutions/ on the chapter's \
         -solution page.\n",
        found.len(),
        found.join("\n")
    );
}

/// `(indentation, link)` of every linked item in SUMMARY.md, in order.
fn summary_items() -> Vec<(usize, String)> {
    read(&root().join("book/src/SUMMARY.md"))
        .lines()
        .filter_map(|l| {
            let link = l.split("](").nth(1)?.split(')').next()?;
            let indent = l.len() - l.trim_start().len();
            (!link.is_empty()).then(|| (indent, link.to_owned()))
        })
        .collect()
}

#[test]
fn every_chapter_with_an_exercise_has_its_solution_page_nested_under_it() {
    let items = summary_items();
    let mut problems = Vec::new();
    for e in exercises() {
        let chapter = format!("{}.md", e.dir);
        let solution = format!("{}-solution.md", e.dir);
        let Some(at) = items.iter().position(|(_, link)| *link == chapter) else {
            continue; // every_chapter_with_an_exercise_is_complete reports a missing chapter
        };
        if !root().join("book/src").join(&solution).is_file() {
            problems.push(format!(
                "exercises/{} has no reference solution page book/src/{solution}: the answer goes \
                 there (including from solutions/{}), not on book/src/{chapter}",
                e.dir, e.dir
            ));
        }
        let indent = items[at].0;
        let nested = items[at + 1..]
            .iter()
            .take_while(|(i, _)| *i > indent)
            .any(|(_, link)| *link == solution);
        if !nested {
            problems.push(format!(
                "SUMMARY.md does not list {solution} as a nested item under {chapter}; add, right \
                 after the chapter's line:\n        {}- [Reference solution]({solution})",
                " ".repeat(indent + 4)
            ));
        }
    }
    assert!(problems.is_empty(), "\n\n{}\n", problems.join("\n"));
}

#[test]
fn only_solution_pages_include_from_solutions() {
    let solutions = root().join("solutions").canonicalize().expect("solutions/ exists");
    let found: Vec<String> = book_includes()
        .into_iter()
        .filter(|i| i.file.starts_with(&solutions) && !i.page.ends_with("-solution.md"))
        .map(|i| {
            let solution_page = i.page.replace(".md", "-solution.md");
            format!(
                "book/src/{}:{}: {}\n    shows the reference solution ({}) on the chapter page, \
                 before the learner has tried. Move it to book/src/{solution_page}, and teach on \
                 this page with code from book/listings/.",
                i.page,
                i.line,
                i.text,
                from_root(&i.file)
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "\n\n{} include(s) from solutions/ on a chapter page:\n{}\n",
        found.len(),
        found.join("\n")
    );
}

/// Every table row of an appendix page (`book/src/appendix-*.md`) links to the chapter that
/// teaches it, and every page it links to is a page of the book: a file in book/src that
/// SUMMARY.md lists. So the cheat sheet, the pitfalls and the glossary never send a reader to a
/// chapter that is not there (mdBook renders such a link as a dead one, without an error).
#[test]
fn every_appendix_row_links_to_a_page_that_exists() {
    let src = root().join("book/src");
    let mut appendices: Vec<PathBuf> = fs::read_dir(&src)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", src.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("appendix-") && name.ends_with(".md")
        })
        .collect();
    appendices.sort();
    let listed = summary_pages();
    let is_separator = |l: &str| l.starts_with('|') && l.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '));
    let mut rows = 0;
    let mut problems = Vec::new();
    for page in &appendices {
        let name = page.file_name().unwrap().to_string_lossy().into_owned();
        let text = read(page);
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            let header = lines.get(i + 1).is_some_and(|next| is_separator(next));
            if !line.starts_with('|') || is_separator(line) || header {
                continue;
            }
            rows += 1;
            let targets: Vec<&str> = line
                .split("](")
                .skip(1)
                .filter_map(|rest| rest.split(')').next())
                .map(|target| target.split('#').next().unwrap_or(""))
                .filter(|target| !target.contains("://") && !target.is_empty())
                .collect();
            if targets.is_empty() {
                problems.push(format!(
                    "book/src/{name}:{}: this row links to no chapter; every row names the page \
                     that teaches it, e.g. `[ch. 4](ch04-tasks.md)`",
                    i + 1
                ));
            }
            for target in targets {
                if !src.join(target).is_file() {
                    problems.push(format!(
                        "book/src/{name}:{}: links to `{target}`, which does not exist in \
                         book/src. Fix the link, or, if it is a chapter still being written, \
                         link a page that exists until it lands",
                        i + 1
                    ));
                } else if !listed.iter().any(|l| l == target) {
                    problems.push(format!(
                        "book/src/{name}:{}: links to `{target}`, which SUMMARY.md does not \
                         list, so mdBook does not render it: the link would be dead",
                        i + 1
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "\n\n{} appendix link problem(s):\n{}\n",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        appendices.is_empty() || rows > 0,
        "the appendix pages {appendices:?} have no table rows: this check read nothing (is the \
         table syntax still `| a | b |`?)"
    );
}

/// Every file under book/src with extension `ext`, sorted.
fn book_files(ext: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root().join("book/src")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == ext) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Checks that `text` is well-formed XML (one root element, balanced tags, quoted and unique
/// attributes, only the five predefined or numeric entities) and returns the root's name and
/// attributes. A small parser of our own, so the check needs no dependency; it accepts
/// comments, `<?..?>` and `<!DOCTYPE ..>` but no DTD-declared entities, which no picture needs.
fn parse_xml_root(text: &str) -> Result<(String, Vec<(String, String)>), String> {
    fn check_entities(s: &str, at: usize) -> Result<(), String> {
        let mut rest = s;
        while let Some(i) = rest.find('&') {
            let after = &rest[i + 1..];
            let end = after.find(';').ok_or(format!("byte {at}: `&` without `;` (write &amp;)"))?;
            let name = &after[..end];
            let numeric = name.strip_prefix("#x").map(|h| u32::from_str_radix(h, 16).is_ok())
                .or_else(|| name.strip_prefix('#').map(|d| d.parse::<u32>().is_ok()))
                .unwrap_or(false);
            if !numeric && !["amp", "lt", "gt", "quot", "apos"].contains(&name) {
                return Err(format!("byte {at}: unknown entity &{name};"));
            }
            rest = &after[end + 1..];
        }
        Ok(())
    }
    let mut stack: Vec<String> = Vec::new();
    let mut root: Option<(String, Vec<(String, String)>)> = None;
    let mut pos = 0;
    while pos < text.len() {
        let rest = &text[pos..];
        let Some(lt) = rest.find('<') else {
            if !rest.trim().is_empty() && stack.is_empty() {
                return Err(format!("byte {pos}: text after the root element"));
            }
            check_entities(rest, pos)?;
            break;
        };
        let between = &rest[..lt];
        if stack.is_empty() && !between.trim().is_empty() {
            return Err(format!("byte {pos}: text outside the root element"));
        }
        check_entities(between, pos)?;
        pos += lt;
        let rest = &text[pos..];
        let skip_to = |close: &str| {
            rest.find(close).map(|i| i + close.len()).ok_or(format!("byte {pos}: never closed (`{close}`)"))
        };
        if rest.starts_with("<!--") {
            pos += skip_to("-->")?;
        } else if rest.starts_with("<![CDATA[") {
            pos += skip_to("]]>")?;
        } else if rest.starts_with("<?") || rest.starts_with("<!DOCTYPE") {
            pos += skip_to(">")?;
        } else {
            let end = rest.find('>').ok_or(format!("byte {pos}: tag never closed"))?;
            let tag = &rest[1..end];
            pos += end + 1;
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().ok_or(format!("byte {pos}: </{name}> closes nothing"))?;
                if open != name.trim() {
                    return Err(format!("byte {pos}: </{}> closes <{open}>", name.trim()));
                }
                continue;
            }
            let (body, empty) = match tag.strip_suffix('/') {
                Some(b) => (b, true),
                None => (tag, false),
            };
            let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
            let name = &body[..name_end];
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || "-_:.".contains(c)) {
                return Err(format!("byte {pos}: bad element name `{name}`"));
            }
            let mut attrs: Vec<(String, String)> = Vec::new();
            let mut a = body[name_end..].trim_start();
            while !a.is_empty() {
                let eq = a.find('=').ok_or(format!("<{name}>: attribute without a value in `{a}`"))?;
                let key = a[..eq].trim();
                let v = a[eq + 1..].trim_start();
                let quote = v.chars().next().filter(|q| *q == '"' || *q == '\'')
                    .ok_or(format!("<{name}>: the value of {key} is not quoted"))?;
                let close = v[1..].find(quote).ok_or(format!("<{name}>: the value of {key} never ends"))?;
                let value = &v[1..1 + close];
                if value.contains('<') {
                    return Err(format!("<{name}>: `<` in the value of {key}"));
                }
                check_entities(value, pos)?;
                if attrs.iter().any(|(k, _)| k == key) {
                    return Err(format!("<{name}>: attribute {key} appears twice"));
                }
                attrs.push((key.to_owned(), value.to_owned()));
                a = v[close + 2..].trim_start();
            }
            if stack.is_empty() {
                if root.is_some() {
                    return Err(format!("byte {pos}: a second root element <{name}>"));
                }
                root = Some((name.to_owned(), attrs));
            }
            if !empty {
                stack.push(name.to_owned());
            }
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> is never closed"));
    }
    root.ok_or("no root element".to_owned())
}

/// What is wrong with an SVG picture of the book, if anything.
fn svg_problem(text: &str) -> Option<String> {
    let (name, attrs) = match parse_xml_root(text) {
        Ok(root) => root,
        Err(e) => return Some(format!("is not well-formed XML: {e}")),
    };
    let attr = |k: &str| attrs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    if name != "svg" {
        return Some(format!("its root element is <{name}>, not <svg>"));
    }
    if attr("xmlns") != Some("http://www.w3.org/2000/svg") {
        return Some("its <svg> lacks xmlns=\"http://www.w3.org/2000/svg\" (browsers show it as text)".into());
    }
    let view_box = attr("viewBox").unwrap_or("");
    if view_box.split([' ', ',']).filter(|s| !s.is_empty()).filter(|s| s.parse::<f64>().is_ok()).count() != 4 {
        return Some(format!(
            "its <svg> has no viewBox of four numbers (found `{view_box}`), so it does not scale with the page"
        ));
    }
    if ["@font-face", "@import", "href=\"http", "url(http"].iter().any(|x| text.contains(x)) {
        return Some("loads something from outside (a font, a stylesheet or an image): a picture must stand alone".into());
    }
    None
}

#[test]
fn every_svg_under_book_src_is_well_formed_with_a_view_box() {
    // The check itself must be able to fail.
    for (bad, why) in [
        ("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><g></svg>", "closes <g>"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><text>a & b</text></svg>", "`&`"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><rect x=1/></svg>", "not quoted"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\"></svg>", "viewBox"),
    ] {
        let found = svg_problem(bad).unwrap_or_default();
        assert!(found.contains(why), "the SVG check accepted {bad:?} (said {found:?}); it must report `{why}`");
    }
    let svgs = book_files("svg");
    assert!(!svgs.is_empty(), "no SVG under book/src: this check read nothing");
    let problems: Vec<String> = svgs
        .iter()
        .filter_map(|p| svg_problem(&read(p)).map(|why| format!("{}: {why}", from_root(p))))
        .collect();
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// The targets of the Markdown images (`![alt](target)`, alt may span lines) and HTML images
/// (`<img src="target">`) of a page, outside code fences and inline code.
fn image_targets(page: &str) -> Vec<String> {
    let mut prose = String::new();
    let mut fenced = false;
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    let prose: String = prose.split('`').step_by(2).collect::<Vec<_>>().join(" ");
    let mut targets = Vec::new();
    let mut rest = prose.as_str();
    while let Some(i) = rest.find("![") {
        rest = &rest[i + 2..];
        let Some(close) = rest.find("](") else { break };
        let after = &rest[close + 2..];
        let target = after.split([')', ' ']).next().unwrap_or("");
        targets.push(target.to_owned());
    }
    for chunk in prose.split("<img").skip(1) {
        if let Some(src) = chunk.split("src=\"").nth(1).and_then(|s| s.split('"').next()) {
            targets.push(src.to_owned());
        }
    }
    targets
}

#[test]
fn every_image_a_page_references_exists() {
    assert_eq!(
        image_targets("a `#![deny(x)]` b\n![two\nlines](pictures/x.svg \"t\") <img alt=\"\" src=\"y.png\">\n```\n![no](z)\n```\n"),
        ["pictures/x.svg", "y.png"],
        "image_targets must find Markdown and HTML images and skip code"
    );
    let mut problems = Vec::new();
    let mut seen = 0;
    for page in book_files("md") {
        for target in image_targets(&read(&page)) {
            seen += 1;
            if target.contains("://") || target.starts_with("data:") {
                problems.push(format!("{}: image {target} is not in the repository", from_root(&page)));
                continue;
            }
            // A generated Markdown fragment is included into a page in book/src, so its image
            // paths are relative to book/src, like that page's own.
            let base = if page.starts_with(root().join("book/src/generated")) {
                root().join("book/src")
            } else {
                page.parent().unwrap().to_path_buf()
            };
            let file = base.join(target.split(['#', '?']).next().unwrap());
            if !file.is_file() {
                problems.push(format!(
                    "{}: shows the image `{target}`, which does not exist (looked for {})",
                    from_root(&page),
                    from_root(&file)
                ));
            }
        }
    }
    assert!(seen > 0, "no page shows an image: this check read nothing");
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// The lines strictly between `// ANCHOR: name` and `// ANCHOR_END: name`, if both are there.
fn anchored(text: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let is = |l: &str, tag: &str| l.trim().strip_prefix("// ").and_then(|l| l.strip_prefix(tag)) == Some(name);
    let start = lines.iter().position(|l| is(l, "ANCHOR: "))?;
    let end = start + lines[start..].iter().position(|l| is(l, "ANCHOR_END: "))?;
    Some(lines[start + 1..end].join("\n"))
}

/// A block fenced ```rust,mdbook-runnable gets mdBook's run button, which sends the included
/// file to the Rust playground (stable Rust, std only). So it must include, with
/// `{{#rustdoc_include}}` (which hides the lines outside the anchor but sends them), a whole
/// program with `fn main` that uses no crate but std, and that root `cargo test` builds (a bin or
/// example of a listing crate, all of which are default members). Where the crate's library needs
/// the same code, it compiles the program file as a module (`#[path]`) instead of keeping a copy.
#[test]
fn every_runnable_block_is_a_whole_std_only_program_the_workspace_builds() {
    let members = default_members();
    let listings = root().join("book/listings").canonicalize().unwrap();
    let mut runnable = 0;
    for (page, line, info, body) in fenced_blocks() {
        if !info.split([',', ' ']).any(|class| class == "mdbook-runnable") {
            continue;
        }
        runnable += 1;
        let at = format!("{}:{line}", from_root(&page));
        let lines: Vec<&str> = body.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
        let [include] = lines[..] else {
            panic!("{at}: a runnable block holds exactly one include, found {} lines", lines.len())
        };
        let target = include.strip_prefix("{{#rustdoc_include ").and_then(|s| s.strip_suffix("}}")).unwrap_or_else(|| {
            panic!(
                "{at}: a runnable block must use {{{{#rustdoc_include path:anchor}}}}: `{include}` would send \
                 the playground only the shown lines, which are not a whole program"
            )
        });
        let (path, anchor) = match target.trim().split_once(':') {
            Some((p, a)) => (p, Some(a)),
            None => (target.trim(), None),
        };
        let program = page.parent().unwrap().join(path).canonicalize().unwrap_or_else(|e| {
            panic!("{at}: includes {path}, which cannot be read: {e}")
        });
        let shown = from_root(&program);

        // Built by the workspace: a bin or an example of a listing crate.
        let rest = program.strip_prefix(&listings).unwrap_or_else(|_| {
            panic!("{at}: runs {shown}, which is not in a crate under book/listings/")
        });
        let crate_name = rest.iter().next().unwrap().to_string_lossy().into_owned();
        let in_crate = rest.strip_prefix(&crate_name).unwrap().to_string_lossy().replace('\\', "/");
        let crate_dir = format!("book/listings/{crate_name}");
        assert!(members.contains(&crate_dir), "{at}: {crate_dir} is not a default member");
        let manifest: toml::Table =
            read(&root().join(&crate_dir).join("Cargo.toml")).parse().expect("listing Cargo.toml parses");
        let declared = |kind: &str| {
            manifest.get(kind).and_then(|t| t.as_array()).into_iter().flatten().any(|t| t.get("path").and_then(|p| p.as_str()) == Some(in_crate.as_str()))
        };
        let auto = |key: &str| manifest["package"].get(key).and_then(|v| v.as_bool()) != Some(false);
        let single = |dir: &str| in_crate.strip_prefix(dir).is_some_and(|f| !f.contains('/') && f.ends_with(".rs"));
        let built = declared("bin")
            || declared("example")
            || (single("src/bin/") && auto("autobins"))
            || (single("examples/") && auto("autoexamples"));
        assert!(
            built,
            "{at}: {shown} is neither a bin nor an example of {crate_dir} (put it in examples/, or declare \
             it as a [[bin]]), so `cargo test` would not compile what the run button sends"
        );

        // A whole program that needs nothing but std.
        let text = read(&program);
        assert!(
            text.lines().any(|l| l.trim_start().starts_with("fn main(")),
            "{at}: {shown} has no `fn main`: mdBook would wrap the code in one, so what runs is not the file `cargo test` compiles"
        );
        let mut crates: Vec<String> = ["dependencies", "dev-dependencies"]
            .iter()
            .filter_map(|k| manifest.get(*k).and_then(|t| t.as_table()))
            .flat_map(|t| t.keys().map(|k| k.replace('-', "_")))
            .collect();
        crates.push(crate_name.replace('-', "_"));
        crates.push(manifest["package"]["name"].as_str().unwrap().replace('-', "_"));
        for (n, l) in text.lines().enumerate() {
            let l = l.trim_start();
            let used = l.strip_prefix("pub use ").or_else(|| l.strip_prefix("use ")).or_else(|| l.strip_prefix("extern crate "));
            if let Some(used) = used {
                let first = used.trim_start_matches("::").split([':', ';', ' ', '{']).next().unwrap_or("");
                assert!(
                    ["std", "core", "alloc", "crate", "self", "super"].contains(&first),
                    "{}:{}: `{l}`: the playground program may use only std (and core, alloc)",
                    shown,
                    n + 1
                );
            }
            for c in &crates {
                let code = l.split("//").next().unwrap_or("");
                assert!(
                    !code.split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == ':')).any(|w| w.starts_with(&format!("{c}::"))),
                    "{}:{}: `{l}` uses the crate `{c}`, which the playground does not have",
                    shown,
                    n + 1
                );
            }
        }

        if let Some(anchor) = anchor {
            assert!(anchored(&text, anchor).is_some(), "{at}: {shown} has no anchor `{anchor}`");
        }
    }
    assert!(runnable > 0, "no block is fenced ```rust,mdbook-runnable: the intro page promises run buttons");
}
