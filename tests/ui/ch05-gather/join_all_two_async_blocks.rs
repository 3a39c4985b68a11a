// Two async blocks are two different types, even with the same output: a Vec cannot hold both.
// Box and pin each one as a `Pin<Box<dyn Future<Output = T>>>` to give them one type.
fn main() {
    let _all = gather::join_all(vec![async { 1 }, async { 2 }]);
}
