//! Starting a runtime inside a runtime panics; this program catches the panic and prints it.

use std::panic::{AssertUnwindSafe, catch_unwind};

fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn main() {
    // The panic is printed below, once, by this program; silence the default report.
    std::panic::set_hook(Box::new(|_| {}));
    let outer = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("outer runtime");
    let inner = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("inner runtime");

    // ANCHOR: nested
    let caught = outer.block_on(async {
        // Inside a task of `outer`: this thread is busy running `outer`, and block_on would
        // stop it (and every other task of `outer`) until the inner future is done.
        catch_unwind(AssertUnwindSafe(|| {
            inner.block_on(async { "inner result" })
        }))
    });
    // ANCHOR_END: nested
    match caught {
        Ok(value) => println!("no panic: {value}"),
        Err(payload) => println!(
            "inner.block_on inside outer.block_on panicked:\n  {}",
            message(payload)
        ),
    }

    // ANCHOR: not_nested
    // The ways that work: `.await` the future, or block on a thread that is not running the
    // runtime (a spawn_blocking thread, a std thread).
    let value = outer.block_on(async {
        let on_pool = tokio::task::spawn_blocking(move || inner.block_on(async { "inner result" }));
        on_pool.await.expect("the blocking closure did not panic")
    });
    // ANCHOR_END: not_nested
    println!("inner.block_on on a spawn_blocking thread returned: {value:?}");
}
