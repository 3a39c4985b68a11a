//! Makes the book's search box find Chinese terms (the glossary's 事件循环, 协程, 唤醒器, ...).
//!
//! mdBook 0.5.4 builds its search index with elasticlunr-rs and the English pipeline (trimmer,
//! stop words, stemmer). Its trimmer strips every character that is not an ASCII letter, digit or
//! `_` from both ends of a token, so Chinese text gets no index entries; in the browser,
//! elasticlunr.js trims the query the same way, so "事件循环" becomes an empty query. mdBook has
//! no setting for this, so after mdBook has written `searchindex-<hash>.js`, [`add_han_terms`]
//! rewrites that one file:
//!
//! 1. **The index.** The file is `window.search = Object.assign(window.search,
//!    JSON.parse('<index>'));`. The document store keeps each search document's text (one per page
//!    section: `title`, `body`, `breadcrumbs`), so for each document and field every maximal run
//!    of Han characters is added to that field's inverted index (elasticlunr's serialized trie:
//!    one node per character, `{"docs": {ref: {"tf": f}}, "df": n}`), with term frequency
//!    `sqrt(count)` as elasticlunr computes it. Besides the run itself go its substrings of 2..=4
//!    characters (most Chinese terms; an exact token also ranks best) and its suffixes: with
//!    mdBook's default `expand = true` a query matches every token it is a prefix of, so any
//!    substring of a run is found. Field lengths (`docInfo`) are left as mdBook counted them, so
//!    the scores of English terms do not change.
//! 2. **The query pipeline.** The index's `pipeline` labels say which registered functions
//!    elasticlunr.js runs on a query; `trimmer` becomes `trimmer-cjk`, a function that
//!    `cjk_search.js` registers at the top of the same file (so always before the index is
//!    loaded): elasticlunr's own trimmer for tokens without Han characters, one that keeps Han
//!    characters otherwise.
//!
//! Not covered: kana and hangul (the book has none), and a query that glues Han characters to
//! Latin ones without a space ("Future期物"), which is one token no index entry has.
//! The hashed file name is mdBook's hash of its own content; what is added here depends only on
//! that content, so the name still changes whenever the file does (for a given xtask).

use crate::Result;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What mdBook 0.5.4 writes around the JSON (`mdbook-html/src/html_handlebars/search.rs`).
const PREFIX: &str = "window.search = Object.assign(window.search, JSON.parse('";
const SUFFIX: &str = "'));";

/// Registers the `trimmer-cjk` pipeline function; prepended to the search index file.
pub const TRIMMER_JS: &str = include_str!("cjk_search.js");

/// The label of that function, put into the index's `pipeline` in place of `trimmer`.
pub const TRIMMER_LABEL: &str = "trimmer-cjk";

/// The Han (Chinese character) blocks: CJK Unified Ideographs, Extension A, Compatibility
/// Ideographs and Extensions B..G. The same ranges are in cjk_search.js.
const HAN_RANGES: &[(char, char)] = &[
    ('\u{3400}', '\u{4DBF}'),
    ('\u{4E00}', '\u{9FFF}'),
    ('\u{F900}', '\u{FAFF}'),
    ('\u{20000}', '\u{3134F}'),
];

/// The longest substring indexed from every position of a run (longer ones are found through
/// the suffixes with `expand`).
const MAX_SUBSTRING: usize = 4;

pub fn is_han(c: char) -> bool {
    HAN_RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// The index terms of `text` and how often each occurs: for every maximal run of Han
/// characters, the run, its suffixes and its substrings of 2..=4 characters (each occurrence
/// counted once even when it is, say, both a suffix and a 2-character substring).
pub fn han_terms(text: &str) -> BTreeMap<String, u32> {
    let mut terms = BTreeMap::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !is_han(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_han(chars[i]) {
            i += 1;
        }
        let run = &chars[start..i];
        let mut spans = std::collections::BTreeSet::new();
        for from in 0..run.len() {
            spans.insert((from, run.len()));
            for len in 2..=MAX_SUBSTRING {
                if from + len <= run.len() {
                    spans.insert((from, from + len));
                }
            }
        }
        for (from, to) in spans {
            *terms.entry(run[from..to].iter().collect()).or_insert(0) += 1;
        }
    }
    terms
}

/// The search index file mdBook wrote into `out`, if search is on.
pub fn index_file(out: &Path) -> Result<Option<PathBuf>> {
    let mut found = Vec::new();
    for entry in
        std::fs::read_dir(out).map_err(|e| format!("could not read {}: {e}", out.display()))?
    {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("searchindex") && name.ends_with(".js") {
            found.push(path);
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(format!(
            "more than one search index in {}: {found:?} (a stale build dir?)",
            out.display()
        )
        .into()),
    }
}

/// Reads the JSON mdBook serialized into the search index file (undoing its `\` and `'`
/// escaping); works on the file before and after [`add_han_terms`].
pub fn read_index(file: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("could not read the search index {}: {e}", file.display()))?;
    let text = text.strip_prefix(TRIMMER_JS).unwrap_or(&text);
    let literal = text
        .strip_prefix(PREFIX)
        .and_then(|t| t.trim_end().strip_suffix(SUFFIX))
        .ok_or_else(|| {
            format!(
                "{} is not in the form mdBook 0.5.4 writes (`{PREFIX}...{SUFFIX}`): has mdBook \
                 changed how it writes the search index? xtask/src/cjk_search.rs must follow",
                file.display()
            )
        })?;
    let mut json = String::with_capacity(literal.len());
    let mut chars = literal.chars();
    while let Some(c) = chars.next() {
        // mdBook escaped only `\` and `'`, so a backslash always escapes the next character.
        json.push(if c == '\\' {
            chars.next().unwrap_or('\\')
        } else {
            c
        });
    }
    serde_json::from_str(&json).map_err(|e| {
        format!(
            "the search index in {} is not valid JSON: {e}",
            file.display()
        )
        .into()
    })
}

/// Adds the Han terms of every search document to the index in `out` and switches the query
/// pipeline to `trimmer-cjk` (see the module docs). Does nothing when search is off.
pub fn add_han_terms(out: &Path) -> Result<()> {
    let Some(file) = index_file(out)? else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&file)?;
    if text.starts_with(TRIMMER_JS) {
        return Err(format!("{} already has the Chinese terms", file.display()).into());
    }
    let mut search = read_index(&file)?;
    let shape = |what: &str| {
        format!(
            "the search index in {} has no {what}: has mdBook changed its format? \
             xtask/src/cjk_search.rs must follow",
            file.display()
        )
    };
    let index = search
        .get_mut("index")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| shape("`index` object"))?;

    let pipeline = index
        .get_mut("pipeline")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| shape("`index.pipeline` list"))?;
    let trimmer = pipeline
        .iter_mut()
        .find(|label| *label == "trimmer")
        .ok_or_else(|| shape("`trimmer` in `index.pipeline`"))?;
    *trimmer = json!(TRIMMER_LABEL);

    let docs = index
        .get("documentStore")
        .and_then(|s| s.get("docs"))
        .and_then(Value::as_object)
        .ok_or_else(|| shape("`index.documentStore.docs` (mdBook stores each document's text)"))?
        .clone();
    let ref_field = index
        .get("ref")
        .and_then(Value::as_str)
        .unwrap_or("id")
        .to_string();
    let fields = index
        .get_mut("index")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| shape("`index.index` (the inverted index per field)"))?;
    for (doc_ref, doc) in &docs {
        let Some(doc) = doc.as_object() else { continue };
        for (field, value) in doc {
            let (Some(text), false) = (value.as_str(), *field == ref_field) else {
                continue;
            };
            let terms = han_terms(text);
            if terms.is_empty() {
                continue;
            }
            let root = fields
                .get_mut(field)
                .and_then(|f| f.get_mut("root"))
                .and_then(Value::as_object_mut)
                .ok_or_else(|| shape(&format!("inverted index for field `{field}`")))?;
            for (term, count) in terms {
                add_token(root, doc_ref, &term, f64::from(count).sqrt());
            }
        }
    }

    let json = serde_json::to_string(&search)?;
    let escaped = json.replace('\\', "\\\\").replace('\'', "\\'");
    std::fs::write(&file, format!("{TRIMMER_JS}{PREFIX}{escaped}{SUFFIX}"))
        .map_err(|e| format!("could not write {}: {e}", file.display()))?;
    Ok(())
}

/// elasticlunr's `InvertedIndex.addToken` on the serialized trie: one node per character, the
/// document and its term frequency at the token's last node, `df` counting the documents there.
fn add_token(root: &mut Map<String, Value>, doc_ref: &str, token: &str, tf: f64) {
    let mut node = root;
    for c in token.chars() {
        node = node
            .entry(c.to_string())
            .or_insert_with(|| json!({"docs": {}, "df": 0}))
            .as_object_mut()
            .expect("a trie node is an object");
    }
    let docs = node
        .entry("docs")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("`docs` is an object");
    let new = docs
        .insert(doc_ref.to_string(), json!({ "tf": tf }))
        .is_none();
    if new {
        let df = node.get("df").and_then(Value::as_i64).unwrap_or(0);
        node.insert("df".into(), json!(df + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_their_suffixes_and_short_substrings_are_terms() {
        let terms = han_terms("The 事件循环（event loop）and 协程.");
        let got: Vec<&str> = terms.keys().map(String::as_str).collect();
        let mut want = vec![
            "事件循环",
            "件循环",
            "循环",
            "环",
            "事件",
            "事件循",
            "件循",
            "协程",
            "程",
        ];
        want.sort();
        assert_eq!(got, want);
        assert!(terms.values().all(|&n| n == 1), "{terms:?}");
        assert!(han_terms("event loop, waker").is_empty());
    }

    #[test]
    fn each_occurrence_counts_once() {
        // "协程" is the run, a suffix and a 2-character substring: one occurrence per run.
        let terms = han_terms("协程 and 协程");
        assert_eq!(terms.get("协程"), Some(&2), "{terms:?}");
    }

    #[test]
    fn tokens_go_into_the_trie_like_elasticlunr_puts_them() {
        let mut root = Map::new();
        add_token(&mut root, "3", "协程", 1.0);
        add_token(&mut root, "5", "协程", 2f64.sqrt());
        add_token(&mut root, "5", "协程", 2f64.sqrt());
        let node = &root["协"]["程"];
        assert_eq!(node["df"], json!(2));
        assert_eq!(node["docs"]["3"]["tf"], json!(1.0));
        assert_eq!(root["协"]["df"], json!(0));
    }
}
