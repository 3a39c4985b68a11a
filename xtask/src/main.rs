//! `cargo xtask <task>`: the course's chores. Run `cargo xtask --help` for the list.
//!
//! Every task prints each step it runs (`==> ...`), so a CI log says what happened.

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;
use xtask::progress::{self, Exercise, Status};
use xtask::links::strip_tags;
use xtask::{Result, step, workspace_root};

/// The default port of `cargo xtask serve` (and the one `doctor` checks).
const DEFAULT_PORT: u16 = 3000;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "The course's chores: your progress, the pre-flight, the book.",
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Every chapter's exercise and how far you are; the first failing test of the first
    /// unfinished chapter.
    Progress {
        /// Then re-run the current exercise's tests whenever a file under it changes.
        #[arg(long)]
        watch: bool,
    },
    /// The pre-flight before a workshop: toolchain, dependencies, the book, the port; each
    /// problem with the command that fixes it.
    Doctor {
        /// The port `serve` will use.
        #[arg(long, default_value_t = DEFAULT_PORT)]
        port: u16,
    },
    /// Build the book into target/book (fails on a missing page, a broken {{#include}}, a broken
    /// link or #anchor, or any error mdBook logs).
    Book,
    /// Build the book, then serve target/book at http://127.0.0.1:PORT/ (no live reload).
    Serve {
        #[arg(long, short, default_value_t = DEFAULT_PORT)]
        port: u16,
    },
    /// Open every page of the built book in headless Chromium: console errors, broken images,
    /// and search finding each chapter (skipped when Chromium is not installed).
    CheckPages,
    /// Regenerate book/src/generated/ (the program output the book shows).
    Outputs,
    /// Check that every exercise stub's tests fail with todo!().
    Stubs,
    /// Run the benchmarks (criterion, package course-bench) and report each reference
    /// implementation against its target, with asyncio for comparison: a table here, and
    /// target/course-bench/report.md and report.svg.
    Bench {
        /// Also benchmark your own crates (`--features yours`); their rows say how they compare
        /// with the reference.
        #[arg(long)]
        yours: bool,
        /// Short runs (criterion: 0.5 s warm-up, 1 s measurement, 10 samples): rough numbers.
        #[arg(long)]
        quick: bool,
        /// Also write the report into book/src/generated/bench/ (not with --yours).
        #[arg(long)]
        update_book: bool,
        /// Report the results criterion already has (target/criterion) without running anything.
        #[arg(long)]
        from_existing: bool,
        /// Passed to criterion, e.g. `-- spawn_join` to run one group.
        #[arg(last = true)]
        criterion_args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Progress { watch } => progress_task(watch),
        Task::Doctor { port } => doctor(port),
        Task::Book => book().map(drop),
        Task::Serve { port } => serve(port),
        Task::CheckPages => check_pages(),
        Task::Outputs => outputs(),
        Task::Stubs => stubs(),
        Task::Bench {
            yours,
            quick,
            update_book,
            from_existing,
            criterion_args,
        } => xtask::bench::run(&xtask::bench::Options {
            yours,
            quick,
            update_book,
            from_existing,
            criterion_args,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the book where book.toml says (`target/book`) and returns that directory.
fn book() -> Result<std::path::PathBuf> {
    let out = xtask::book::build(&workspace_root().join("book"), None)?;
    step("the book is built");
    println!("open file://{}", out.join("index.html").display());
    Ok(out)
}

fn serve(port: u16) -> Result<()> {
    let out = book()?;
    step(format!("serving target/book on port {port}"));
    xtask::serve::serve(&out, port)
}

fn outputs() -> Result<()> {
    // Cargo accepts `--test NAME` with `--workspace` as long as at least one package has a test
    // target of that name; it builds and runs only those packages' `book_output` tests.
    cargo(
        &["test", "--workspace", "--test", "book_output"],
        &[("UPDATE_BOOK_OUTPUT", "1")],
    )?;
    step("book/src/generated/ is current; review it with `git diff book/src/generated`");
    Ok(())
}

fn stubs() -> Result<()> {
    cargo(
        &[
            "test",
            "-p",
            "course-check",
            "--test",
            "stubs",
            "--",
            "--nocapture",
        ],
        &[],
    )
}

/// Runs cargo (the one running this xtask) in the workspace root, echoing the command.
fn cargo(args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    step(format!("{} cargo {}", shown.join(" "), args.join(" ")).trim_start());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")).into())
    }
}

// ---------------------------------------------------------------------------------------------
// cargo xtask progress

fn progress_task(watch: bool) -> Result<()> {
    let root = workspace_root();
    let exercises = progress::exercises(&root)?;
    if exercises.is_empty() {
        return Err("no exercises/chNN-* crates found".into());
    }
    step(format!(
        "running each exercise's tests against your code ({} chapters; `cargo test -p <package> --no-fail-fast`)",
        exercises.len()
    ));
    let runner =
        ProgressBar::with_draw_target(Some(exercises.len() as u64), ProgressDrawTarget::stderr());
    runner.set_style(
        ProgressStyle::with_template("{spinner} [{bar:20}] {pos}/{len} {msg}")
            .expect("a valid template")
            .progress_chars("#>-"),
    );
    runner.enable_steady_tick(Duration::from_millis(120));
    let mut runs = Vec::new();
    for exercise in &exercises {
        runner.set_message(format!("cargo test -p {}", exercise.package));
        let run = progress::run(&root, exercise)?;
        runner.suspend(|| println!("{}", list_line(exercise, &run.status)));
        runner.inc(1);
        runs.push(run);
    }
    runner.finish_and_clear();

    let done = runs.iter().filter(|r| r.status.is_done()).count();
    println!();
    summary_bar(done, exercises.len());
    let current = runs.iter().position(|r| !r.status.is_done());
    match current {
        None => println!("\nEvery exercise passes. Well done!"),
        Some(i) => explain(&exercises[i], &runs[i]),
    }
    if watch {
        watch_loop(&root, &exercises, current)?;
    }
    Ok(())
}

/// One line of the list: a mark, the chapter, its package, its status, its title.
fn list_line(exercise: &Exercise, status: &Status) -> String {
    let mark = match status {
        Status::Done { .. } => "[x]",
        Status::NotStarted { .. } => "[ ]",
        _ => "[~]",
    };
    format!(
        "  {mark} {:<18} {:<13} {:<24} {}",
        exercise.slug,
        exercise.package,
        status.label(),
        exercise.title
    )
}

/// The overall bar, drawn once to stdout (also when stdout is not a terminal, e.g. in CI logs).
fn summary_bar(done: usize, total: usize) {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("Progress: [{bar:40}] {pos}/{len} chapters done")
            .expect("a valid template")
            .progress_chars("#>-"),
    );
    bar.set_position(done as u64);
    bar.set_draw_target(ProgressDrawTarget::term_like(Box::new(PlainStdout)));
    bar.abandon();
    println!();
}

/// A `TermLike` that only writes text, for a bar drawn once to a pipe or a terminal.
#[derive(Debug)]
struct PlainStdout;

impl indicatif::TermLike for PlainStdout {
    fn width(&self) -> u16 {
        100
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        println!("{}", s.trim_end());
        Ok(())
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        print!("{}", s.trim_end());
        Ok(())
    }
    fn clear_line(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn flush(&self) -> std::io::Result<()> {
        use std::io::Write as _;
        std::io::stdout().flush()
    }
}

/// What to do next on the first unfinished exercise.
fn explain(exercise: &Exercise, run: &progress::Run) {
    let hints = exercise.dir.join("HINTS.md");
    let hints = hints
        .strip_prefix(workspace_root())
        .unwrap_or(&hints)
        .display()
        .to_string();
    println!(
        "\nNext: {} — {} (`cargo test -p {}`)",
        exercise.title,
        run.status.label(),
        exercise.package
    );
    match &run.status {
        Status::DoesNotCompile { error } => {
            println!("It does not compile yet. The first error:\n");
            println!("{}", indent(error));
            println!("\nSee all of them: cargo test -p {}", exercise.package);
        }
        Status::NoTests { output } => {
            println!(
                "cargo ran no test. The end of its output:\n{}",
                indent(output)
            );
        }
        _ => {
            if let Some(first) = progress::first_failure(&run.outcomes) {
                println!("First failing test: {} ({})\n", first.name, first.binary);
                println!(
                    "{}",
                    indent(first.message.as_deref().unwrap_or("(it printed nothing)"))
                );
                println!(
                    "\nRun it alone: cargo test -p {} {}",
                    exercise.package, first.name
                );
            }
        }
    }
    println!("Stuck? {hints} has hints for each stage.");
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `--watch`: poll the current exercise's files once a second; on a change, re-run its tests.
/// When it is done, move on to the next unfinished one.
fn watch_loop(root: &Path, exercises: &[Exercise], current: Option<usize>) -> Result<()> {
    let Some(mut i) = current else {
        return Ok(());
    };
    loop {
        let exercise = &exercises[i];
        println!(
            "\n==> watching {} (save a file to re-run its tests; Ctrl-C to stop)",
            exercise
                .dir
                .strip_prefix(root)
                .unwrap_or(&exercise.dir)
                .display()
        );
        let mut seen = progress::newest_mtime(&exercise.dir);
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let now = progress::newest_mtime(&exercise.dir);
            if now != seen {
                seen = now;
                break;
            }
        }
        step(format!("cargo test -p {} --no-fail-fast", exercise.package));
        let run = progress::run(root, exercise)?;
        println!("{}", list_line(exercise, &run.status));
        if run.status.is_done() {
            println!("\n{} is done!", exercise.title);
            match (i + 1..exercises.len())
                .find(|&j| progress::run(root, &exercises[j]).is_ok_and(|r| !r.status.is_done()))
            {
                Some(next) => i = next,
                None => {
                    println!("Every exercise passes. Well done!");
                    return Ok(());
                }
            }
        } else {
            explain(exercise, &run);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// cargo xtask doctor

fn doctor(port: u16) -> Result<()> {
    use xtask::doctor::{self as d, Problem};
    let root = workspace_root();
    let mut problems: Vec<Problem> = Vec::new();
    let mut report = |name: &str, result: std::result::Result<String, Problem>| match result {
        Ok(found) => println!("  ok    {name}: {found}"),
        Err(p) => {
            println!("  FAIL  {name}: {}\n        fix: {}", p.what, p.fix);
            problems.push(p);
        }
    };

    step("toolchain");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let required = d::workspace_rust_version(&manifest)
        .ok_or("the root Cargo.toml has no [workspace.package] rust-version")?;
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let toolchain = match Command::new(&rustc)
        .arg("--version")
        .current_dir(&root)
        .output()
    {
        Ok(out) => d::check_toolchain(&String::from_utf8_lossy(&out.stdout), required),
        Err(e) => Err(Problem {
            what: format!("could not run rustc: {e}"),
            fix: "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh".into(),
        }),
    };
    report("rustc", toolchain);

    step("dependencies fetched and compiled: cargo test --workspace --no-run");
    let deps = cargo_with_spinner(&root, &["test", "--workspace", "--no-run"]);
    report(
        "dependencies",
        match deps {
            Ok((true, _)) => Ok("every crate and test of the workspace compiles".into()),
            Ok((false, text)) => {
                let first = progress::first_compile_error(&text).unwrap_or_else(|| {
                    text.lines()
                        .rev()
                        .take(8)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join("\n")
                });
                let network = [
                    "failed to download",
                    "failed to get",
                    "Couldn't resolve",
                    "failed to query",
                ]
                .iter()
                .any(|m| text.contains(m));
                Err(Problem {
                    what: format!(
                        "`cargo test --workspace --no-run` failed:\n{}",
                        indent(&first)
                    ),
                    fix: if network {
                        "cargo fetch   (on a network; then run the doctor again)".into()
                    } else {
                        "cargo test --workspace --no-run   (read the first error; an exercise you edited may not compile)".into()
                    },
                })
            }
            Err(e) => Err(Problem {
                what: format!("could not run cargo: {e}"),
                fix: "rustup default stable".into(),
            }),
        },
    );

    step("the book builds");
    let book = xtask::book::build(&root.join("book"), None);
    report(
        "book",
        match book {
            Ok(out) => Ok(format!("built into {}", out.display())),
            Err(e) => Err(Problem {
                what: format!("the book does not build: {e}"),
                fix: "cargo xtask book   (its first error names the page and line)".into(),
            }),
        },
    );

    step(format!(
        "a free port for `cargo xtask serve` (127.0.0.1:{port})"
    ));
    report("port", d::check_port(port));

    step("Chromium, for `cargo xtask check-pages` (optional, not needed by learners)");
    match d::find_chromium() {
        Some(path) => println!("  ok    chromium: {}", path.display()),
        None => {
            println!("  info  chromium: not found (optional); install: apt-get install chromium")
        }
    }

    println!();
    if problems.is_empty() {
        println!(
            "Everything is ready: `cargo xtask serve` for the book, `cargo xtask progress` for the exercises."
        );
        Ok(())
    } else {
        println!(
            "{} problem(s); run each fix above, then `cargo xtask doctor` again:",
            problems.len()
        );
        for p in &problems {
            println!("  {}", p.fix);
        }
        Err(format!("{} problem(s) found", problems.len()).into())
    }
}

/// Runs cargo with its stderr read line by line: a spinner shows the latest line (`Compiling
/// tokio ...`) so a long first build visibly moves; returns success and everything it printed.
fn cargo_with_spinner(root: &Path, args: &[&str]) -> std::io::Result<(bool, String)> {
    use std::io::BufRead as _;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .args(args)
        .env("CARGO_TERM_COLOR", "never")
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    spinner.set_style(ProgressStyle::with_template("  {spinner} {msg}").expect("a valid template"));
    spinner.enable_steady_tick(Duration::from_millis(120));
    let mut text = String::new();
    if let Some(stderr) = child.stderr.take() {
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line?;
            spinner.set_message(line.trim().to_string());
            text.push_str(&line);
            text.push('\n');
        }
    }
    spinner.finish_and_clear();
    Ok((child.wait()?.success(), text))
}

// ---------------------------------------------------------------------------------------------
// cargo xtask check-pages

fn check_pages() -> Result<()> {
    use xtask::pages;
    let Some(chromium) = xtask::doctor::find_chromium() else {
        println!("check-pages: skipped, Chromium is not installed.");
        println!(
            "Install it with `apt-get install chromium` (Debian/Ubuntu), then run `cargo xtask check-pages` again."
        );
        return Ok(());
    };
    let root = workspace_root();
    // Its own build (not target/book), so a `cargo xtask serve` running meanwhile is left alone.
    let scratch = tempdir(&root)?;
    let out = xtask::book::build(&root.join("book"), Some(&scratch.join("book")))?;
    let port = xtask::serve::serve_in_background(&out)?;
    let base = format!("http://127.0.0.1:{port}");
    let profile = scratch.join("chromium-profile");
    step(format!(
        "opening every page in headless {} (served at {base}/)",
        chromium.display()
    ));

    let mut problems = Vec::new();
    // Pages whose only console message is the playground's crate list failing to load offline.
    let mut offline_notes: Vec<String> = Vec::new();
    let page_files = pages::pages(&out)?;
    let bar =
        ProgressBar::with_draw_target(Some(page_files.len() as u64), ProgressDrawTarget::stderr());
    for page in &page_files {
        let rel = page
            .strip_prefix(&out)
            .unwrap_or(page)
            .to_string_lossy()
            .replace('\\', "/");
        bar.set_message(rel.clone());
        let visit = pages::visit(&chromium, &profile, &format!("{base}/{rel}"), 3000)?;
        for message in &visit.console {
            if pages::is_offline_playground_fetch(message, &visit.dom) {
                offline_notes.push(rel.clone());
            } else {
                problems.push(format!("{rel}: console: {message}"));
            }
        }
        for src in pages::image_sources(&visit.dom) {
            if !pages::image_exists(&out, page, &src) {
                problems.push(format!("{rel}: image {src} is missing"));
            }
        }
        if !visit.dom.contains("</main>") && !rel.ends_with("toc.html") {
            problems.push(format!(
                "{rel}: the page has no <main> after its scripts ran"
            ));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!("  {} pages opened", page_files.len());

    step("searching for a word of each chapter's title (index.html?search=<word>)");
    let mut searches = Vec::new();
    for page in &page_files {
        let rel = page
            .strip_prefix(&out)
            .unwrap_or(page)
            .to_string_lossy()
            .replace('\\', "/");
        let is_chapter = (rel.starts_with("ch") || rel.starts_with("appendix-"))
            && !rel.contains('/')
            && !rel.ends_with("-solution.html");
        if !is_chapter {
            continue;
        }
        let html = std::fs::read_to_string(page)?;
        // The page's own heading, not the menu bar's (`<h1 class="menu-title">`).
        let main = html.split_once("<main").map_or(html.as_str(), |(_, m)| m);
        let title = main
            .split_once("<h1")
            .and_then(|(_, rest)| rest.split_once("</h1>"))
            .map(|(h1, _)| strip_tags(h1.split_once('>').map_or(h1, |(_, t)| t)))
            .unwrap_or_default();
        if let Some(term) = pages::search_term(&title) {
            searches.push((rel, term));
        }
    }
    // The glossary's Chinese terms (xtask's addition to mdBook's search).
    if page_files
        .iter()
        .any(|p| p.ends_with("appendix-glossary.html"))
    {
        searches.push(("appendix-glossary.html".into(), "事件循环".into()));
    }
    for (rel, term) in &searches {
        let url = format!("{base}/index.html?search={}", percent_encode(term));
        let visit = pages::visit(&chromium, &profile, &url, 5000)?;
        let links = pages::search_result_links(&visit.dom);
        let found = links
            .iter()
            .any(|l| l.trim_start_matches("./").starts_with(rel.as_str()));
        println!(
            "  {} search {term:?} -> {} result(s){}",
            if found { "ok  " } else { "FAIL" },
            links.len(),
            if found {
                format!(", {rel} among them")
            } else {
                format!(", {rel} not among them")
            }
        );
        if !found {
            problems.push(format!(
                "searching for {term:?} does not find {rel} (results: {})",
                links.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        for message in &visit.console {
            problems.push(format!("index.html?search={term}: console: {message}"));
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);

    println!();
    if !offline_notes.is_empty() {
        println!(
            "  note: {} could not fetch the Rust playground's crate list (play.rust-lang.org): \
             expected without internet access; their run buttons need it online",
            offline_notes.join(", ")
        );
    }
    if problems.is_empty() {
        println!(
            "check-pages: {} pages without console errors or missing images; {} searches found their chapter",
            page_files.len(),
            searches.len()
        );
        Ok(())
    } else {
        for p in &problems {
            println!("  {p}");
        }
        Err(format!("check-pages: {} problem(s) (above)", problems.len()).into())
    }
}

/// A fresh directory under target/tmp for the book and Chromium's profile.
fn tempdir(root: &Path) -> Result<PathBuf> {
    let dir = root
        .join("target/tmp")
        .join(format!("check-pages-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
