//! A loop's life: running, refusing to nest, refusing to close while running, surviving a
//! panicking callback, stopping, closing; then the high-level `run`.
//!
//! Run it against your own loop with `cargo run -p event-loop --example lifecycle`.

use std::time::Duration;

use event_loop::{EventLoop, Handle, VirtualClock, run_with_clock, sleep};

fn main() {
    // Keep the output to what the program prints; the loop reports the panic itself.
    std::panic::set_hook(Box::new(|_| {}));

    // ANCHOR: lifecycle
    let event_loop = EventLoop::with_clock(VirtualClock::new());
    let handle = event_loop.handle();
    println!("before:  running={} closed={}", event_loop.is_running(), event_loop.is_closed());

    let h = handle.clone();
    event_loop
        .call_soon(move || {
            println!("inside:  running={}", h.is_running());
            println!("inside:  run_until_complete -> {:?}", h.run_until_complete(async {}));
            println!("inside:  run(...)           -> {:?}", event_loop::run(async {}));
            println!("inside:  close()            -> {:?}", h.close());
        })
        .unwrap();
    event_loop.call_soon(|| panic!("this callback is broken")).unwrap();
    let h = handle.clone();
    event_loop
        .call_soon(move || {
            println!("inside:  the next callback still runs; stopping");
            h.stop().unwrap();
            h.call_soon(|| println!("next run: queued during the stopped iteration")).unwrap();
        })
        .unwrap();

    println!("run_forever -> {:?}", event_loop.run_forever());
    for panic in event_loop.take_panics() {
        println!("reported: {panic}");
    }
    println!("after:   running={}", event_loop.is_running());
    println!("run_forever -> {:?}", {
        event_loop.stop(); // stop before run: one iteration, then return
        event_loop.run_forever()
    });

    println!("close()     -> {:?}", event_loop.close());
    println!("close()     -> {:?} (again)", event_loop.close());
    println!("call_soon   -> {:?}", event_loop.call_soon(|| {}));
    println!("run_forever -> {:?}", event_loop.run_forever());
    drop(event_loop);
    println!("dropped:  handle.call_soon -> {:?}", handle.call_soon(|| {}));
    // ANCHOR_END: lifecycle

    // ANCHOR: run
    let answer = run_with_clock(VirtualClock::new(), async {
        let me = Handle::current().expect("run() runs the future on a loop");
        sleep(Duration::from_secs(5)).await;
        (me.time().unwrap(), me)
    });
    let (at, inner) = answer.unwrap();
    println!("run -> finished at t={at:?}; its loop is closed afterwards: {}", inner.is_closed());
    // ANCHOR_END: run
}
