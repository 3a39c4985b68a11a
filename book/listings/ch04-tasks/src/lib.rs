//! Chapter 4 teaching code.
