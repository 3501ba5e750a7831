//! Chapter 1, serial map: the four ways to apply a function to every input one
//! after another. Every later chapter is measured against these.
//!
//! # What is here
//! - [`for_loop`]: a plain `for` loop pushing into a `Vec`.
//! - [`my_map`]: a hand-written generic `map`, what Python's `map` does.
//! - [`iterator_map`]: `Iterator::map(..).collect()`, what you write in Rust.
//! - [`fold_sum`]: a fold that reduces as it goes and keeps no `Vec` at all.
//!
//! [`names`]: the name of each strategy, one for the demo, the benchmarks and
//! the book.
//!
//! Run the chapter's demo with
//! `cargo run --release -p serial-map -- --workload driver --size 1048576`.
#![warn(missing_docs)]

pub mod names;

// ANCHOR: for_loop
/// Applies `f` to each input with a plain `for` loop.
pub fn for_loop<T, U>(inputs: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
    let mut results = Vec::with_capacity(inputs.len());
    for input in inputs {
        results.push(f(input));
    }
    results
}
// ANCHOR_END: for_loop

// ANCHOR: my_map
/// A generic `map`: any input type `T`, any output type `U`, any function
/// from `&T` to `U`. The compiler writes one copy per `(T, U, F)`, so the
/// abstraction costs nothing at run time.
pub fn my_map<T, U, F>(inputs: &[T], mut f: F) -> Vec<U>
where
    F: FnMut(&T) -> U,
{
    let mut results = Vec::with_capacity(inputs.len());
    for input in inputs {
        results.push(f(input));
    }
    results
}
// ANCHOR_END: my_map

// ANCHOR: iterator_map
/// The idiomatic version: an iterator adaptor, collected into a `Vec`
/// (`collect` knows the length and allocates once).
pub fn iterator_map<T, U>(inputs: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
    inputs.iter().map(f).collect()
}
// ANCHOR_END: iterator_map

// ANCHOR: fold_sum
/// Reduces as it goes: adds up `f(input)` in input order without keeping the
/// individual results. Stops at the first error and returns it.
pub fn fold_sum<T, E>(
    inputs: &[T],
    f: impl Fn(&T) -> Result<f64, E>,
) -> Result<f64, E> {
    inputs
        .iter()
        .try_fold(0.0, |total, input| Ok(total + f(input)?))
}
// ANCHOR_END: fold_sum

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_sum_adds_in_order_and_stops_at_the_first_error() {
        let ok: Result<f64, String> = fold_sum(&[1.0, 2.0, 3.5], |x| Ok(*x));
        assert_eq!(ok, Ok(6.5));
        let calls = std::cell::Cell::new(0);
        let err = fold_sum(&[1, 2, 3], |&x| {
            calls.set(calls.get() + 1);
            if x == 2 {
                Err(format!("task {x} failed"))
            } else {
                Ok(1.0)
            }
        });
        assert_eq!(err, Err("task 2 failed".to_string()));
        assert_eq!(calls.get(), 2, "task 3 never ran");
        assert_eq!(fold_sum::<u8, ()>(&[], |_| Ok(1.0)), Ok(0.0));
    }
}
