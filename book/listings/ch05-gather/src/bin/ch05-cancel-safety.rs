//! What a `select` does to a loser that had made progress: a future that receives a *pair* of
//! messages is raced against a one-second tick, four times. Made anew each round, it is dropped
//! at every tick with the first message of its pair inside: messages are lost. Made once and
//! raced by reference, it keeps its progress across rounds.

use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use event_loop::{Handle, VirtualClock, run_with_clock, sleep};
use gather_listings::{Either, Inbox, race};

fn now() -> f64 {
    Handle::current().expect("on the loop").time().expect("alive").as_secs_f64()
}

/// Sends m1..m4 at 0.5 s, 1.5 s, 2.5 s and 3.5 s.
fn start_sender(inbox: &Rc<Inbox>) {
    let handle = Handle::current().expect("on the loop");
    for (i, at) in [500, 1500, 2500, 3500].into_iter().enumerate() {
        let inbox = inbox.clone();
        handle
            .call_later(Duration::from_millis(at), move || inbox.send(&format!("m{}", i + 1)))
            .expect("the loop is running");
    }
}

// ANCHOR: lossy
async fn lossy(inbox: Rc<Inbox>) {
    for _ in 0..4 {
        // A new recv_pair each round: the tick drops the old one, and what it held.
        match race(inbox.recv_pair(), sleep(Duration::from_secs(1))).await {
            Either::Left((a, b)) => println!("t={:.1}s  got the pair ({a}, {b})", now()),
            Either::Right(()) => println!("t={:.1}s  tick (a half-received pair was dropped)", now()),
        }
    }
}
// ANCHOR_END: lossy

// ANCHOR: kept
async fn kept(inbox: Rc<Inbox>) {
    // Made once, pinned here, raced by `&mut`: a tick drops only the reference.
    let mut pair = pin!(inbox.recv_pair());
    for _ in 0..4 {
        match race(pair.as_mut(), sleep(Duration::from_secs(1))).await {
            Either::Left((a, b)) => {
                println!("t={:.1}s  got the pair ({a}, {b})", now());
                pair.set(inbox.recv_pair()); // the next pair, in the same pinned place
            }
            Either::Right(()) => println!("t={:.1}s  tick (the pair in progress is kept)", now()),
        }
    }
}
// ANCHOR_END: kept

fn main() {
    println!("a new recv_pair() each round:");
    run_with_clock(VirtualClock::new(), async {
        let inbox = Rc::new(Inbox::default());
        start_sender(&inbox);
        lossy(inbox).await;
    })
    .expect("the loop ran");
    println!("one recv_pair(), raced by reference:");
    run_with_clock(VirtualClock::new(), async {
        let inbox = Rc::new(Inbox::default());
        start_sender(&inbox);
        kept(inbox).await;
    })
    .expect("the loop ran");
}
