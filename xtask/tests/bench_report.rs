//! `cargo xtask bench`'s report, from fixture criterion directories written by each test: the
//! parser, the ratios and verdicts, the missing-operand error, the Markdown and the SVG, the
//! refused option pair, and the asyncio script's output format.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use xtask::bench::{
    self, AsyncioOutcome, Estimate, Machine, Options, Report, Results, Verdict, check_targets,
    missing_message, missing_operands, parse_asyncio, read_results, render_markdown, render_svg,
    render_text,
};

/// A fresh directory under target/ (`CARGO_TARGET_TMPDIR`, cargo's place for test scratch).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("xtask-bench")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An `estimates.json` as criterion writes it (trimmed to the fields it always has), with the
/// median's interval at +-5%.
fn estimates_json(median: f64) -> String {
    let stat = |point: f64| {
        format!(
            r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{},"upper_bound":{}}},"point_estimate":{point},"standard_error":1.5}}"#,
            point * 0.95,
            point * 1.05
        )
    };
    format!(
        r#"{{"mean":{},"median":{},"median_abs_dev":{},"slope":null,"std_dev":{}}}"#,
        stat(median * 1.01),
        stat(median),
        stat(median * 0.02),
        stat(median * 0.03)
    )
}

/// A criterion directory holding the given (group, function, median ns) results.
fn fixture(name: &str, results: &[(&str, &str, f64)]) -> PathBuf {
    let dir = scratch(name).join("criterion");
    for (group, function, median) in results {
        let new = dir.join(group).join(function).join("new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join("estimates.json"), estimates_json(*median)).unwrap();
        // criterion also keeps the previous run and a per-group report directory.
        std::fs::create_dir_all(dir.join(group).join(function).join("base")).unwrap();
    }
    dir
}

/// Every function of every group, the reference meeting each target comfortably.
fn all_met() -> Vec<(&'static str, &'static str, f64)> {
    vec![
        ("spawn_join_10k", "reference", 700_000.0),
        ("spawn_join_10k", "tokio_current_thread", 1_000_000.0),
        ("spawn_join_10k", "async_executor_local", 800_000.0),
        ("spawn_join_10k", "futures_local_pool", 1_500_000.0),
        ("yield_100k", "reference", 900_000.0),
        ("yield_100k", "tokio_current_thread", 1_000_000.0),
        ("yield_100k", "async_executor_local", 1_200_000.0),
        ("yield_100k", "futures_local_pool", 1_100_000.0),
        ("yield_100k", "tokio_yield_now", 9_000_000.0),
        ("gather_10k_yield_once", "reference", 1_000_000.0),
        (
            "gather_10k_yield_once",
            "reference_gather_on_tokio",
            900_000.0,
        ),
        (
            "gather_10k_yield_once",
            "futures_join_all_on_tokio",
            3_000_000.0,
        ),
        ("join_ready_10k", "reference", 20_000.0),
        ("join_ready_10k", "futures_join_all", 400_000.0),
        ("offload_1000", "reference_pool", 100_000.0),
        ("offload_1000", "tokio_spawn_blocking", 1_000_000.0),
        ("offload_1000", "thread_per_call", 30_000_000.0),
        ("offload_roundtrip_1000", "reference_pool", 5_000_000.0),
        (
            "offload_roundtrip_1000",
            "tokio_spawn_blocking",
            6_000_000.0,
        ),
        ("offload_roundtrip_1000", "thread_per_call", 40_000_000.0),
        ("loop_callbacks_1m", "reference_chain", 8_000_000.0),
        ("loop_callbacks_1m", "reference_batch", 5_000_000.0),
    ]
}

fn with(
    mut results: Vec<(&'static str, &'static str, f64)>,
    group: &'static str,
    function: &'static str,
    median: f64,
) -> Vec<(&'static str, &'static str, f64)> {
    results.retain(|(g, f, _)| !(*g == group && *f == function));
    results.push((group, function, median));
    results
}

fn without(
    mut results: Vec<(&'static str, &'static str, f64)>,
    group: &str,
    function: &str,
) -> Vec<(&'static str, &'static str, f64)> {
    results.retain(|(g, f, _)| !(*g == group && *f == function));
    results
}

fn machine() -> Machine {
    Machine {
        cpu: "Example CPU <8 cores> & friends".into(),
        cores: 2,
        os: "Linux 6.1.0".into(),
        rustc: "rustc 1.95.0 (abcdef 2026-01-01)".into(),
        python: Some("3.11.7".into()),
        date: "2026-11-23".into(),
        command: "cargo xtask bench --update-book".into(),
        measured_by: None,
    }
}

fn asyncio() -> AsyncioOutcome {
    AsyncioOutcome::Measured(bench::Asyncio {
        python: "3.11.7".into(),
        chain_ns: 80.0,
        batch_ns: 50.0,
    })
}

#[test]
fn the_parser_reads_each_median_and_its_interval_and_skips_what_was_not_run() {
    let dir = fixture(
        "parse",
        &[
            ("spawn_join_10k", "reference", 1_234_567.0),
            ("spawn_join_10k", "tokio_current_thread", 2_000_000.0),
            ("spawn_join_10k", "brand_new_runtime", 3_000_000.0),
        ],
    );
    // A function directory without `new/` (an interrupted run) and criterion's report directory.
    std::fs::create_dir_all(dir.join("spawn_join_10k/report")).unwrap();
    std::fs::create_dir_all(dir.join("spawn_join_10k/futures_local_pool/base")).unwrap();

    let results = read_results(&dir).unwrap();
    let reference = results.get("spawn_join_10k", "reference").expect(
        "read_results found no spawn_join_10k/reference although <dir>/spawn_join_10k/reference/new/estimates.json exists",
    );
    assert_eq!(
        reference.median_ns, 1_234_567.0,
        "the median must come from median.point_estimate (not the mean or the slope)"
    );
    assert_eq!(
        (reference.lower_ns, reference.upper_ns),
        (1_234_567.0 * 0.95, 1_234_567.0 * 1.05),
        "the interval must come from median.confidence_interval"
    );
    assert_eq!(
        results.get("spawn_join_10k", "futures_local_pool"),
        None,
        "a function directory with no new/estimates.json is not run, not an error"
    );
    assert_eq!(
        results.get("yield_100k", "reference"),
        None,
        "a group with no directory is not run"
    );
    assert_eq!(
        results.unlisted(),
        vec!["spawn_join_10k/brand_new_runtime".to_string()],
        "a result the table does not list is named (so GROUPS can be kept in step with tests/bench)"
    );
}

#[test]
fn a_broken_estimates_file_is_an_error_naming_it() {
    let dir = fixture("broken", &[("yield_100k", "reference", 1.0)]);
    let file = dir.join("yield_100k/reference/new/estimates.json");
    std::fs::write(&file, r#"{"mean": {}}"#).unwrap();
    let error = read_results(&dir)
        .expect_err("an estimates.json without a median was accepted")
        .to_string();
    assert!(
        error.contains(&file.display().to_string()) && error.contains("median.point_estimate"),
        "the error must name the file and what is missing in it; it was: {error}"
    );
}

#[test]
fn ratios_are_subject_over_operand_and_a_target_is_met_or_missed() {
    // reference 0.7x tokio (target <= 0.8x: met); reference 1.4x async-executor (<= 1.2x: MISSED).
    let data = with(
        all_met(),
        "spawn_join_10k",
        "async_executor_local",
        500_000.0,
    );
    // reference_pool 5 ms vs tokio_spawn_blocking 5 ms: exactly at the 1.0x target.
    let data = with(
        data,
        "offload_roundtrip_1000",
        "tokio_spawn_blocking",
        5_000_000.0,
    );
    let results = read_results(&fixture("verdicts", &data)).unwrap();
    let checks = check_targets(&results);
    let spawn: Vec<_> = checks
        .iter()
        .filter(|c| c.group.name == "spawn_join_10k")
        .collect();
    assert_eq!(spawn.len(), 2, "spawn_join_10k has two targets");
    let tokio = spawn
        .iter()
        .find(|c| c.target.operand == "tokio_current_thread")
        .unwrap();
    let ratio = tokio
        .ratio
        .expect("both medians are there, so the ratio must be too");
    assert!(
        (ratio - 0.7).abs() < 1e-9,
        "reference/tokio_current_thread is 700 µs / 1 ms = 0.7, the report computed {ratio}"
    );
    assert_eq!(tokio.verdict, Verdict::Met, "0.7 <= 0.8 is met");
    let local = spawn
        .iter()
        .find(|c| c.target.operand == "async_executor_local")
        .unwrap();
    assert_eq!(local.verdict, Verdict::Missed, "1.4 > 1.2 is MISSED");
    let at_the_limit = checks
        .iter()
        .find(|c| c.group.name == "offload_roundtrip_1000")
        .unwrap();
    assert_eq!(
        (at_the_limit.ratio, at_the_limit.verdict),
        (Some(1.0), Verdict::Met),
        "a ratio exactly at the target (1.0 <= 1.0) is met"
    );
    let others_met = checks
        .iter()
        .filter(|c| c.group.name != "spawn_join_10k")
        .all(|c| c.verdict == Verdict::Met);
    assert!(
        others_met,
        "every other target of the fixture is met: {checks:#?}"
    );

    let text = render_text(&Report {
        results: &results,
        machine: &machine(),
        asyncio: &asyncio(),
    });
    let line = |function: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{function} ")))
            .unwrap_or_else(|| panic!("no line for {function}:\n{text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        line("tokio_current_thread").ends_with("reference <= 0.8x this met (0.700x)")
            && line("async_executor_local").ends_with("reference <= 1.2x this MISSED (1.40x)"),
        "the table's operand rows must show the target and met/MISSED with the measured ratio:\n{text}"
    );
    assert!(
        text.contains(
            "MISSED   spawn_join_10k: reference <= 1.2x async_executor_local, measured 1.40x"
        ),
        "the targets list must show the missed target with its ratio:\n{text}"
    );
    assert!(
        text.contains("70.0 ns/task") && text.contains("vs baseline"),
        "per element = median / 10,000 tasks (700 µs -> 70.0 ns/task):\n{text}"
    );
    assert!(
        text.contains(
            "tokio's own yield_now, which defers its wake to the next tick; shown, not a target"
        ),
        "tokio_yield_now's row must say why it has no target:\n{text}"
    );
    assert!(
        text.contains("asyncio is 10.0x slower than the reference loop"),
        "asyncio 80 ns per callback vs the reference chain's 8 ms / 1,000,000 = 8 ns is 10x:\n{text}"
    );
}

#[test]
fn a_missing_target_operand_is_reported_by_group_and_function() {
    let data = without(all_met(), "offload_1000", "tokio_spawn_blocking");
    let results = read_results(&fixture("missing", &data)).unwrap();
    let missing = missing_operands(&results);
    assert_eq!(
        missing
            .iter()
            .map(|m| format!("{}/{}", m.group, m.function))
            .collect::<Vec<_>>(),
        vec!["offload_1000/tokio_spawn_blocking"],
        "exactly the one missing operand must be reported"
    );
    let message = missing_message(&missing);
    assert!(
        message.contains("offload_1000/tokio_spawn_blocking")
            && message.contains("reference_pool <= 0.2x tokio_spawn_blocking")
            && message.contains("cargo bench -p course-bench --bench executors -- 'offload_1000'"),
        "the error must name the benchmark, the target needing it, and a command that runs it:\n{message}"
    );
    let text = render_text(&Report {
        results: &results,
        machine: &machine(),
        asyncio: &asyncio(),
    });
    assert!(
        text.contains("not run  offload_1000: reference_pool <= 0.2x tokio_spawn_blocking (5x the throughput), not run"),
        "the target whose operand is missing must be listed as not run:\n{text}"
    );

    // A reader's `yours` rows are never operands: without them nothing is missing.
    assert!(missing_operands(&read_results(&fixture("complete", &all_met())).unwrap()).is_empty());
}

#[test]
fn yours_rows_say_how_they_compare_with_the_reference_and_have_no_target() {
    let data = with(all_met(), "spawn_join_10k", "yours", 1_190_000.0);
    let data = with(data, "loop_callbacks_1m", "yours_batch", 10_000_000.0);
    let results = read_results(&fixture("yours", &data)).unwrap();
    assert_eq!(results.yours_count(), 2);
    let plain = render_text(&Report {
        results: &read_results(&fixture("plain", &all_met())).unwrap(),
        machine: &machine(),
        asyncio: &asyncio(),
    });
    assert!(
        !plain.contains("yours"),
        "a run without any yours result shows no yours rows:\n{plain}"
    );
    let text = render_text(&Report {
        results: &results,
        machine: &machine(),
        asyncio: &asyncio(),
    });
    assert!(
        text.contains("yours = 1.70x reference"),
        "1.19 ms against the reference's 700 µs is 1.70x:\n{text}"
    );
    assert!(
        text.contains("yours_batch = 2.00x reference_batch"),
        "yours_batch compares with reference_batch (10 ms / 5 ms):\n{text}"
    );
    assert_eq!(
        read_results(&fixture("no-yours", &all_met()))
            .unwrap()
            .yours_count(),
        0
    );
}

/// Checks that every tag of `xml` is closed in order, and returns the element names seen.
fn balanced_tags(xml: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("a `<` without its `>`") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name, "<{open}> is closed by </{name}>");
        } else {
            let name = tag
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_string();
            seen.push(name.clone());
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
    }
    assert!(stack.is_empty(), "elements left open: {stack:?}");
    seen
}

#[test]
fn the_svg_is_well_formed_with_a_panel_per_group_on_white() {
    let data = with(
        all_met(),
        "spawn_join_10k",
        "async_executor_local",
        500_000.0,
    );
    let data = without(data, "offload_1000", "thread_per_call");
    let results = read_results(&fixture("svg-input", &data)).unwrap();
    let svg = render_svg(&Report {
        results: &results,
        machine: &machine(),
        asyncio: &asyncio(),
    });
    // Kept for a look: target/tmp/xtask-bench/svg/report.svg.
    std::fs::write(scratch("svg").join("report.svg"), &svg).unwrap();
    assert!(
        svg.starts_with("<svg "),
        "the SVG must start with <svg: {}",
        &svg[..40]
    );
    assert!(
        svg.trim_end().ends_with("</svg>"),
        "the SVG must end with </svg>"
    );
    let elements = balanced_tags(&svg);
    let groups = elements.iter().filter(|e| *e == "g").count();
    assert_eq!(
        groups,
        bench::GROUPS.len() + 1,
        "one <g> per group plus the caption's"
    );
    for g in bench::GROUPS {
        assert!(
            svg.contains(&format!("<g id=\"{}\">", g.name)),
            "the SVG has no panel for {}",
            g.name
        );
    }
    assert!(svg.contains(r#"width="760""#) && svg.contains(r#"font-family="sans-serif""#));
    assert!(
        svg.contains(r##"fill="#ffffff""##),
        "a white background, so the dark book themes show dark text on white"
    );
    assert!(
        svg.contains("Example CPU &lt;8 cores&gt; &amp; friends") && !svg.contains("<8 cores>"),
        "text must be XML-escaped"
    );
    assert!(
        svg.contains("Log scale"),
        "the caption must say which scale the bars use"
    );
    assert!(svg.contains("0.714x MISSED") && svg.contains("not run"));
}

#[test]
fn the_markdown_can_be_included_in_a_page_and_shows_the_plot_and_targets() {
    let data = with(
        all_met(),
        "spawn_join_10k",
        "async_executor_local",
        500_000.0,
    );
    let results = read_results(&fixture("markdown-input", &data)).unwrap();
    let md = render_markdown(
        &Report {
            results: &results,
            machine: &machine(),
            asyncio: &asyncio(),
        },
        "generated/bench/ratios.svg",
    );
    // Kept for a look: target/tmp/xtask-bench/markdown/ratios.md.
    std::fs::write(scratch("markdown").join("ratios.md"), &md).unwrap();
    let first = md.lines().next().unwrap();
    assert!(
        first.starts_with("Measured on Example CPU &lt;8 cores&gt;")
            && first.contains("2 logical cores")
            && first.contains("rustc 1.95.0")
            && first.contains("Python 3.11.7")
            && first.ends_with("2026-11-23, with `cargo xtask bench --update-book`."),
        "the first line names the machine, the date and the command (no # heading): {first}"
    );
    assert!(
        !md.lines().any(|l| l.starts_with("# ")),
        "no level-1 heading in an included file"
    );
    assert!(
        md.contains("](generated/bench/ratios.svg)"),
        "the image link is the one asked for"
    );
    for g in bench::GROUPS {
        assert!(
            md.contains(&format!("**`{}`**", g.name)),
            "no table for {}",
            g.name
        );
    }
    for expected in [
        "- **MISSED**: `spawn_join_10k`: reference <= 1.2x async_executor_local, measured 1.40x",
        "- met: `spawn_join_10k`: reference <= 0.8x tokio_current_thread, measured 0.700x",
    ] {
        assert!(
            md.lines().any(|l| l == expected),
            "the targets section must have the line {expected:?}:\n{md}"
        );
    }
    assert!(
        md.contains("| `async_executor_local` | 500 µs (475 µs – 525 µs) | 50.0 ns | 0.714x | reference <= 1.2x this | **MISSED (1.40x)** |"),
        "the group's table row: median (interval), per task, vs baseline, target, result:\n{md}"
    );
    assert!(
        md.contains("- batch: asyncio (Python 3.11.7) 50.0 ns per callback, the reference loop 5.00 ns per callback: asyncio is 10.0x slower than the reference loop"),
        "asyncio's batch (50 ns) against reference_batch (5 ms / 1,000,000 = 5 ns):\n{md}"
    );
}

#[test]
fn update_book_with_yours_is_refused_before_anything_runs() {
    let opts = Options {
        yours: true,
        update_book: true,
        ..Options::default()
    };
    let error = opts
        .validate()
        .expect_err("--update-book --yours was accepted")
        .to_string();
    assert!(
        error.contains("--update-book") && error.contains("--yours") && error.contains("book"),
        "the refusal must say which options and why: {error}"
    );
    // The same through the command line; it fails before running cargo bench.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench", "--yours", "--update-book"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("cannot go together"),
        "`cargo xtask bench --yours --update-book` must fail with the reason; it printed: {stderr}"
    );

    let quick_existing = Options {
        quick: true,
        from_existing: true,
        ..Options::default()
    };
    assert!(
        quick_existing.validate().is_err(),
        "--quick means nothing with --from-existing"
    );
}

#[test]
fn the_cargo_bench_command_and_the_reported_command() {
    let opts = Options {
        yours: true,
        quick: true,
        criterion_args: vec!["spawn join".into()],
        ..Options::default()
    };
    assert_eq!(
        opts.cargo_bench_args().join(" "),
        "bench -p course-bench --bench executors --features yours -- --warm-up-time 0.5 --measurement-time 1 --sample-size 10 spawn join"
    );
    assert_eq!(
        opts.command_line(),
        "cargo xtask bench --yours --quick -- 'spawn join'"
    );
    assert_eq!(
        Options::default().cargo_bench_args().join(" "),
        "bench -p course-bench --bench executors",
        "no `--` when there is nothing for criterion"
    );
}

#[test]
fn results_from_an_earlier_run_are_dropped() {
    let mut results = Results::default();
    let e = Estimate {
        median_ns: 1.0,
        lower_ns: 1.0,
        upper_ns: 1.0,
    };
    results.insert("yield_100k", "reference", e);
    let dir = fixture("stale", &[("yield_100k", "reference", 1.0)]);
    let mut read = read_results(&dir).unwrap();
    let future = SystemTime::now() + Duration::from_secs(3600);
    assert_eq!(
        read.drop_older_than(future),
        1,
        "a file written before the run is dropped"
    );
    assert!(read.is_empty());
    assert_eq!(
        results.drop_older_than(future),
        0,
        "a result with no time is kept"
    );
}

#[test]
fn machine_details() {
    let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC  7B13 64-Core Processor\n";
    assert_eq!(
        bench::cpu_model(cpuinfo).as_deref(),
        Some("AMD EPYC 7B13 64-Core Processor")
    );
    assert_eq!(bench::cpu_model("processor : 0\n"), None);
    assert_eq!(bench::utc_date(SystemTime::UNIX_EPOCH), "1970-01-01");
    assert_eq!(
        bench::utc_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_208_000)),
        "2024-02-29"
    );
    assert_eq!(bench::fmt_time(123.4), "123 ns");
    assert_eq!(bench::fmt_time(1_234.0), "1.23 µs");
    assert_eq!(bench::fmt_time(12_345_678.0), "12.3 ms");
}

#[test]
fn the_asyncio_script_prints_the_line_the_report_reads() {
    assert!(parse_asyncio(r#"{"python": "3.12.1", "chain_ns_per_callback": 1.5}"#).is_err());
    let script = xtask::workspace_root().join(bench::ASYNCIO_SCRIPT);
    let out = match std::process::Command::new("python3")
        .arg(&script)
        .arg("2000")
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("python3 is not on PATH: the script itself is not checked");
            return;
        }
        Err(e) => panic!("could not run python3: {e}"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let a = parse_asyncio(stdout.trim()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        a.python.starts_with('3'),
        "the Python version: {}",
        a.python
    );
    assert!(a.chain_ns > 0.0 && a.batch_ns > 0.0);
}

/// Runs the built `cargo xtask` with `bench --from-existing` on a fixture target directory, with
/// an empty PATH (so python3 is "not on PATH" and the machine details fall back).
fn from_existing(target: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench", "--from-existing"])
        .env("CARGO_TARGET_DIR", target)
        .env("PATH", "")
        .output()
        .unwrap()
}

#[test]
fn from_existing_reports_what_criterion_has_and_writes_both_files() {
    let criterion = fixture("e2e-complete", &all_met());
    let target = criterion.parent().unwrap();
    let out = from_existing(target);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "`cargo xtask bench --from-existing` failed on a complete fixture:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("asyncio comparison skipped: python3 is not on PATH"),
        "without python3 the asyncio part is skipped, saying why:\n{stdout}"
    );
    assert!(
        stdout.contains(
            "with `cargo xtask bench --from-existing` from criterion's results of a run xtask did not record"
        ),
        "a report of existing results says it does not know the run that made them:\n{stdout}"
    );
    let md = std::fs::read_to_string(target.join("course-bench/report.md")).unwrap();
    let svg = std::fs::read_to_string(target.join("course-bench/report.svg")).unwrap();
    assert!(
        md.contains("](report.svg)"),
        "report.md shows report.svg beside it"
    );
    assert!(svg.starts_with("<svg ") && !md.starts_with('#'));
}

#[test]
fn from_existing_fails_naming_a_missing_operand_after_writing_the_report() {
    let data = without(all_met(), "yield_100k", "tokio_current_thread");
    let criterion = fixture("e2e-missing", &data);
    let target = criterion.parent().unwrap();
    let out = from_existing(target);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("yield_100k/tokio_current_thread"),
        "a missing target operand must fail the run and be named; stderr:\n{stderr}"
    );
    assert!(
        target.join("course-bench/report.md").is_file(),
        "the report is still written (with the row as not run)"
    );

    let empty = scratch("e2e-empty");
    let out = from_existing(&empty);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("run `cargo xtask bench` (without --from-existing) first"),
        "no criterion results at all must say how to get some; stderr:\n{stderr}"
    );
}

#[test]
fn from_existing_names_the_recorded_run_only_when_it_came_after_the_results() {
    let criterion = fixture("recorded", &all_met());
    let dir = criterion.parent().unwrap().join("course-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let results = read_results(&criterion).unwrap();
    std::fs::write(dir.join(bench::LAST_RUN), "cargo xtask bench --quick\n").unwrap();
    assert_eq!(
        bench::recorded_run(&dir, &results),
        "from the results of `cargo xtask bench --quick`"
    );
    // A result written after the record: a run xtask did not see.
    let later = SystemTime::now() + Duration::from_secs(60);
    let file = criterion.join("yield_100k/reference/new/estimates.json");
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let results = read_results(&criterion).unwrap();
    assert!(
        bench::recorded_run(&dir, &results).contains("did not record"),
        "results newer than the record are not attributed to it"
    );
}

/// The group and function names are a contract between the benchmark (tests/bench) and this
/// report: a rename on one side only would make the report say "not run" for a result that
/// exists. Read the names the benchmark registers from its source, and compare.
#[test]
fn the_benchmark_registers_exactly_the_groups_and_functions_the_report_knows() {
    let root = xtask::workspace_root();
    let source = std::fs::read_to_string(root.join("tests/bench/benches/executors.rs"))
        .expect("tests/bench/benches/executors.rs");
    let mut registered: Vec<(String, String)> = Vec::new();
    let mut group = String::new();
    for line in source.lines() {
        if let Some(rest) = line.split("group(c, \"").nth(1) {
            group = rest.split('"').next().unwrap().to_string();
        }
        if let Some(rest) = line.split("bench_function(\"").nth(1) {
            registered.push((group.clone(), rest.split('"').next().unwrap().to_string()));
        }
    }
    let mut known: Vec<(String, String)> = xtask::bench::GROUPS
        .iter()
        .flat_map(|g| g.functions.iter().map(move |f| (g.name.to_string(), f.name.to_string())))
        .collect();
    registered.sort();
    known.sort();
    assert!(registered.len() > 20, "read only {} bench_function calls: has the source's shape changed?", registered.len());
    assert_eq!(
        registered, known,
        "tests/bench/benches/executors.rs and xtask::bench::GROUPS disagree on the names (left: the benchmark)"
    );
}

/// The book shows the report of a full run, with every group and the machine it ran on.
#[test]
fn the_books_benchmark_report_is_complete() {
    let root = xtask::workspace_root();
    let report = std::fs::read_to_string(root.join("book/src/generated/bench/ratios.md"))
        .expect("book/src/generated/bench/ratios.md: run `cargo xtask bench --update-book`");
    assert!(report.starts_with("Measured on "), "the report must open with the machine it ran on");
    for group in xtask::bench::GROUPS {
        assert!(report.contains(&format!("`{}`", group.name)), "the book's report lacks group {}", group.name);
    }
    assert!(!report.contains("yours"), "the book's report must not carry a reader's own numbers");
    assert!(root.join("book/src/generated/bench/ratios.svg").is_file(), "the report's chart is missing");
}
