//! The built book, checked as a reader clicks through it: every internal link names a file that
//! exists, every `#anchor` names an `id` (or `<a name>`) in its target page, and every page has a
//! non-empty `<title>` and a heading. External links (`http:`, `https:`, `mailto:`, ...) are not
//! followed.
//!
//! mdBook writes regular HTML with double-quoted attributes, so a small attribute scanner is
//! enough; no HTML parser is needed.

use crate::Result;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// mdBook's own chrome, not a page: `toc.html` is the sidebar (in a frame) for readers without
/// JavaScript; it has neither a title nor a heading. Its links are checked.
const NOT_A_PAGE: &[&str] = &["toc.html"];

/// Every broken link, missing anchor and untitled page in the HTML under `out`, one line each:
/// `page: link: what is missing`.
pub fn check(out: &Path) -> Result<Vec<String>> {
    let files = crate::book::files_with_extension(out, "html")?;
    let mut pages: BTreeMap<PathBuf, String> = BTreeMap::new();
    for file in &files {
        pages.insert(file.clone(), std::fs::read_to_string(file)?);
    }
    let mut ids: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (file, html) in &pages {
        let shown = file.strip_prefix(out).unwrap_or(file).display().to_string();
        if !NOT_A_PAGE.contains(&shown.as_str()) {
            problems.extend(
                title_problems(html, true)
                    .into_iter()
                    .map(|p| format!("{shown}: {p}")),
            );
        }
        for (attr, link) in links(html) {
            let Some(target) = internal_target(&link) else {
                continue;
            };
            let (path, fragment) = target;
            let dest = if path.is_empty() {
                file.clone()
            } else if let Some(abs) = path.strip_prefix('/') {
                normalize(&out.join(abs))
            } else {
                normalize(&file.parent().unwrap_or(out).join(&path))
            };
            let dest = if dest.is_dir() {
                dest.join("index.html")
            } else {
                dest
            };
            if !dest.is_file() {
                problems.push(format!(
                    "{shown}: {attr}=\"{link}\": no file {}",
                    dest.strip_prefix(out).unwrap_or(&dest).display()
                ));
                continue;
            }
            let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
                continue;
            };
            let Some(target_html) = pages.get(&dest) else {
                continue; // an anchor into a non-HTML file (an SVG's element): not checked
            };
            let target_ids = ids
                .entry(dest.clone())
                .or_insert_with(|| anchors(target_html));
            let fragment = percent_decode(&fragment);
            if !target_ids.contains(&fragment) {
                problems.push(format!(
                    "{shown}: {attr}=\"{link}\": {} has no id=\"{fragment}\"",
                    dest.strip_prefix(out).unwrap_or(&dest).display()
                ));
            }
        }
    }
    Ok(problems)
}

/// The page has a non-empty `<title>` and (unless exempt) an `<h1>` with text.
pub fn title_problems(html: &str, needs_heading: bool) -> Vec<String> {
    let mut problems = Vec::new();
    match element_text(html, "title") {
        Some(t) if !t.trim().is_empty() => {}
        _ => problems.push("no <title>, or an empty one".to_string()),
    }
    if needs_heading {
        match element_text(html, "h1") {
            Some(t) if !strip_tags(&t).trim().is_empty() => {}
            _ => problems.push("no <h1> heading, or an empty one".to_string()),
        }
    }
    problems
}

/// The raw inner HTML of the first `<tag ...>...</tag>`.
fn element_text(html: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}");
    let mut from = 0;
    while let Some(pos) = html[from..].find(&open) {
        let start = from + pos;
        let after = &html[start + open.len()..];
        // `<title>` or `<h1 id=...>`, not `<h10` or `<titles`.
        if after.starts_with('>') || after.starts_with(char::is_whitespace) {
            let body_start = start + open.len() + after.find('>')? + 1;
            let end = html[body_start..].find(&format!("</{tag}>"))?;
            return Some(html[body_start..body_start + end].to_string());
        }
        from = start + open.len();
    }
    None
}

/// The text of an HTML fragment: every `<...>` tag removed (entities are left as they are).
pub fn strip_tags(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// Every `href="..."` and `src="..."` value in the HTML, with the attribute's name.
pub fn links(html: &str) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    for attr in ["href", "src"] {
        for value in attribute_values(html, attr) {
            found.push((attr, unescape(&value)));
        }
    }
    found
}

/// Every `id` and `<a name>` in the page: what a `#fragment` can name.
pub fn anchors(html: &str) -> BTreeSet<String> {
    attribute_values(html, "id")
        .into_iter()
        .chain(attribute_values(html, "name"))
        .map(|v| unescape(&v))
        .collect()
}

/// The values of ` attr="..."` (or `'...'`) occurrences, outside `<script>` and `<style>` text.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let html = without_scripts(html);
    let mut values = Vec::new();
    let needle = format!("{attr}=");
    let mut from = 0;
    while let Some(pos) = html[from..].find(&needle) {
        let start = from + pos;
        from = start + needle.len();
        // An attribute follows whitespace inside a tag (` href=`, not `data-href=`).
        if !html[..start].ends_with(|c: char| c.is_whitespace()) {
            continue;
        }
        let rest = &html[from..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(end) = rest[1..].find(quote) {
            values.push(rest[1..1 + end].to_string());
        }
    }
    values
}

/// The HTML with the text of `<script>`, `<style>`, `<code>`/`<pre>` blocks blanked out, so code
/// that shows `href="x"` is not taken for a link.
fn without_scripts(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    loop {
        let next = ["<script", "<style", "<pre"]
            .iter()
            .filter_map(|open| rest.find(open).map(|p| (p, *open)))
            .min();
        let Some((pos, open)) = next else {
            out.push_str(rest);
            return out;
        };
        let close = format!("</{}>", &open[1..]);
        // Keep the opening tag itself (its attributes are real).
        let tag_end = rest[pos..].find('>').map_or(rest.len(), |e| pos + e + 1);
        out.push_str(&rest[..tag_end]);
        match rest[tag_end..].find(&close) {
            Some(end) => rest = &rest[tag_end + end..],
            None => return out,
        }
    }
}

/// `(path, fragment)` of a link into the site; None for external links and non-links.
fn internal_target(link: &str) -> Option<(String, Option<String>)> {
    let link = link.trim();
    let lower = link.to_ascii_lowercase();
    if link.is_empty()
        || link.starts_with("//")
        || [
            "http:",
            "https:",
            "mailto:",
            "javascript:",
            "data:",
            "tel:",
            "ftp:",
        ]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        return None;
    }
    let (before_fragment, fragment) = match link.split_once('#') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (link, None),
    };
    let path = before_fragment.split('?').next().unwrap_or("");
    Some((percent_decode(path), fragment))
}

/// `a/./b/../c` -> `a/c`, without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_anchors_are_found_outside_code_and_scripts() {
        let html = r##"<a href="a.html#x">a</a> <img src='pic.svg'> <h2 id="x">X</h2>
<a name="old"></a><pre><code>let s = " href="not-a-link.html"";</code></pre>
<script>var t = ' href="js.html"';</script><div data-href="nope.html"></div>"##;
        assert_eq!(
            links(html),
            vec![
                ("href", "a.html#x".to_string()),
                ("src", "pic.svg".to_string())
            ]
        );
        let ids = anchors(html);
        assert!(ids.contains("x") && ids.contains("old"), "{ids:?}");
    }

    #[test]
    fn external_links_are_not_followed_and_internal_ones_are_split() {
        assert_eq!(internal_target("https://docs.rs/x#y"), None);
        assert_eq!(internal_target("mailto:a@b"), None);
        assert_eq!(internal_target("//cdn.example/x.js"), None);
        assert_eq!(
            internal_target("ch01.html?search=x#a%20b"),
            Some(("ch01.html".into(), Some("a%20b".into())))
        );
        assert_eq!(
            internal_target("#top"),
            Some(("".into(), Some("top".into())))
        );
        assert_eq!(percent_decode("a%20b%E4%BA%8B"), "a b事");
    }

    #[test]
    fn titles_and_headings() {
        let ok = "<title>Ch 1 - Book</title><main><h1 id=\"x\"><a href=\"#x\">Ch 1</a></h1></main>";
        assert!(title_problems(ok, true).is_empty());
        let bad = "<title> </title><main><h1 id=\"x\"><a href=\"#x\"></a></h1></main>";
        assert_eq!(
            title_problems(bad, true).len(),
            2,
            "{:?}",
            title_problems(bad, true)
        );
        assert_eq!(
            title_problems("<title>T</title>", false),
            Vec::<String>::new()
        );
        assert_eq!(
            title_problems("<title>T</title><h10>x</h10>", true).len(),
            1
        );
    }
}
