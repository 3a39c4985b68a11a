// Claims that adding two integers is a type error. It is not: this case compiles, and the
// check must say so.
fn main() {
    let _sum = 1 + 1;
}
