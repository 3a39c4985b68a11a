//! Stage 4: a channel whose receiver is a stream, and a stream fed by a producer task.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Receiver, SendError, Sender, Stream, TaskStream};

// TODO(ch09) stage 4: queue the value and wake a waiting receiver.
impl<T> Sender<T> {
    /// Queues `value` for the receiver and wakes it if it waits. `Err` gives the value back if
    /// the receiver was dropped.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let _ = value;
        todo!(
            "Sender::send: refuse (giving the value back) if the receiver is gone; else queue it and wake"
        )
    }
}

// TODO(ch09) stage 4: the end of the stream is news for a waiting receiver too.
impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // Mark the sender gone and wake a waiting receiver. (Left empty on purpose, so that a
        // stub that panics does not panic again while unwinding.)
    }
}

// TODO(ch09) stage 4: a value if one is queued; the end once the sender is gone; else wait.
impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<T>> {
        todo!(
            "Receiver::poll_next: pop a queued value; None if the sender is gone; else store the waker, Pending"
        )
    }
}

// TODO(ch09) stage 4: a dropped receiver refuses later sends and drops what was never read.
impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // Mark the receiver gone and drop the unread values. (Left empty on purpose, as above.)
    }
}

// TODO(ch09) stage 4: spawn the producer as a task and hand back the stream of what it sends.
/// Spawns `producer(sender)` as a task named `name` on the running loop, and returns the stream
/// of what it sends. The stream ends when the producer finishes (its `Sender` is dropped with
/// it); dropping the stream aborts the producer. Panics outside a running loop, as `spawn`.
pub fn spawn_stream<T, F, Fut>(name: &str, producer: F) -> TaskStream<T>
where
    F: FnOnce(Sender<T>) -> Fut,
    Fut: Future<Output = ()> + 'static,
{
    let _ = (name, producer);
    todo!("spawn_stream: make a channel, spawn producer(sender) with tasks::spawn_named, keep both")
}

// TODO(ch09) stage 4: the receiver's items.
impl<T> Stream for TaskStream<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<T>> {
        todo!("TaskStream::poll_next: poll the receiver")
    }
}

// TODO(ch09) stage 4: the consumer's `break` drops this stream; the producer must stop then.
impl<T> Drop for TaskStream<T> {
    fn drop(&mut self) {
        // Stop the producer task. (Left empty on purpose, as above.)
    }
}
