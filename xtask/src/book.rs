//! Building the book with the mdBook library, and the checks mdBook itself does not make fatal.
//!
//! mdBook 0.5 is used through `mdbook-driver`: [`MDBook::load`] reads `book.toml` and
//! `SUMMARY.md` (with `create-missing = false` a missing page is an error), [`MDBook::build`] runs
//! the default preprocessors (`links` expands `{{#include}}`, `index` turns README.md into
//! index.html) and the HTML renderer (with the search index, feature `search`).
//!
//! mdBook only *logs* a wrong include path (as a `tracing` error) and leaves the `{{#include}}`
//! text in the page; it says nothing at all when an include names an anchor the file lacks (the
//! block is just empty). So around the build this module:
//! 1. checks every include's file and anchor before rendering, and that every file the book
//!    includes from has balanced anchors (each `ANCHOR: x` closed by one `ANCHOR_END: x`, no
//!    name opened twice): mdBook includes a wrong region silently otherwise;
//! 2. collects mdBook's own log and fails if it logged an error;
//! 3. scans the rendered HTML for any include that was left unexpanded;
//! 4. checks every internal link and `#anchor` and every page's title ([`crate::links`]).
//!
//! After rendering it also adds the Chinese terms to the search index ([`crate::cjk_search`]).

use crate::{Result, step};
use mdbook_driver::MDBook;
use std::fmt::{Debug, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata, Subscriber, span};

/// The mdBook link expressions that the `links` preprocessor replaces. Any of them in the HTML
/// means an include that did not happen.
pub const LINK_MARKERS: &[&str] = &[
    "{{#include",
    "{{#rustdoc_include",
    "{{#playground",
    "{{#playpen",
    "{{#title",
];

/// Builds the book whose `book.toml` is in `book_dir` and returns the directory holding the
/// HTML (absolute). `out_dir` overrides `build-dir` from `book.toml` (tests build elsewhere).
///
/// Fails if the book does not load (a page in SUMMARY.md is missing, book.toml is wrong), if an
/// include names a file or anchor that does not exist, if mdBook logs an error, or if an include
/// is left unexpanded in the HTML.
pub fn build(book_dir: &Path, out_dir: Option<&Path>) -> Result<PathBuf> {
    let repo = RepoLinks::from_vars(|name| std::env::var(name).ok());
    build_with(book_dir, out_dir, repo.as_ref())
}

/// The repository the published book links to: the icon in the menu bar and "Suggest an edit"
/// on every page (mdBook's `git-repository-url` and `edit-url-template`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoLinks {
    pub repository_url: String,
    pub edit_url_template: String,
}

impl RepoLinks {
    /// From GitHub Actions' variables (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, and the branch
    /// from `GITHUB_REF` when it is one, else `main`). None when `GITHUB_REPOSITORY` is unset: a
    /// local build does not know where the repository is published, so it links nowhere.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Option<RepoLinks> {
        let repo = var("GITHUB_REPOSITORY").filter(|r| r.contains('/'))?;
        let server = var("GITHUB_SERVER_URL")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "https://github.com".into());
        let server = server.trim_end_matches('/');
        let branch = var("GITHUB_REF")
            .and_then(|r| r.strip_prefix("refs/heads/").map(str::to_string))
            .unwrap_or_else(|| "main".into());
        let repository_url = format!("{server}/{repo}");
        Some(RepoLinks {
            // mdBook 0.5 replaces `{path}` with the page's path from book.toml's directory (`src/x.md`).
            edit_url_template: format!("{repository_url}/edit/{branch}/book/{{path}}"),
            repository_url,
        })
    }
}

/// [`build`], with the repository links given (None: no links) instead of read from the
/// environment.
pub fn build_with(
    book_dir: &Path,
    out_dir: Option<&Path>,
    repo: Option<&RepoLinks>,
) -> Result<PathBuf> {
    let book_dir = std::path::absolute(book_dir)?;
    let errors = Arc::new(AtomicUsize::new(0));
    let reporter = Reporter {
        errors: Arc::clone(&errors),
    };

    // Scoped to this thread (mdBook renders on the calling thread), so tests can build in parallel.
    let out = tracing::subscriber::with_default(reporter, || -> Result<PathBuf> {
        step(format!(
            "loading the book: {}",
            book_dir.join("book.toml").display()
        ));
        let mut book = MDBook::load(&book_dir)
            .map_err(|e| format!("could not load the book in {}: {e:#}", book_dir.display()))?;
        if let Some(out_dir) = out_dir {
            book.config.build.build_dir = out_dir.to_path_buf();
        }
        if let Some(repo) = repo {
            step(format!(
                "linking every page to {} (\"Suggest an edit\": {})",
                repo.repository_url, repo.edit_url_template
            ));
            book.config
                .set("output.html.git-repository-url", &repo.repository_url)
                .and_then(|()| {
                    book.config
                        .set("output.html.edit-url-template", &repo.edit_url_template)
                })
                .map_err(|e| format!("could not set the repository links: {e:#}"))?;
        }
        // An absolute, `..`-free output path, so every message names the same place.
        let build_dir = book.root.join(&book.config.build.build_dir);
        std::fs::create_dir_all(&build_dir)
            .map_err(|e| format!("could not create {}: {e}", build_dir.display()))?;
        book.config.build.build_dir = build_dir.canonicalize()?;

        let src = book.source_dir();
        step(format!(
            "checking every {{{{#include}}}}'s file and anchor in {}",
            src.display()
        ));
        let problems = include_problems(&src)?;
        if !problems.is_empty() {
            return Err(format!(
                "{} broken include(s) in the book:\n  {}",
                problems.len(),
                problems.join("\n  ")
            )
            .into());
        }

        let out = book.build_dir_for("html");
        step(format!(
            "rendering HTML (with search index) into {}",
            out.display()
        ));
        book.build().map_err(|e| format!("mdBook failed: {e:#}"))?;
        // mdBook's search index drops Chinese text; see cjk_search.rs for why and how.
        step("adding the Chinese (Han) terms to the search index");
        crate::cjk_search::add_han_terms(&out)?;
        Ok(out)
    })?;

    let errors = errors.load(Ordering::SeqCst);
    if errors > 0 {
        return Err(
            format!("mdBook logged {errors} error(s) (above); the book is not right").into(),
        );
    }

    step("checking the HTML for includes mdBook left unexpanded");
    let left = unexpanded_includes(&out)?;
    if !left.is_empty() {
        return Err(format!(
            "{} include(s) were not expanded:\n  {}",
            left.len(),
            left.join("\n  ")
        )
        .into());
    }

    step("checking every internal link, #anchor and page title in the HTML");
    let broken = crate::links::check(&out)?;
    if !broken.is_empty() {
        return Err(format!(
            "{} broken link(s) or untitled page(s) in the built book:\n  {}",
            broken.len(),
            broken.join("\n  ")
        )
        .into());
    }
    Ok(out)
}

/// Every `path:line: text` in the HTML under `out` that still holds an mdBook link expression.
/// `print.html` repeats every chapter, so it is skipped to report each problem once.
pub fn unexpanded_includes(out: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for file in files_with_extension(out, "html")? {
        if file.file_name().is_some_and(|n| n == "print.html") {
            continue;
        }
        let text = std::fs::read_to_string(&file)?;
        for (n, line) in text.lines().enumerate() {
            if LINK_MARKERS.iter().any(|m| line.contains(m)) {
                found.push(format!(
                    "{}:{}: {}",
                    file.display(),
                    n + 1,
                    shorten(line.trim())
                ));
            }
        }
    }
    Ok(found)
}

/// Checks every `{{#include path[:anchor]}}` and `{{#rustdoc_include ...}}` in the Markdown under
/// `src`: the file must exist (relative to the page, as mdBook resolves it); when the part after
/// `:` is an anchor rather than line numbers, the file must have `ANCHOR: name`; and every file
/// included from must have balanced anchors (see [`anchor_problems`]), each reported once.
pub fn include_problems(src: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut anchors_checked = std::collections::BTreeSet::new();
    for page in files_with_extension(src, "md")? {
        let text = std::fs::read_to_string(&page)?;
        let shown = page
            .strip_prefix(src)
            .unwrap_or(&page)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            for link in links_in(line) {
                let Some((path, anchor)) = include_target(link) else {
                    continue;
                };
                let where_ = format!("{shown}:{}: {{{{#{link}}}}}", n + 1);
                let file = page.parent().unwrap_or(src).join(path);
                let content = match std::fs::read_to_string(&file) {
                    Ok(content) => content,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        problems.push(format!("{where_}: no file {}", file.display()));
                        continue;
                    }
                    Err(e) => {
                        problems.push(format!("{where_}: cannot read {}: {e}", file.display()));
                        continue;
                    }
                };
                if anchors_checked.insert(file.clone()) {
                    let file_shown = file.canonicalize().unwrap_or_else(|_| file.clone());
                    for problem in anchor_problems(&content) {
                        problems.push(format!("{}:{problem}", file_shown.display()));
                    }
                }
                if let Some(anchor) = anchor
                    && !has_anchor(&content, anchor)
                {
                    problems.push(format!(
                        "{where_}: {} has no `ANCHOR: {anchor}` (mdBook would include nothing)",
                        file.display()
                    ));
                }
            }
        }
    }
    Ok(problems)
}

/// The insides of the unescaped `{{#...}}` expressions in a line.
fn links_in(line: &str) -> Vec<&str> {
    let mut links = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{#") {
        let escaped = rest[..start].ends_with('\\');
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        if !escaped {
            links.push(after[..end].trim());
        }
        rest = &after[end + 2..];
    }
    links
}

/// For `include path:x` / `rustdoc_include path:x`, the path and the anchor (None when `x` is
/// absent or a line range, which is how mdBook tells them apart).
fn include_target(link: &str) -> Option<(&str, Option<&str>)> {
    let (kind, arg) = link.split_once(char::is_whitespace)?;
    if kind != "include" && kind != "rustdoc_include" {
        return None;
    }
    let arg = arg.split_whitespace().next()?;
    let (path, rest) = arg.split_once(':').unwrap_or((arg, ""));
    let first = rest.split(':').next().unwrap_or("");
    let anchor = (!first.is_empty() && first.parse::<usize>().is_err()).then_some(first);
    Some((path, anchor))
}

/// Whether some line has `ANCHOR: name` (mdBook's `ANCHOR:\s*([\w_-]+)`).
fn has_anchor(content: &str, name: &str) -> bool {
    content
        .lines()
        .any(|line| markers_in(line, "ANCHOR:").any(|word| word == name))
}

/// The anchor names after each `marker` (`ANCHOR:` or `ANCHOR_END:`) in a line, read as mdBook
/// reads them (`marker\s*([\w_-]+)`).
fn markers_in<'a>(line: &'a str, marker: &'a str) -> impl Iterator<Item = &'a str> {
    line.match_indices(marker).filter_map(move |(i, m)| {
        let after = line[i + m.len()..].trim_start();
        let end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        (end > 0).then(|| &after[..end])
    })
}

/// What is wrong with the anchors of one file, each as `<line>: <problem>`: an `ANCHOR: x`
/// never closed by `ANCHOR_END: x`, an `ANCHOR_END: x` with no open `ANCHOR: x` before it, or a
/// name used for two regions (mdBook would include only the first; an include of the second
/// would silently show the wrong code).
pub fn anchor_problems(content: &str) -> Vec<String> {
    let mut problems = Vec::new();
    // name -> line of its ANCHOR, while open; and the line of every region seen so far.
    let mut open: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut seen: std::collections::BTreeMap<&str, usize> = Default::default();
    for (n, line) in content.lines().enumerate() {
        let n = n + 1;
        for name in markers_in(line, "ANCHOR:") {
            if let Some(first) = open.get(name) {
                problems.push(format!(
                    "{n}: `ANCHOR: {name}` again, but the one on line {first} is not closed yet \
                     (a missing `ANCHOR_END: {name}`?)"
                ));
            } else if let Some(first) = seen.get(name) {
                problems.push(format!(
                    "{n}: a second anchor `{name}` (the first starts on line {first}); mdBook \
                     includes only the first: rename one"
                ));
                // Still a region: its ANCHOR_END is not a stray.
                open.insert(name, n);
            } else {
                open.insert(name, n);
                seen.insert(name, n);
            }
        }
        for name in markers_in(line, "ANCHOR_END:") {
            if open.remove(name).is_none() {
                problems.push(format!(
                    "{n}: `ANCHOR_END: {name}` without an open `ANCHOR: {name}` before it"
                ));
            }
        }
    }
    for (name, n) in open {
        problems.push(format!(
            "{n}: `ANCHOR: {name}` has no `ANCHOR_END: {name}` after it (mdBook would include \
             the rest of the file)"
        ));
    }
    problems.sort_by_key(|p| p.split(':').next().and_then(|n| n.parse::<usize>().ok()));
    problems
}

/// Every file under `dir` (recursively) whose name ends in `.ext`, sorted.
pub fn files_with_extension(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in
            std::fs::read_dir(&dir).map_err(|e| format!("could not read {}: {e}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(160) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// mdBook logs through `tracing`, and without a subscriber its messages (errors included) go
/// nowhere. This minimal one prints INFO and above the way the `mdbook` binary does, and counts
/// errors. (A hand-written subscriber instead of `tracing-subscriber`: ~40 lines vs. a dependency.)
struct Reporter {
    errors: Arc<AtomicUsize>,
}

impl Subscriber for Reporter {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::INFO
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::INFO)
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        let level = *event.metadata().level();
        if level == Level::ERROR {
            self.errors.fetch_add(1, Ordering::SeqCst);
        }
        if level <= Level::WARN {
            eprintln!("    mdbook {level}: {}", message.0);
        } else {
            println!("    mdbook: {}", message.0);
        }
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_targets_tell_anchors_from_line_ranges() {
        assert_eq!(include_target("include a.rs"), Some(("a.rs", None)));
        assert_eq!(include_target("include a.rs:3"), Some(("a.rs", None)));
        assert_eq!(include_target("include a.rs:3:9"), Some(("a.rs", None)));
        assert_eq!(include_target("include a.rs::9"), Some(("a.rs", None)));
        assert_eq!(
            include_target("rustdoc_include ../x/a.rs:main"),
            Some(("../x/a.rs", Some("main")))
        );
        assert_eq!(include_target("title Foo"), None);
    }

    #[test]
    fn escaped_links_are_not_links() {
        assert_eq!(
            links_in(r"a {{#include x.rs:a}} b \{{#include y.rs}} {{#title T}}"),
            vec!["include x.rs:a", "title T"]
        );
    }

    #[test]
    fn balanced_anchors_have_no_problems() {
        let file = "// ANCHOR: all\n// ANCHOR: inner\nx\n// ANCHOR_END: inner\n// ANCHOR_END: all\n\
                    // ANCHOR: other\n// ANCHOR_END: other\n";
        assert_eq!(anchor_problems(file), Vec::<String>::new());
    }

    #[test]
    fn unbalanced_and_duplicate_anchors_are_named_with_their_lines() {
        let file = "// ANCHOR: open\nx\n// ANCHOR_END: stray\n// ANCHOR: twice\n// ANCHOR_END: twice\n\
                    // ANCHOR: twice\n// ANCHOR_END: twice\n";
        let problems = anchor_problems(file);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0].starts_with("1: `ANCHOR: open` has no `ANCHOR_END: open`"),
            "{problems:#?}"
        );
        assert!(
            problems[1].starts_with("3: `ANCHOR_END: stray` without"),
            "{problems:#?}"
        );
        assert!(
            problems[2].starts_with("6: a second anchor `twice`"),
            "{problems:#?}"
        );

        let reopened = anchor_problems("// ANCHOR: a\n// ANCHOR: a\n// ANCHOR_END: a\n");
        assert!(
            reopened[0].starts_with("2: `ANCHOR: a` again"),
            "{reopened:#?}"
        );
    }

    #[test]
    fn anchors_are_found_like_mdbook_finds_them() {
        let file = "// ANCHOR: spawn\nfn f() {}\n// ANCHOR_END: spawn\n  // ANCHOR:  poll-loop x\n";
        assert!(has_anchor(file, "spawn"));
        assert!(has_anchor(file, "poll-loop"));
        assert!(!has_anchor(file, "spaw"));
        assert!(!has_anchor(file, "poll"));
    }
}
