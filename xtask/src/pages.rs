//! `cargo xtask check-pages`: the built book opened in headless Chromium, page by page, as a
//! reader's browser opens it. For each page: the console messages (a script error, a resource
//! that failed to load), the images and SVGs whose file is missing; and for each chapter, that
//! the search box (`index.html?search=<term>`) finds the chapter by a word of its title.
//!
//! Chromium is driven by its command line only (`--dump-dom` for the page after its scripts ran,
//! `--enable-logging=stderr` for the console), so no DevTools-protocol client is needed. The
//! parsing is plain functions, tested without a browser.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The flags every headless run uses: no sandbox (containers), no GPU, and nothing that phones
/// home or syncs.
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--enable-logging=stderr",
    "--v=0",
];

/// The console messages in Chromium's log (`...:INFO:CONSOLE:12] "msg", source: url (12)`),
/// as `msg (source url:line)`. Chromium logs every console level the same way, so every
/// message is returned; a book page should log nothing.
pub fn console_messages(stderr: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in stderr.lines() {
        let Some(pos) = line.find(":CONSOLE") else {
            continue;
        };
        let Some(close) = line[pos..].find("] ") else {
            continue;
        };
        let rest = &line[pos + close + 2..];
        let (message, source) = match rest.rsplit_once(", source: ") {
            Some((m, s)) => (m, s),
            None => (rest, ""),
        };
        let message = message.trim().trim_matches('"');
        found.push(if source.is_empty() {
            message.to_string()
        } else {
            format!("{message} (at {source})")
        });
    }
    found
}

/// The `src` of every `<img>` and the `href`/`src` of every `<image>` (SVG) in a DOM dump.
pub fn image_sources(dom: &str) -> Vec<String> {
    let mut found = Vec::new();
    for tag in ["<img", "<image"] {
        let mut rest = dom;
        while let Some(pos) = rest.find(tag) {
            let after = &rest[pos + tag.len()..];
            rest = after;
            if !after.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
                continue;
            }
            let end = after.find('>').unwrap_or(after.len());
            let attrs = &after[..end];
            for name in [" src=\"", " href=\"", " xlink:href=\""] {
                if let Some(p) = attrs.find(name) {
                    let value = &attrs[p + name.len()..];
                    if let Some(q) = value.find('"') {
                        found.push(value[..q].replace("&amp;", "&"));
                    }
                }
            }
        }
    }
    found
}

/// The links inside mdBook's search results list (`<ul id="mdbook-searchresults">`).
pub fn search_result_links(dom: &str) -> Vec<String> {
    let Some(start) = dom.find("id=\"mdbook-searchresults\"") else {
        return Vec::new();
    };
    let list = &dom[start..];
    let list = &list[..list.find("</ul>").unwrap_or(list.len())];
    let mut links = Vec::new();
    let mut rest = list;
    while let Some(pos) = rest.find("href=\"") {
        rest = &rest[pos + 6..];
        if let Some(end) = rest.find('"') {
            links.push(rest[..end].replace("&amp;", "&"));
        }
    }
    links
}

/// The word of a chapter title to search for: its longest word of letters (lower-cased), which
/// is the most specific one (`1. Generators: functions that pause` -> `generators`).
pub fn search_term(title: &str) -> Option<String> {
    title
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .max_by_key(|w| w.chars().count())
        .map(str::to_lowercase)
}

/// Whether an image URL (relative to `page`, or absolute from the site root) names a file
/// under `out`. Data URLs and external images are taken as present.
pub fn image_exists(out: &Path, page: &Path, src: &str) -> bool {
    let lower = src.to_ascii_lowercase();
    if lower.starts_with("data:") || lower.starts_with("http:") || lower.starts_with("https:") {
        return true;
    }
    let path = src.split(['?', '#']).next().unwrap_or("");
    let file = if let Some(abs) = path.strip_prefix('/') {
        out.join(abs)
    } else {
        page.parent().unwrap_or(out).join(path)
    };
    file.is_file()
}

/// Whether a console message is mdBook's playground script failing to reach the Rust playground.
///
/// On a page with runnable blocks (`<pre class="playground">`), mdBook's `book.js` fetches the
/// playground's crate list from play.rust-lang.org when the page loads. A machine without
/// internet access (CI, the course's sandbox) gets "Failed to fetch" there; a reader online does
/// not. Such a message is reported as a note, not as a problem of the book.
pub fn is_offline_playground_fetch(message: &str, dom: &str) -> bool {
    message.contains("Failed to fetch")
        && message.contains("/book-")
        && dom.contains("class=\"playground\"")
}

/// One headless Chromium run: the DOM after scripts ran and the console messages.
pub struct Visit {
    pub dom: String,
    pub console: Vec<String>,
}

/// Opens `url` in headless Chromium (a fresh profile in `profile`) and lets its scripts run for
/// `budget_ms` of virtual time.
pub fn visit(chromium: &Path, profile: &Path, url: &str, budget_ms: u32) -> crate::Result<Visit> {
    let output = Command::new(chromium)
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .arg("--dump-dom")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("could not run {}: {e}", chromium.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} exited with {} on {url}:\n{}",
            chromium.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(Visit {
        dom: String::from_utf8_lossy(&output.stdout).into_owned(),
        console: console_messages(&String::from_utf8_lossy(&output.stderr)),
    })
}

/// Every page of the book to open: the HTML files under `out`, without the 404 page (it is only
/// shown for a missing page; its links are absolute to the published site).
pub fn pages(out: &Path) -> crate::Result<Vec<PathBuf>> {
    let mut pages = crate::book::files_with_extension(out, "html")?;
    pages.retain(|p| p.file_name().is_some_and(|n| n != "404.html"));
    pages.sort();
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_playground_fetch_on_a_page_with_runnable_blocks_is_an_offline_note() {
        let msg = "Uncaught (in promise) TypeError: Failed to fetch (at http://127.0.0.1:1/book-609e4cb8.js (40))";
        let with_blocks = r#"<pre class="playground"><code class="language-rust mdbook-runnable">"#;
        assert!(super::is_offline_playground_fetch(msg, with_blocks));
        assert!(!super::is_offline_playground_fetch(msg, "<pre><code>no runnable block</code></pre>"));
        assert!(!super::is_offline_playground_fetch(
            "Uncaught TypeError: x is undefined (at http://127.0.0.1:1/book-609e4cb8.js (40))",
            with_blocks
        ));
    }

    #[test]
    fn console_lines_are_read_from_chromium_logs() {
        let log = "[1:2:1123/045248.454343:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n\
                   [1:1:1123/045248.982076:INFO:CONSOLE:1] \"boom\", source: http://127.0.0.1:1/a.html (1)\n\
                   [1:1:1123/045248.982803:INFO:CONSOLE(7)] \"Uncaught ReferenceError: f is not defined\", source: http://x/b.js (7)\n";
        assert_eq!(
            console_messages(log),
            vec![
                "boom (at http://127.0.0.1:1/a.html (1))".to_string(),
                "Uncaught ReferenceError: f is not defined (at http://x/b.js (7))".to_string()
            ]
        );
    }

    #[test]
    fn images_and_svg_images_are_found() {
        let dom = r#"<p><img src="pics/loop.svg" alt="x"><imgx src="no.png"></p>
<svg><image href="a.png"/><image xlink:href="b&amp;c.png"></image></svg>"#;
        assert_eq!(
            image_sources(dom),
            vec!["pics/loop.svg", "a.png", "b&c.png"]
        );
    }

    #[test]
    fn search_results_are_read_from_the_results_list_only() {
        let dom = r#"<a href="nav.html">n</a><ul id="mdbook-searchresults"><li><a href="ch01-generators.html?highlight=gen#x" aria-details="t">Gen</a></li>
<li><a href="ch02-futures.html?highlight=gen#">F</a></li></ul><a href="after.html">"#;
        assert_eq!(
            search_result_links(dom),
            vec![
                "ch01-generators.html?highlight=gen#x",
                "ch02-futures.html?highlight=gen#"
            ]
        );
        assert!(search_result_links("<ul id=\"other\"></ul>").is_empty());
    }

    #[test]
    fn the_search_term_is_the_longest_word_of_the_title() {
        assert_eq!(
            search_term("1. Generators: functions that pause").as_deref(),
            Some("generators")
        );
        assert_eq!(search_term("7. Tokio").as_deref(), Some("tokio"));
        assert_eq!(
            search_term("C. Glossary / 术语表").as_deref(),
            Some("glossary")
        );
        assert_eq!(search_term("1. 2."), None);
    }

    #[test]
    fn images_are_looked_up_relative_to_their_page() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR"));
        let page = out.join("src/lib.rs");
        assert!(image_exists(out, &page, "main.rs"));
        assert!(image_exists(out, &page, "/Cargo.toml?x"));
        assert!(!image_exists(out, &page, "missing.svg"));
        assert!(image_exists(out, &page, "data:image/png;base64,xx"));
    }
}
