//! Builds the real book (as `cargo xtask book` does, into a directory under target/) and checks
//! what a reader gets; then checks that a broken include, a broken link or a missing `#anchor`
//! is a hard error, not a warning, and that the published book links to its repository.

use serde_json::Value;
use std::path::{Path, PathBuf};
use xtask::book::{LINK_MARKERS, RepoLinks, build, build_with, files_with_extension};
use xtask::cjk_search::{TRIMMER_JS, TRIMMER_LABEL, index_file, read_index};

/// A fresh directory under target/ (`CARGO_TARGET_TMPDIR`, cargo's place for test scratch).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("xtask-book")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The HTML file each linked page of SUMMARY.md becomes (`README.md` becomes `index.html`);
/// draft chapters (`[Title]()`) have none.
fn pages_in_summary(summary: &str) -> Vec<String> {
    summary
        .lines()
        .filter_map(|line| {
            let link = line.split_once("](")?.1;
            let link = &link[..link.find(')')?];
            let link = link.strip_suffix(".md")?;
            let html = match link.strip_suffix("README") {
                Some(dir) => format!("{dir}index.html"),
                None => format!("{link}.html"),
            };
            Some(html)
        })
        .collect()
}

#[test]
fn the_book_builds_with_search_every_page_and_every_include() {
    let book_dir = xtask::workspace_root().join("book");
    let out = build(&book_dir, Some(&scratch("html")))
        .unwrap_or_else(|e| panic!("the book does not build: {e}"));

    // The search index: mdBook 0.5 writes searchindex-<hash>.js (file names are hashed).
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("searchindex") && (n.ends_with(".js") || n.ends_with(".json"))),
        "no search index in {}: {names:?}",
        out.display()
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains("id=\"mdbook-search-toggle\"") && index.contains("searchindex"),
        "index.html has no search button or does not load the search index"
    );

    // The glossary's Chinese terms are in the search index, for the glossary page.
    let search = search_index(&out);
    for term in ["事件循环", "协程", "唤醒器", "循环"] {
        let pages = pages_with(&search, "body", term);
        assert!(
            pages
                .iter()
                .any(|p| p.starts_with("appendix-glossary.html")),
            "searching for {term} does not find the glossary (pages: {pages:?})"
        );
    }

    // Every page SUMMARY.md links to is rendered.
    let summary = std::fs::read_to_string(book_dir.join("src/SUMMARY.md")).unwrap();
    let pages = pages_in_summary(&summary);
    assert!(pages.contains(&"index.html".to_string()), "{pages:?}");
    assert!(pages.contains(&"ch00-intro.html".to_string()), "{pages:?}");
    for page in &pages {
        assert!(
            out.join(page).is_file(),
            "SUMMARY.md lists a page, but {page} was not rendered"
        );
    }

    // No include is left unexpanded anywhere, print.html included.
    let html = files_with_extension(&out, "html").unwrap();
    assert!(html.len() > pages.len(), "too few HTML files: {html:?}");
    for file in html {
        let text = std::fs::read_to_string(&file).unwrap();
        for marker in LINK_MARKERS {
            assert!(
                !text.contains(marker),
                "{} still has `{marker}`",
                file.display()
            );
        }
    }
}

/// A minimal book in `dir` whose one page includes `include` from `code.rs`.
fn tiny_book(dir: &Path, include: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::copy(
        xtask::workspace_root().join("book/book.toml"),
        dir.join("book.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("src/SUMMARY.md"),
        "# Summary\n\n- [Page](page.md)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/code.rs"),
        "// ANCHOR: here\nfn included_line() {}\n// ANCHOR_END: here\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/page.md"),
        format!("# Page\n\n```rust\n{{{{#include {include}}}}}\n```\n"),
    )
    .unwrap();
}

#[test]
fn a_wrong_include_path_or_anchor_fails_the_build() {
    let good = scratch("good");
    tiny_book(&good, "code.rs:here");
    let out = build(&good, Some(&good.join("html"))).expect("a correct include builds");
    let page = std::fs::read_to_string(out.join("page.html")).unwrap();
    assert!(page.contains("included_line"), "{page}");

    let no_file = scratch("no-file");
    tiny_book(&no_file, "nope.rs:here");
    let err = build(&no_file, Some(&no_file.join("html")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no file") && err.contains("nope.rs"), "{err}");

    let no_anchor = scratch("no-anchor");
    tiny_book(&no_anchor, "code.rs:there");
    let err = build(&no_anchor, Some(&no_anchor.join("html")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("ANCHOR: there"), "{err}");

    let missing_page = scratch("missing-page");
    tiny_book(&missing_page, "code.rs");
    std::fs::remove_file(missing_page.join("src/page.md")).unwrap();
    let err = build(&missing_page, Some(&missing_page.join("html")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("could not load the book"), "{err}");
}

#[test]
fn an_unbalanced_anchor_fails_the_build_naming_file_and_anchor() {
    // The included anchor exists, but its ANCHOR_END was deleted: mdBook would include the rest
    // of the file without a word.
    let no_end = scratch("no-anchor-end");
    tiny_book(&no_end, "code.rs:here");
    std::fs::write(
        no_end.join("src/code.rs"),
        "// ANCHOR: here\nfn included_line() {}\nfn not_meant_for_the_book() {}\n",
    )
    .unwrap();
    let err = build(&no_end, Some(&no_end.join("html")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("code.rs:1: `ANCHOR: here` has no `ANCHOR_END: here`"),
        "the error must name the file, the line and the anchor: {err}"
    );

    // A file included whole is checked too: a stray ANCHOR_END is a region someone lost.
    let stray_end = scratch("stray-anchor-end");
    tiny_book(&stray_end, "code.rs");
    std::fs::write(
        stray_end.join("src/code.rs"),
        "fn included_line() {}\n// ANCHOR_END: gone\n",
    )
    .unwrap();
    let err = build(&stray_end, Some(&stray_end.join("html")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("code.rs:2: `ANCHOR_END: gone` without an open `ANCHOR: gone`"),
        "{err}"
    );
}

/// The search index JSON of the book built into `out`.
fn search_index(out: &Path) -> Value {
    let file = index_file(out)
        .unwrap()
        .unwrap_or_else(|| panic!("no search index in {}", out.display()));
    read_index(&file).unwrap()
}

/// The URLs of the search documents (page sections) whose `field` has the index term `term`,
/// read from elasticlunr's serialized trie (one node per character) as elasticlunr.js reads it.
fn pages_with(search: &Value, field: &str, term: &str) -> Vec<String> {
    let mut node = &search["index"]["index"][field]["root"];
    for c in term.chars() {
        node = &node[c.to_string().as_str()];
    }
    let Some(docs) = node["docs"].as_object() else {
        return Vec::new();
    };
    docs.keys()
        .map(|r| {
            search["doc_urls"][r.parse::<usize>().unwrap()]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn chinese_terms_are_in_the_search_index_for_their_section_and_english_is_unchanged() {
    let dir = scratch("chinese-search");
    tiny_book(&dir, "code.rs:here");
    std::fs::write(
        dir.join("src/SUMMARY.md"),
        "# Summary\n\n- [Page](page.md)\n- [Loop](loop.md)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/loop.md"),
        "# Loop\n\nAn English intro about the waker.\n\n## The event loop / 事件循环\n\n\
         A scheduler（调度器：事件循环的核心）runs callbacks.\n",
    )
    .unwrap();
    let out = build(&dir, Some(&dir.join("html"))).expect("the fixture book builds");
    let search = search_index(&out);

    // The whole term, in the heading of its section (the `title` field) and in the body.
    assert_eq!(
        pages_with(&search, "title", "事件循环"),
        ["loop.html#the-event-loop--事件循环"],
        "the section titled with 事件循环 must be found by it"
    );
    assert_eq!(
        pages_with(&search, "body", "调度器"),
        ["loop.html#the-event-loop--事件循环"],
        "a Chinese word in a section's text must be indexed for that section only"
    );
    // A part of a longer run (调度器事件循环的核心), so that a partial term matches.
    assert_eq!(
        pages_with(&search, "body", "事件循环"),
        ["loop.html#the-event-loop--事件循环"]
    );
    assert!(pages_with(&search, "body", "循环").len() == 1);
    // Punctuation is not part of a term.
    assert!(pages_with(&search, "body", "（调度器").is_empty());

    // English is indexed as mdBook indexes it, in its own section.
    assert_eq!(pages_with(&search, "body", "waker"), ["loop.html#loop"]);
    assert_eq!(pages_with(&search, "body", "event"), Vec::<String>::new());
    assert_eq!(
        pages_with(&search, "title", "event"),
        ["loop.html#the-event-loop--事件循环"]
    );
    assert_eq!(
        pages_with(&search, "body", "callback"),
        ["loop.html#the-event-loop--事件循环"],
        "English words are stemmed (callbacks -> callback) as before"
    );

    // The query pipeline keeps Han characters: its trimmer is the one the file registers first.
    assert_eq!(
        search["index"]["pipeline"],
        serde_json::json!([TRIMMER_LABEL, "stopWordFilter", "stemmer"])
    );
    let file = index_file(&out).unwrap().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with(TRIMMER_JS) && TRIMMER_JS.contains(&format!("'{TRIMMER_LABEL}'")),
        "{} must register {TRIMMER_LABEL} before it hands the index to elasticlunr",
        file.display()
    );
}

/// The fixture book with a second page `other.md` whose text is `other`.
fn book_with_link(dir: &Path, other: &str) {
    tiny_book(dir, "code.rs:here");
    std::fs::write(
        dir.join("src/SUMMARY.md"),
        "# Summary\n\n- [Page](page.md)\n- [Other](other.md)\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/other.md"), format!("# Other\n\n{other}\n")).unwrap();
}

#[test]
fn every_internal_link_and_anchor_must_resolve() {
    // Links that resolve: a page, a heading's anchor on another page and on this one, the top.
    let good = scratch("links-good");
    book_with_link(
        &good,
        "[page](page.md), [its heading](page.md#page), [here](#other), [ext](https://example.org/x#y)",
    );
    build(&good, Some(&good.join("html"))).expect("a book whose links resolve builds");

    let no_page = scratch("links-no-page");
    book_with_link(&no_page, "See [the missing chapter](missing.md).");
    let err = build(&no_page, Some(&no_page.join("html")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("other.html: href=\"missing.html\": no file missing.html"),
        "a link to a page that does not exist must fail the build, naming the page, the link \
         and the missing file: {err}"
    );

    let no_anchor = scratch("links-no-anchor");
    book_with_link(&no_anchor, "See [the heading](page.md#no-such-heading).");
    let err = build(&no_anchor, Some(&no_anchor.join("html")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "other.html: href=\"page.html#no-such-heading\": page.html has no id=\"no-such-heading\""
        ),
        "a link to an anchor the target page lacks must fail the build, naming the page, the \
         link and the missing id: {err}"
    );

    let no_local_anchor = scratch("links-no-local-anchor");
    book_with_link(&no_local_anchor, "See [below](#nowhere).");
    let err = build(&no_local_anchor, Some(&no_local_anchor.join("html")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("other.html: href=\"#nowhere\": other.html has no id=\"nowhere\""),
        "{err}"
    );

    let no_image = scratch("links-no-image");
    book_with_link(&no_image, "![a picture](pictures/gone.svg)");
    let err = build(&no_image, Some(&no_image.join("html")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("other.html: src=\"pictures/gone.svg\": no file pictures/gone.svg"),
        "{err}"
    );
}

#[test]
fn the_published_book_links_to_its_repository_and_offers_an_edit_on_every_page() {
    let vars = |name: &str| match name {
        "GITHUB_REPOSITORY" => Some("someone/async-course".to_string()),
        "GITHUB_SERVER_URL" => Some("https://github.com".to_string()),
        "GITHUB_REF" => Some("refs/heads/main".to_string()),
        _ => None,
    };
    let repo = RepoLinks::from_vars(vars).expect("GITHUB_REPOSITORY is set");
    assert_eq!(
        repo.repository_url,
        "https://github.com/someone/async-course"
    );
    assert_eq!(
        repo.edit_url_template,
        "https://github.com/someone/async-course/edit/main/book/{path}"
    );

    let dir = scratch("edit-links");
    book_with_link(&dir, "Text.");
    let out = build_with(&dir, Some(&dir.join("html")), Some(&repo)).unwrap();
    for (page, source) in [("page.html", "page.md"), ("other.html", "other.md")] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        let edit = format!("https://github.com/someone/async-course/edit/main/book/src/{source}");
        assert!(
            html.contains(&edit),
            "{page} has no \"suggest an edit\" link to {edit}"
        );
        assert!(
            html.contains("href=\"https://github.com/someone/async-course\""),
            "{page} has no link to the repository"
        );
    }

    // Locally (no GITHUB_REPOSITORY) the book links nowhere.
    assert_eq!(RepoLinks::from_vars(|_| None), None);
    let local = scratch("edit-links-local");
    book_with_link(&local, "Text.");
    let out = build_with(&local, Some(&local.join("html")), None).unwrap();
    let html = std::fs::read_to_string(out.join("page.html")).unwrap();
    assert!(
        !html.contains("/edit/"),
        "a local build must not invent an edit link"
    );

    // A pull request's ref is not a branch: edits go to main.
    let pr = RepoLinks::from_vars(|name| match name {
        "GITHUB_REPOSITORY" => Some("a/b".into()),
        "GITHUB_REF" => Some("refs/pull/7/merge".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(
        pr.edit_url_template,
        "https://github.com/a/b/edit/main/book/{path}"
    );
}
