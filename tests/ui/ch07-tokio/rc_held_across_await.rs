// tokio::spawn requires a `Send` future, on every runtime flavour: a spawned task may be moved
// to another worker thread at any `.await`. The future keeps every local that may be used after
// an `.await` (a drop at the end of the scope counts), so this `Rc` makes the future `!Send`.
// Fix: end the Rc's scope before the .await, use Arc, or use a LocalSet's spawn_local.
// Expected error: future cannot be sent between threads safely (`Rc<Vec<&str>>` is not `Send`).
use std::rc::Rc;

async fn tick() {}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let task = tokio::spawn(async {
            let history = Rc::new(vec!["hello"]);
            tick().await; // `history` is still in scope here, so the future keeps it
            history.len()
        });
        let _ = task.await;
    });
}
