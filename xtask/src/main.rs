//! `cargo xtask <task>`: the course's chores. Run `cargo xtask help` for the list.
//!
//! Every task prints each step it runs (`==> ...`), so a CI log says what happened.

use std::process::{Command, ExitCode};
use xtask::{Result, step, workspace_root};

const HELP: &str = "\
usage: cargo xtask <task>

tasks:
  book              build the book into target/book (fails on a missing page, a broken
                    {{#include}} path or anchor, or any error mdBook logs)
  serve [--port N]  build the book, then serve target/book at http://127.0.0.1:N/
                    (default 3000; no live reload: run it again after editing)
  outputs           regenerate book/src/generated/ (the program output the book shows):
                    UPDATE_BOOK_OUTPUT=1 cargo test --workspace --test book_output
  stubs             check that every exercise stub's tests fail with todo!():
                    cargo test -p course-check --test stubs -- --nocapture
  help              this list";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match task {
        "help" | "--help" | "-h" => {
            println!("{HELP}");
            Ok(())
        }
        "book" => no_args(task, rest).and_then(|()| book().map(drop)),
        "serve" => serve(rest),
        "outputs" => no_args(task, rest).and_then(|()| outputs()),
        "stubs" => no_args(task, rest).and_then(|()| stubs()),
        other => Err(format!("unknown task `{other}`\n\n{HELP}").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn no_args(task: &str, rest: &[String]) -> Result<()> {
    match rest.first() {
        Some(arg) if arg == "--help" || arg == "-h" => {
            println!("{HELP}");
            std::process::exit(0)
        }
        Some(arg) => Err(format!("`{task}` takes no arguments (got `{arg}`)\n\n{HELP}").into()),
        None => Ok(()),
    }
}

/// Builds the book where book.toml says (`target/book`) and returns that directory.
fn book() -> Result<std::path::PathBuf> {
    let out = xtask::book::build(&workspace_root().join("book"), None)?;
    step("the book is built");
    println!("open file://{}", out.join("index.html").display());
    Ok(out)
}

fn serve(args: &[String]) -> Result<()> {
    let mut port = 3000;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--help" | "-h" => {
                println!("{HELP}");
                return Ok(());
            }
            "--port" | "-p" => args.next().map(String::as_str),
            other => other.strip_prefix("--port="),
        };
        let Some(value) = value else {
            return Err(format!("serve: unexpected argument `{arg}`\n\n{HELP}").into());
        };
        port = value
            .parse()
            .map_err(|_| format!("serve: `{value}` is not a port number"))?;
    }
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
