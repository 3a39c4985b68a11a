//! Chapter 2 listings: the code the "Futures and wakers" page includes, compiled and tested.
//!
//! None of this is the exercise's answer: the page teaches with these, and the learner then
//! writes `Ready`, `YieldNow`, `LoadProfile`, `ThreadWaker` and `block_on` in `hand-futures`.

pub mod desugar;
pub mod executor;
pub mod lazy;
pub mod park;
pub mod pin;
pub mod raw_waker;
pub mod shape;
pub mod slot;
