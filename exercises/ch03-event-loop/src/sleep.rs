//! `sleep`'s `poll`: a future that is a timer on the running loop. The `Sleep` and `Alarm`
//! types, `sleep()` and the `Drop` that cancels the timer are given in `given.rs`.

use std::future::Future;
use std::pin::Pin;
#[allow(unused_imports)] // for the poll you write
use std::rc::Rc;
use std::task::{Context, Poll};

#[allow(unused_imports)] // for the poll you write
use crate::Handle;
#[allow(unused_imports)]
use crate::given::Alarm;
use crate::Sleep;

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let _ = (cx, self.duration);
        // TODO(ch03) stage 3: first poll: arm ONE timer on the running loop
        // (`Handle::current()`) whose callback marks the alarm rung and wakes the latest waker
        // (take the waker out, end the borrow, then wake). Later polls: rung yet? If not, keep
        // this poll's waker.
        todo!("Sleep::poll: arm a timer on the first poll, then wait for it to ring")
    }
}
