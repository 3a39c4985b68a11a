//! "Predict the order" exercises: compare the learner's predicted output order with the order a
//! program really printed, and explain the first difference.
//!
//! A predict test runs a short program (on the virtual clock, under the watchdog) that records
//! each line it prints into a [`Printed`] log, then calls [`check`] with the learner's
//! `PREDICTION`, the actual lines, and a table saying which scheduling rule places each line.
//! On a wrong prediction the test fails with both orders side by side, a marker at the first
//! difference, and the rule of the line that really comes there (and of the line the learner
//! put there, when it is a different rule).

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// The lines a program printed, in order. Cloning shares the log, so every task and callback of
/// the program can hold one; it is `Send`, so the log can leave the watchdog's thread.
#[derive(Clone, Default, Debug)]
pub struct Printed {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Printed {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one printed line.
    pub fn say(&self, line: &str) {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).push(line.to_string());
    }

    /// Every line recorded so far, in order.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Fails with a `todo!()` message while the learner has not predicted anything yet, so the
/// untouched stub fails fast with "not yet implemented".
#[track_caller]
pub fn require_prediction(prediction: &[&str], file: &str) {
    if prediction.is_empty() {
        todo!(
            "predict: fill in PREDICTION in {file}: the lines the program prints, in the order \
             you expect, one string per line"
        );
    }
}

/// Compares `prediction` with `actual` and panics with a side-by-side report if they differ.
///
/// `rules` maps every line the program can print to the rule that places it (one sentence,
/// written for the learner). `file` is the learner's file, named in the messages.
///
/// With the environment variable `COURSE_PREDICT_SHOW` set, it also prints the real order with
/// the rule of every line (run with `-- --nocapture`): the instructor's answer key, with reasons.
#[track_caller]
pub fn check(prediction: &[&str], actual: &[String], rules: &[(&str, &str)], file: &str) {
    if std::env::var_os("COURSE_PREDICT_SHOW").is_some() {
        println!("{}", answer_key(actual, rules));
    }
    if let Err(report) = compare(prediction, actual, rules, file) {
        panic!("{report}");
    }
}

/// [`check`] without the panic: `Err` holds the report a learner would read.
pub fn compare(
    prediction: &[&str],
    actual: &[String],
    rules: &[(&str, &str)],
    file: &str,
) -> Result<(), String> {
    let rule_of = |line: &str| rules.iter().find(|(l, _)| *l == line).map(|(_, r)| *r);
    for line in actual {
        assert!(
            rule_of(line).is_some(),
            "course bug: the program printed {line:?}, which has no rule in the predict test's table"
        );
    }
    let known: BTreeSet<&str> = actual.iter().map(String::as_str).collect();

    // Lines the program never prints, and lines predicted twice: say so before any diff.
    let unknown: Vec<&str> = prediction.iter().copied().filter(|p| !known.contains(p)).collect();
    if !unknown.is_empty() {
        let mut msg = format!(
            "Predict the order: PREDICTION in {file} has {} line(s) the program never prints:\n",
            unknown.len()
        );
        for line in &unknown {
            let _ = writeln!(msg, "    {line:?}");
        }
        msg.push_str("The program prints exactly these lines (here sorted alphabetically, not in order):\n");
        for line in &known {
            let _ = writeln!(msg, "    {line:?}");
        }
        msg.push_str("Copy each line exactly (spaces and punctuation count).");
        return Err(msg);
    }
    let mut seen = HashSet::new();
    let twice: Vec<&str> = prediction.iter().copied().filter(|p| !seen.insert(*p)).collect();
    if !twice.is_empty() {
        return Err(format!(
            "Predict the order: PREDICTION in {file} lists {twice:?} more than once; the program \
             prints each line once."
        ));
    }

    if prediction.len() == actual.len() && prediction.iter().zip(actual).all(|(p, a)| *p == a.as_str()) {
        return Ok(());
    }

    let first = (0..prediction.len().max(actual.len()))
        .find(|&i| prediction.get(i).copied() != actual.get(i).map(String::as_str))
        .expect("the two orders differ somewhere");

    let width = prediction.iter().map(|l| l.len()).max().unwrap_or(0).max("your prediction".len());
    let mut msg = format!(
        "Predict the order: your prediction differs from what the program printed at line {}.\n\n",
        first + 1
    );
    let _ = writeln!(msg, "     #  {:<width$}  |  {}", "your prediction", "actual");
    let _ = writeln!(msg, "    --  {:-<width$}--+--{:-<w2$}", "", "", w2 = "actual".len().max(20));
    for i in 0..prediction.len().max(actual.len()) {
        let p = prediction.get(i).copied().unwrap_or("(missing)");
        let a = actual.get(i).map(String::as_str).unwrap_or("(nothing more)");
        let marker = if i == first {
            "=>"
        } else if p != a {
            " ~"
        } else {
            "  "
        };
        let _ = writeln!(msg, "  {marker}{:>2}  {p:<width$}  |  {a}", i + 1);
    }
    let right = prediction.iter().zip(actual).filter(|(p, a)| **p == a.as_str()).count();
    let _ = writeln!(msg, "\n{right} of {} lines are in the right place.\n", actual.len());

    match (actual.get(first), prediction.get(first)) {
        (Some(real), predicted) => {
            let real_rule = rule_of(real).expect("checked above");
            let _ = writeln!(msg, "Why {real:?} comes at line {}:\n{}", first + 1, wrap(real_rule));
            if let Some(predicted) = predicted {
                let at = actual.iter().position(|a| a == predicted).expect("known line");
                let its_rule = rule_of(predicted).expect("checked above");
                if its_rule != real_rule {
                    let _ = writeln!(
                        msg,
                        "Why {predicted:?} (your line {}) really comes at line {}:\n{}",
                        first + 1,
                        at + 1,
                        wrap(its_rule)
                    );
                }
            }
        }
        (None, _) => {
            let _ = writeln!(msg, "The program printed only {} lines.", actual.len());
        }
    }
    if prediction.len() < actual.len() {
        let _ = writeln!(
            msg,
            "Your prediction has {} line(s); the program prints {}: every printed line belongs in it.",
            prediction.len(),
            actual.len()
        );
    }
    let _ = write!(msg, "Edit PREDICTION in {file} and run the test again.");
    Err(msg)
}

/// The real order, numbered, each line with the rule that places it.
pub fn answer_key(actual: &[String], rules: &[(&str, &str)]) -> String {
    let mut out = String::from("The real order, and the rule behind each line:\n");
    for (i, line) in actual.iter().enumerate() {
        let rule = rules.iter().find(|(l, _)| l == line).map_or("(no rule given)", |(_, r)| *r);
        let _ = writeln!(out, "{:>3}. {line}\n{}", i + 1, wrap(rule));
    }
    out
}

/// Indents `text` by four spaces and wraps it at about 96 columns, for the terminal.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("    ");
    for word in text.split_whitespace() {
        if line.len() > 4 && line.len() + 1 + word.len() > 96 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("    ");
        }
        if line.len() > 4 {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[(&str, &str)] = &[
        ("a", "rule A"),
        ("b", "rule B"),
        ("c", "rule C"),
    ];

    fn actual() -> Vec<String> {
        ["a", "b", "c"].map(String::from).to_vec()
    }

    #[test]
    fn a_right_prediction_passes() {
        assert_eq!(compare(&["a", "b", "c"], &actual(), RULES, "f.rs"), Ok(()));
    }

    #[test]
    fn a_wrong_prediction_marks_the_first_difference_and_names_both_rules() {
        let report = compare(&["a", "c", "b"], &actual(), RULES, "f.rs").unwrap_err();
        assert!(report.contains("at line 2"), "{report}");
        assert!(report.contains("=> 2  c"), "the marker sits on line 2:\n{report}");
        assert!(report.contains("Why \"b\" comes at line 2:\n    rule B"), "{report}");
        assert!(report.contains("Why \"c\" (your line 2) really comes at line 3:\n    rule C"), "{report}");
    }

    #[test]
    fn an_unknown_line_is_reported_with_the_lines_the_program_prints() {
        let report = compare(&["a", "x"], &actual(), RULES, "f.rs").unwrap_err();
        assert!(report.contains("\"x\""), "{report}");
        assert!(report.contains("never prints"), "{report}");
        assert!(report.contains("    \"c\""), "lists the known lines:\n{report}");
    }

    #[test]
    fn a_short_prediction_says_lines_are_missing() {
        let report = compare(&["a", "b"], &actual(), RULES, "f.rs").unwrap_err();
        assert!(report.contains("(missing)"), "{report}");
        assert!(report.contains("has 2 line(s); the program prints 3"), "{report}");
    }

    #[test]
    fn the_answer_key_lists_every_line_with_its_rule() {
        let key = answer_key(&actual(), RULES);
        assert!(key.contains("  1. a\n    rule A\n  2. b\n    rule B"), "{key}");
    }

    #[test]
    fn a_repeated_line_is_reported() {
        let report = compare(&["a", "a", "b"], &actual(), RULES, "f.rs").unwrap_err();
        assert!(report.contains("more than once"), "{report}");
    }

    #[test]
    #[should_panic(expected = "not yet implemented: predict: fill in PREDICTION in f.rs")]
    fn an_empty_prediction_is_a_todo() {
        require_prediction(&[], "f.rs");
    }
}
