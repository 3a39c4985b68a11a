//! Chapter 8 — I/O readiness. **Exercise.**
//!
//! Make the chapter 3 loop wait on the operating system: a *reactor* under the loop's idle
//! step (`mio::Poll`, what tokio's I/O driver uses), sockets that never block, and an echo
//! server that serves many clients at once on one thread.
//!
//! The data structures, the reactor clock and `TcpStream::connect` are given (`src/given.rs`:
//! you read it, you do not edit it); you write the bodies marked `TODO(ch08)`, in four stages:
//!
//! 1. `Reactor::register`, `Registration::poll_ready`, `Reactor::turn`   `cargo test -p reactor stage1`
//! 2. `Registration::async_io`, `TcpStream::from_std`, `TcpListener::bind`,  `cargo test -p reactor stage2`
//!    `accept`, `read`, `write`
//! 3. `echo`, `serve_echo`                                                `cargo test -p reactor stage3`
//! 4. `TcpListener::close`                                                `cargo test -p reactor stage4`
//!
//! Stuck? `exercises/ch08-io/HINTS.md` has hints per stage, from gentle questions to specifics.

mod given;

pub use given::{
    Direction, EchoStats, IO_GRACE, Reactor, ReactorClock, Registration, TcpListener, TcpStream,
    Time, incomplete_message, io_loop, listener_closed,
};

#[allow(unused_imports)] // for the code you will write
use given::{IoState, WAKER_TOKEN};
#[allow(unused_imports)] // for the code you will write
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

impl Reactor {
    /// Registers `source` with the OS poller for both directions, under a fresh token, and
    /// gives back its entry.
    pub fn register<S>(&self, source: &mut S) -> io::Result<Registration>
    where
        S: mio::event::Source + ?Sized,
    {
        let _ = source;
        // TODO(ch08) stage 1: a fresh token; the IoState; register with the OS (both
        // interests); the table entry; the Registration.
        todo!(
            "Reactor::register: a fresh token, registry.register(source, token, READABLE | WRITABLE), a table entry"
        )
    }

    /// Waits for OS events (at most `timeout`; `None`: as long as it takes), marks each
    /// reported direction ready and wakes everyone waiting on it. Returns how many events
    /// arrived, the interrupt's included.
    pub fn turn(&self, timeout: Option<Duration>) -> io::Result<usize> {
        let _ = timeout;
        // TODO(ch08) stage 1: count the turn; one Poll::poll; for each event, find its
        // IoState by token, mark the direction(s) ready, collect their wakers; wake them after
        // every borrow has ended.
        todo!(
            "Reactor::turn: one Poll::poll, then mark each event's direction ready and wake its wakers"
        )
    }
}

impl Registration {
    /// `Ready(Ok)` if the poller said `direction` is ready and nobody has seen `WouldBlock`
    /// since; `Ready(Err(listener_closed()))` if the socket was closed; otherwise stores the
    /// waker (once) and returns `Pending`.
    pub fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<()>> {
        let _ = (cx, direction);
        // TODO(ch08) stage 1 (and the `closed` check in stage 4).
        todo!(
            "Registration::poll_ready: Ready if the direction is marked ready, else store cx.waker() and Pending"
        )
    }

    /// Runs the non-blocking `op` whenever `direction` is (said to be) ready, until it does
    /// not say `WouldBlock`.
    pub async fn async_io<R>(
        &self,
        direction: Direction,
        op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        let _ = (direction, op);
        // TODO(ch08) stage 2: wait for readiness, try `op`; WouldBlock: clear_ready and wait
        // again; anything else: return it.
        todo!(
            "Registration::async_io: in a loop, ready(direction).await?, try op, on WouldBlock clear_ready"
        )
    }
}

impl TcpListener {
    /// Binds a listening socket, registered with the running loop's reactor.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let _ = addr;
        // TODO(ch08) stage 2
        todo!("TcpListener::bind: mio::net::TcpListener::bind, then Reactor::current().register")
    }

    /// The next connection (asyncio: `loop.sock_accept`). Waits without blocking the loop.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        // TODO(ch08) stage 2
        todo!(
            "TcpListener::accept: async_io(Read, || self.io.accept()), then register the new stream"
        )
    }

    /// Stops accepting: every `accept` waiting now, and every later one, ends with
    /// `listener_closed()`.
    pub fn close(&self) {
        // TODO(ch08) stage 4
        todo!("TcpListener::close: set `closed`, wake every stored waker of both directions")
    }
}

impl TcpStream {
    /// Wraps a connected std stream: non-blocking mode, then registered with the running
    /// loop's reactor.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        let _ = stream;
        // TODO(ch08) stage 2
        todo!("TcpStream::from_std: set_nonblocking(true), mio's from_std, register")
    }

    /// Reads what is there, at most `buf.len()` bytes, waiting if nothing is; `Ok(0)` is
    /// end-of-file.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let _ = buf;
        // TODO(ch08) stage 2
        todo!("TcpStream::read: async_io(Read, || (&self.io).read(buf))")
    }

    /// Writes as much of `buf` as the socket takes now, waiting if it takes nothing.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        let _ = buf;
        // TODO(ch08) stage 2
        todo!("TcpStream::write: async_io(Write, || (&self.io).write(buf))")
    }
}

/// Echoes everything `stream` sends back to it, as it arrives, until end-of-file. Returns the
/// number of bytes echoed; a client that hangs up after an incomplete line gets
/// `Err(incomplete_message(n))` (n: bytes after the last `\n`) after its bytes were echoed.
pub async fn echo(stream: &TcpStream) -> io::Result<usize> {
    let _ = stream;
    // TODO(ch08) stage 3
    todo!(
        "echo: read, write_all what was read, count bytes since the last newline, until read gives 0"
    )
}

/// Accepts clients until `listener` is closed, serving each in its own task, and keeps score in
/// `stats`. Returns `Ok(())` once the listener is closed.
pub async fn serve_echo(listener: Rc<TcpListener>, stats: Rc<EchoStats>) -> io::Result<()> {
    let _ = (listener, stats);
    // TODO(ch08) stage 3: an accept error may end it (`?`); stage 4: return Ok(()) instead
    // when the listener is closed.
    todo!(
        "serve_echo: in a loop, accept, count it, spawn a task that echoes and records the outcome"
    )
}
