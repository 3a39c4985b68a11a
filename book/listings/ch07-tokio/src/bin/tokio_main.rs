//! `#[tokio::main]`: asyncio.run(main()) in one attribute.

// ANCHOR: tokio_main
#[tokio::main(flavor = "current_thread")] // without `flavor`: the multi-thread runtime
async fn main() {
    let reply = tokio::spawn(async { "hello from a task" })
        .await
        .expect("the task did not panic");
    println!("{reply}");
}
// The attribute rewrites `main` into roughly:
//
//     fn main() {
//         tokio::runtime::Builder::new_current_thread()
//             .enable_all()
//             .build()
//             .unwrap()
//             .block_on(async { /* the body above */ })
//     }
// ANCHOR_END: tokio_main
