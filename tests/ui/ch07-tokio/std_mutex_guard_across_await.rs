// A std::sync::MutexGuard must be released on the thread that locked it, so it is `!Send`; a
// spawned task's future that keeps one across an `.await` is `!Send` and cannot be spawned.
// (Even where it could, holding a std lock across an await blocks every other task that wants
// it while this one sleeps.) Fix: drop the guard before the .await (end its block), or use
// tokio::sync::Mutex, whose guard is meant to be held across awaits.
// Expected error: future cannot be sent between threads safely (`MutexGuard<'_, String>` is not `Send`).
use std::sync::{Arc, Mutex};

async fn save(_state: &str) {}

fn main() {
    let state = Arc::new(Mutex::new(String::new()));
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async move {
        let task = tokio::spawn(async move {
            let mut guard = state.lock().unwrap();
            guard.push_str("thinking");
            save(&guard).await; // the guard is alive across this await
        });
        let _ = task.await;
    });
}
