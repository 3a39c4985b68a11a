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
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.to_string());
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

/// Runs `program` with a fresh log and returns what it printed. `runs_on` names the learner code
/// the program uses and the command that tests it, e.g. "your Scheduler (`cargo test -p
/// generators stage3`)": a panic in the program (a `todo!()` of an unfinished stage, say) is
/// re-raised with that advice, its own message kept.
#[track_caller]
pub fn run_program(runs_on: &str, program: impl FnOnce(Printed)) -> Vec<String> {
    let out = Printed::new();
    let copy = out.clone();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || program(copy))) {
        Ok(()) => out.lines(),
        Err(payload) => panic!(
            "predict: the program panicked, so there is no order to compare yet: {}\n\
             The program runs on {runs_on}; make those tests pass first.",
            crate::panic_message(&*payload)
        ),
    }
}

/// Compares `prediction` with `actual` and panics with a side-by-side report if they differ.
///
/// `rules` maps every line the program can print to the rule that places it (one sentence,
/// written for the learner). `file` is the learner's file, named in the messages. `runs_on`
/// names the learner code the program ran on, and the command that tests it.
///
/// With the environment variable `COURSE_PREDICT_SHOW` set, it also prints the real order with
/// the rule of every line (run with `-- --nocapture`): the instructor's answer key, with reasons.
#[track_caller]
pub fn check(
    prediction: &[&str],
    actual: &[String],
    rules: &[(&str, &str)],
    file: &str,
    runs_on: &str,
    expected_fingerprint: u64,
) {
    if std::env::var_os("COURSE_PREDICT_SHOW").is_some() {
        println!("{}", answer_key(actual, rules));
    }
    if fingerprint(actual) != expected_fingerprint {
        let mut msg = String::from(
            "predict: the program printed an order that the reference code does not print, so \
             the code it ran on breaks one of the chapter's rules. Your prediction cannot be \
             judged against it yet.\nIt printed:\n",
        );
        for (i, line) in actual.iter().enumerate() {
            let _ = writeln!(msg, "  {:>2}  {line}", i + 1);
        }
        let _ = write!(
            msg,
            "The program runs on {runs_on}: run those tests and fix what fails first, then run \
             this one again."
        );
        panic!("{msg}");
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
    let unknown: Vec<&str> = prediction
        .iter()
        .copied()
        .filter(|p| !known.contains(p))
        .collect();
    if !unknown.is_empty() {
        let mut msg = format!(
            "Predict the order: PREDICTION in {file} has {} line(s) the program never prints:\n",
            unknown.len()
        );
        for line in &unknown {
            let _ = writeln!(msg, "    {line:?}");
        }
        msg.push_str(
            "The program prints exactly these lines (here sorted alphabetically, not in order):\n",
        );
        for line in &known {
            let _ = writeln!(msg, "    {line:?}");
        }
        msg.push_str("Copy each line exactly (spaces and punctuation count).");
        return Err(msg);
    }
    let mut seen = HashSet::new();
    let twice: Vec<&str> = prediction
        .iter()
        .copied()
        .filter(|p| !seen.insert(*p))
        .collect();
    if !twice.is_empty() {
        return Err(format!(
            "Predict the order: PREDICTION in {file} lists {twice:?} more than once; the program \
             prints each line once."
        ));
    }

    if prediction.len() == actual.len()
        && prediction.iter().zip(actual).all(|(p, a)| *p == a.as_str())
    {
        return Ok(());
    }

    let first = (0..prediction.len().max(actual.len()))
        .find(|&i| prediction.get(i).copied() != actual.get(i).map(String::as_str))
        .expect("the two orders differ somewhere");

    let width = prediction
        .iter()
        .map(|l| l.len())
        .max()
        .unwrap_or(0)
        .max("your prediction".len());
    let mut msg = format!(
        "Predict the order: your prediction differs from what the program printed at line {}.\n\n",
        first + 1
    );
    let _ = writeln!(msg, "     #  {:<width$}  |  actual", "your prediction");
    let _ = writeln!(
        msg,
        "    --  {:-<width$}--+--{:-<w2$}",
        "",
        "",
        w2 = "actual".len().max(20)
    );
    for i in 0..prediction.len().max(actual.len()) {
        let p = prediction.get(i).copied().unwrap_or("(missing)");
        let a = actual
            .get(i)
            .map(String::as_str)
            .unwrap_or("(nothing more)");
        let marker = if i == first {
            "=>"
        } else if p != a {
            " ~"
        } else {
            "  "
        };
        let _ = writeln!(msg, "  {marker}{:>2}  {p:<width$}  |  {a}", i + 1);
    }
    let right = prediction
        .iter()
        .zip(actual)
        .filter(|(p, a)| **p == a.as_str())
        .count();
    let _ = writeln!(
        msg,
        "\n{right} of {} lines are in the right place.\n",
        actual.len()
    );

    match (actual.get(first), prediction.get(first)) {
        (Some(real), predicted) => {
            let real_rule = rule_of(real).expect("checked above");
            let _ = writeln!(
                msg,
                "Why {real:?} comes at line {}:\n{}",
                first + 1,
                wrap(real_rule)
            );
            if let Some(predicted) = predicted {
                let at = actual
                    .iter()
                    .position(|a| a == predicted)
                    .expect("known line");
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

/// A fingerprint of an order (64-bit FNV-1a over the lines, each followed by a newline). A predict
/// test keeps the fingerprint of the right order, not the order itself, so it can tell "the
/// learner's code printed a wrong order" from "the learner predicted a wrong one" without giving
/// the answer away.
pub fn fingerprint<S: AsRef<str>>(lines: &[S]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for line in lines {
        for byte in line.as_ref().bytes().chain(std::iter::once(b'\n')) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// The real order, numbered, each line with the rule that places it.
pub fn answer_key(actual: &[String], rules: &[(&str, &str)]) -> String {
    let mut out = String::from("The real order, and the rule behind each line:\n");
    for (i, line) in actual.iter().enumerate() {
        let rule = rules
            .iter()
            .find(|(l, _)| l == line)
            .map_or("(no rule given)", |(_, r)| *r);
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

    const RULES: &[(&str, &str)] = &[("a", "rule A"), ("b", "rule B"), ("c", "rule C")];

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
        assert!(
            report.contains("=> 2  c"),
            "the marker sits on line 2:\n{report}"
        );
        assert!(
            report.contains("Why \"b\" comes at line 2:\n    rule B"),
            "{report}"
        );
        assert!(
            report.contains("Why \"c\" (your line 2) really comes at line 3:\n    rule C"),
            "{report}"
        );
    }

    #[test]
    fn an_unknown_line_is_reported_with_the_lines_the_program_prints() {
        let report = compare(&["a", "x"], &actual(), RULES, "f.rs").unwrap_err();
        assert!(report.contains("\"x\""), "{report}");
        assert!(report.contains("never prints"), "{report}");
        assert!(
            report.contains("    \"c\""),
            "lists the known lines:\n{report}"
        );
    }

    #[test]
    fn a_short_prediction_says_lines_are_missing() {
        let report = compare(&["a", "b"], &actual(), RULES, "f.rs").unwrap_err();
        assert!(report.contains("(missing)"), "{report}");
        assert!(
            report.contains("has 2 line(s); the program prints 3"),
            "{report}"
        );
    }

    #[test]
    fn the_answer_key_lists_every_line_with_its_rule() {
        let key = answer_key(&actual(), RULES);
        assert!(
            key.contains("  1. a\n    rule A\n  2. b\n    rule B"),
            "{key}"
        );
    }

    #[test]
    fn the_fingerprint_depends_on_the_order() {
        assert_eq!(
            fingerprint::<&str>(&[]),
            0xcbf2_9ce4_8422_2325,
            "FNV-1a's offset basis"
        );
        assert_ne!(fingerprint(&["a", "b"]), fingerprint(&["b", "a"]));
        assert_ne!(fingerprint(&["ab"]), fingerprint(&["a", "b"]));
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&actual()[..2]));
    }

    #[test]
    #[should_panic(expected = "an order that the reference code does not print")]
    fn a_wrong_actual_order_blames_the_code_not_the_prediction() {
        let right = fingerprint(&actual());
        let wrong = ["b", "a", "c"].map(String::from);
        check(&["a", "b", "c"], &wrong, RULES, "f.rs", "your code", right);
    }

    #[test]
    fn a_repeated_line_is_reported() {
        let report = compare(&["a", "a", "b"], &actual(), RULES, "f.rs").unwrap_err();
        assert!(report.contains("more than once"), "{report}");
    }

    #[test]
    #[should_panic(expected = "not yet implemented: Scheduler::run")]
    fn a_panicking_program_keeps_its_message() {
        run_program("your Scheduler", |_| todo!("Scheduler::run"));
    }

    #[test]
    fn a_program_s_lines_are_returned_in_order() {
        let lines = run_program("x", |out| {
            out.say("one");
            out.say("two");
        });
        assert_eq!(lines, ["one", "two"]);
    }

    #[test]
    #[should_panic(expected = "not yet implemented: predict: fill in PREDICTION in f.rs")]
    fn an_empty_prediction_is_a_todo() {
        require_prediction(&[], "f.rs");
    }
}
