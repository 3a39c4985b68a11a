// A child of a TaskGroup is a task: the loop owns it, so it may borrow nothing, not even a local
// that the group's `join` looks as if it outlives. Nothing forces the join to be awaited (its
// future could be forgotten), so the compiler cannot let the child keep the borrow: `spawn`
// asks for `'static`. Move an owned value (or an Rc) into the child instead, or use join_all,
// whose children are not tasks and may borrow.
use gather::TaskGroup;

async fn agent_step() -> Result<Vec<usize>, gather::GroupError<String>> {
    let prompt = String::from("what is 6 * 7?");
    let question = &prompt;
    let mut group: TaskGroup<usize, String> = TaskGroup::new();
    group.spawn(async move { Ok(question.len()) });
    group.join().await
}

fn main() {
    let _ = agent_step();
}
