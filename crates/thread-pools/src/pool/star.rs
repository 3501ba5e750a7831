//! [`StarFn`]: a function called with a tuple of its arguments, what lets
//! [`crate::Pool::starmap`] unpack `(x, num, den)` into
//! `driver(x, num, den)`, as Python's `starmap` does.

// ANCHOR: star_fn
/// A function that can be called with a tuple of its arguments: what lets
/// [`crate::Pool::starmap`] unpack `(a, b, c)` into `f(a, b, c)`. Implemented for
/// every `Fn` of one to four arguments.
pub trait StarFn<Args> {
    /// What the function returns.
    type Output;
    /// Calls the function with the tuple's fields as arguments.
    fn call_star(&self, args: Args) -> Self::Output;
}

impl<F, A, B, U> StarFn<(A, B)> for F
where
    F: Fn(A, B) -> U,
{
    type Output = U;
    fn call_star(&self, (a, b): (A, B)) -> U {
        self(a, b)
    }
}
// ANCHOR_END: star_fn

impl<F, A, U> StarFn<(A,)> for F
where
    F: Fn(A) -> U,
{
    type Output = U;
    fn call_star(&self, (a,): (A,)) -> U {
        self(a)
    }
}

impl<F, A, B, C, U> StarFn<(A, B, C)> for F
where
    F: Fn(A, B, C) -> U,
{
    type Output = U;
    fn call_star(&self, (a, b, c): (A, B, C)) -> U {
        self(a, b, c)
    }
}

impl<F, A, B, C, D, U> StarFn<(A, B, C, D)> for F
where
    F: Fn(A, B, C, D) -> U,
{
    type Output = U;
    fn call_star(&self, (a, b, c, d): (A, B, C, D)) -> U {
        self(a, b, c, d)
    }
}
