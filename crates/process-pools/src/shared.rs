//! One large read-only input for every worker, written once: joblib's
//! auto-memmap, dask's `scatter(broadcast=True)`.
//!
//! The parent writes the data once into an anonymous memory file (a
//! *memfd*: no name on any file system), then seals it, so that nobody can
//! change its contents or its size again: a [`SharedInput`]. Tasks receive
//! its [`Shared`] handle, a few bytes (the parent's pid, the descriptor, an
//! id, the length), and [`Shared::get`] in the worker opens the file through
//! `/proc/<parent>/fd/<fd>`, maps it read-only (memmap2) and hands out a
//! slice ([`SharedSlice`]). Each worker maps each input once and keeps the
//! map for its later tasks; every worker maps the same pages, so 1 GiB
//! shared with any number of workers and tasks is 1 GiB of memory, and a
//! few bytes per task through the pipes.
//!
//! Nothing is left behind, by construction: the file has no name, and the
//! kernel frees it once the last descriptor and map of it are gone. Dropping
//! the [`SharedInput`] closes the parent's descriptor (whether or not the
//! pool still runs); a worker's maps go with the worker, whatever kills it.
//! A worker lets go of the map of an input that was dropped when one of its
//! tasks next gets a shared input, or when it exits.
//!
//! `cargo test -p process-pools --test shared_input` (1 GiB, read by every
//! worker).

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::Write;
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::{Arc, Mutex};

use bytemuck::Pod;
use memmap2::Mmap;
use nix::fcntl::{FcntlArg, SealFlag, fcntl};
use nix::sys::memfd::{MFdFlags, memfd_create};
use serde::{Deserialize, Serialize};

use crate::pool::ProcessPool;

/// What can go wrong in sharing an input, or in reading it in a worker.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    /// The parent could not create, write or seal the memory file.
    #[error("cannot create the shared input: {0}")]
    Create(#[source] std::io::Error),
    /// The worker could not open or map the input: its [`SharedInput`] was
    /// dropped, or the process that shared it ended, or runs elsewhere.
    #[error(
        "the shared input {path} is not available ({detail}): was its \
         SharedInput dropped before the task ran?"
    )]
    Unavailable {
        /// Where the worker looked for it.
        path: String,
        /// What the system said.
        detail: String,
    },
}

/// The prefix of every shared input's memory-file name (the rest is its id).
const NAME_PREFIX: &str = "process-pools-shared-";

// ANCHOR: shared_input
/// A read-only input written once, for every worker: share it with
/// [`ProcessPool::share`] (or [`SharedInput::new`]), send its
/// [`SharedInput::handle`] in your tasks' inputs, and call
/// [`Shared::get`] in the task. Dropping it frees the input, even after the
/// pool is gone.
#[derive(Debug)]
pub struct SharedInput<T> {
    /// The memory file, sealed: only this descriptor and the workers' maps
    /// keep it alive.
    file: File,
    handle: Shared<T>,
}

/// A [`SharedInput`] as a task receives it: a few bytes, `Copy`, sent in
/// the task's input; [`Shared::get`] gives the data, in the worker.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Shared<T> {
    pid: u32,
    fd: i32,
    id: u64,
    len: u64,
    #[serde(skip)]
    _type: PhantomData<fn() -> T>,
}

impl ProcessPool {
    /// Writes `data` once where every worker can map it: see
    /// [`SharedInput`]. It does not borrow the pool: one input may serve
    /// several pools, and outlive them.
    pub fn share<T: Pod>(&self, data: &[T]) -> Result<SharedInput<T>, SharedError> {
        SharedInput::new(data)
    }
}
// ANCHOR_END: shared_input

impl<T: Pod> SharedInput<T> {
    /// Writes `data` into a new sealed memory file.
    pub fn new(data: &[T]) -> Result<Self, SharedError> {
        Self::from_pieces([data])
    }

    /// Writes the pieces one after another, so the data never has to be
    /// in the parent's memory twice (generate or read it piece by piece).
    pub fn from_pieces<P: AsRef<[T]>>(
        pieces: impl IntoIterator<Item = P>,
    ) -> Result<Self, SharedError> {
        let id = RandomState::new().hash_one((std::process::id(), "shared"));
        let name = format!("{NAME_PREFIX}{id:016x}");
        let flags = MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING;
        let fd = memfd_create(name.as_str(), flags).map_err(io)?;
        let mut file = File::from(fd);
        let mut len = 0u64;
        for piece in pieces {
            let piece = piece.as_ref();
            file.write_all(bytemuck::cast_slice(piece))
                .map_err(SharedError::Create)?;
            len += piece.len() as u64;
        }
        // From now on nobody, the parent included, can write, grow or
        // shrink it: what a worker maps never changes under it.
        let seals = SealFlag::F_SEAL_WRITE
            | SealFlag::F_SEAL_GROW
            | SealFlag::F_SEAL_SHRINK
            | SealFlag::F_SEAL_SEAL;
        fcntl(file.as_fd(), FcntlArg::F_ADD_SEALS(seals)).map_err(io)?;
        let handle = Shared {
            pid: std::process::id(),
            fd: file.as_raw_fd(),
            id,
            len,
            _type: PhantomData,
        };
        Ok(SharedInput { file, handle })
    }
}

impl<T> SharedInput<T> {
    /// The handle to send in tasks' inputs.
    pub fn handle(&self) -> Shared<T> {
        self.handle
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.handle.len as usize
    }

    /// Whether it holds no element.
    pub fn is_empty(&self) -> bool {
        self.handle.len == 0
    }

    /// The memory file's name, as `/proc/<pid>/maps` and `/proc/<pid>/fd`
    /// show it (`/memfd:<name> (deleted)`): to see who maps it.
    pub fn memfd_name(&self) -> String {
        format!("{NAME_PREFIX}{:016x}", self.handle.id)
    }

    /// Its size in bytes, written once.
    pub fn bytes(&self) -> u64 {
        self.file.metadata().map_or(0, |m| m.len())
    }
}

impl<T> Drop for SharedInput<T> {
    fn drop(&mut self) {
        // This process's own map of it, if a task ran here (a serial run).
        forget(self.handle.id);
    }
}

impl<T: Pod> Shared<T> {
    /// The data, in the worker (or any process of this machine while the
    /// [`SharedInput`] lives). The first call in a process maps it; later
    /// calls reuse that map.
    pub fn get(&self) -> Result<SharedSlice<T>, SharedError> {
        let map = mapped(self.pid, self.fd, self.id)?;
        let len = self.len as usize;
        if map.len() < len * size_of::<T>() {
            return Err(self.unavailable("shorter than its handle says".into()));
        }
        Ok(SharedSlice {
            map,
            len,
            _type: PhantomData,
        })
    }
}

impl<T> Shared<T> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether it holds no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn unavailable(&self, detail: String) -> SharedError {
        SharedError::Unavailable {
            path: source(self.pid, self.fd),
            detail,
        }
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Shared<T> {}

impl<T> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("pid", &self.pid)
            .field("fd", &self.fd)
            .field("id", &format_args!("{:016x}", self.id))
            .field("len", &self.len)
            .finish()
    }
}

/// A shared input's data, as a slice (`Deref<Target = [T]>`). It keeps the
/// map alive while it lives.
pub struct SharedSlice<T> {
    map: Arc<Mmap>,
    len: usize,
    _type: PhantomData<fn() -> T>,
}

impl<T: Pod> std::ops::Deref for SharedSlice<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // A map starts on a page boundary: aligned for any `T`.
        bytemuck::cast_slice(&self.map[..self.len * size_of::<T>()])
    }
}

impl<T> std::fmt::Debug for SharedSlice<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSlice")
            .field("len", &self.len)
            .finish()
    }
}

/// The maps of this process, by id (few: one per input shared).
static MAPS: Mutex<Vec<Cached>> = Mutex::new(Vec::new());

struct Cached {
    id: u64,
    pid: u32,
    fd: i32,
    map: Arc<Mmap>,
}

/// The map of input `id`, made on first use.
fn mapped(pid: u32, fd: i32, id: u64) -> Result<Arc<Mmap>, SharedError> {
    let mut maps = MAPS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(cached) = maps.iter().find(|c| c.id == id) {
        return Ok(Arc::clone(&cached.map));
    }
    // The inputs dropped since: their maps go (a task still reading one
    // holds it until it is done).
    maps.retain(|c| names(&source(c.pid, c.fd), c.id));
    let map = Arc::new(map_input(pid, fd, id)?);
    maps.push(Cached {
        id,
        pid,
        fd,
        map: Arc::clone(&map),
    });
    Ok(map)
}

/// Opens and maps input `id`, checking that the file opened is that input
/// (a descriptor number is reused once closed) and that it is sealed.
fn map_input(pid: u32, fd: i32, id: u64) -> Result<Mmap, SharedError> {
    let path = source(pid, fd);
    let unavailable = |detail: String| SharedError::Unavailable {
        path: path.clone(),
        detail,
    };
    let file = File::open(&path).map_err(|e| unavailable(e.to_string()))?;
    // The file now open, by its own name: no race with a reused number.
    if !names(&source(std::process::id(), file.as_raw_fd()), id) {
        return Err(unavailable("another file has its descriptor now".into()));
    }
    let seals = fcntl(file.as_fd(), FcntlArg::F_GET_SEALS)
        .map_err(|e| unavailable(e.to_string()))?;
    let sealed = SealFlag::F_SEAL_WRITE | SealFlag::F_SEAL_SHRINK;
    if !SealFlag::from_bits_truncate(seals).contains(sealed) {
        return Err(unavailable("it is not sealed".into()));
    }
    // SAFETY: the file is sealed against writes and shrinking (checked just
    // above, and seals cannot be removed), so the mapped bytes never change
    // and never go away while mapped.
    #[allow(unsafe_code)]
    let map = unsafe { Mmap::map(&file) };
    map.map_err(|e| unavailable(e.to_string()))
}

/// Whether `path` (a `/proc/…/fd/…` link) leads to input `id`.
fn names(path: &str, id: u64) -> bool {
    let wanted = format!("/memfd:{NAME_PREFIX}{id:016x}");
    std::fs::read_link(path)
        .is_ok_and(|target| target.to_string_lossy().starts_with(&wanted))
}

/// Forgets this process's map of input `id`, if it has one.
fn forget(id: u64) {
    if let Ok(mut maps) = MAPS.lock() {
        maps.retain(|c| c.id != id);
    }
}

fn source(pid: u32, fd: i32) -> String {
    format!("/proc/{pid}/fd/{fd}")
}

fn io(errno: nix::errno::Errno) -> SharedError {
    SharedError::Create(errno.into())
}
