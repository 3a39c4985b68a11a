//! Prints the three timelines of chapter 0.
//!
//! `cargo run -p intro --bin timelines` runs them in real time (one notional second = 200 ms);
//! add `-- --virtual` for exact, repeatable times from a paused clock.

fn main() {
    let virtual_time = std::env::args().any(|a| a == "--virtual");
    print!("{}", intro::all_timelines(virtual_time));
}
