// A closure given to spawn_blocking must be `'static`: the worker may still be running it after
// the function that called spawn_blocking has returned (dropping the future does not stop it),
// and then a borrowed local would be gone. Move the value in (`move ||`) and, if the caller needs
// it back, return it with the result, as `read_line` does with its source.
// Expected error: closure may outlive the current function, but it borrows `path`.
use offload::ThreadPool;

fn main() {
    let pool = ThreadPool::new(1).unwrap();
    let path = String::from("/etc/hosts");
    let size = pool.spawn_blocking(|| path.len());
    drop(size);
}
