//! `cargo xtask bench`: runs the course's criterion benchmarks (package `course-bench`, bench
//! target `executors`), reads criterion's estimates, checks the reference implementations against
//! their targets, times asyncio's loop for comparison, and reports: a plain-text table on stdout,
//! `report.md` and `report.svg` under `<target>/course-bench/`, and with `--update-book` the same
//! pair in `book/src/generated/bench/`.
//!
//! Everything that decides something (reading criterion's files, ratios, met or missed, the
//! Markdown and the SVG) is a plain function over plain data, tested in `tests/bench_report.rs`
//! with a fixture directory; only [`run`] starts processes and writes files.

use crate::{Result, step, workspace_root};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The package and bench target that hold the benchmarks.
pub const PACKAGE: &str = "course-bench";
pub const BENCH_TARGET: &str = "executors";
/// The asyncio comparison, relative to the workspace root.
pub const ASYNCIO_SCRIPT: &str = "tests/bench/asyncio_callbacks.py";
/// What `--quick` passes to criterion: rough numbers in about a second per benchmark.
pub const QUICK_ARGS: &[&str] = &[
    "--warm-up-time",
    "0.5",
    "--measurement-time",
    "1",
    "--sample-size",
    "10",
];

// ---------------------------------------------------------------------------------------------
// The table of benchmarks: every group, its functions and its targets, in the order reported.

/// One criterion benchmark group (a directory under `<target>/criterion/`).
#[derive(Debug)]
pub struct Group {
    pub name: &'static str,
    /// How many elements one iteration processes (tasks, yields, callbacks, ...): the
    /// "per element" column divides the median by it.
    pub elements: u64,
    /// The element, singular: "per task".
    pub element: &'static str,
    /// One line saying what an iteration does.
    pub what: &'static str,
    /// The function every row's ratio is relative to (and the SVG's 1x line).
    pub baseline: &'static str,
    pub functions: &'static [Function],
    pub targets: &'static [Target],
}

/// One benchmark function of a group (a directory under the group's).
#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    /// A remark shown with the row (why it is there, why it has no target).
    pub note: Option<&'static str>,
    /// For a reader's own implementation (`--yours`): the reference function it is compared with.
    /// It has no target; its row only says how it compares.
    pub yours_of: Option<&'static str>,
}

/// "`subject` takes at most `max_ratio` times as long as `operand`" (medians).
#[derive(Debug)]
pub struct Target {
    pub subject: &'static str,
    pub operand: &'static str,
    pub max_ratio: f64,
    /// The same target in other words, e.g. "at least 10x faster".
    pub gloss: Option<&'static str>,
}

impl Target {
    /// `reference <= 0.8x tokio_current_thread`.
    pub fn text(&self) -> String {
        let mut text = format!("{} <= {:?}x {}", self.subject, self.max_ratio, self.operand);
        if let Some(gloss) = self.gloss {
            write!(text, " ({gloss})").unwrap();
        }
        text
    }
}

const fn f(name: &'static str) -> Function {
    Function {
        name,
        note: None,
        yours_of: None,
    }
}

const fn yours(name: &'static str, of: &'static str) -> Function {
    Function {
        name,
        note: None,
        yours_of: Some(of),
    }
}

const fn target(subject: &'static str, max_ratio: f64, operand: &'static str) -> Target {
    Target {
        subject,
        operand,
        max_ratio,
        gloss: None,
    }
}

const OFFLOAD_FUNCTIONS: &[Function] = &[
    f("reference_pool"),
    f("tokio_spawn_blocking"),
    Function {
        name: "tokio_spawn_blocking_capped",
        note: Some(
            "tokio's blocking pool capped at the reference pool's size (max_blocking_threads): the same mechanism with the same number of threads; shown, not a target",
        ),
        yours_of: None,
    },
    f("thread_per_call"),
    yours("yours", "reference_pool"),
];

/// Every benchmark the report knows, in report order. A result criterion has that is not listed
/// here is named in a note (so this table and tests/bench can be kept in step).
pub const GROUPS: &[Group] = &[
    Group {
        name: "spawn_join_10k",
        elements: 10_000,
        element: "task",
        what: "10,000 tasks spawned, then each joined",
        baseline: "reference",
        functions: &[
            f("reference"),
            f("tokio_current_thread"),
            f("async_executor_local"),
            f("futures_local_pool"),
            yours("yours", "reference"),
        ],
        targets: &[
            target("reference", 0.8, "tokio_current_thread"),
            target("reference", 1.2, "async_executor_local"),
        ],
    },
    Group {
        name: "yield_100k",
        elements: 100_000,
        element: "yield",
        what: "100,000 yields to the executor",
        baseline: "reference",
        functions: &[
            f("reference"),
            f("tokio_current_thread"),
            f("async_executor_local"),
            f("futures_local_pool"),
            Function {
                name: "tokio_yield_now",
                note: Some(
                    "tokio's own yield_now, which defers its wake to the next tick; shown, not a target",
                ),
                yours_of: None,
            },
            yours("yours", "reference"),
        ],
        targets: &[target("reference", 1.0, "tokio_current_thread")],
    },
    Group {
        name: "gather_10k_yield_once",
        elements: 10_000,
        element: "child",
        what: "gather of 10,000 children that each yield once",
        baseline: "reference",
        functions: &[
            f("reference"),
            f("reference_gather_on_tokio"),
            f("futures_join_all_on_tokio"),
            yours("yours", "reference"),
        ],
        targets: &[target("reference", 1.5, "reference_gather_on_tokio")],
    },
    Group {
        name: "join_ready_10k",
        elements: 10_000,
        element: "future",
        what: "join of 10,000 futures that are ready at once",
        baseline: "reference",
        functions: &[
            f("reference"),
            f("futures_join_all"),
            yours("yours", "reference"),
        ],
        targets: &[Target {
            subject: "reference",
            operand: "futures_join_all",
            max_ratio: 0.1,
            gloss: Some("at least 10x faster"),
        }],
    },
    Group {
        name: "offload_1000",
        elements: 1_000,
        element: "closure",
        what: "1,000 blocking closures, all submitted, then all awaited",
        baseline: "reference_pool",
        functions: OFFLOAD_FUNCTIONS,
        targets: &[Target {
            subject: "reference_pool",
            operand: "tokio_spawn_blocking",
            max_ratio: 0.2,
            gloss: Some("5x the throughput"),
        }],
    },
    Group {
        name: "offload_roundtrip_1000",
        elements: 1_000,
        element: "closure",
        what: "1,000 blocking closures, one at a time (submit, await, repeat)",
        baseline: "reference_pool",
        functions: OFFLOAD_FUNCTIONS,
        targets: &[target("reference_pool", 1.0, "tokio_spawn_blocking")],
    },
    Group {
        name: "loop_callbacks_1m",
        elements: 1_000_000,
        element: "callback",
        what: "1,000,000 callbacks on the event loop (chain: each schedules the next; batch: all queued up front; chain_threadsafe: each schedules the next with call_soon_threadsafe, as a waker does)",
        baseline: "reference_chain",
        functions: &[
            f("reference_chain"),
            f("reference_batch"),
            f("reference_chain_threadsafe"),
            yours("yours_chain", "reference_chain"),
            yours("yours_batch", "reference_batch"),
            yours("yours_chain_threadsafe", "reference_chain_threadsafe"),
        ],
        targets: &[],
    },
];

/// The group called `name`, if the table has it.
pub fn group(name: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.name == name)
}

// ---------------------------------------------------------------------------------------------
// Criterion's results

/// Criterion's median time per iteration and its confidence interval, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub median_ns: f64,
    pub lower_ns: f64,
    pub upper_ns: f64,
}

/// Every result found, by (group, function), with when criterion wrote it.
#[derive(Debug, Default, Clone)]
pub struct Results {
    entries: BTreeMap<(String, String), (Estimate, Option<SystemTime>)>,
}

impl Results {
    pub fn get(&self, group: &str, function: &str) -> Option<Estimate> {
        self.entries
            .get(&(group.to_string(), function.to_string()))
            .map(|(e, _)| *e)
    }

    /// Adds (or replaces) a result; `read_results` uses it, and tests build results with it.
    pub fn insert(&mut self, group: &str, function: &str, estimate: Estimate) {
        self.insert_at(group, function, estimate, None);
    }

    fn insert_at(&mut self, group: &str, function: &str, e: Estimate, at: Option<SystemTime>) {
        self.entries
            .insert((group.to_string(), function.to_string()), (e, at));
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether any function of group `name` has a result. A report leaves out a group without
    /// one: after `cargo xtask bench -- yield_100k`, the other groups were not asked for.
    pub fn has_group(&self, name: &str) -> bool {
        self.entries.keys().any(|(group, _)| group == name)
    }

    /// Forgets results written before `start` (left over from an earlier run), so the report
    /// describes this run only; returns how many were dropped.
    pub fn drop_older_than(&mut self, start: SystemTime) -> usize {
        let before = self.entries.len();
        self.entries
            .retain(|_, (_, at)| at.is_none_or(|at| at >= start));
        before - self.entries.len()
    }

    /// When the newest result was written (the date the report carries).
    pub fn newest(&self) -> Option<SystemTime> {
        self.entries.values().filter_map(|(_, at)| *at).max()
    }

    /// Results of a known group whose function the table does not list, as `group/function`.
    pub fn unlisted(&self) -> Vec<String> {
        self.entries
            .keys()
            .filter(|(g, func)| {
                group(g).is_some_and(|g| !g.functions.iter().any(|f| f.name == func))
            })
            .map(|(g, func)| format!("{g}/{func}"))
            .collect()
    }

    /// How many results of a reader's own implementations (`yours*` functions) there are.
    pub fn yours_count(&self) -> usize {
        GROUPS
            .iter()
            .flat_map(|g| g.functions.iter().map(move |f| (g, f)))
            .filter(|(g, f)| f.yours_of.is_some() && self.get(g.name, f.name).is_some())
            .count()
    }
}

/// Reads `median` from one criterion `estimates.json`.
pub fn parse_estimates(json: &str) -> std::result::Result<Estimate, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("it is not JSON ({e})"))?;
    let median = &value["median"];
    let number = |v: &serde_json::Value, what: &str| {
        v.as_f64()
            .ok_or_else(|| format!("it has no number at {what}"))
    };
    Ok(Estimate {
        median_ns: number(&median["point_estimate"], "median.point_estimate")?,
        lower_ns: number(
            &median["confidence_interval"]["lower_bound"],
            "median.confidence_interval.lower_bound",
        )?,
        upper_ns: number(
            &median["confidence_interval"]["upper_bound"],
            "median.confidence_interval.upper_bound",
        )?,
    })
}

/// Reads `<criterion_dir>/<group>/<function>/new/estimates.json` for every group of [`GROUPS`]
/// and every function directory criterion made in it (listed or not). A group or function with
/// no file is simply absent ("not run"); a file that cannot be read or parsed is an error naming
/// it, since a silently dropped number would make a target look "not run".
pub fn read_results(criterion_dir: &Path) -> Result<Results> {
    let mut results = Results::default();
    for g in GROUPS {
        let group_dir = criterion_dir.join(g.name);
        let Ok(entries) = std::fs::read_dir(&group_dir) else {
            continue;
        };
        let mut functions: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        functions.sort();
        for dir in functions {
            let file = dir.join("new").join("estimates.json");
            if !file.is_file() {
                continue; // criterion's own `report/` directory, or an interrupted run
            }
            let function = dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("could not read {}: {e}", file.display()))?;
            let estimate = parse_estimates(&text).map_err(|e| {
                format!(
                    "{} is not a criterion estimates file: {e}; delete it or re-run the benchmark",
                    file.display()
                )
            })?;
            let written = std::fs::metadata(&file).and_then(|m| m.modified()).ok();
            results.insert_at(g.name, &function, estimate, written);
        }
    }
    Ok(results)
}

// ---------------------------------------------------------------------------------------------
// Targets

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Missed,
    /// The subject or the operand has no result.
    NotRun,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "MISSED",
            Verdict::NotRun => "not run",
        }
    }
}

/// One target, checked: the measured ratio subject/operand and the verdict.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub group: &'static Group,
    pub target: &'static Target,
    pub ratio: Option<f64>,
    pub verdict: Verdict,
}

/// Every target of [`GROUPS`], checked against `results`, in table order.
pub fn check_targets(results: &Results) -> Vec<Check> {
    let mut checks = Vec::new();
    for g in GROUPS {
        for t in g.targets {
            let ratio = match (
                results.get(g.name, t.subject),
                results.get(g.name, t.operand),
            ) {
                (Some(s), Some(o)) if o.median_ns > 0.0 => Some(s.median_ns / o.median_ns),
                _ => None,
            };
            let verdict = match ratio {
                None => Verdict::NotRun,
                Some(r) if r <= t.max_ratio => Verdict::Met,
                Some(_) => Verdict::Missed,
            };
            checks.push(Check {
                group: g,
                target: t,
                ratio,
                verdict,
            });
        }
    }
    checks
}

/// A benchmark a target needs that has no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub group: &'static str,
    pub function: &'static str,
    /// The target it is needed for, as [`Target::text`] writes it.
    pub needed_by: String,
}

/// Every subject or operand of a target that has no result (each named once per group).
pub fn missing_operands(results: &Results) -> Vec<Missing> {
    let mut missing: Vec<Missing> = Vec::new();
    for g in GROUPS {
        for t in g.targets {
            for function in [t.subject, t.operand] {
                let known = missing
                    .iter()
                    .any(|m| m.group == g.name && m.function == function);
                if results.get(g.name, function).is_none() && !known {
                    missing.push(Missing {
                        group: g.name,
                        function,
                        needed_by: t.text(),
                    });
                }
            }
        }
    }
    missing
}

/// The error for missing operands: which ones, and the commands that produce them.
pub fn missing_message(missing: &[Missing]) -> String {
    let mut text = String::from("a target cannot be checked, its benchmark has no result:\n");
    for m in missing {
        writeln!(
            text,
            "  {}/{} (needed by the target {})",
            m.group, m.function, m.needed_by
        )
        .unwrap();
    }
    let mut groups: Vec<&str> = missing.iter().map(|m| m.group).collect();
    groups.dedup();
    write!(
        text,
        "run them all with `cargo xtask bench`, or only these with \
         `cargo bench -p {PACKAGE} --bench {BENCH_TARGET} -- '{}'` and then \
         `cargo xtask bench --from-existing`",
        groups.join("|")
    )
    .unwrap();
    text
}

// ---------------------------------------------------------------------------------------------
// asyncio

/// What `tests/bench/asyncio_callbacks.py` measured: asyncio's cost per callback.
#[derive(Debug, Clone, PartialEq)]
pub struct Asyncio {
    pub python: String,
    pub chain_ns: f64,
    pub batch_ns: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AsyncioOutcome {
    Measured(Asyncio),
    /// Why there is no comparison (python3 missing, the script failed, ...).
    Skipped(String),
}

/// Reads the script's JSON line: `{"python": "3.11.7", "chain_ns_per_callback": 85.2,
/// "batch_ns_per_callback": 61.0}`.
pub fn parse_asyncio(line: &str) -> std::result::Result<Asyncio, String> {
    let value: serde_json::Value = serde_json::from_str(line.trim())
        .map_err(|e| format!("its output is not a JSON line ({e}): {line:?}"))?;
    let number = |key: &str| {
        value[key]
            .as_f64()
            .filter(|n| *n > 0.0)
            .ok_or_else(|| format!("its JSON has no positive number {key:?}: {line:?}"))
    };
    Ok(Asyncio {
        python: value["python"]
            .as_str()
            .ok_or_else(|| format!("its JSON has no \"python\" version: {line:?}"))?
            .to_string(),
        chain_ns: number("chain_ns_per_callback")?,
        batch_ns: number("batch_ns_per_callback")?,
    })
}

/// One line per workload: asyncio's ns per callback and how it compares with the reference
/// loop's (`loop_callbacks_1m/reference_chain` and `reference_batch`).
pub fn asyncio_lines(results: &Results, asyncio: &AsyncioOutcome) -> Vec<String> {
    let a = match asyncio {
        AsyncioOutcome::Skipped(why) => return vec![format!("asyncio comparison skipped: {why}")],
        AsyncioOutcome::Measured(a) => a,
    };
    let g = group("loop_callbacks_1m").expect("the table has loop_callbacks_1m");
    [("chain", "reference_chain", a.chain_ns), ("batch", "reference_batch", a.batch_ns)]
        .into_iter()
        .map(|(workload, function, asyncio_ns)| {
            let ours = results
                .get(g.name, function)
                .map(|e| e.median_ns / g.elements as f64);
            match ours {
                Some(ns) if ns > 0.0 => format!(
                    "{workload}: asyncio (Python {}) {} per callback, the reference loop {} per callback: \
                     asyncio is {}x slower than the reference loop",
                    a.python,
                    fmt_time(asyncio_ns),
                    fmt_time(ns),
                    fmt_ratio(asyncio_ns / ns)
                ),
                _ => format!(
                    "{workload}: asyncio (Python {}) {} per callback; the reference loop's {} was not run",
                    a.python,
                    fmt_time(asyncio_ns),
                    function
                ),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The machine

/// What the numbers were measured on, printed on every report.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub os: String,
    pub rustc: String,
    pub python: Option<String>,
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    /// The command that produced the report, e.g. `cargo xtask bench --quick`.
    pub command: String,
    /// With `--from-existing`, where the numbers came from: "from the results of `cargo xtask
    /// bench --quick`" (the run xtask recorded), or that the run is unknown.
    pub measured_by: Option<String>,
}

impl Machine {
    /// Looks at this machine. `python` is the asyncio run's version, if there was one.
    pub fn detect(command: String, python: Option<String>, date: String) -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| cpu_model(&text))
            .unwrap_or_else(|| "unknown CPU".to_string());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let os = output_of("uname", &["-sr"]).unwrap_or_else(|| std::env::consts::OS.to_string());
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
        let rustc =
            output_of(&rustc, &["--version"]).unwrap_or_else(|| "rustc (unknown version)".into());
        Machine {
            cpu,
            cores,
            os,
            rustc,
            python,
            date,
            command,
            measured_by: None,
        }
    }

    /// "with `cargo xtask bench`", plus where the numbers came from when that is another run.
    pub fn provenance(&self) -> String {
        match &self.measured_by {
            None => format!("with `{}`", self.command),
            Some(by) => format!("with `{}` {by}", self.command),
        }
    }

    /// `AMD EPYC 7B13 (2 logical cores), Linux 6.1.0, rustc 1.95.0 (...), Python 3.11.7`.
    pub fn describe(&self) -> String {
        format!("{}, {}", self.hardware(), self.software())
    }

    /// `AMD EPYC 7B13 (2 logical cores), Linux 6.1.0`.
    pub fn hardware(&self) -> String {
        format!(
            "{} ({} logical core{}), {}",
            self.cpu,
            self.cores,
            if self.cores == 1 { "" } else { "s" },
            self.os
        )
    }

    /// `rustc 1.95.0 (...), Python 3.11.7` (Python only when asyncio was timed).
    pub fn software(&self) -> String {
        match &self.python {
            Some(python) => format!("{}, Python {python}", self.rustc),
            None => self.rustc.clone(),
        }
    }
}

/// The first `model name` of a /proc/cpuinfo.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name" && !value.trim().is_empty())
            .then(|| value.split_whitespace().collect::<Vec<_>>().join(" "))
    })
}

/// The trimmed stdout of a command that succeeded.
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// `YYYY-MM-DD` (UTC) of a point in time.
pub fn utc_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Days since 1970-01-01 to a civil date (Howard Hinnant's `civil_from_days`).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

// ---------------------------------------------------------------------------------------------
// The report: one row per function, then three renderings of it

/// Everything a report shows.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    pub results: &'a Results,
    pub machine: &'a Machine,
    pub asyncio: &'a AsyncioOutcome,
}

/// One function of a group, with its numbers worked out.
#[derive(Debug, Clone)]
pub struct Row {
    pub function: &'static Function,
    pub estimate: Option<Estimate>,
    pub per_element_ns: Option<f64>,
    /// Median relative to the group's baseline (1.0 for the baseline itself).
    pub vs_baseline: Option<f64>,
    /// The target this function is the operand of, checked.
    pub check: Option<Check>,
    /// For a `yours*` row: its median relative to the function it is compared with.
    pub vs_reference: Option<f64>,
}

impl Row {
    pub fn is_baseline(&self, group: &Group) -> bool {
        self.function.name == group.baseline
    }

    /// The "target" cell: the target this row is the operand of, or why it has none.
    pub fn target_cell(&self) -> String {
        if let Some(c) = &self.check {
            format!("{} <= {:?}x this", c.target.subject, c.target.max_ratio)
        } else if self.function.yours_of.is_some() {
            "none (yours)".to_string()
        } else {
            String::new()
        }
    }

    /// The "result" cell: met or MISSED with the measured ratio subject/operand, or a `yours`
    /// row's ratio to its reference.
    pub fn result_cell(&self) -> String {
        if let Some(c) = &self.check {
            match c.ratio {
                Some(r) => format!("{} ({}x)", c.verdict.word(), fmt_ratio(r)),
                None => "not run".to_string(),
            }
        } else if let (Some(of), Some(r)) = (self.function.yours_of, self.vs_reference) {
            format!("{} = {}x {of}", self.function.name, fmt_ratio(r))
        } else {
            String::new()
        }
    }
}

/// The rows of one group, in table order. The `yours*` rows are left out when there is no
/// result for any of them (a run without `--yours`), so the book's tables have none.
pub fn rows(results: &Results, group: &'static Group) -> Vec<Row> {
    let baseline = results.get(group.name, group.baseline);
    let checks = check_targets(results);
    let show_yours = results.yours_count() > 0;
    group
        .functions
        .iter()
        .filter(|function| show_yours || function.yours_of.is_none())
        .map(|function| {
            let estimate = results.get(group.name, function.name);
            let ratio = |to: Option<Estimate>| match (estimate, to) {
                (Some(e), Some(b)) if b.median_ns > 0.0 => Some(e.median_ns / b.median_ns),
                _ => None,
            };
            Row {
                function,
                estimate,
                per_element_ns: estimate.map(|e| e.median_ns / group.elements as f64),
                vs_baseline: ratio(baseline),
                check: checks
                    .iter()
                    .find(|c| c.group.name == group.name && c.target.operand == function.name)
                    .copied(),
                vs_reference: function
                    .yours_of
                    .and_then(|of| ratio(results.get(group.name, of))),
            }
        })
        .collect()
}

/// `123 ns`, `1.23 µs`, `12.3 ms`, `1.23 s`: three significant digits.
pub fn fmt_time(ns: f64) -> String {
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", sig3(value))
}

/// A ratio with three significant digits: `0.712`, `1.46`, `12.3`, `123`.
pub fn fmt_ratio(r: f64) -> String {
    sig3(r)
}

fn sig3(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The plain-text report for the terminal: one table (a heading line per group, then a line per
/// function), then the targets and asyncio.
pub fn render_text(report: &Report) -> String {
    let header = [
        "function",
        "median/iter",
        "per element",
        "vs baseline",
        "target",
        "result",
    ];
    let mut table: Vec<Line> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for g in GROUPS.iter().filter(|g| report.results.has_group(g.name)) {
        table.push(Line::Heading(format!(
            "{}: {}; baseline {}",
            g.name, g.what, g.baseline
        )));
        for row in rows(report.results, g) {
            let mut name = row.function.name.to_string();
            if let Some(note) = row.function.note {
                notes.push(note.to_string());
                name.push_str(&"*".repeat(notes.len()));
            }
            table.push(Line::Cells(vec![
                name,
                row.estimate
                    .map_or("not run".into(), |e| fmt_time(e.median_ns)),
                row.per_element_ns.map_or(String::new(), |ns| {
                    format!("{}/{}", fmt_time(ns), g.element)
                }),
                if row.is_baseline(g) {
                    "baseline".into()
                } else {
                    row.vs_baseline
                        .map_or(String::new(), |r| format!("{}x", fmt_ratio(r)))
                },
                row.target_cell(),
                row.result_cell(),
            ]));
        }
    }
    let mut text = format!(
        "Measured on {}, {}, {}.\n\n",
        report.machine.describe(),
        report.machine.date,
        report.machine.provenance()
    );
    text.push_str(&text_table(&header, &table));
    for (i, note) in notes.iter().enumerate() {
        writeln!(text, "{} {note}", "*".repeat(i + 1)).unwrap();
    }
    text.push_str("\nTargets (ratios of medians):\n");
    for c in check_targets(report.results) {
        writeln!(text, "  {:<8} {}", c.verdict.word(), check_line(&c)).unwrap();
    }
    text.push_str("\nasyncio:\n");
    for line in asyncio_lines(report.results, report.asyncio) {
        writeln!(text, "  {line}").unwrap();
    }
    text
}

/// A line of the plain-text table.
enum Line {
    /// A line of its own (a group's name), not split into columns.
    Heading(String),
    Cells(Vec<String>),
}

/// `spawn_join_10k: reference <= 0.8x tokio_current_thread, measured 0.712x`.
fn check_line(c: &Check) -> String {
    match c.ratio {
        Some(r) => format!(
            "{}: {}, measured {}x",
            c.group.name,
            c.target.text(),
            fmt_ratio(r)
        ),
        None => format!("{}: {}, not run", c.group.name, c.target.text()),
    }
}

/// Columns padded to their widest cell (counted in characters, so `µs` is one); cell lines are
/// indented under the headings.
fn text_table(header: &[&str], lines: &[Line]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            lines
                .iter()
                .filter_map(|l| match l {
                    Line::Cells(cells) => Some(cells[i].chars().count()),
                    Line::Heading(_) => None,
                })
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[&str]| {
        let mut out = String::from("  ");
        for (cell, width) in cells.iter().zip(&widths) {
            out.push_str(cell);
            out.push_str(&" ".repeat(width - cell.chars().count() + 2));
        }
        format!("{}\n", out.trim_end())
    };
    let mut text = line(header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    text.push_str(&line(&rule.iter().map(String::as_str).collect::<Vec<_>>()));
    for l in lines {
        match l {
            Line::Heading(h) => writeln!(text, "{h}").unwrap(),
            Line::Cells(cells) => {
                text.push_str(&line(&cells.iter().map(String::as_str).collect::<Vec<_>>()))
            }
        }
    }
    text
}

/// The Markdown report. It never starts with a level-1 heading, so a book page can include it;
/// `svg_link` is the plot's path relative to the page that shows it.
pub fn render_markdown(report: &Report, svg_link: &str) -> String {
    let m = report.machine;
    let mut md = format!(
        "Measured on {}, {}, {}.\n\n",
        // A CPU name is text, not HTML.
        m.describe().replace('<', "&lt;").replace('>', "&gt;"),
        m.date,
        m.provenance()
    );
    writeln!(
        md,
        "![Median time of each benchmark relative to its group's baseline, one panel per group]({svg_link})\n"
    )
    .unwrap();
    for g in GROUPS.iter().filter(|g| report.results.has_group(g.name)) {
        writeln!(
            md,
            "**`{}`**: {}; baseline `{}`.\n",
            g.name, g.what, g.baseline
        )
        .unwrap();
        writeln!(
            md,
            "| function | median per iteration (confidence interval) | per {} | vs `{}` | target | result |",
            g.element, g.baseline
        )
        .unwrap();
        md.push_str("|---|--:|--:|--:|---|---|\n");
        let mut notes = Vec::new();
        for row in rows(report.results, g) {
            let mut name = format!("`{}`", row.function.name);
            if let Some(note) = row.function.note {
                notes.push(format!("`{}`: {note}.", row.function.name));
                name.push_str(&"\\*".repeat(notes.len()));
            }
            let median = row.estimate.map_or("not run".to_string(), |e| {
                format!(
                    "{} ({} – {})",
                    fmt_time(e.median_ns),
                    fmt_time(e.lower_ns),
                    fmt_time(e.upper_ns)
                )
            });
            let per = row.per_element_ns.map_or(String::new(), fmt_time);
            let vs = if row.is_baseline(g) {
                "baseline".to_string()
            } else {
                row.vs_baseline
                    .map_or(String::new(), |r| format!("{}x", fmt_ratio(r)))
            };
            let result = match &row.check {
                Some(c) if c.verdict == Verdict::Missed => format!("**{}**", row.result_cell()),
                _ => row.result_cell(),
            };
            writeln!(
                md,
                "| {name} | {median} | {per} | {vs} | {} | {result} |",
                row.target_cell()
            )
            .unwrap();
        }
        md.push('\n');
        for (i, note) in notes.iter().enumerate() {
            writeln!(md, "{} {note}\n", "\\*".repeat(i + 1)).unwrap();
        }
    }
    md.push_str("**Targets** (ratios of medians):\n\n");
    for c in check_targets(report.results) {
        let word = match c.verdict {
            Verdict::Missed => "**MISSED**",
            v => v.word(),
        };
        let line = check_line(&c);
        let rest = line.strip_prefix(c.group.name).unwrap_or(&line);
        writeln!(md, "- {word}: `{}`{rest}", c.group.name).unwrap();
    }
    md.push_str("\n**asyncio** (");
    md.push_str(&format!(
        "`python3 {ASYNCIO_SCRIPT}`: the same two workloads on asyncio's event loop, best of 3):\n\n"
    ));
    for line in asyncio_lines(report.results, report.asyncio) {
        writeln!(md, "- {line}").unwrap();
    }
    md
}

// ---------------------------------------------------------------------------------------------
// The plot

const SVG_WIDTH: f64 = 760.0;
const LABEL_RIGHT: f64 = 196.0;
const PLOT_LEFT: f64 = 204.0;
const PLOT_RIGHT: f64 = 590.0;
const VALUE_LEFT: f64 = 600.0;
const ROW_HEIGHT: f64 = 20.0;

const COLOR_MET: &str = "#2e7d32";
const COLOR_MISSED: &str = "#c62828";
const COLOR_OTHER: &str = "#5b7bb4";
const COLOR_YOURS: &str = "#e08a00";
const COLOR_NOTE: &str = "#9e9e9e";

/// Escapes text for XML content and attribute values.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The horizontal bar chart: one panel per group, each bar the function's median relative to
/// the group's baseline on a shared log scale, drawn from the baseline's 1x line (left of it is
/// faster). A target's operand is coloured met/missed, with a dashed tick where it would have to
/// be for the target to be met. Self-contained (no fonts, no scripts, no dependencies), on a
/// white background so it reads the same in light and dark book themes.
pub fn render_svg(report: &Report) -> String {
    // The shared scale: whole decades around every ratio and target tick, at least 0.1x..10x.
    let mut lo = -1i32;
    let mut hi = 1i32;
    for g in GROUPS.iter().filter(|g| report.results.has_group(g.name)) {
        for row in rows(report.results, g) {
            let ticks = [row.vs_baseline, target_tick(&row, report.results, g)];
            for r in ticks.into_iter().flatten().filter(|r| *r > 0.0) {
                lo = lo.min(r.log10().floor().max(-4.0) as i32);
                hi = hi.max(r.log10().ceil().min(4.0) as i32);
            }
        }
    }
    let x = |ratio: f64| {
        let t = (ratio.max(1e-9).log10() - f64::from(lo)) / f64::from(hi - lo);
        PLOT_LEFT + t.clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT)
    };

    let mut body = String::new();
    let mut y = 20.0;
    let text = |body: &mut String, x: f64, y: f64, attrs: &str, content: &str| {
        writeln!(
            body,
            r#"<text x="{x:.1}" y="{y:.1}" {attrs}>{}</text>"#,
            xml(content)
        )
        .unwrap();
    };
    let m = report.machine;
    body.push_str("<g id=\"caption\">\n");
    text(
        &mut body,
        12.0,
        y,
        r#"font-size="15" font-weight="bold""#,
        "Course benchmarks: median time relative to each group's baseline",
    );
    y += 17.0;
    for line in [
        "Log scale. Each bar runs from the group's baseline (the dark 1x line) to the median:",
        "left of the line is faster, right of it slower. A dashed tick marks how far a target's operand",
        "must reach (the tick or beyond it, to the right) for the target to be met.",
    ] {
        text(&mut body, 12.0, y, r#"font-size="11""#, line);
        y += 14.0;
    }
    y += 2.0;
    let grey = r##"font-size="11" fill="#444""##;
    text(
        &mut body,
        12.0,
        y,
        grey,
        &format!("Measured on {}", m.hardware()),
    );
    y += 14.0;
    text(
        &mut body,
        12.0,
        y,
        grey,
        &format!("{}; {}", m.software(), m.date),
    );
    y += 14.0;
    text(&mut body, 12.0, y, grey, &m.provenance());
    y += 18.0;
    // The legend.
    let mut lx = 12.0;
    for (color, label) in [
        // A coloured row is a target's operand (tokio, ...): the target is the reference's.
        (COLOR_MET, "reference's target met"),
        (COLOR_MISSED, "reference's target missed"),
        (COLOR_OTHER, "no target"),
        (COLOR_NOTE, "shown, not a target"),
        (COLOR_YOURS, "yours"),
    ] {
        writeln!(
            body,
            r#"<rect x="{lx:.1}" y="{:.1}" width="10" height="10" fill="{color}"/>"#,
            y - 9.0
        )
        .unwrap();
        text(&mut body, lx + 14.0, y, r#"font-size="11""#, label);
        lx += 24.0 + 6.5 * label.len() as f64;
    }
    body.push_str("</g>\n");
    y += 14.0;

    for g in GROUPS.iter().filter(|g| report.results.has_group(g.name)) {
        let rows = rows(report.results, g);
        writeln!(body, "<g id=\"{}\">", xml(g.name)).unwrap();
        y += 14.0;
        let baseline = report
            .results
            .get(g.name, g.baseline)
            .map_or("not run".to_string(), |e| fmt_time(e.median_ns));
        writeln!(
            body,
            r##"<text x="12" y="{y:.1}" font-size="12"><tspan font-weight="bold">{}</tspan><tspan fill="#444">: baseline {}, {}</tspan></text>"##,
            xml(g.name),
            xml(g.baseline),
            xml(&baseline)
        )
        .unwrap();
        y += 14.0;
        text(&mut body, 12.0, y, grey, g.what);
        y += 6.0;
        let top = y;
        let bottom = y + ROW_HEIGHT * rows.len() as f64;
        // Decade grid, then the baseline line over it.
        for d in lo..=hi {
            let gx = x(10f64.powi(d));
            writeln!(
                body,
                r##"<line x1="{gx:.1}" y1="{top:.1}" x2="{gx:.1}" y2="{bottom:.1}" stroke="#d0d0d0" stroke-width="1"/>"##
            )
            .unwrap();
            text(
                &mut body,
                gx,
                bottom + 11.0,
                r##"font-size="9" fill="#555" text-anchor="middle""##,
                &format!("{}x", decade_label(d)),
            );
        }
        for (i, row) in rows.iter().enumerate() {
            let row_top = top + ROW_HEIGHT * i as f64;
            let mid = row_top + ROW_HEIGHT / 2.0;
            text(
                &mut body,
                LABEL_RIGHT,
                mid + 4.0,
                r#"font-size="11" text-anchor="end""#,
                row.function.name,
            );
            let value = match (row.vs_baseline, row.is_baseline(g)) {
                (_, true) if row.estimate.is_some() => "1x (baseline)".to_string(),
                (Some(r), _) => {
                    let mut v = format!("{}x", fmt_ratio(r));
                    if let Some(c) = &row.check
                        && c.verdict != Verdict::NotRun
                    {
                        write!(v, " {}", c.verdict.word()).unwrap();
                    }
                    v
                }
                _ => "not run".to_string(),
            };
            if let (Some(r), false) = (row.vs_baseline, row.is_baseline(g)) {
                let color = bar_color(row);
                let (x0, x1) = (x(1.0).min(x(r)), x(1.0).max(x(r)));
                writeln!(
                    body,
                    r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="12" fill="{color}"/>"#,
                    mid - 6.0,
                    (x1 - x0).max(1.0)
                )
                .unwrap();
            }
            if let Some(tick) = target_tick(row, report.results, g) {
                let tx = x(tick);
                writeln!(
                    body,
                    r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#000" stroke-width="1.5" stroke-dasharray="3,2"/>"##,
                    mid - 9.0,
                    mid + 9.0
                )
                .unwrap();
            }
            let fill = if row.estimate.is_none() {
                "#777"
            } else {
                "#111"
            };
            text(
                &mut body,
                VALUE_LEFT,
                mid + 4.0,
                &format!(r#"font-size="11" fill="{fill}""#),
                &value,
            );
        }
        let bx = x(1.0);
        writeln!(
            body,
            r##"<line x1="{bx:.1}" y1="{:.1}" x2="{bx:.1}" y2="{:.1}" stroke="#222" stroke-width="2"/>"##,
            top - 2.0,
            bottom + 2.0
        )
        .unwrap();
        body.push_str("</g>\n");
        y = bottom + 18.0;
    }
    let height = y + 6.0;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{SVG_WIDTH}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {SVG_WIDTH} {height:.0}\" font-family=\"sans-serif\">\n\
         <title>Course benchmarks: median time relative to each group's baseline</title>\n\
         <rect x=\"0\" y=\"0\" width=\"{SVG_WIDTH}\" height=\"{height:.0}\" fill=\"#ffffff\"/>\n\
         {body}</svg>\n"
    )
}

/// `0.01`, `0.1`, `1`, `10`, `100`.
fn decade_label(d: i32) -> String {
    if d >= 0 {
        10u64.pow(d as u32).to_string()
    } else {
        format!("{:.*}", (-d) as usize, 10f64.powi(d))
    }
}

fn bar_color(row: &Row) -> &'static str {
    if row.function.yours_of.is_some() {
        return COLOR_YOURS;
    }
    if row.function.note.is_some() {
        return COLOR_NOTE;
    }
    match row.check.map(|c| c.verdict) {
        Some(Verdict::Met) => COLOR_MET,
        Some(Verdict::Missed) => COLOR_MISSED,
        _ => COLOR_OTHER,
    }
}

/// Where an operand's bar (relative to the baseline) must reach for its target to be met:
/// subject/operand <= max  <=>  operand/baseline >= (subject/baseline) / max.
fn target_tick(row: &Row, results: &Results, g: &Group) -> Option<f64> {
    let c = row.check.as_ref()?;
    let subject = results.get(g.name, c.target.subject)?;
    let baseline = results.get(g.name, g.baseline)?;
    Some(subject.median_ns / baseline.median_ns / c.target.max_ratio)
}

// ---------------------------------------------------------------------------------------------
// The command

/// `cargo xtask bench`'s options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Also benchmark the reader's own crates (`--features yours`).
    pub yours: bool,
    /// Short criterion runs ([`QUICK_ARGS`]).
    pub quick: bool,
    /// Also write the report into book/src/generated/bench/.
    pub update_book: bool,
    /// Report criterion's existing results without running anything.
    pub from_existing: bool,
    /// Passed to criterion after `--`.
    pub criterion_args: Vec<String>,
}

impl Options {
    /// Refuses combinations that make no sense, each with the reason.
    pub fn validate(&self) -> Result<()> {
        if self.update_book && self.yours {
            return Err("--update-book and --yours cannot go together: the book shows the course's \
                        reference numbers, and a reader's own numbers don't go into it. Run \
                        `cargo xtask bench --yours` for your own report (target/course-bench/report.md)"
                .into());
        }
        if self.from_existing && (self.quick || !self.criterion_args.is_empty()) {
            return Err(
                "--quick and criterion arguments (after --) change a benchmark run, and \
                        --from-existing runs none (it reports the results criterion already has); \
                        drop one or the other"
                    .into(),
            );
        }
        Ok(())
    }

    /// The command as a reader would type it, for the reports.
    pub fn command_line(&self) -> String {
        let mut words = vec!["cargo xtask bench".to_string()];
        for (on, flag) in [
            (self.yours, "--yours"),
            (self.quick, "--quick"),
            (self.update_book, "--update-book"),
            (self.from_existing, "--from-existing"),
        ] {
            if on {
                words.push(flag.to_string());
            }
        }
        if !self.criterion_args.is_empty() {
            words.push("--".into());
            words.extend(self.criterion_args.iter().map(|a| shell_quote(a)));
        }
        words.join(" ")
    }

    /// The arguments of the `cargo bench` run.
    pub fn cargo_bench_args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["bench", "-p", PACKAGE, "--bench", BENCH_TARGET]
            .map(String::from)
            .to_vec();
        if self.yours {
            args.extend(["--features".to_string(), "yours".to_string()]);
        }
        let mut criterion: Vec<String> = Vec::new();
        if self.quick {
            criterion.extend(QUICK_ARGS.iter().map(|a| a.to_string()));
        }
        criterion.extend(self.criterion_args.iter().cloned());
        if !criterion.is_empty() {
            args.push("--".into());
            args.extend(criterion);
        }
        args
    }
}

fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The target directory: `CARGO_TARGET_DIR` (relative to the workspace root, where cargo bench
/// runs) or `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    let root = workspace_root();
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// `cargo xtask bench`: run (unless `--from-existing`), read, report, check.
pub fn run(opts: &Options) -> Result<()> {
    opts.validate()?;
    let root = workspace_root();
    let target = target_dir();
    let criterion_dir = target.join("criterion");

    let started = SystemTime::now();
    if !opts.from_existing {
        if !root.join("tests/bench/Cargo.toml").is_file() {
            return Err(format!(
                "tests/bench/Cargo.toml does not exist: this checkout has no benchmarks (package {PACKAGE})"
            )
            .into());
        }
        run_cargo_bench(&root, opts)?;
        // For a later `--from-existing`, which reports these numbers without running them.
        let record = target.join("course-bench").join(LAST_RUN);
        std::fs::create_dir_all(target.join("course-bench"))?;
        std::fs::write(&record, opts.command_line())
            .map_err(|e| format!("could not write {}: {e}", record.display()))?;
    }

    let mut results = read_results(&criterion_dir)?;
    if results.is_empty() {
        return Err(format!(
            "no criterion results in {} for any of the course's groups; {}",
            criterion_dir.display(),
            if opts.from_existing {
                "run `cargo xtask bench` (without --from-existing) first"
            } else {
                "did the benchmarks run? (a criterion filter after -- that matches nothing runs none)"
            }
        )
        .into());
    }
    if !opts.from_existing {
        // Slack for file systems that store coarse modification times: nothing of this run is
        // written within its first seconds (cargo, then criterion's warm-up).
        let start = started - std::time::Duration::from_secs(2);
        let stale = results.drop_older_than(start);
        if stale > 0 {
            println!(
                "note: {stale} result(s) in {} are from an earlier run and are left out",
                criterion_dir.display()
            );
        }
    }
    for name in results.unlisted() {
        println!(
            "note: criterion has a result for {name}, which xtask/src/bench.rs's GROUPS does not list; it is not reported"
        );
    }

    // asyncio is compared with the loop's callbacks only: skip it when they were not run.
    let asyncio = if results.has_group("loop_callbacks_1m") {
        run_asyncio(&root)
    } else {
        AsyncioOutcome::Skipped("loop_callbacks_1m was not run".into())
    };
    let python = match &asyncio {
        AsyncioOutcome::Measured(a) => Some(a.python.clone()),
        AsyncioOutcome::Skipped(_) => None,
    };
    let date = utc_date(results.newest().unwrap_or_else(SystemTime::now));
    let mut machine = Machine::detect(opts.command_line(), python, date);
    if opts.from_existing {
        machine.measured_by = Some(recorded_run(&target.join("course-bench"), &results));
    }
    let report = Report {
        results: &results,
        machine: &machine,
        asyncio: &asyncio,
    };

    println!();
    print!("{}", render_text(&report));

    let out = target.join("course-bench");
    write_pair(
        &report,
        &out.join("report.md"),
        &out.join("report.svg"),
        "report.svg",
    )?;

    if opts.yours && results.yours_count() == 0 {
        // The benchmark built and ran (a build error fails `cargo bench` above), so every one
        // of the reader's chapters was skipped by its smoke run, or filtered out.
        return Err(format!(
            "no results for your crates: each of your chapters was skipped (the `[yours]` lines \
             above say why and which `cargo test -p ...` to run), or the filter after -- left \
             out every `yours` function"
        )
        .into());
    }
    // A filtered run (criterion arguments) is not expected to have every target's operands.
    if !opts.yours && opts.criterion_args.is_empty() {
        let missing = missing_operands(&results);
        if !missing.is_empty() {
            let mut message = missing_message(&missing);
            if opts.update_book {
                message.push_str("\n(the book was not updated)");
            }
            return Err(message.into());
        }
    }
    if opts.update_book {
        let dir = root.join("book/src/generated/bench");
        write_pair(
            &report,
            &dir.join("ratios.md"),
            &dir.join("ratios.svg"),
            "generated/bench/ratios.svg",
        )?;
        step(
            "the book's benchmark page is updated; review it with `git diff book/src/generated/bench`",
        );
    }
    Ok(())
}

/// The file under `<target>/course-bench/` that holds the command of the last `cargo xtask bench`
/// run (not `--from-existing`).
pub const LAST_RUN: &str = "last-run.txt";

/// Which run produced the results `--from-existing` reports: the recorded one if it finished
/// after the newest result was written, otherwise an unrecorded one (e.g. `cargo bench` run
/// directly, or a run interrupted before xtask recorded it).
pub fn recorded_run(dir: &Path, results: &Results) -> String {
    let record = dir.join(LAST_RUN);
    let written = std::fs::metadata(&record).and_then(|m| m.modified()).ok();
    let command = std::fs::read_to_string(&record).ok();
    match (command, written, results.newest()) {
        (Some(command), Some(written), Some(newest)) if written >= newest => {
            format!("from the results of `{}`", command.trim())
        }
        _ => format!(
            "from criterion's results of a run xtask did not record (e.g. `cargo bench -p {PACKAGE}` run directly)"
        ),
    }
}

/// Writes a report's Markdown and SVG; `svg_link` is the SVG's path as the page showing the
/// Markdown sees it.
fn write_pair(report: &Report, md: &Path, svg: &Path, svg_link: &str) -> Result<()> {
    if let Some(dir) = md.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("could not create {}: {e}", dir.display()))?;
    }
    for (path, content) in [
        (md, render_markdown(report, svg_link)),
        (svg, render_svg(report)),
    ] {
        std::fs::write(path, content)
            .map_err(|e| format!("could not write {}: {e}", path.display()))?;
        step(format!("wrote {}", path.display()));
    }
    Ok(())
}

/// Runs the benchmarks with their output streamed to the terminal.
fn run_cargo_bench(root: &Path, opts: &Options) -> Result<()> {
    let args = opts.cargo_bench_args();
    step(format!("cargo {}", args.join(" ")));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(&args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if status.success() {
        return Ok(());
    }
    let mut message = format!(
        "`cargo {}` failed ({status}); its output is above",
        args.join(" ")
    );
    if opts.yours {
        message.push_str(&format!(
            ". With --yours it builds your crates into the benchmarks: \
             `cargo bench -p {PACKAGE} --features yours --no-run` shows the first error"
        ));
    }
    Err(message.into())
}

/// Runs the asyncio script; any problem becomes a skip with its reason (the Rust report stands
/// without it).
fn run_asyncio(root: &Path) -> AsyncioOutcome {
    step(format!(
        "python3 {ASYNCIO_SCRIPT} (asyncio, for comparison; best of 3)"
    ));
    let output = match Command::new("python3")
        .arg(ASYNCIO_SCRIPT)
        .current_dir(root)
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let why = "python3 is not on PATH";
            println!("skipped: {why}");
            return AsyncioOutcome::Skipped(why.into());
        }
        Err(e) => {
            let why = format!("could not run python3: {e}");
            println!("skipped: {why}");
            return AsyncioOutcome::Skipped(why);
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let outcome = if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        AsyncioOutcome::Skipped(format!(
            "python3 {ASYNCIO_SCRIPT} failed ({}): {}",
            output.status,
            last.trim()
        ))
    } else {
        let line = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        match parse_asyncio(line) {
            Ok(a) => AsyncioOutcome::Measured(a),
            Err(e) => AsyncioOutcome::Skipped(format!("python3 {ASYNCIO_SCRIPT}: {e}")),
        }
    };
    if let AsyncioOutcome::Skipped(why) = &outcome {
        println!("skipped: {why}");
    }
    outcome
}
