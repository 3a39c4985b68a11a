//! Chapter 1's first listing as a whole program, std-only so that the book's ▶ button can run it
//! on the Rust playground: a Python generator that only yields, written as an iterator.
//! `cargo run -p generators-listings --example squares` runs it locally. The listing library
//! compiles this same file as a module (`#[path]` in src/lib.rs) and tests `squares` there.

// ANCHOR: iterator
/// Python: `def squares(limit): for n in range(1, limit + 1): yield n * n`
///
/// A generator that only hands values out is an iterator. Its local variable `n` becomes a field,
/// because it must outlive each call to `next`.
pub struct Squares {
    n: u32,
    limit: u32,
}

impl Iterator for Squares {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.n >= self.limit {
            return None; // Python would raise StopIteration here
        }
        self.n += 1;
        Some(self.n * self.n)
    }
}

pub fn squares(limit: u32) -> Squares {
    Squares { n: 0, limit }
}
// ANCHOR_END: iterator

fn main() {
    // Like Python's `next(gen)`: each call runs the body up to the next value.
    let mut it = squares(3);
    println!("next() -> {:?}", it.next());
    println!("next() -> {:?}", it.next());
    println!("next() -> {:?}", it.next());
    println!("next() -> {:?} (the generator is exhausted)", it.next());

    // Like `for x in squares(5)`: `for` calls `next` until it returns `None`.
    let all: Vec<u32> = squares(5).collect();
    println!("squares(5) = {all:?}");
}
