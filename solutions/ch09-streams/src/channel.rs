//! Stage 4: a channel whose receiver is a stream, and a stream fed by a producer task.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Receiver, SendError, Sender, Stream, TaskStream, channel};

// ANCHOR: solution_channel
impl<T> Sender<T> {
    /// Queues `value` for the receiver and wakes it if it waits. `Err` gives the value back if
    /// the receiver was dropped.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let waker = {
            let mut chan = self.chan.borrow_mut();
            if !chan.receiver_alive {
                return Err(SendError(value));
            }
            chan.queue.push_back(value);
            chan.waker.take()
        };
        // Woken after the borrow ends: a waker may run code that uses the channel.
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut chan = self.chan.borrow_mut();
            chan.sender_alive = false;
            chan.waker.take()
        };
        // The end of the stream is news too: a waiting receiver must poll again to see `None`.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut chan = self.chan.borrow_mut();
        if let Some(value) = chan.queue.pop_front() {
            return Poll::Ready(Some(value));
        }
        if !chan.sender_alive {
            return Poll::Ready(None);
        }
        // Checked and registered under one borrow: a send can only come after this.
        chan.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let unread = {
            let mut chan = self.chan.borrow_mut();
            chan.receiver_alive = false;
            chan.waker = None;
            std::mem::take(&mut chan.queue)
        };
        // What was sent and never read is dropped now, not when the sender goes.
        drop(unread);
    }
}
// ANCHOR_END: solution_channel

// ANCHOR: solution_task_stream
/// Spawns `producer(sender)` as a task named `name` on the running loop, and returns the stream
/// of what it sends. The stream ends when the producer finishes (its `Sender` is dropped with
/// it); dropping the stream aborts the producer. Panics outside a running loop, as `spawn`.
pub fn spawn_stream<T, F, Fut>(name: &str, producer: F) -> TaskStream<T>
where
    F: FnOnce(Sender<T>) -> Fut,
    Fut: Future<Output = ()> + 'static,
{
    let (sender, receiver) = channel();
    let producer = tasks::spawn_named(name, producer(sender));
    TaskStream { receiver, producer }
}

impl<T> Stream for TaskStream<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        Pin::new(&mut self.get_mut().receiver).poll_next(cx)
    }
}

impl<T> Drop for TaskStream<T> {
    fn drop(&mut self) {
        // Abort drops the producer's future now: its locals' destructors (its cleanup) run
        // before the consumer's next line, and it sends nothing more. A JoinHandle dropped
        // without this would detach the task and leave it running.
        self.producer.abort();
    }
}
// ANCHOR_END: solution_task_stream
