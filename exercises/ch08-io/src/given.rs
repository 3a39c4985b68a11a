//! The reactor's data, the clock that makes the chapter 3 loop wait on the OS, and the socket
//! types' fields.
//!
//! This module is given, in the exercise and in the solution alike (the solution compiles this
//! very file): you never edit it. The chapter's work is the behaviour in `lib.rs`, written
//! against the types here.

// The stub does not use all of this yet; the finished exercise does.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use event_loop::{Clock, EventLoop, Handle, RealClock, VirtualClock};
use mio::{Events, Poll, Registry, Token};

// ANCHOR: reactor
/// The loop's link to the operating system's poller (epoll on Linux, kqueue on macOS and the
/// BSDs, IOCP on Windows, all behind `mio::Poll`). One per loop, owned by the loop's thread
/// (`Rc` inside, so it is `!Send`); clones share it.
///
/// It keeps a table from `mio::Token` (the number the OS hands back with each event) to the
/// readiness state of one registered socket, so that an OS event can find the wakers waiting
/// on that socket.
#[derive(Clone)]
pub struct Reactor {
    pub(crate) inner: Rc<ReactorInner>,
}

pub(crate) struct ReactorInner {
    /// The poller. Borrowed mutably only inside `Reactor::turn`.
    pub(crate) poll: RefCell<Poll>,
    /// A second handle on the same poller, for (de)registering while nobody polls.
    pub(crate) registry: Registry,
    /// Where `Poll::poll` writes the events of one turn (reused from turn to turn).
    pub(crate) events: RefCell<Events>,
    /// Registered sockets, by token.
    pub(crate) sources: RefCell<HashMap<Token, Rc<IoState>>>,
    /// The next token to hand out. Tokens are never reused, so a late event for a socket that
    /// is gone finds no entry and is ignored.
    pub(crate) next_token: Cell<usize>,
    /// Wakes a `Poll::poll` that is waiting, from any thread (see `ReactorClock::interrupter`).
    pub(crate) waker: Arc<mio::Waker>,
    /// How many times the loop waited on the poller (`turn` calls): the tests' busy-loop meter.
    pub(crate) turns: Cell<u64>,
}

/// The token of `ReactorInner::waker`'s events. Socket tokens count up from 0 and never get
/// here.
pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);

/// Which way a task waits on a socket: for bytes to read (or a connection to accept), or for
/// room to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Read,
    Write,
}

/// The readiness state of one registered socket: one slot per direction.
pub(crate) struct IoState {
    pub(crate) token: Token,
    pub(crate) read: Interest,
    pub(crate) write: Interest,
    /// Set by `TcpListener::close`: every wait on this socket ends, with an error.
    pub(crate) closed: Cell<bool>,
}

/// One direction of one socket.
#[derive(Default)]
pub(crate) struct Interest {
    /// The poller said "ready" and nobody has seen `WouldBlock` since. A hint, not a promise:
    /// the next attempt may still say `WouldBlock`.
    pub(crate) ready: Cell<bool>,
    /// Everyone waiting for this direction, each waker once.
    pub(crate) wakers: RefCell<Vec<std::task::Waker>>,
}

impl IoState {
    pub(crate) fn new(token: Token) -> IoState {
        IoState {
            token,
            read: Interest::default(),
            write: Interest::default(),
            closed: Cell::new(false),
        }
    }

    pub(crate) fn interest(&self, direction: Direction) -> &Interest {
        match direction {
            Direction::Read => &self.read,
            Direction::Write => &self.write,
        }
    }
}

/// A socket's entry in the reactor, held by the socket. Dropping it removes the entry (the
/// socket's own drop closes the file descriptor, which takes it out of the OS poller).
pub struct Registration {
    pub(crate) reactor: Reactor,
    pub(crate) state: Rc<IoState>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let removed = self
            .reactor
            .inner
            .sources
            .borrow_mut()
            .remove(&self.state.token);
        // Dropped after the borrow: a waker's drop may run arbitrary code.
        drop(removed);
    }
}
// ANCHOR_END: reactor

impl Reactor {
    /// A reactor with its own OS poller. Errors if the OS refuses one (out of file descriptors).
    pub fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKER_TOKEN)?);
        Ok(Reactor {
            inner: Rc::new(ReactorInner {
                poll: RefCell::new(poll),
                registry,
                events: RefCell::new(Events::with_capacity(256)),
                sources: RefCell::new(HashMap::new()),
                next_token: Cell::new(0),
                waker,
                turns: Cell::new(0),
            }),
        })
    }

    /// The reactor of the loop running on this thread.
    ///
    /// Panics outside a running loop, or on a loop that was not made by [`io_loop`]: there is
    /// no poller to register a socket with.
    pub fn current() -> Reactor {
        let handle = Handle::current().expect(
            "no event loop is running on this thread: sockets are created and awaited inside \
             a loop made by reactor::io_loop",
        );
        let slot = handle
            .local::<CurrentReactor>()
            .expect("the running loop is alive");
        let reactor = slot.0.borrow().clone();
        reactor.expect(
            "the running loop has no reactor: make it with reactor::io_loop, not EventLoop::new",
        )
    }

    /// How many times the loop has waited on the OS poller.
    pub fn turns(&self) -> u64 {
        self.inner.turns.get()
    }

    /// Whether any task waits on a registered socket (any stored waker).
    pub fn has_waiters(&self) -> bool {
        let sources = self.inner.sources.borrow();
        sources
            .values()
            .any(|s| !s.read.wakers.borrow().is_empty() || !s.write.wakers.borrow().is_empty())
    }

    /// How many sockets are registered right now.
    pub fn sources(&self) -> usize {
        self.inner.sources.borrow().len()
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("sources", &self.sources())
            .field("turns", &self.turns())
            .finish()
    }
}

impl Registration {
    /// Forgets a readiness the poller reported: call it when the OS said `WouldBlock`, so the
    /// next wait really waits for the next event.
    pub fn clear_ready(&self, direction: Direction) {
        self.state.interest(direction).ready.set(false);
    }

    /// Waits until the poller has said `direction` is ready (or the socket was closed). Built
    /// on your `poll_ready`.
    pub async fn ready(&self, direction: Direction) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_ready(cx, direction)).await
    }

    /// Whether the poller's last word on `direction` was "ready" (a hint).
    pub fn is_ready(&self, direction: Direction) -> bool {
        self.state.interest(direction).ready.get()
    }

    /// How many distinct wakers wait on `direction` right now.
    pub fn waiters(&self, direction: Direction) -> usize {
        self.state.interest(direction).wakers.borrow().len()
    }

    /// For the course's tests, not for your code: behaves as if the poller had reported
    /// `direction` ready (marks it, wakes its waiters) whether or not it is. Real pollers do
    /// this too, now and then: readiness is a hint.
    #[doc(hidden)]
    pub fn fake_readiness(&self, direction: Direction) {
        let interest = self.state.interest(direction);
        interest.ready.set(true);
        let wakers = std::mem::take(&mut *interest.wakers.borrow_mut());
        wakers.into_iter().for_each(std::task::Waker::wake);
    }
}

// ANCHOR: clock
/// How long a virtual-time loop waits for the kernel before it lets time jump over a socket
/// wait. On loopback a `write` usually makes the peer readable before it returns, but not
/// always: under load the kernel finishes the delivery on another thread (Linux's
/// `ksoftirqd`), a little later. Without the grace, a burst of 200 clients would see the
/// virtual clock race past them. It is an upper bound: an event ends the wait at once.
pub const IO_GRACE: Duration = Duration::from_millis(200);

/// Where the loop's time comes from, under a [`ReactorClock`].
#[derive(Debug, Clone)]
pub enum Time {
    /// Wall-clock time: the loop waits on the poller until the next timer is due.
    Real,
    /// The chapter 3 virtual clock: timers fire at once when nothing else can happen.
    Virtual(VirtualClock),
}

/// The clock of a loop that waits on the operating system: the chapter 3 loop calls
/// `idle_until(deadline)` whenever it has nothing to run, and this clock spends that time in
/// `Poll::poll`, so the loop wakes up for whichever comes first: a socket event or the deadline.
///
/// What `idle_until` does, precisely:
/// - `deadline == None` (no timer at all): `turn(None)`, which waits for a socket event or an
///   interrupt, however long that takes.
/// - `Time::Real`, `Some(deadline)`: `turn(Some(deadline - now))`.
/// - `Time::Virtual`, `Some(deadline)`: `turn(Some(0))` first, which only collects events that
///   are already there. If it found any, return, leaving the time alone: the loop runs the
///   woken tasks, which may well cancel that timer. If it found none and a task waits on a
///   socket, `turn(Some(IO_GRACE))`: a real wait, at most that long, for work the kernel has
///   not finished yet. Still nothing: nothing is going to happen before the deadline *in
///   virtual time*, so the virtual clock jumps to it. (tokio's paused clock does the first
///   part too: poll the I/O driver without waiting; no event, advance.)
///
/// An interrupt (another thread's wake) counts as an event: the loop looks at its queue
/// before time moves.
pub struct ReactorClock {
    pub(crate) reactor: Reactor,
    pub(crate) time: TimeSource,
}

pub(crate) enum TimeSource {
    Real(RealClock),
    Virtual(VirtualClock),
}

impl Clock for ReactorClock {
    fn now(&self) -> Duration {
        match &self.time {
            TimeSource::Real(clock) => clock.now(),
            TimeSource::Virtual(clock) => clock.now(),
        }
    }

    fn idle_until(&self, deadline: Option<Duration>) {
        let turned = match (&self.time, deadline) {
            (_, None) => self.reactor.turn(None),
            (TimeSource::Real(clock), Some(deadline)) => self
                .reactor
                .turn(Some(deadline.saturating_sub(clock.now()))),
            (TimeSource::Virtual(clock), Some(deadline)) => {
                let mut turned = self.reactor.turn(Some(Duration::ZERO));
                if matches!(turned, Ok(0)) && self.reactor.has_waiters() {
                    // Someone waits on a socket: give the kernel a moment to finish what it is
                    // doing for us (see IO_GRACE) before deciding that nothing will happen.
                    turned = self.reactor.turn(Some(IO_GRACE));
                }
                if matches!(turned, Ok(0)) {
                    clock.idle_until(Some(deadline));
                }
                turned
            }
        };
        match turned {
            Ok(_) => {}
            // A signal arrived while waiting: an early return, which the loop copes with.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => panic!("the OS poller failed: {error}"),
        }
    }

    /// `RemoteHandle::call_soon_threadsafe` (every chapter 4 waker) unparks the loop's thread,
    /// but a thread blocked in `Poll::poll` is not parked: it is in the kernel. This callback
    /// is what the loop calls as well, from other threads: it makes a waiting `poll` return
    /// (or the next one, if nobody is polling yet).
    fn interrupter(&self) -> Option<Arc<dyn Fn() + Send + Sync>> {
        let waker = self.reactor.inner.waker.clone();
        Some(Arc::new(move || {
            // An error means the poller is gone, and the loop with it: nobody to wake.
            let _ = waker.wake();
        }))
    }
}
// ANCHOR_END: clock

/// Where `Reactor::current` finds the running loop's reactor (loop-local storage).
#[derive(Default)]
pub(crate) struct CurrentReactor(pub(crate) RefCell<Option<Reactor>>);

// ANCHOR: io_loop
/// A chapter 3 loop whose idle step waits on a new reactor, and that reactor (for its
/// counters). Sockets created while this loop runs register with its reactor.
pub fn io_loop(time: Time) -> io::Result<(EventLoop, Reactor)> {
    let reactor = Reactor::new()?;
    let time = match time {
        Time::Real => TimeSource::Real(RealClock::new()),
        Time::Virtual(clock) => TimeSource::Virtual(clock),
    };
    let event_loop = EventLoop::with_clock(ReactorClock {
        reactor: reactor.clone(),
        time,
    });
    *event_loop.local::<CurrentReactor>().0.borrow_mut() = Some(reactor.clone());
    Ok((event_loop, reactor))
}
// ANCHOR_END: io_loop

// ANCHOR: sockets
/// A listening TCP socket on the loop (asyncio: the socket behind `asyncio.start_server`).
pub struct TcpListener {
    pub(crate) io: mio::net::TcpListener,
    pub(crate) registration: Registration,
}

/// A connected TCP socket on the loop (asyncio: a `StreamReader`/`StreamWriter` pair's socket).
/// `read` and `write` take `&self`: one task may read while another writes.
pub struct TcpStream {
    pub(crate) io: mio::net::TcpStream,
    pub(crate) registration: Registration,
}
// ANCHOR_END: sockets

impl TcpListener {
    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.registration.state.closed.get()
    }

    /// The address the listener is bound to (with the port the OS picked for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// This listener's entry in the reactor.
    pub fn registration(&self) -> &Registration {
        &self.registration
    }
}

// ANCHOR: connect
impl TcpStream {
    /// Connects to `addr` without blocking the loop (asyncio: `loop.sock_connect`). A
    /// non-blocking `connect` returns at once with the handshake under way; the socket becomes
    /// writable when it is over, and `take_error` then says whether it failed.
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let mut io = mio::net::TcpStream::connect(addr)?;
        let registration = Reactor::current().register(&mut io)?;
        loop {
            registration.ready(Direction::Write).await?;
            if let Some(error) = io.take_error()? {
                return Err(error);
            }
            match io.peer_addr() {
                Ok(_) => return Ok(TcpStream { io, registration }),
                // Writable, yet not connected: a spurious event. Wait for the next one.
                Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                    registration.clear_ready(Direction::Write);
                }
                Err(error) => return Err(error),
            }
        }
    }
}
// ANCHOR_END: connect

impl TcpStream {
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// This stream's entry in the reactor.
    pub fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Closes the writing half: the peer reads end-of-file once it has read everything
    /// before it. (asyncio: `writer.write_eof()`.)
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.io.shutdown(std::net::Shutdown::Write)
    }

    /// Writes all of `buf`, waiting for room as often as needed.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the socket accepted no bytes",
                    ));
                }
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

/// The error a wait on a closed listener ends with.
pub fn listener_closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the listener was closed while accept was waiting",
    )
}

/// The error `echo` returns for a client that hung up in the middle of a line.
pub fn incomplete_message(bytes: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the client disconnected mid-message: {bytes} bytes after the last newline"),
    )
}

// ANCHOR: stats
/// What an echo server has done, shared with whoever started it (`Rc`).
#[derive(Debug, Default)]
pub struct EchoStats {
    /// Connections accepted.
    pub accepted: Cell<usize>,
    /// Clients served to their end without an error.
    pub served: Cell<usize>,
    /// One line per client that ended with an error: `"<peer address>: <error>"`.
    pub failures: RefCell<Vec<String>>,
}

impl EchoStats {
    /// Records that serving `peer` ended with `error`.
    pub fn record_failure(&self, peer: SocketAddr, error: &io::Error) {
        self.failures.borrow_mut().push(format!("{peer}: {error}"));
    }
}
// ANCHOR_END: stats
