//! What a worker process can run: the [`Task`] trait and the [`Registry`] that
//! maps a task's name to the code that decodes its input, runs it and encodes
//! its output.
//!
//! A closure cannot cross a process boundary; a *name* can. The parent sends
//! `Task::NAME` and the encoded input, the worker looks the name up in its
//! registry. Because `ProcessPool::map::<T>` only accepts a `T: Task`, whose
//! input and output are `Serialize + DeserializeOwned`, sending a closure, a
//! file handle or a reference is a compile error, not Python's run-time
//! pickling error. One kind of type compiles and still cannot travel: a
//! *self-describing* one (`serde_json::Value`, `#[serde(untagged)]` or
//! `#[serde(flatten)]`), whose decoding asks the format what comes next; the
//! pool's compact binary format (postcard) has no such tags. Its first use
//! fails every task with an error that says so and what to send instead
//! ([`postcard_hint`]).
//!
//! Both sides of a task are here: the worker serves a chunk of it
//! ([`serve_chunk`], through its [`Outbox`]), and the parent reads one result
//! back ([`decode_result`]).

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::TaskErrorKind;
use crate::outbox::{Outbox, ServeError, take_panic_message};
use crate::wire::Failure;

// ANCHOR: task_trait
/// A function a worker process can run, known to both sides by its name.
///
/// Multi-argument tasks take a tuple (`type Input = (u64, u64)`).
pub trait Task: 'static {
    /// The name the parent sends and the worker's [`Registry`] looks up
    /// (at most 255 bytes, unique in a registry).
    const NAME: &'static str;
    /// What one task receives (sent from the parent).
    type Input: Serialize + DeserializeOwned;
    /// What one task returns (sent back to the parent).
    type Output: Serialize + DeserializeOwned;
    /// Runs one task, in the worker process.
    fn run(input: Self::Input) -> Self::Output;
}
// ANCHOR_END: task_trait

/// Decodes `count` inputs from `payload`, runs each, sends each result.
type ServeFn = fn(u32, &[u8], &mut Outbox) -> Result<(), ServeError>;
/// The by-hand mechanism's entry point: JSON in, JSON out.
type JsonFn = fn(serde_json::Value) -> Result<serde_json::Value, String>;

#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) serve: ServeFn,
    json: JsonFn,
    /// [`fingerprint`] of the task's types.
    pub(crate) fingerprint: u64,
    /// The task's input and output type names, for error messages.
    pub(crate) types: (&'static str, &'static str),
}

/// A stable hash of `T`'s input and output type names. It travels with every
/// chunk: a worker whose task of the same name has other types (a stale
/// worker binary) refuses the chunk instead of decoding the bytes wrongly.
pub(crate) fn fingerprint<T: Task>() -> u64 {
    let (input, output) = type_names::<T>();
    crate::wire::fnv1a(&[T::NAME, input, output])
}

fn type_names<T: Task>() -> (&'static str, &'static str) {
    (
        std::any::type_name::<T::Input>(),
        std::any::type_name::<T::Output>(),
    )
}

// ANCHOR: registry
/// The functions a worker process can run, by name.
///
/// ```
/// use process_pools::{Registry, Task};
/// struct Double;
/// impl Task for Double {
///     const NAME: &'static str = "double";
///     type Input = u64;
///     type Output = u64;
///     fn run(x: u64) -> u64 { 2 * x }
/// }
/// let registry = Registry::new().with::<Double>();
/// assert!(registry.contains("double") && !registry.contains("square"));
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    entries: BTreeMap<&'static str, Entry>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `T` under `T::NAME`.
    ///
    /// # Panics
    /// If another task is already registered under that name, or the name
    /// is over 255 bytes.
    pub fn with<T: Task>(mut self) -> Self {
        assert!(
            T::NAME.len() <= 255,
            "the task name `{}` is too long",
            T::NAME
        );
        let entry = Entry {
            serve: serve_chunk::<T>,
            json: serve_json::<T>,
            fingerprint: fingerprint::<T>(),
            types: type_names::<T>(),
        };
        let previous = self.entries.insert(T::NAME, entry);
        assert!(previous.is_none(), "two tasks are named `{}`", T::NAME);
        self
    }
}
// ANCHOR_END: registry

impl Registry {
    /// Whether a task named `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.keys().copied().collect()
    }

    pub(crate) fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// Runs task `name` on a JSON input (the by-hand mechanism). An unknown
    /// name or an input of the wrong shape is an error message.
    pub fn call_json(
        &self,
        name: &str,
        input: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let entry = self
            .entries
            .get(name)
            .ok_or_else(|| format!("no function named `{name}` in the registry"))?;
        (entry.json)(input)
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.entries.keys()).finish()
    }
}

// ANCHOR: serve_chunk
/// The worker side of one chunk: decode every input first (so a bad message
/// fails the whole chunk before anything runs), then, for each task, tell the
/// parent it starts (in the black box: no write), run it catching panics,
/// and send its result (into the black box's log, written out in batches).
fn serve_chunk<T: Task>(
    count: u32,
    payload: &[u8],
    out: &mut Outbox,
) -> Result<(), ServeError> {
    let mut rest = payload;
    let mut inputs = Vec::with_capacity(count.min(1 << 16) as usize);
    for _ in 0..count {
        let (input, tail) = postcard::take_from_bytes::<T::Input>(rest)
            .map_err(|e| bad_input::<T>(&postcard_hint(&e)))?;
        inputs.push(input);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(bad_input::<T>("trailing bytes after the last input"));
    }
    for input in inputs {
        out.started()?; // before the task runs: a crash is blamed on it alone
        let result = panic::catch_unwind(AssertUnwindSafe(|| T::run(input)))
            .map_err(|payload| Failure::Panicked(take_panic_message(payload)));
        out.result(&result)?;
    }
    Ok(())
}
// ANCHOR_END: serve_chunk

fn bad_input<T: Task>(detail: &str) -> ServeError {
    ServeError::BadInput(format!(
        "`{}` cannot decode its input as {}: {detail}",
        T::NAME,
        std::any::type_name::<T::Input>()
    ))
}

/// postcard's error, with what to change when the type is self-describing
/// (postcard's `WontImplement`: the type asked the format to say what comes
/// next, which a binary format without tags cannot).
pub(crate) fn postcard_hint(error: &postcard::Error) -> String {
    match error {
        postcard::Error::WontImplement => format!(
            "{error}: the type is self-describing (serde_json::Value, an untagged \
             or flattened enum or struct), which the pool's binary format cannot \
             decode; use a concrete type, or send the value as a JSON String and \
             parse it in the task"
        ),
        other => other.to_string(),
    }
}

fn serve_json<T: Task>(
    input: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let input: T::Input = serde_json::from_value(input)
        .map_err(|e| format!("`{}`: bad input: {e}", T::NAME))?;
    serde_json::to_value(T::run(input)).map_err(|e| e.to_string())
}

/// One task's result, in the parent: the whole message must decode as `T`'s
/// result.
pub(crate) fn decode_result<T: Task>(
    bytes: &[u8],
) -> Result<T::Output, TaskErrorKind> {
    let decoded = postcard::take_from_bytes::<Result<T::Output, Failure>>(bytes);
    match decoded {
        Ok((result, [])) => result.map_err(TaskErrorKind::from_failure),
        Ok((_, rest)) => Err(TaskErrorKind::BadMessage {
            detail: format!(
                "the result of `{}` as {} leaves {} bytes undecoded",
                T::NAME,
                std::any::type_name::<T::Output>(),
                rest.len()
            ),
        }),
        Err(e) => Err(TaskErrorKind::BadMessage {
            detail: format!(
                "cannot decode the result of `{}` as {}: {}",
                T::NAME,
                std::any::type_name::<T::Output>(),
                postcard_hint(&e)
            ),
        }),
    }
}
