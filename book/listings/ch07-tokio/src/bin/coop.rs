//! Tokio's cooperative budget: a task that keeps finding tokio resources ready is made to yield
//! now and then; a task that computes (or awaits futures that are not tokio's) is not.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const ROUNDS: u32 = 1000;

/// Spawns `busy` and, after it, a task that only raises a flag; returns the round at which
/// `busy` first saw the flag, i.e. how long it kept the only thread to itself.
async fn rounds_before_the_other_task_ran<F, Fut>(busy: F) -> u32
where
    F: FnOnce(Arc<AtomicBool>) -> Fut,
    Fut: std::future::Future<Output = u32> + Send + 'static,
{
    let other_ran = Arc::new(AtomicBool::new(false));
    let busy = tokio::spawn(busy(Arc::clone(&other_ran)));
    tokio::spawn(async move { other_ran.store(true, Ordering::SeqCst) });
    busy.await.expect("the busy task did not panic")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        // ANCHOR: coop
        // Always-ready tokio channel receives: each one spends a unit of the task's budget, and
        // when the budget is spent, recv() returns Pending once and the task yields.
        let channel = rounds_before_the_other_task_ran(|other_ran| async move {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            for round in 0..ROUNDS {
                tx.send(round).unwrap();
                rx.recv().await;
                if other_ran.load(Ordering::SeqCst) {
                    return round;
                }
            }
            ROUNDS
        })
        .await;

        // Pure computation, with an .await on a future that is always ready and is not tokio's:
        // nothing ever returns Pending, so the task never gives the thread back.
        let compute = rounds_before_the_other_task_ran(|other_ran| async move {
            let mut sum = 0u64;
            for round in 0..ROUNDS {
                sum += std::hint::black_box(u64::from(round));
                std::future::ready(()).await;
                if other_ran.load(Ordering::SeqCst) {
                    return round;
                }
            }
            std::hint::black_box(sum);
            ROUNDS
        })
        .await;

        // The fix for a computing task: give the thread back now and then (or move the work to
        // spawn_blocking). consume_budget() spends budget like a tokio resource would.
        let polite = rounds_before_the_other_task_ran(|other_ran| async move {
            for round in 0..ROUNDS {
                std::hint::black_box(round);
                tokio::task::consume_budget().await;
                if other_ran.load(Ordering::SeqCst) {
                    return round;
                }
            }
            ROUNDS
        })
        .await;
        // ANCHOR_END: coop
        println!("the other task first ran after round ... of {ROUNDS}");
        println!("  always-ready tokio channel:        {channel}");
        let never = if compute == ROUNDS {
            " (never: the busy task ran to its end first)"
        } else {
            ""
        };
        println!("  computation + std::future::ready:  {compute}{never}");
        println!("  computation + consume_budget():    {polite}");
    });
}
