// A string literal is not a number: a fixture case with an error code (E0308).
fn main() {
    let _n: u32 = "one";
}
