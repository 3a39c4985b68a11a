//! A callback-based API, as libraries were written before `async`: you hand it a callback and
//! it calls that callback later, on the loop, with the answer.
//!
//! This file is given, in the exercise and in the solution alike (the solution compiles this very
//! file). Stage 4 wraps it into an `async fn` without changing it, the way asyncio code wraps a
//! callback API into a coroutine with a bare `Future` and `set_result`.

use std::fmt;
use std::net::Ipv4Addr;
use std::time::Duration;

use event_loop::{Handle, LoopError};

/// How long the service takes to answer, on the loop's clock.
pub const LOOKUP_DELAY: Duration = Duration::from_secs(1);

/// Why a lookup found no address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// The service knows no host of that name.
    NotFound(String),
    /// The service dropped the callback without calling it (its loop was closed or dropped).
    NoAnswer,
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::NotFound(host) => write!(f, "no address known for host `{host}`"),
            LookupError::NoAnswer => f.write_str("the lookup service never answered"),
        }
    }
}

impl std::error::Error for LookupError {}

// ANCHOR: lookup
/// Looks `host` up, and calls `on_done` with the answer [`LOOKUP_DELAY`] later, from a timer on
/// the loop behind `handle`. `on_done` runs exactly once, unless the loop is closed or dropped
/// first: then it is dropped without being called. On a closed loop nothing is scheduled and the
/// error comes back at once.
///
/// The addresses are from the documentation range 192.0.2.0/24: this service is a stand-in.
pub fn lookup<F>(handle: &Handle, host: &str, on_done: F) -> Result<(), LoopError>
where
    F: FnOnce(Result<Ipv4Addr, LookupError>) + 'static,
{
    let answer = match host {
        "example.com" => Ok(Ipv4Addr::new(192, 0, 2, 10)),
        "rust-lang.org" => Ok(Ipv4Addr::new(192, 0, 2, 20)),
        "python.org" => Ok(Ipv4Addr::new(192, 0, 2, 30)),
        other => Err(LookupError::NotFound(other.to_owned())),
    };
    handle.call_later(LOOKUP_DELAY, move || on_done(answer))?;
    Ok(())
}
// ANCHOR_END: lookup
