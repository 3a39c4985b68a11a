//! The presenter view: every chapter's speaker notes on one page, generated from the chapter pages.
//!
//! Reads `book/src/SUMMARY.md`, visits its pages in order, and prints (as Markdown) each page's
//! title, its teaching-time line, and every `<details><summary>Speaker notes…</summary>` block,
//! under the heading of the section it sits in. The output is `book/src/generated/speaker-notes.md`,
//! which `book/src/instructor/speaker-notes.md` includes; `tests/book_output.rs` keeps it current
//! (`cargo xtask outputs` regenerates it).
//!
//! Usage: `cargo run -p intro --bin speaker_notes [BOOK_SRC_DIR]` (default: `book/src`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The page the generated file is included from, relative to `book/src`: links in the notes are
/// rewritten to work from there.
const INCLUDED_FROM_DIR: &str = "instructor";

/// One page's notes: its title, the teaching-time paragraph, and `(section, label, body)` blocks.
#[derive(Debug, PartialEq)]
struct PageNotes {
    page: String,
    title: String,
    teaching_time: Option<String>,
    blocks: Vec<(String, String, String)>,
}

/// Extracts the speaker notes of one page. `page` is its path relative to `book/src`, for
/// messages and links. An unclosed block or a notes block with an include is an error that names
/// the line: the presenter view would otherwise lose or garble notes silently.
fn extract(page: &str, text: &str) -> Result<PageNotes, String> {
    let mut title = String::new();
    let mut teaching_time: Option<String> = None;
    let mut section = String::new();
    let mut blocks = Vec::new();
    let mut fenced = false;
    let mut open: Option<(usize, String, Vec<&str>)> = None; // (line, label, body lines)
    let mut pending_details: Option<usize> = None;
    let mut in_time = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if let Some((_, _, body)) = &mut open {
            if trimmed == "</details>" {
                let (_, label, body) = open.take().unwrap();
                let body = body.join("\n").trim().to_owned();
                if body.contains("{{#") {
                    return Err(format!(
                        "{page}:{n}: a speaker-notes block contains an mdBook include; the presenter view \
                         copies notes as text, so keep includes out of the notes"
                    ));
                }
                blocks.push((section.clone(), label, body));
            } else if trimmed == "<details>" {
                return Err(format!(
                    "{page}:{n}: <details> inside a speaker-notes block"
                ));
            } else {
                body.push(line);
            }
            continue;
        }
        if trimmed.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        if in_time {
            match line.strip_prefix('>') {
                Some(more) => {
                    let t = teaching_time.as_mut().unwrap();
                    t.push(' ');
                    t.push_str(more.trim());
                    continue;
                }
                None => in_time = false,
            }
        }
        if let Some(t) = line.strip_prefix("# ").filter(|_| title.is_empty()) {
            title = t.trim().to_owned();
        } else if let Some(h) = line
            .strip_prefix("## ")
            .or_else(|| line.strip_prefix("### "))
        {
            section = h.trim().to_owned();
        } else if let Some(t) = line
            .strip_prefix("> **Teaching time:**")
            .filter(|_| teaching_time.is_none())
        {
            teaching_time = Some(t.trim().to_owned());
            in_time = true;
        } else if trimmed == "<details>" {
            pending_details = Some(n);
            continue;
        } else if let Some(at) =
            pending_details.or_else(|| trimmed.starts_with("<details>").then_some(n))
        {
            // `<summary>` on the line after `<details>`, or on the same line.
            let summary = trimmed.strip_prefix("<details>").unwrap_or(trimmed).trim();
            if let Some(label) = summary
                .strip_prefix("<summary>Speaker notes")
                .and_then(|l| l.strip_suffix("</summary>"))
            {
                let label = label.trim_start_matches(':').trim().to_owned();
                open = Some((at, label, Vec::new()));
            }
        }
        pending_details = None;
    }
    if let Some((at, _, _)) = open {
        return Err(format!(
            "{page}:{at}: a speaker-notes <details> block is never closed (no </details>)"
        ));
    }
    if title.is_empty() {
        return Err(format!("{page}: no `# ` title line"));
    }
    Ok(PageNotes {
        page: page.to_owned(),
        title,
        teaching_time,
        blocks,
    })
}

/// Rewrites the relative links of a page's Markdown so that they work from the page that
/// includes the generated file: `x.md` becomes `../x.md`, `#anchor` becomes `../page.md#anchor`.
fn relink(markdown: &str, page: &str) -> String {
    let up = "../".repeat(INCLUDED_FROM_DIR.split('/').count());
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(i) = rest.find("](") {
        out.push_str(&rest[..i + 2]);
        rest = &rest[i + 2..];
        if rest.starts_with('#') {
            out.push_str(&up);
            out.push_str(page);
        } else if !rest.split(')').next().unwrap_or("").contains(':') && !rest.starts_with('/') {
            let dir = Path::new(page)
                .parent()
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push_str(&up);
            if !dir.is_empty() {
                out.push_str(&dir);
                out.push('/');
            }
        }
    }
    out.push_str(rest);
    out
}

fn render(pages: &[PageNotes]) -> String {
    let up = "../".repeat(INCLUDED_FROM_DIR.split('/').count());
    // Every piece is "\n" + text + "\n": one blank line between any two.
    let mut out = String::from(
        "<!-- Generated by `cargo run -p intro --bin speaker_notes` from the chapter pages: do not edit.\n     \
         `cargo xtask outputs` regenerates it; `cargo test -p intro --test book_output` checks it. -->\n",
    );
    for p in pages.iter().filter(|p| !p.blocks.is_empty()) {
        let number = p.title.split('.').next().unwrap_or("");
        out.push_str(&format!("\n## [{}]({up}{})\n", p.title, p.page));
        if let Some(t) = &p.teaching_time {
            out.push_str(&format!("\n> **Teaching time:** {}\n", relink(t, &p.page)));
        }
        for (section, label, body) in &p.blocks {
            let section = if section.is_empty() {
                "Opening"
            } else {
                section.as_str()
            };
            let label = if label.is_empty() {
                String::new()
            } else {
                format!(" ({label})")
            };
            out.push_str(&format!("\n### {number}: {section}{label}\n"));
            out.push_str(&format!("\n{}\n", relink(body, &p.page)));
        }
    }
    out
}

/// The pages SUMMARY.md lists, in order, that exist (draft chapters have an empty link).
fn summary_pages(src: &Path) -> Result<Vec<String>, String> {
    let summary = src.join("SUMMARY.md");
    let text = std::fs::read_to_string(&summary)
        .map_err(|e| format!("cannot read {}: {e}", summary.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split("](").nth(1))
        .filter_map(|rest| rest.split(')').next())
        .filter(|link| link.ends_with(".md") && !link.starts_with(INCLUDED_FROM_DIR))
        .map(str::to_owned)
        .collect())
}

fn run(src: &Path) -> Result<String, String> {
    let mut pages = Vec::new();
    for page in summary_pages(src)? {
        let path = src.join(&page);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        pages.push(extract(&page, &text)?);
    }
    Ok(render(&pages))
}

fn main() -> ExitCode {
    let src = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("book/src"));
    match run(&src) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("speaker_notes: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# 3. The loop\n\n> **Teaching time:** 90 minutes,\n> in two parts.\n\nText.\n\n\
        <details>\n<summary>Speaker notes</summary>\n\n- one, see [Pin](ch02b-pin.md) and [below](#stage-2)\n</details>\n\n\
        ## Stage 2\n\n```text\n<details>\n```\n\n<details>\n<summary>A note on something else</summary>\n\nnot notes\n</details>\n\n\
        <details>\n<summary>Speaker notes: the usual wrong answers</summary>\n\n- two\n</details>\n";

    #[test]
    fn every_notes_block_in_order_under_its_section_and_nothing_else() {
        let notes = extract("ch03.md", PAGE).unwrap();
        assert_eq!(notes.title, "3. The loop");
        assert_eq!(
            notes.teaching_time.as_deref(),
            Some("90 minutes, in two parts.")
        );
        assert_eq!(
            notes.blocks,
            [
                (
                    "".into(),
                    "".into(),
                    "- one, see [Pin](ch02b-pin.md) and [below](#stage-2)".into()
                ),
                (
                    "Stage 2".into(),
                    "the usual wrong answers".into(),
                    "- two".into()
                ),
            ],
            "other <details> blocks and fenced code are not notes"
        );
        let page = render(&[notes]);
        assert!(page.contains("## [3. The loop](../ch03.md)"), "{page}");
        assert!(
            page.contains("[Pin](../ch02b-pin.md) and [below](../ch03.md#stage-2)"),
            "links must work from instructor/:\n{page}"
        );
        assert!(
            page.contains("### 3: Stage 2 (the usual wrong answers)\n\n- two"),
            "{page}"
        );
    }

    #[test]
    fn a_summary_on_the_details_line_is_found_too() {
        let notes = extract(
            "p.md",
            "# 1. P\n\n<details><summary>Speaker notes</summary>\n\n- inline\n</details>\n",
        )
        .unwrap();
        assert_eq!(notes.blocks, [("".into(), "".into(), "- inline".into())]);
    }

    #[test]
    fn an_unclosed_block_is_an_error_naming_its_line() {
        let err = extract(
            "ch09.md",
            "# 9. X\n\n<details>\n<summary>Speaker notes</summary>\n\n- lost\n",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "ch09.md:3: a speaker-notes <details> block is never closed (no </details>)"
        );
    }

    #[test]
    fn absolute_links_are_left_alone() {
        assert_eq!(
            relink("[a](https://x.org/y) [b](c.md)", "p.md"),
            "[a](https://x.org/y) [b](../c.md)"
        );
    }
}
