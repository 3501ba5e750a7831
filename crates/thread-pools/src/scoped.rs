//! The mechanism: split the input into one chunk per thread with
//! `std::thread::scope`.

// ANCHOR: scoped_map
/// Applies `f` to every input on `jobs` threads, one contiguous chunk each,
/// and returns the results in input order.
///
/// The threads live inside `std::thread::scope`, which joins them all before
/// it returns, so they may borrow `inputs` and `f`: no `Arc`, no `'static`.
///
/// # Panics
/// If `jobs` is 0, or (once every thread has stopped) with the panic of a task.
pub fn scoped_map<T, U, F>(inputs: &[T], jobs: usize, f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync,
{
    assert!(jobs > 0, "scoped_map needs at least one job");
    if inputs.is_empty() {
        return Vec::new();
    }
    let chunk_len = inputs.len().div_ceil(jobs);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .chunks(chunk_len)
            .map(|chunk| {
                scope.spawn(move || chunk.iter().map(f).collect::<Vec<U>>())
            })
            .collect();
        // Join in spawn order: chunk order is input order.
        let mut results = Vec::with_capacity(inputs.len());
        for handle in handles {
            match handle.join() {
                Ok(part) => results.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}
// ANCHOR_END: scoped_map
