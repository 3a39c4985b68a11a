//! Chapter 8 behaviour tests. The same file tests your stub (`cargo test -p reactor`) and the
//! reference solution (`cargo test -p reactor-solution`).
//!
//! Each test is written against a plausible wrong implementation and names it when it fails.
//! Every test runs under a watchdog. Sockets are real, on loopback (127.0.0.1, port 0: nothing
//! listens on a public interface); time is the chapter 3 virtual clock under a `ReactorClock`:
//! when the loop has nothing to run and the OS has no event for it, virtual time jumps to the
//! next timer at once. A test's "stuck" guard is such a timer, an hour of virtual time away: it
//! fires the moment the code under test stops making progress, and the test names the likely bug.
//!
//! Run one stage at a time: `cargo test -p reactor stage1` (then stage2, stage3, stage4).

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::io::{self, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use course_support::{CountingWaker, watchdog_causes};
use event_loop::{VirtualClock, sleep};
use reactor::{
    Direction, EchoStats, Reactor, Registration, TcpListener, TcpStream, Time, echo, io_loop,
    serve_echo,
};
use tasks::{JoinHandle, spawn};

// ---------------------------------------------------------------------------------------------
// Helpers

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Runs `main` on a loop made by `io_loop` on a fresh virtual clock; hands `main` the reactor.
fn run_io<F, Fut>(main: F) -> Fut::Output
where
    F: FnOnce(Reactor) -> Fut,
    Fut: Future,
{
    let (event_loop, reactor) = io_loop(Time::Virtual(VirtualClock::new())).expect("an OS poller");
    let (main, _) = counted(main(reactor), 50_000, BUSY_MAIN);
    event_loop
        .run_until_complete(main)
        .expect("the loop ran the test's main future")
}

const BUSY_MAIN: &str = "the test's main future was woken over and over without making progress: something \
    wakes its own waker instead of storing it (busy-polling, most likely in poll_ready). While the loop always \
    has something to run it never waits on the poller, so no socket ever becomes ready";

/// Polls `registration` for `direction` with `waker` (whose wakes `count` counts) and checks the
/// answer is `Pending` with the waker stored, not woken.
fn must_wait(
    registration: &Registration,
    direction: Direction,
    waker: &Waker,
    count: &CountingWaker,
) {
    let before = count.wakes();
    let poll = registration.poll_ready(&mut Context::from_waker(waker), direction);
    assert!(
        poll.is_pending(),
        "poll_ready({direction:?}) on a socket the reactor never reported ready returned {poll:?}: it is Ready \
         only once turn has set the direction's `ready` flag; otherwise it stores the waker and is Pending"
    );
    assert_eq!(
        count.wakes(),
        before,
        "poll_ready({direction:?}) woke the waker it was given before returning Pending: that is busy-polling \
         (the task is polled again at once, and the loop never waits on the poller). Store the waker; the \
         reactor wakes it when the OS reports the socket ready"
    );
}

/// `Err(())` if `future` makes no progress for an hour of virtual time, which happens the moment
/// every task waits and the OS has no event that would wake one of them.
async fn or_stuck<F: Future>(future: F) -> Result<F::Output, ()> {
    let mut future = pin!(future);
    let mut guard = pin!(sleep(Duration::from_secs(3600)));
    poll_fn(|cx| {
        if let Poll::Ready(value) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(value));
        }
        if guard.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(()));
        }
        Poll::Pending
    })
    .await
}

/// A connected pair of std sockets on loopback: (ours, the peer's).
fn std_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind(loopback()).expect("bind on loopback");
    let ours =
        std::net::TcpStream::connect(listener.local_addr().unwrap()).expect("connect on loopback");
    let (peer, _) = listener.accept().expect("accept on loopback");
    (ours, peer)
}

/// A std socket of a pair as a mio source (non-blocking, as mio requires), for stage 1's tests
/// that use the reactor without sockets of yours.
fn mio_stream(stream: std::net::TcpStream) -> mio::net::TcpStream {
    stream.set_nonblocking(true).unwrap();
    mio::net::TcpStream::from_std(stream)
}

/// Turns the reactor (each turn waits at most 5 s for an event, and returns as soon as one
/// arrives) until `done()` or 5 turns.
fn turn_until(reactor: &Reactor, done: impl Fn() -> bool) {
    for _ in 0..5 {
        if done() {
            return;
        }
        reactor
            .turn(Some(Duration::from_secs(5)))
            .expect("the OS poller works");
    }
}

/// Counts the polls of a future and panics with `bug` past `limit`: a future that wakes itself
/// instead of waiting for the reactor is polled over and over.
struct Counted<F> {
    future: Pin<Box<F>>,
    polls: Rc<Cell<u32>>,
    limit: u32,
    bug: &'static str,
}

fn counted<F: Future>(future: F, limit: u32, bug: &'static str) -> (Counted<F>, Rc<Cell<u32>>) {
    let polls = Rc::new(Cell::new(0));
    (
        Counted {
            future: Box::pin(future),
            polls: polls.clone(),
            limit,
            bug,
        },
        polls,
    )
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        if self.polls.get() > self.limit {
            panic!("polled {} times: {}", self.polls.get(), self.bug);
        }
        self.future.as_mut().poll(cx)
    }
}

/// Awaits a task and returns its output, turning a task's panic into the test's.
async fn output<T>(task: JoinHandle<T>) -> T {
    match task.await {
        Ok(value) => value,
        Err(error) => panic!("{error}"),
    }
}

/// A client: connects, sends `message`, closes its writing half, reads everything back.
async fn client(addr: SocketAddr, message: Vec<u8>) -> io::Result<Vec<u8>> {
    let stream = TcpStream::connect(addr).await?;
    stream.write_all(&message).await?;
    stream.shutdown_write()?;
    read_to_end(&stream).await
}

async fn read_to_end(stream: &TcpStream) -> io::Result<Vec<u8>> {
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf).await? {
            0 => return Ok(received),
            n => received.extend_from_slice(&buf[..n]),
        }
    }
}

const STAGE1_CAUSES: &[&str] = &[
    "Reactor::turn does not wake the wakers stored for the direction an event reports \
     (mark the direction ready, take its wakers, wake them after the borrows end)",
    "Registration::poll_ready does not store cx.waker() before returning Pending",
    "Reactor::turn waits again after an event instead of returning",
];

const READY_CAUSES: &[&str] = &[
    "Registration::async_io retries after WouldBlock without clear_ready: ready() answers at once, the call \
     says WouldBlock again, and the loop inside async_io spins forever within one poll",
    "Reactor::turn does not wake the wakers stored for the direction an event reports \
     (mark the direction ready, take its wakers, wake them after the borrows end)",
    "Registration::poll_ready does not store cx.waker() before returning Pending",
    "Reactor::turn waits again after an event instead of returning",
];

// ---------------------------------------------------------------------------------------------
// Stage 1: the reactor — registration, a waker per interest, wake on readiness

#[test]
fn stage1_an_event_wakes_the_readers_of_that_socket_only() {
    watchdog_causes(STAGE1_CAUSES, || {
        let reactor = Reactor::new().unwrap();
        let (a, _a_peer) = std_pair();
        let (b, mut b_peer) = std_pair();
        let (mut a, mut b) = (mio_stream(a), mio_stream(b));
        let reg_a = reactor.register(&mut a).expect("register socket A");
        let reg_b = reactor.register(&mut b).expect("register socket B");
        assert_eq!(
            reactor.sources(),
            2,
            "two registered sockets should make two entries in the reactor's table"
        );
        let (waker_a, count_a) = CountingWaker::new();
        let (waker_b, count_b) = CountingWaker::new();
        must_wait(&reg_a, Direction::Read, &waker_a, &count_a);
        must_wait(&reg_b, Direction::Read, &waker_b, &count_b);
        b_peer.write_all(b"x").unwrap();
        turn_until(&reactor, || count_b.wakes() > 0);
        assert_eq!(
            count_b.wakes(),
            1,
            "a byte arrived on socket B, yet B's reader was woken {} times: turn must find the event's \
             token in the table, mark Read ready and wake each stored waker once",
            count_b.wakes()
        );
        assert_eq!(
            count_a.wakes(),
            0,
            "an event on socket B woke socket A's reader: turn must wake only the wakers of the socket \
             whose token the event carries (each registration needs its own token)"
        );
        let ready_b = reg_b.poll_ready(&mut Context::from_waker(&waker_b), Direction::Read);
        assert!(
            matches!(ready_b, Poll::Ready(Ok(()))),
            "after B's readable event, poll_ready(Read) on B gave {ready_b:?}: turn must set the direction's \
             `ready` flag so the woken task finds it ready"
        );
        drop(reg_a);
        assert_eq!(
            reactor.sources(),
            1,
            "dropping a Registration removes its entry (given Drop)"
        );
    });
}

#[test]
fn stage1_a_writable_event_does_not_wake_a_reader() {
    watchdog_causes(STAGE1_CAUSES, || {
        let reactor = Reactor::new().unwrap();
        let (ours, _peer) = std_pair();
        let mut ours = mio_stream(ours);
        let registration = reactor.register(&mut ours).expect("register");
        let (reader, reads) = CountingWaker::new();
        let (writer, writes) = CountingWaker::new();
        must_wait(&registration, Direction::Read, &reader, &reads);
        must_wait(&registration, Direction::Write, &writer, &writes);
        // A fresh connected socket has room to write: the OS reports it writable, not readable.
        turn_until(&reactor, || writes.wakes() > 0);
        assert_eq!(
            writes.wakes(),
            1,
            "the socket became writable, yet its writer was woken {} times: turn must wake the Write \
             wakers on a writable event (and registration must ask the OS for both READABLE and WRITABLE)",
            writes.wakes()
        );
        assert_eq!(
            reads.wakes(),
            0,
            "a writable event woke the reader too: wake only the wakers of the direction(s) the event \
             reports (event.is_readable() for Read, event.is_writable() for Write)"
        );
        assert!(registration.is_ready(Direction::Write) && !registration.is_ready(Direction::Read));
    });
}

#[test]
fn stage1_every_waiting_task_is_woken_not_only_the_first() {
    watchdog_causes(STAGE1_CAUSES, || {
        let reactor = Reactor::new().unwrap();
        let (ours, mut peer) = std_pair();
        let mut ours = mio_stream(ours);
        let registration = reactor.register(&mut ours).expect("register");
        let counts: Vec<_> = (0..3)
            .map(|_| {
                let (waker, count) = CountingWaker::new();
                must_wait(&registration, Direction::Read, &waker, &count);
                count
            })
            .collect();
        assert_eq!(
            registration.waiters(Direction::Read),
            3,
            "three tasks waited to read and {} waker(s) were kept: keep every waiter's waker (a Vec), \
             not one slot that the next poll overwrites",
            registration.waiters(Direction::Read)
        );
        peer.write_all(b"x").unwrap();
        turn_until(&reactor, || counts.iter().all(|c| c.wakes() > 0));
        let woken = counts.iter().filter(|c| c.wakes() > 0).count();
        assert_eq!(
            woken, 3,
            "only {woken} of 3 waiting readers were woken: wake every stored waker, not the first"
        );
        assert_eq!(
            registration.waiters(Direction::Read),
            0,
            "woken wakers must be taken out of the list"
        );
    });
}

#[test]
fn stage1_a_task_polled_again_is_stored_once() {
    watchdog_causes(STAGE1_CAUSES, || {
        let reactor = Reactor::new().unwrap();
        let (ours, _peer) = std_pair();
        let mut ours = mio_stream(ours);
        let registration = reactor.register(&mut ours).expect("register");
        let (waker, count) = CountingWaker::new();
        for _ in 0..10 {
            must_wait(&registration, Direction::Read, &waker, &count);
        }
        assert_eq!(
            registration.waiters(Direction::Read),
            1,
            "one task polled poll_ready 10 times and {} wakers were kept: a waker that `will_wake` the same \
             task is already there, do not push it again (a socket read in a loop would grow without bound)",
            registration.waiters(Direction::Read)
        );
    });
}

#[test]
fn stage1_every_turn_counts_itself() {
    watchdog_causes(STAGE1_CAUSES, || {
        let reactor = Reactor::new().unwrap();
        for expected in 1..=3 {
            reactor
                .turn(Some(Duration::ZERO))
                .expect("the OS poller works");
            assert_eq!(
                reactor.turns(),
                expected,
                "after {expected} call(s) of turn, reactor.turns() is {}: turn must count the turn (add one \
                 to self.inner.turns each call); the course's busy-loop meter reads it",
                reactor.turns()
            );
        }
    });
}

thread_local! {
    /// What `ReEnter`'s wake runs (a waker must be `Send`; the reactor is not, so its code lives here).
    static ON_WAKE: std::cell::RefCell<Option<Box<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
}

/// A waker whose `wake` runs this thread's `ON_WAKE` (the test calls `turn` on this thread).
struct ReEnter;

impl std::task::Wake for ReEnter {
    fn wake(self: Arc<Self>) {
        ON_WAKE.with(|on_wake| {
            if let Some(on_wake) = on_wake.borrow().as_ref() {
                on_wake();
            }
        });
    }
}

const REENTERED: &str = "woke a waker while the reactor's sources were borrowed (the `already borrowed` panic \
    above): take the wakers out, end the borrow, then wake. A waker is arbitrary code: this one registers a \
    socket and counts a registration's waiters, which borrow the sources table and the wakers list";

#[test]
fn stage1_a_waker_may_use_the_reactor_while_it_is_woken() {
    watchdog_causes(STAGE1_CAUSES, || {
        let reactor = Reactor::new().unwrap();
        let (ours, mut peer) = std_pair();
        let mut ours = mio_stream(ours);
        let registration = Rc::new(reactor.register(&mut ours).expect("register"));
        let ran = Rc::new(Cell::new(false));
        {
            let (reactor, registration, ran) = (reactor.clone(), registration.clone(), ran.clone());
            ON_WAKE.with(|on_wake| {
                *on_wake.borrow_mut() = Some(Box::new(move || {
                    let reentered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let (other, _other_peer) = std_pair();
                        let mut other = mio_stream(other);
                        drop(
                            reactor
                                .register(&mut other)
                                .expect("register from inside wake"),
                        );
                        let _ = registration.waiters(Direction::Read);
                    }));
                    if reentered.is_err() {
                        panic!("{REENTERED}");
                    }
                    ran.set(true);
                }))
            });
        }
        let waker = Waker::from(Arc::new(ReEnter));
        let poll = registration.poll_ready(&mut Context::from_waker(&waker), Direction::Read);
        assert!(
            poll.is_pending(),
            "poll_ready(Read) on a socket the reactor never reported ready returned {poll:?}"
        );
        peer.write_all(b"x").unwrap();
        turn_until(&reactor, || ran.get());
        ON_WAKE.with(|on_wake| on_wake.borrow_mut().take());
        assert!(
            ran.get(),
            "a byte arrived, yet the waiting reader's waker was never woken: turn must wake the wakers \
             stored for the direction an event reports"
        );
    });
}

#[test]
fn stage1_a_wake_from_another_thread_ends_the_wait_on_the_poller() {
    watchdog_causes(
        &[
            "Reactor::turn polls again after the interrupt's event (WAKER_TOKEN) instead of returning: \
             one Poll::poll per turn",
            "the loop waits in Poll::poll with no timeout and a wake from another thread only unparks the \
             thread (the chapter 3 loop must also call its clock's interrupter)",
        ],
        || {
            run_io(|reactor| async move {
                // First a timer: the loop goes idle, so its idle step calls Reactor::turn before
                // anything else happens (a loop that never reaches turn proves nothing here).
                sleep(Duration::from_millis(1)).await;
                assert!(
                    reactor.turns() > 0,
                    "the loop went idle and Reactor::turn ran, yet reactor.turns() is still 0: turn must \
                     count the turn (self.inner.turns) before it polls"
                );
                let (to_thread, waker_rx) = mpsc::channel::<Waker>();
                let woken = Arc::new(AtomicBool::new(false));
                let flag = woken.clone();
                let thread = thread::spawn(move || {
                    let waker = waker_rx.recv().expect("the main future sends its waker");
                    flag.store(true, Ordering::SeqCst);
                    waker.wake();
                });
                // No timer, no socket: the loop has nothing to do but wait on the poller, until
                // the other thread's wake.
                let mut sent = false;
                poll_fn(|cx| {
                    if woken.load(Ordering::SeqCst) {
                        return Poll::Ready(());
                    }
                    if !sent {
                        to_thread.send(cx.waker().clone()).unwrap();
                        sent = true;
                    }
                    Poll::Pending
                })
                .await;
                thread.join().unwrap();
            });
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Stage 2: sockets on the loop — non-blocking mode, accept, read, write

#[cfg(unix)]
#[test]
fn stage2_from_std_puts_the_socket_in_non_blocking_mode() {
    use std::os::fd::AsRawFd;
    watchdog_causes(&["TcpStream::from_std blocks"], || {
        run_io(|_| async {
            let (ours, _peer) = std_pair();
            let fd = ours.as_raw_fd();
            let stream = TcpStream::from_std(ours).expect("from_std on a connected socket");
            // SAFETY: `fd` is open: `stream` owns it until the end of this block.
            let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
            assert!(flags >= 0, "fcntl(F_GETFL) failed on the stream's socket");
            assert!(
                flags & libc::O_NONBLOCK != 0,
                "TcpStream::from_std left the socket in blocking mode: a read with nothing to read would stop \
                 the whole loop's thread. Call stream.set_nonblocking(true) before mio's from_std (which does \
                 not change the mode)"
            );
            drop(stream);
        });
    });
}

#[test]
fn stage2_accept_connect_and_one_round_trip() {
    watchdog_causes(
        &[
            "TcpListener::accept waits on the wrong direction (a new connection makes a listener *readable*)",
            "async_io clears readiness after a call that succeeded (edge-triggered treated as level): the \
             client's echo and end-of-file arrive as one event, and the second read waits for another",
            "read or write never stores a waker: Registration::async_io must await ready(direction) first",
            "accept, read or write returns WouldBlock to the caller instead of waiting",
        ],
        || {
            run_io(|_| async {
                let listener = TcpListener::bind(loopback()).expect("bind on 127.0.0.1:0");
                let addr = listener.local_addr().unwrap();
                assert!(
                    addr.ip().is_loopback() && addr.port() != 0,
                    "bind gave {addr}: bind the address given"
                );
                let client = spawn(client(addr, b"hello\n".to_vec()));
                let (stream, peer) = or_stuck(listener.accept())
                    .await
                    .expect("accept never completed although a client connected")
                    .expect("accept");
                let mut buf = [0u8; 64];
                let n = stream.read(&mut buf).await.expect("read");
                assert_eq!(
                    &buf[..n],
                    b"hello\n",
                    "the server read {:?}",
                    String::from_utf8_lossy(&buf[..n])
                );
                stream.write_all(&buf[..n]).await.expect("write");
                drop(stream);
                let back = output(client).await.expect("the client's round trip");
                assert_eq!(
                    back,
                    b"hello\n",
                    "the client got {:?} back",
                    String::from_utf8_lossy(&back)
                );
                assert!(peer.ip().is_loopback(), "accept returned peer {peer}");
            });
        },
    );
}

#[test]
fn stage2_the_loop_on_the_real_clock_serves_a_client_too() {
    watchdog_causes(
        &[
            "async_io clears readiness after a call that succeeded (edge-triggered treated as level): the \
             client's echo and end-of-file arrive as one event, and the second read waits for another",
            "Registration::async_io retries after WouldBlock without clear_ready, spinning inside one poll",
            "Reactor::turn does not wake the wakers of the direction an event reports",
        ],
        || {
            // Wall-clock time: the loop waits in the poller until an event (there is no timer).
            let (event_loop, _reactor) = io_loop(Time::Real).expect("an OS poller");
            let back = event_loop
                .run_until_complete(async {
                    let listener = TcpListener::bind(loopback()).unwrap();
                    let addr = listener.local_addr().unwrap();
                    let client = spawn(client(addr, b"on real time\n".to_vec()));
                    let (stream, _) = listener.accept().await.expect("accept");
                    let mut buf = [0u8; 64];
                    let n = stream.read(&mut buf).await.expect("read");
                    stream.write_all(&buf[..n]).await.expect("write");
                    drop(stream);
                    output(client).await
                })
                .expect("the loop ran");
            assert_eq!(back.expect("the client's round trip"), b"on real time\n");
        },
    );
}

#[test]
fn stage2_a_read_with_nothing_to_read_waits_instead_of_spinning() {
    watchdog_causes(
        &[
            "poll_ready wakes its own waker instead of storing it (busy-polling): the loop never waits on the \
             poller, so nothing ever becomes ready",
            "async_io retries after WouldBlock without clear_ready, spinning inside one poll",
            "the read never completes: turn does not wake the reader when the bytes arrive",
        ],
        || {
            run_io(|reactor| async move {
                let listener = TcpListener::bind(loopback()).unwrap();
                let addr = listener.local_addr().unwrap();
                let writer = spawn(async move {
                    let stream = TcpStream::connect(addr).await?;
                    // Ten virtual seconds of silence, then a line.
                    sleep(Duration::from_secs(10)).await;
                    stream.write_all(b"late\n").await?;
                    sleep(Duration::from_secs(1)).await;
                    io::Result::Ok(())
                });
                let (stream, _) = listener.accept().await.unwrap();
                let turns_before = reactor.turns();
                let mut buf = [0u8; 16];
                let (read, polls) = counted(
                    stream.read(&mut buf),
                    1000,
                    "a read on a socket with nothing to read is polled again and again: it wakes itself \
                     (busy-polling) instead of storing the waker and returning Pending until the reactor \
                     reports the socket readable",
                );
                let n = read.await.expect("read");
                assert_eq!(&buf[..n], b"late\n");
                assert!(
                    polls.get() <= 3,
                    "the read was polled {} times for one line that arrived after 10 s: a read that is not \
                     ready must return Pending and be woken by the reactor, once",
                    polls.get()
                );
                let turns = reactor.turns() - turns_before;
                assert!(
                    turns <= 10,
                    "the loop waited on the poller {turns} times while one read waited: something wakes the \
                     loop over and over (busy-polling)"
                );
                output(writer).await.unwrap();
            });
        },
    );
}

#[test]
fn stage2_a_spurious_readiness_is_retried_and_the_read_waits_again() {
    watchdog_causes(READY_CAUSES, || {
        run_io(|_| async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let server = Rc::new(server);
            let reader = {
                let server = server.clone();
                spawn(async move {
                    let mut buf = [0u8; 16];
                    let (read, _) = counted(
                        server.read(&mut buf),
                        1000,
                        "after a read got WouldBlock, the socket still counted as ready, so the read tried \
                         again at once, forever: on WouldBlock, clear_ready(direction) before waiting again",
                    );
                    let n = read.await?;
                    io::Result::Ok(buf[..n].to_vec())
                })
            };
            sleep(Duration::from_secs(1)).await;
            assert!(
                !reader.is_finished(),
                "the read finished although nothing was written"
            );
            // The poller says "readable", but there is nothing to read: a spurious wakeup.
            server.registration().fake_readiness(Direction::Read);
            sleep(Duration::from_secs(1)).await;
            if reader.is_finished() {
                let result = reader.await;
                panic!(
                    "after a spurious readiness, with nothing to read, the read finished with {result:?}: \
                     readiness is a hint. Try the read; if the OS says WouldBlock, clear_ready and wait for the \
                     next event (never hand WouldBlock, or a made-up 0, to the caller)"
                );
            }
            assert!(
                !server.registration().is_ready(Direction::Read),
                "the read saw WouldBlock yet the Read direction is still marked ready: clear_ready(Read)"
            );
            assert_eq!(
                server.registration().waiters(Direction::Read),
                1,
                "after the spurious wakeup the read is waiting but its waker is not stored: it will never be \
                 woken again (re-register interest: poll_ready stores the waker)"
            );
            client.write_all(b"real\n").await.unwrap();
            let got = or_stuck(output(reader))
                .await
                .expect("the read never got the bytes sent after the spurious wakeup");
            assert_eq!(got.expect("read"), b"real\n");
        });
    });
}

#[test]
fn stage2_a_readable_socket_is_read_until_it_would_block() {
    watchdog_causes(READY_CAUSES, || {
        run_io(|_| async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let addr = listener.local_addr().unwrap();
            let total = 64 * 1024;
            let (done_tx, done_rx) = tasks::promise::<()>();
            let writer = spawn(async move {
                let stream = TcpStream::connect(addr).await?;
                stream.write_all(&vec![7u8; total]).await?;
                // Stay connected (an end-of-file would be a new event) until the server has it all.
                let _ = done_rx.await;
                io::Result::Ok(())
            });
            let (stream, _) = listener.accept().await.unwrap();
            let mut got = 0;
            let mut buf = [0u8; 1024];
            let all = or_stuck(async {
                while got < total {
                    got += stream.read(&mut buf).await.expect("read");
                }
            })
            .await;
            assert!(
                all.is_ok(),
                "the server read {got} of {total} bytes, then waited forever for an event: mio is \
                 edge-triggered, it reports \"readable\" once when bytes arrive, not again while some are left. \
                 Keep the direction ready after a read that returned bytes; clear it only on WouldBlock"
            );
            let _ = done_tx.resolve(());
            output(writer).await.unwrap();
        });
    });
}

#[test]
fn stage2_accept_takes_every_waiting_connection() {
    watchdog_causes(READY_CAUSES, || {
        run_io(|_| async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let addr = listener.local_addr().unwrap();
            let mut clients = Vec::new();
            for _ in 0..20 {
                clients.push(TcpStream::connect(addr).await.expect("connect"));
            }
            // Twenty connections wait in the listener's queue: one readable event for all of them.
            let mut accepted = 0;
            let all = or_stuck(async {
                while accepted < 20 {
                    listener.accept().await.expect("accept");
                    accepted += 1;
                }
            })
            .await;
            assert!(
                all.is_ok(),
                "{accepted} of 20 waiting connections were accepted, then accept waited forever: a listener \
                 is edge-triggered too. Keep accepting while it succeeds; clear readiness only on WouldBlock"
            );
        });
    });
}

// ---------------------------------------------------------------------------------------------
// Stage 3: the echo server

const SERVER_CAUSES: &[&str] = &[
    "serve_echo serves one client at a time (awaits echo before the next accept): spawn a task per client",
    "a client's task never ends: echo must return when read gives Ok(0) (end-of-file)",
    "echo stops before end-of-file, or never writes back what it read",
    "accept or read loses a wake (see stage 2)",
];

/// `n` lines a client sends, unique to `client`.
fn lines(client: usize, n: usize) -> Vec<u8> {
    (0..n)
        .map(|line| format!("client {client} line {line}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Counts arrivals and wakes whoever waits for a count (a barrier for tasks on one loop).
#[derive(Default)]
struct Gate {
    arrived: Cell<usize>,
    waiting: std::cell::RefCell<Vec<Waker>>,
}

impl Gate {
    fn arrive(&self) {
        self.arrived.set(self.arrived.get() + 1);
        let waiting = std::mem::take(&mut *self.waiting.borrow_mut());
        waiting.into_iter().for_each(Waker::wake);
    }

    async fn until(&self, count: usize) {
        poll_fn(|cx| {
            if self.arrived.get() >= count {
                return Poll::Ready(());
            }
            self.waiting.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

#[test]
fn stage3_two_hundred_clients_at_once_each_get_their_own_bytes_back() {
    const CLIENTS: usize = 200;
    watchdog_causes(SERVER_CAUSES, || {
        run_io(|_| async {
            let listener = Rc::new(TcpListener::bind(loopback()).unwrap());
            let addr = listener.local_addr().unwrap();
            let stats = Rc::new(EchoStats::default());
            let server = spawn(serve_echo(listener.clone(), stats.clone()));
            let connected = Rc::new(Gate::default());
            let mut clients = Vec::new();
            // In waves of 40: a listener queues at most 128 connections not yet accepted (the
            // backlog std and mio ask for); the 129th handshake would wait for a retransmit.
            for wave in 0..CLIENTS / 40 {
                for i in wave * 40..(wave + 1) * 40 {
                    let connected = connected.clone();
                    clients.push(spawn(async move {
                        let stream = TcpStream::connect(addr).await?;
                        // Nobody sends until all 200 are connected: 200 clients at once.
                        connected.arrive();
                        connected.until(CLIENTS).await;
                        stream.write_all(&lines(i, 3)).await?;
                        stream.shutdown_write()?;
                        read_to_end(&stream).await
                    }));
                }
                let _ = or_stuck(connected.until((wave + 1) * 40)).await;
            }
            let mut finished = 0;
            let all = or_stuck(async {
                for (i, task) in clients.into_iter().enumerate() {
                    let back = output(task).await.unwrap_or_else(|e| panic!("client {i}: {e}"));
                    assert!(
                        back == lines(i, 3),
                        "client {i} sent {:?} and got {:?} back: each connection must get exactly its own bytes",
                        String::from_utf8_lossy(&lines(i, 3)),
                        String::from_utf8_lossy(&back)
                    );
                    finished += 1;
                }
            })
            .await;
            assert!(
                all.is_ok(),
                "{finished} of {CLIENTS} clients got their echo, then everything waited forever (the server \
                 accepted {} and finished {}). Few accepts: serve_echo serves one client at a time (awaits \
                 echo before the next accept); spawn a task per client. All accepted: echo or read never ends",
                stats.accepted.get(),
                stats.served.get()
            );
            assert_eq!(
                stats.served.get(),
                CLIENTS,
                "stats.served after {CLIENTS} clients; failures: {:?}",
                stats.failures
            );
            assert!(
                !server.is_finished(),
                "serve_echo returned although its listener is open: it accepts until the listener is closed"
            );
            // Stopping it by closing the listener is stage 4; here the task is simply dropped.
            server.abort();
        });
    });
}

#[test]
fn stage3_a_slow_client_does_not_hold_up_the_others() {
    watchdog_causes(SERVER_CAUSES, || {
        run_io(|_| async {
            let listener = Rc::new(TcpListener::bind(loopback()).unwrap());
            let addr = listener.local_addr().unwrap();
            let stats = Rc::new(EchoStats::default());
            let _server = spawn(serve_echo(listener.clone(), stats.clone()));
            // The slow client connects first and sends half a line, then waits.
            let slow = TcpStream::connect(addr).await.unwrap();
            slow.write_all(b"I am sl").await.unwrap();
            let mut done = 0;
            let fast = or_stuck(async {
                for i in 0..20 {
                    let back = client(addr, lines(i, 1)).await.expect("a fast client");
                    assert_eq!(back, lines(i, 1));
                    done += 1;
                }
            })
            .await;
            assert!(
                fast.is_ok(),
                "{done} of 20 quick clients were served while a slow client sat connected: the server serves \
                 one client at a time. Spawn a task per accepted client (tasks::spawn) and go back to accept"
            );
            slow.write_all(b"ow\n").await.unwrap();
            slow.shutdown_write().unwrap();
            assert_eq!(
                read_to_end(&slow).await.unwrap(),
                b"I am slow\n",
                "the slow client's echo"
            );
        });
    });
}

#[test]
fn stage3_a_client_that_disconnects_mid_message_is_reported_and_the_server_goes_on() {
    watchdog_causes(SERVER_CAUSES, || {
        run_io(|_| async {
            let listener = Rc::new(TcpListener::bind(loopback()).unwrap());
            let addr = listener.local_addr().unwrap();
            let stats = Rc::new(EchoStats::default());
            let server = spawn(serve_echo(listener.clone(), stats.clone()));
            // Half a message, then gone.
            let quitter = TcpStream::connect(addr).await.unwrap();
            let quitter_addr = quitter.local_addr().unwrap();
            quitter.write_all(b"half a mess").await.unwrap();
            quitter.shutdown_write().unwrap();
            if or_stuck(read_to_end(&quitter)).await.is_err() {
                panic!(
                    "the server never closed the quitter's connection: after end-of-file, echo returns \
                     (an Err for the cut-off line) and the client's task ends, dropping its stream"
                );
            }
            drop(quitter);
            sleep(Duration::from_secs(1)).await;
            assert!(
                !server.is_finished(),
                "serve_echo returned after one client disconnected mid-message: one client's error must end \
                 that client's task only (record it in stats), never the server"
            );
            let back = or_stuck(client(addr, b"still there?\n".to_vec()))
                .await
                .unwrap_or_else(|()| {
                    panic!("after one client's error, the next client was never served: the accept loop must go on")
                })
                .expect("the next client connects, sends and reads its echo");
            assert_eq!(back, b"still there?\n");
            let failures = stats.failures.borrow().clone();
            assert!(
                failures.len() == 1
                    && failures[0].contains(&quitter_addr.to_string())
                    && failures[0].contains("mid-message"),
                "after a client hung up mid-line, stats.failures is {failures:?}: echo returns \
                 Err(incomplete_message(n)) at end-of-file after an incomplete line, and the client's task \
                 records it with stats.record_failure(peer, &error)"
            );
            // Stopping it by closing the listener is stage 4; here the task is simply dropped.
            server.abort();
        });
    });
}

#[test]
fn stage3_echo_counts_what_it_echoed_and_flags_an_incomplete_line() {
    watchdog_causes(SERVER_CAUSES, || {
        run_io(|_| async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let addr = listener.local_addr().unwrap();
            let whole = spawn(client(addr, b"one\ntwo\n".to_vec()));
            let (stream, _) = listener.accept().await.unwrap();
            let echoed = echo(&stream).await;
            assert!(
                matches!(echoed, Ok(8)),
                "echo of \"one\\ntwo\\n\" then end-of-file returned {echoed:?}, not Ok(8)"
            );
            drop(stream);
            output(whole).await.unwrap();
            let partial = spawn(client(addr, b"one\ntw".to_vec()));
            let (stream, _) = listener.accept().await.unwrap();
            let echoed = echo(&stream).await;
            match echoed {
                Err(e)
                    if e.kind() == io::ErrorKind::UnexpectedEof
                        && e.to_string().contains("2 bytes") => {}
                other => panic!(
                    "echo of \"one\\ntw\" then end-of-file returned {other:?}: a line cut off by the client is \
                     Err(incomplete_message(2)) (2 bytes after the last newline), after echoing them"
                ),
            }
            drop(stream);
            assert_eq!(
                output(partial).await.unwrap(),
                b"one\ntw",
                "the cut-off client still gets its bytes back"
            );
        });
    });
}

// ---------------------------------------------------------------------------------------------
// Stage 4: closing a listener

#[test]
fn stage4_closing_the_listener_wakes_every_pending_accept_with_an_error() {
    watchdog_causes(
        &[
            "TcpListener::close does not wake the stored wakers (accept never ends after close)",
            "poll_ready does not check `closed`",
        ],
        || {
            run_io(|reactor| async move {
                let listener = Rc::new(TcpListener::bind(loopback()).unwrap());
                // How many of the three accepts have ended, in whatever order they end.
                let ended = Rc::new(Cell::new(0));
                let waiting: Vec<_> = (0..3)
                    .map(|_| {
                        let (listener, ended) = (listener.clone(), ended.clone());
                        spawn(async move {
                            let result = listener.accept().await.map(|_| ());
                            ended.set(ended.get() + 1);
                            result
                        })
                    })
                    .collect();
                sleep(Duration::from_secs(1)).await;
                assert!(
                    waiting.iter().all(|t| !t.is_finished()),
                    "an accept finished with nobody connecting"
                );
                let turns = reactor.turns();
                listener.close();
                let all = or_stuck(async {
                    for task in waiting {
                        let result = output(task).await;
                        match result {
                            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {}
                            other => panic!(
                                "an accept waiting when the listener closed ended with {other:?}, not \
                                 Err(listener_closed())"
                            ),
                        }
                    }
                })
                .await;
                let ended = ended.get();
                assert!(
                    all.is_ok(),
                    "{ended} of 3 accepts waiting on a closed listener ended; the others wait forever: close must \
                     wake every stored waker (both directions), and poll_ready must answer \
                     Err(listener_closed()) once `closed` is set"
                );
                assert!(
                    reactor.turns() - turns <= 2,
                    "closing should not need the OS poller to wake anyone"
                );
                let late = or_stuck(listener.accept()).await.unwrap_or_else(|()| {
                    panic!("accept on a closed listener waited forever: poll_ready must check `closed` first")
                });
                assert!(
                    late.is_err(),
                    "accept on a closed listener succeeded: it fails at once"
                );
            });
        },
    );
}

#[test]
fn stage4_serve_echo_returns_ok_when_its_listener_is_closed() {
    watchdog_causes(
        &[
            "serve_echo keeps accepting after the listener closed (check listener.is_closed() on an accept error)",
            "TcpListener::close does not wake the waiting accept (accept never ends after close)",
            "poll_ready does not check `closed`",
        ],
        || {
            run_io(|_| async {
                let listener = Rc::new(TcpListener::bind(loopback()).unwrap());
                let stats = Rc::new(EchoStats::default());
                let server = spawn(serve_echo(listener.clone(), stats.clone()));
                sleep(Duration::from_secs(1)).await;
                listener.close();
                let result = or_stuck(output(server)).await.unwrap_or_else(|()| {
                    panic!(
                        "serve_echo never returned after close: its accept ends with an error once the \
                         listener is closed, and serve_echo returns Ok(()) when listener.is_closed()"
                    )
                });
                assert!(
                    result.is_ok(),
                    "serve_echo on a closed listener returned {result:?}: closing is how a server is told to \
                     stop, so it returns Ok(())"
                );
                assert_eq!(stats.accepted.get(), 0);
            });
        },
    );
}
