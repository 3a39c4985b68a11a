//! The book shows the output of `ch02-poll-trace -- lazy` under the "Calling an async fn runs
//! nothing" listing, whose ▶ button runs the standalone `ch02-lazy` instead. Both run the same
//! code (the library compiles src/bin/lazy.rs as its module `lazy`), but each has its own `main`
//! printing it; a reader who presses the button must see what the page shows.

use std::process::Command;

#[test]
fn the_runnable_lazy_program_prints_what_the_book_shows() {
    let shown = include_str!("../../../src/generated/ch02-lazy.txt");
    // The generated file starts with the command line that produced it.
    let (_command, shown) = shown.split_once('\n').expect("the generated file has a command line");
    let out = Command::new(env!("CARGO_BIN_EXE_ch02-lazy")).output().expect("ch02-lazy runs");
    assert!(out.status.success(), "ch02-lazy failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed == shown,
        "src/bin/lazy.rs (the program behind the book's run button) prints something other than \
         the output the page shows (book/src/generated/ch02-lazy.txt, from `ch02-poll-trace -- \
         lazy`); keep the two `main`s printing the same lines.\n--- in the book ---\n{shown}\n--- ch02-lazy prints ---\n{printed}"
    );
}
