//! Chapter 8 — I/O readiness. **Reference solution.**
//!
//! A reactor under the chapter 3 loop: the loop's idle step waits in `mio::Poll::poll`, each OS
//! event wakes the wakers waiting on that socket, and async `accept`, `read` and `write` are
//! "try the non-blocking call; on `WouldBlock`, forget the readiness and wait for the next one".
//! On top: a line echo server that serves many clients at once, one task per client.
//!
//! Diff this file against `exercises/ch08-io/src/lib.rs` to see the lesson.

#[path = "../../../exercises/ch08-io/src/given.rs"]
mod given;

pub use given::{
    Direction, EchoStats, IO_GRACE, Reactor, ReactorClock, Registration, TcpListener, TcpStream,
    Time, incomplete_message, io_loop, listener_closed,
};

use given::{IoState, WAKER_TOKEN};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

// ANCHOR: solution_register
impl Reactor {
    /// Registers `source` with the OS poller for both directions, under a fresh token, and
    /// gives back its entry. mio's registrations are edge-triggered: the OS reports a change
    /// to "ready" once, not "still ready" again and again.
    pub fn register<S>(&self, source: &mut S) -> io::Result<Registration>
    where
        S: mio::event::Source + ?Sized,
    {
        let token = mio::Token(self.inner.next_token.get());
        let state = Rc::new(IoState::new(token));
        self.inner.registry.register(
            source,
            token,
            mio::Interest::READABLE | mio::Interest::WRITABLE,
        )?;
        // Only once the OS accepted it: a failed register leaves nothing behind.
        self.inner.next_token.set(token.0 + 1);
        self.inner.sources.borrow_mut().insert(token, state.clone());
        Ok(Registration {
            reactor: self.clone(),
            state,
        })
    }
    // ANCHOR_END: solution_register

    // ANCHOR: solution_turn
    /// Waits for OS events (at most `timeout`; `None`: as long as it takes), marks each
    /// reported direction ready and wakes everyone waiting on it. Returns how many events
    /// arrived, the interrupt's included.
    pub fn turn(&self, timeout: Option<Duration>) -> io::Result<usize> {
        self.inner.turns.set(self.inner.turns.get() + 1);
        let mut events = self.inner.events.borrow_mut();
        self.inner.poll.borrow_mut().poll(&mut events, timeout)?;
        let mut to_wake: Vec<Waker> = Vec::new();
        let mut count = 0;
        {
            let sources = self.inner.sources.borrow();
            for event in events.iter() {
                count += 1;
                if event.token() == WAKER_TOKEN {
                    continue; // an interrupt: its only job was to end the wait
                }
                // A socket dropped since the OS queued its event has no entry: nothing to wake.
                let Some(state) = sources.get(&event.token()) else {
                    continue;
                };
                // Closed and failed count as ready: the next read or write reports them.
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    state.read.ready.set(true);
                    to_wake.append(&mut state.read.wakers.borrow_mut());
                }
                if event.is_writable() || event.is_write_closed() || event.is_error() {
                    state.write.ready.set(true);
                    to_wake.append(&mut state.write.wakers.borrow_mut());
                }
            }
        }
        drop(events);
        // Woken after every borrow ended: a waker may run code that registers a socket.
        to_wake.into_iter().for_each(Waker::wake);
        Ok(count)
    }
}
// ANCHOR_END: solution_turn

// ANCHOR: solution_ready
impl Registration {
    /// `Ready(Ok)` if the poller said `direction` is ready and nobody has seen `WouldBlock`
    /// since; `Ready(Err)` if the socket was closed; otherwise stores the waker (once) and
    /// returns `Pending`, so the reactor wakes this task on the next event.
    pub fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<()>> {
        if self.state.closed.get() {
            return Poll::Ready(Err(listener_closed()));
        }
        let interest = self.state.interest(direction);
        if interest.ready.get() {
            return Poll::Ready(Ok(()));
        }
        let mut wakers = interest.wakers.borrow_mut();
        if !wakers.iter().any(|waker| waker.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Runs the non-blocking `op` whenever `direction` is (said to be) ready, until it does
    /// not say `WouldBlock`. Readiness is a hint: `WouldBlock` means "not after all", so
    /// forget it and wait for the next event (tokio's `Registration::async_io`).
    pub async fn async_io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            self.ready(direction).await?;
            match op() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_ready(direction)
                }
                result => return result,
            }
        }
    }
}
// ANCHOR_END: solution_ready

// ANCHOR: solution_sockets
impl TcpListener {
    /// Binds a listening socket (asyncio: the socket `start_server` makes), registered with the
    /// running loop's reactor. mio's `bind` makes it non-blocking, with a queue of 1024 pending
    /// connections (std's `bind` queues 128: a burst of 200 clients would overflow it).
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let mut io = mio::net::TcpListener::bind(addr)?;
        let registration = Reactor::current().register(&mut io)?;
        Ok(TcpListener { io, registration })
    }

    /// The next connection (asyncio: `loop.sock_accept`). Waits without blocking the loop.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (mut io, peer) = self
            .registration
            .async_io(Direction::Read, || self.io.accept())
            .await?;
        // mio's accept hands out a non-blocking socket already.
        let registration = Reactor::current().register(&mut io)?;
        Ok((TcpStream { io, registration }, peer))
    }

    /// Stops accepting: every `accept` waiting now, and every later one, ends with
    /// `listener_closed()`. (The socket itself closes when the listener is dropped.)
    pub fn close(&self) {
        let state = &self.registration.state;
        state.closed.set(true);
        let mut waiting = std::mem::take(&mut *state.read.wakers.borrow_mut());
        waiting.append(&mut state.write.wakers.borrow_mut());
        waiting.into_iter().for_each(Waker::wake);
    }
}

impl TcpStream {
    /// Wraps a connected std stream: non-blocking mode, then registered with the running
    /// loop's reactor.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        // mio requires it (`from_std` does not change the mode): a blocking socket would stop
        // the whole loop in `read` until the peer writes.
        stream.set_nonblocking(true)?;
        let mut io = mio::net::TcpStream::from_std(stream);
        let registration = Reactor::current().register(&mut io)?;
        Ok(TcpStream { io, registration })
    }

    /// Reads what is there, at most `buf.len()` bytes, waiting if nothing is; `Ok(0)` is
    /// end-of-file.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.registration
            .async_io(Direction::Read, || (&self.io).read(buf))
            .await
    }

    /// Writes as much of `buf` as the socket takes now, waiting if it takes nothing.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.registration
            .async_io(Direction::Write, || (&self.io).write(buf))
            .await
    }
}
// ANCHOR_END: solution_sockets

// ANCHOR: solution_echo
/// Echoes everything `stream` sends back to it, as it arrives, until end-of-file. Returns the
/// number of bytes echoed; a client that hangs up after an incomplete line (no `\n` at the end)
/// gets `Err(incomplete_message(n))` after its bytes were echoed.
pub async fn echo(stream: &TcpStream) -> io::Result<usize> {
    let mut buf = [0u8; 4096];
    let (mut total, mut since_newline) = (0, 0);
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return if since_newline == 0 {
                Ok(total)
            } else {
                Err(incomplete_message(since_newline))
            };
        }
        stream.write_all(&buf[..n]).await?;
        total += n;
        since_newline = match buf[..n].iter().rposition(|&b| b == b'\n') {
            Some(last) => n - last - 1,
            None => since_newline + n,
        };
    }
}

/// Accepts clients until `listener` is closed, serving each in its own task (so a slow client
/// holds up nobody), and keeps score in `stats`. One client's error is recorded, never the
/// server's end. Returns `Ok(())` once the listener is closed.
pub async fn serve_echo(listener: Rc<TcpListener>, stats: Rc<EchoStats>) -> io::Result<()> {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) if listener.is_closed() => return Ok(()),
            // A client that gave up between the handshake and our accept: its problem only.
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                ) =>
            {
                continue;
            }
            Err(error) => return Err(error),
        };
        stats.accepted.set(stats.accepted.get() + 1);
        let stats = stats.clone();
        // Detached: the task owns its stream and reports into `stats`.
        drop(tasks::spawn(async move {
            match echo(&stream).await {
                Ok(_) => stats.served.set(stats.served.get() + 1),
                Err(error) => stats.record_failure(peer, &error),
            }
        }));
    }
}
// ANCHOR_END: solution_echo
