// join_all takes one type of future: every child's output is one element of the same Vec.
// Boxing the children makes two async blocks one type, but not two different outputs.
// The book's answer for children of different types: a join of a fixed number of futures
// (`join2`, or `futures::join!` / `tokio::join!`), which returns a tuple.
use std::future::Future;
use std::pin::Pin;

fn main() {
    let children: Vec<Pin<Box<dyn Future<Output = u32>>>> = vec![
        Box::pin(async { 42 }),
        Box::pin(async { "forty-two" }),
    ];
    let _all = gather::join_all(children);
}
