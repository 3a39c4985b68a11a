//! Chapter 8 teaching code. The program is `src/edges.rs` (`cargo run -p reactor-listings --bin
//! ch08-edges`); its output is in `book/src/generated/ch08-edges.txt`.
