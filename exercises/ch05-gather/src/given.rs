//! The chapter's data structures and the small methods around them.
//!
//! This module is given, in the exercise and in the solution alike (the solution compiles this
//! very file): you never edit it. The chapter's work is the behaviour in `lib.rs`, written
//! against the types here.

// The stub does not use all of this yet; the finished exercise does.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::task::Waker;

use tasks::JoinHandle;

// ANCHOR: child_set
/// Many child futures polled by one parent future, in the parent's task. Each child has its own
/// waker; a wake puts the child's index on the ready list (once, however often it is woken
/// before its next poll) and wakes the parent. The parent then polls only the listed children.
pub struct ChildSet<F> {
    /// The children, in input order. A child is boxed so that it stays put (it may be `!Unpin`)
    /// while the vector and the set move; `None` once it finished.
    pub(crate) slots: Vec<Slot<F>>,
    /// Shared with every child's waker.
    pub(crate) ready: Arc<ReadyList>,
    /// Indices taken off the ready list and not polled yet, oldest wake first.
    pub(crate) batch: VecDeque<usize>,
    /// Children that have not finished.
    pub(crate) unfinished: usize,
}

pub(crate) struct Slot<F> {
    pub(crate) future: Option<Pin<Box<F>>>,
    /// The child's waker, made once; `flag` is the same allocation, seen as a `ChildWaker`.
    pub(crate) waker: Waker,
    pub(crate) flag: Arc<ChildWaker>,
}

/// What the children's wakers share with their set. A `Waker` must be `Send + Sync`, hence the
/// mutexes: a child may be woken from another thread.
#[derive(Default)]
pub(crate) struct ReadyList {
    /// Children woken since the set last looked, in wake order, each at most once.
    pub(crate) woken: Mutex<Vec<usize>>,
    /// The waker of the latest poll of the parent.
    pub(crate) parent: Mutex<Option<Waker>>,
}

/// One child's waker: its index, and whether that index is on the ready list already.
/// (Its `Wake` impl is yours, in `lib.rs`.)
pub(crate) struct ChildWaker {
    pub(crate) index: usize,
    /// Set while the index is on the ready list (or the child's poll is queued): more wakes
    /// before the child's next poll add nothing.
    pub(crate) queued: AtomicBool,
    pub(crate) ready: Arc<ReadyList>,
}
// ANCHOR_END: child_set

// ANCHOR: child_set_methods
/// `new` and `poll_next` are yours, in `lib.rs`.
impl<F: Future> ChildSet<F> {
    /// How many children have not finished.
    pub fn len(&self) -> usize {
        self.unfinished
    }

    pub fn is_empty(&self) -> bool {
        self.unfinished == 0
    }

    /// The children that have not finished (or not been handed out yet), in input order.
    pub fn pending(&self) -> impl Iterator<Item = &F> {
        self.slots.iter().filter_map(|slot| slot.future.as_deref())
    }

    /// `poll_next` as a future: `while let Some((i, out)) = set.next().await { ... }`.
    /// (Named like `Iterator::next` on purpose: it is the async version of it.)
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> impl Future<Output = Option<(usize, F::Output)>> + '_ {
        poll_fn(move |cx| self.poll_next(cx))
    }
}
// ANCHOR_END: child_set_methods

// ANCHOR: abort_on_drop
/// A `JoinHandle` that aborts its task when dropped: structured ownership of a task, where a
/// plain `JoinHandle` detaches (tokio-util calls this `AbortOnDropHandle`). Its `Future` and
/// `Drop` impls are yours, in `lib.rs`.
#[must_use = "dropping an AbortOnDrop aborts its task at once"]
pub struct AbortOnDrop<T>(pub(crate) JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    pub fn new(handle: JoinHandle<T>) -> Self {
        AbortOnDrop(handle)
    }

    /// Aborts the task now (a no-op if it has finished; see `JoinHandle::abort`).
    pub fn abort(&self) {
        self.0.abort();
    }

    pub fn name(&self) -> &str {
        self.0.name()
    }
}
// ANCHOR_END: abort_on_drop

// ANCHOR: task_group
/// asyncio's `TaskGroup`: children spawned into it run as tasks at once; `join` waits for all of
/// them. The first failure cancels (aborts) the siblings; every failure that happened is
/// reported. Dropping the group, or its `join` future, aborts every unfinished child (they are
/// `AbortOnDrop` handles). `spawn`, `spawn_named` and `join` are yours, in `lib.rs`.
pub struct TaskGroup<T, E> {
    pub(crate) children: Vec<AbortOnDrop<Result<T, E>>>,
}

impl<T: 'static, E: 'static> TaskGroup<T, E> {
    pub fn new() -> Self {
        TaskGroup { children: Vec::new() }
    }

    /// How many children were spawned.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }
}

impl<T: 'static, E: 'static> Default for TaskGroup<T, E> {
    fn default() -> Self {
        Self::new()
    }
}
// ANCHOR_END: task_group
