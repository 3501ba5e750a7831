//! The `cached!` macro: a function and, next to it, a module of the same
//! name whose `call`, `lookup`, `check_in_cache` and `key` go through the
//! function's [`CachedFn`](crate::CachedFn). Its identity is its full path
//! plus a fingerprint of its own tokens (see `fingerprint.rs`).

/// Defines a function and a cached version of it, like joblib's
/// `@memory.cache`.
///
/// ```
/// caching::cached! {
///     #![version = 1]               // optional: bump for changes in helpers
///     /// Slow work.
///     pub fn slow_add(a: u64, b: u64, #[ignore] verbose: bool) -> u64 {
///         if verbose { eprintln!("adding") }
///         a + b
///     }
/// }
/// # fn main() {
/// # let dir = tempfile::tempdir().unwrap();
/// let memory = caching::Memory::new(dir.path()).unwrap();
/// assert_eq!(slow_add(1, 2, false), 3);                 // the plain function
/// assert_eq!(slow_add::call(&memory, 1, 2, false), 3);  // computed and stored
/// assert!(slow_add::check_in_cache(&memory, 1, 2, true)); // `verbose` ignored
/// # }
/// ```
///
/// Next to the plain function it generates a module of the same name with
/// `call(&memory, args..)`, `check_in_cache(&memory, args..)`,
/// `lookup(&memory, args..)` (the result, or why it missed), `key`,
/// `handle(&memory)` (the [`CachedFn`](crate::CachedFn), for `clear`, `get`
/// and the rest) and `id()`. The fingerprint covers the whole function, from
/// `fn` to the closing brace, as tokens; the key also holds the function's
/// full path (`module_path!()`, so `linear::model` and `quadratic::model` are
/// two functions) and the types of its arguments. Optional header lines, in
/// this order: `#![name = ".."]` (default: the full path; give a name to
/// keep the entries when you move the function) and
/// `#![version = N]` (default 0). Mark arguments that must not be part of the key with
/// `#[ignore]`. Arguments must be plain `name: Type` pairs; the function
/// must not be generic (use [`Memory::function`](crate::Memory::function)
/// for generic code), must be defined at module level (the generated module
/// sees its parent's names through `use super::*`), and must return a value.
#[macro_export]
macro_rules! cached {
    (
        $(#![name = $cname:literal])?
        $(#![version = $version:literal])?
        $(#[$attr:meta])*
        $vis:vis fn $name:ident (
            $( $(#[$marker:ident])? $arg:ident : $ty:ty ),* $(,)?
        ) -> $ret:ty
        $body:block
    ) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) -> $ret $body

        #[doc = ::core::concat!(
            "The cached version of [`", ::core::stringify!($name), "()`]."
        )]
        $vis mod $name {
            // `unused_variables`: `#[ignore]`d arguments are not in the key.
            #![allow(
                unused_imports,
                unused_variables,
                clippy::ptr_arg,
                clippy::too_many_arguments
            )]
            use super::*;

            /// This function's identity in a cache: name, fingerprint, version.
            pub fn id() -> &'static $crate::SharedId {
                static ID: ::std::sync::OnceLock<$crate::SharedId> =
                    ::std::sync::OnceLock::new();
                ID.get_or_init(|| {
                    ::std::sync::Arc::new($crate::FunctionId::from_source(
                        // This module's path is the function's full path,
                        // `crate::module::name`: two functions named alike
                        // in different modules never share results.
                        $crate::__first!($($cname,)? ::core::module_path!()),
                        ::core::stringify!(
                            fn $name($($arg: $ty),*) -> $ret $body
                        ),
                        $crate::__first!($($version,)? 0),
                    ))
                })
            }

            /// The cache handle of this function in `memory`.
            pub fn handle(memory: &$crate::Memory) -> $crate::CachedFn<$ret> {
                memory.function_with_id(id().clone())
            }

            /// The cache key of these arguments (ignored ones left out).
            pub fn key(
                memory: &$crate::Memory,
                $($arg: &$ty),*
            ) -> ::std::result::Result<$crate::CacheKey, $crate::CacheError> {
                handle(memory).key(&($($crate::__key_arg!($($marker)? $arg),)*))
            }

            // ANCHOR: cached_call
            /// Returns the stored result for these arguments, or computes,
            /// stores and returns it.
            pub fn call(memory: &$crate::Memory, $($arg: $ty),*) -> $ret {
                // `CachedFn::call`, with the key made first: the key borrows
                // the arguments, then `compute` takes them.
                let cached = handle(memory);
                let key = cached.key(&($($crate::__key_arg!($($marker)? $arg),)*));
                cached.call_with_key(key, || super::$name($($arg),*))
            }
            // ANCHOR_END: cached_call

            /// The stored result for these arguments, or why there is none.
            pub fn lookup(
                memory: &$crate::Memory,
                $($arg: $ty),*
            ) -> $crate::Lookup<$ret> {
                handle(memory).lookup(&($($crate::__key_arg!($($marker)? $arg),)*))
            }

            /// Whether a result for these arguments is stored.
            pub fn check_in_cache(memory: &$crate::Memory, $($arg: $ty),*) -> bool {
                handle(memory)
                    .check_in_cache(&($($crate::__key_arg!($($marker)? $arg),)*))
            }
        }
    };
}

/// The first of its arguments (how `cached!` picks an optional setting or its
/// default). Not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __first {
    ($first:expr $(, $rest:expr)*) => {
        $first
    };
}

/// One argument's part of the key: a reference to it, or `()` if it is marked
/// `#[ignore]`. Not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __key_arg {
    (ignore $arg:ident) => {
        ()
    };
    ($arg:ident) => {
        &$arg
    };
    ($other:ident $arg:ident) => {
        ::core::compile_error!("cached!: the only argument marker is #[ignore]")
    };
}
