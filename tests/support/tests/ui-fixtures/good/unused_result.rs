// A lint denied into an error has no error code; its headline is compared instead.
#![deny(unused_must_use)]

fn fallible() -> Result<(), ()> {
    Ok(())
}

fn main() {
    fallible();
}
