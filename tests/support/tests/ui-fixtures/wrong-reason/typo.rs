// Meant to show a type mismatch, but a typo makes it fail with an unknown name instead.
fn main() {
    let _n: u32 = one;
}
