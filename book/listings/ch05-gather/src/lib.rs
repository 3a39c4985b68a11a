//! Chapter 5 teaching code.
