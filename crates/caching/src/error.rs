//! What can go wrong with a cache. A damaged entry is not among them: it is
//! a miss with a reason ([`crate::MissReason::Corrupt`]), and recomputed.

use std::io;
use std::path::{Path, PathBuf};

/// What can go wrong with a cache (reading a damaged entry is not an error:
/// it is reported and recomputed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The cache directory does not exist (from [`Memory::open`]).
    ///
    /// [`Memory::open`]: crate::Memory::open
    #[error("cache directory {0} does not exist")]
    Missing(PathBuf),
    /// The cache path exists but is not a directory.
    #[error("cache directory {0} is not a directory")]
    NotADirectory(PathBuf),
    /// The cache directory could not be created.
    #[error("cannot create cache directory {dir}: {source}")]
    Create {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The cache directory exists but files cannot be written in it.
    #[error("cache directory {dir} is not writable: {source}")]
    Unwritable {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file operation inside the cache failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Arguments or a value could not be serialised.
    #[error("cannot serialise {what}: {message}")]
    Encode {
        /// "arguments" or "value".
        what: &'static str,
        /// The serialiser's message.
        message: String,
    },
}

/// `map_err(io_err(path))`: an I/O error on `path` as a [`CacheError::Io`].
pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    }
}
