//! Chapter 8: a non-blocking socket and mio's edge-triggered readiness, seen raw, with no loop.
//! Run: `cargo run -p reactor-listings --bin ch08-edges`.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use mio::{Events, Interest, Poll, Token};

/// What one `Poll::poll` reports for our socket: "readable", or "nothing".
fn report(poll: &mut Poll, events: &mut Events, timeout: Duration) -> io::Result<&'static str> {
    poll.poll(events, Some(timeout))?;
    Ok(
        if events
            .iter()
            .any(|e| e.token() == Token(0) && e.is_readable())
        {
            "readable"
        } else {
            "nothing"
        },
    )
}

fn main() -> io::Result<()> {
    // ANCHOR: setup
    // A connected pair on loopback: `ours` is non-blocking and registered; `peer` is a plain
    // blocking std socket that plays the other side.
    let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    let mut peer = std::net::TcpStream::connect(listener.local_addr()?)?;
    let (ours, _) = listener.accept()?;
    ours.set_nonblocking(true)?;
    let mut ours = mio::net::TcpStream::from_std(ours);

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(16);
    poll.registry()
        .register(&mut ours, Token(0), Interest::READABLE)?;
    // ANCHOR_END: setup

    // ANCHOR: would_block
    let mut buf = [0u8; 4];
    match ours.read(&mut buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            println!("read with nothing to read: WouldBlock (a blocking socket would wait here)")
        }
        other => println!("read with nothing to read: {other:?}"),
    }
    // ANCHOR_END: would_block

    // ANCHOR: edges
    peer.write_all(b"ten bytes!")?;
    // A real wait, ended by the event (the 5 s are an upper bound, never reached).
    println!(
        "peer wrote 10 bytes; poll reports: {}",
        report(&mut poll, &mut events, Duration::from_secs(5))?
    );

    let n = ours.read(&mut buf)?;
    println!("read {n} bytes; 6 are still waiting");
    println!(
        "poll again: {} (edge-triggered: no new bytes, no new event)",
        report(&mut poll, &mut events, Duration::ZERO)?
    );

    let mut drained = 0;
    loop {
        match ours.read(&mut buf) {
            Ok(n) => drained += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    println!("read until WouldBlock: {drained} more bytes, then WouldBlock");

    peer.write_all(b"abc")?;
    println!(
        "peer wrote 3 bytes; poll reports: {}",
        report(&mut poll, &mut events, Duration::from_secs(5))?
    );
    // ANCHOR_END: edges
    Ok(())
}
