//! The bottom layer, storage: the on-disk entry (a small header with a
//! checksum, then the value), the file it lives in (named by its key), and
//! the atomic write (a temporary file renamed into place, so that no reader
//! ever sees half of an entry). Bytes and paths only: nothing here knows
//! about keys, functions or a `Memory`.

use std::fs::{self, File, FileTimes};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// How hard a store tries to survive a power cut (a crashed *process* never
/// leaves a partial entry either way: the rename is atomic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Write, then rename. A power cut may lose the last entries or leave
    /// an empty one; the checksum catches that and the call is recomputed.
    #[default]
    Rename,
    /// Also `fsync` the entry before the rename and its directory after it:
    /// an entry that was stored survives a power cut. Costs a disk flush
    /// (hundreds of µs to milliseconds) per store.
    Fsync,
}

// ANCHOR: entry_format
/// First bytes of every entry file.
pub(crate) const MAGIC: &[u8; 8] = b"pprcach1";
/// Magic, payload length (u64 LE), blake3(key ‖ payload).
pub(crate) const HEADER: usize = 8 + 8 + 32;

/// An entry: header, then the postcard-encoded value. The checksum covers
/// the key too, so an entry copied under the wrong name is caught as well.
pub(crate) fn encode_entry<R: serde::Serialize + ?Sized>(
    key: &[u8; 32],
    value: &R,
) -> Result<Vec<u8>, postcard::Error> {
    let mut bytes = postcard::to_extend(value, vec![0u8; HEADER])?;
    write_header(key, &mut bytes);
    Ok(bytes)
}

/// Fills in the header of `bytes` (`HEADER` bytes, then the payload).
fn write_header(key: &[u8; 32], bytes: &mut [u8]) {
    let payload_len = (bytes.len() - HEADER) as u64;
    let sum = checksum(key, &bytes[HEADER..]);
    bytes[..8].copy_from_slice(MAGIC);
    bytes[8..16].copy_from_slice(&payload_len.to_le_bytes());
    bytes[16..HEADER].copy_from_slice(sum.as_bytes());
}

/// An entry of any payload (JSON, say) under `key`: the same header as the
/// cache's own entries. [`unseal`] gives the payload back.
pub fn seal(key: &[u8; 32], payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0u8; HEADER];
    bytes.extend_from_slice(payload);
    write_header(key, &mut bytes);
    bytes
}

/// The payload of a sealed entry, if it is whole and was sealed under
/// `key`; otherwise why not (truncated, not an entry, checksum mismatch).
pub fn unseal<'a>(key: &[u8; 32], bytes: &'a [u8]) -> Result<&'a [u8], String> {
    verify_entry(key, bytes)
}

/// The payload of an entry, if the entry is whole and belongs to `key`.
pub(crate) fn verify_entry<'a>(
    key: &[u8; 32],
    bytes: &'a [u8],
) -> Result<&'a [u8], String> {
    let len = stated_len(bytes)?;
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != len {
        return Err(format!("truncated: {} of {len} bytes", payload.len()));
    }
    if checksum(key, payload).as_bytes() != &bytes[16..HEADER] {
        return Err("checksum mismatch".into());
    }
    Ok(payload)
}
// ANCHOR_END: entry_format

/// The length of value an entry's header states, if `bytes` start with one.
fn stated_len(bytes: &[u8]) -> Result<u64, String> {
    if bytes.len() < HEADER {
        return Err(format!("truncated: {} bytes, no header", bytes.len()));
    }
    if &bytes[..8] != MAGIC {
        return Err("not a cache entry (bad magic)".into());
    }
    Ok(u64::from_le_bytes(
        bytes[8..16].try_into().expect("8 bytes"),
    ))
}

fn checksum(key: &[u8; 32], payload: &[u8]) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(key);
    hasher.update(payload);
    hasher.finalize()
}

/// The extension of entry files.
pub(crate) const ENTRY_EXT: &str = "entry";

/// The file holding the entry of the key `key` in the function directory
/// `dir`: the key as 64 hex digits, then `.entry`.
pub(crate) fn entry_path(dir: &Path, key: &[u8; 32]) -> PathBuf {
    let mut name = blake3::Hash::from(*key).to_hex().to_string();
    name.push('.');
    name.push_str(ENTRY_EXT);
    dir.join(name)
}

/// The key an entry file is named after (64 hex digits), if it is one:
/// the inverse of [`entry_path`].
pub(crate) fn key_from_file_name(path: &Path) -> Option<[u8; 32]> {
    let stem = path.file_stem()?.to_str()?;
    let mut key = [0u8; 32];
    if stem.len() != 64 {
        return None;
    }
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(stem.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

/// Opens an entry file for reading, or `None` if it does not exist. What
/// is not a regular file is refused (`InvalidData`) before it is opened: a
/// named pipe in an entry's place would block the reader forever, and a
/// directory or a device is no entry either.
fn open_entry(path: &Path) -> io::Result<Option<(File, fs::Metadata)>> {
    let not_found = |e: &io::Error| e.kind() == io::ErrorKind::NotFound;
    match fs::metadata(path) {
        Err(e) if not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
        Ok(meta) if !meta.is_file() => {
            let why = format!("not a regular file ({:?})", meta.file_type());
            return Err(io::Error::new(io::ErrorKind::InvalidData, why));
        }
        Ok(_) => {}
    }
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if not_found(&e) => return Ok(None), // removed meanwhile
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    Ok(Some((file, meta)))
}

/// The bytes of the sealed entry (see [`seal`]) or cache entry at `path`,
/// or `None` if there is none. Read only after its header states its size,
/// and only from a regular file: a pipe, a directory or a huge file in its
/// place is an `InvalidData` error that says why, never a hang or an abort.
pub fn read_sealed_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let Some((mut file, meta)) = open_entry(path)? else {
        return Ok(None);
    };
    read_entry_bytes(&mut file, meta.len()).map(Some)
}

/// Reads a whole entry file, or `None` if it does not exist (as
/// [`read_sealed_file`]). Marks it used (its access time) at most once a
/// minute, for `reduce_size`.
pub(crate) fn read_entry_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let Some((mut file, meta)) = open_entry(path)? else {
        return Ok(None);
    };
    let bytes = read_entry_bytes(&mut file, meta.len())?;
    let now = SystemTime::now();
    let used = last_used(&meta);
    if now.duration_since(used).unwrap_or_default() > Duration::from_secs(60) {
        // Best effort: an entry that cannot be touched is still readable.
        let _ = file.set_times(FileTimes::new().set_accessed(now));
    }
    Ok(Some(bytes))
}

/// The bytes of an entry file of `size` bytes, read only after its header
/// says that size: a file put in an entry's place (a huge log, a disk
/// image) is refused from its first bytes, never loaded into memory.
/// Refusals are `InvalidData` errors that say why.
pub(crate) fn read_entry_bytes(
    file: &mut impl Read,
    size: u64,
) -> io::Result<Vec<u8>> {
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
    if size < HEADER as u64 {
        return Err(invalid(format!("truncated: {size} bytes, no header")));
    }
    let mut bytes = vec![0u8; HEADER];
    file.read_exact(&mut bytes)?;
    let len = stated_len(&bytes).map_err(invalid)?;
    let payload = size - HEADER as u64;
    if payload < len {
        return Err(invalid(format!("truncated: {payload} of {len} bytes")));
    }
    if payload > len {
        return Err(invalid(format!(
            "{payload} bytes of value on disk, but its header says {len}"
        )));
    }
    let len = usize::try_from(len)
        .map_err(|_| invalid(format!("{len} bytes: too large")))?;
    bytes
        .try_reserve_exact(len)
        .map_err(|_| invalid(format!("{len} bytes: too large to read")))?;
    file.take(len as u64).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// When an entry was last stored or read (the later of mtime and atime).
pub(crate) fn last_used(meta: &fs::Metadata) -> SystemTime {
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let accessed = meta.accessed().unwrap_or(modified);
    modified.max(accessed)
}

// ANCHOR: atomic_write
/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, then a rename over `path`. Concurrent writers of one path
/// (threads or processes) each rename a whole file; the last one wins, and
/// a reader sees one complete file or none, never a mixture.
pub fn write_atomic(
    dir: &Path,
    path: &Path,
    bytes: &[u8],
    durability: Durability,
) -> io::Result<()> {
    let tmp = Temporary::write(dir, bytes, durability)?;
    fs::rename(&tmp.path, path)?; // atomic within one file system
    tmp.kept();
    if durability == Durability::Fsync {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}
// ANCHOR_END: atomic_write

/// Writes `bytes` to `path` all or nothing, but only if `path` does not
/// exist yet: the first of several concurrent writers wins, the others get
/// `ErrorKind::AlreadyExists` and `path` keeps the first one's bytes.
pub fn write_new(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = Temporary::write(dir, bytes, Durability::Rename)?;
    // A hard link fails if `path` exists: "rename unless taken", atomically.
    fs::hard_link(&tmp.path, path)
    // `tmp` is removed on drop either way.
}

/// Proves that entries can be written in `dir`: writes a temporary file
/// there, as every store does, and removes it. Checked on every open, so
/// that a directory made read-only since it was created is refused too.
pub(crate) fn check_writable(dir: &Path) -> io::Result<()> {
    Temporary::write(dir, b"", Durability::Rename).map(drop)
}

/// A temporary file `.tmp-<pid>-<n>` in the target's directory, removed on
/// drop unless [`Temporary::kept`]: an error half way (a full disk) leaves
/// nothing behind. The `tempfile` crate does the same with random names;
/// the process id and a counter are unique enough here and need no crate.
struct Temporary {
    path: PathBuf,
}

impl Temporary {
    /// A new temporary file in `dir` holding `bytes` (synced to disk first
    /// with [`Durability::Fsync`]).
    fn write(
        dir: &Path,
        bytes: &[u8],
        durability: Durability,
    ) -> io::Result<Temporary> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".tmp-{}-{n}", std::process::id()));
            // `create_new`: a name left by a killed process of the same pid
            // is skipped, never overwritten.
            let mut file =
                match File::options().write(true).create_new(true).open(&path) {
                    Ok(file) => file,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(e),
                };
            let tmp = Temporary { path };
            file.write_all(bytes)?;
            if durability == Durability::Fsync {
                file.sync_all()?;
            }
            return Ok(tmp);
        }
    }

    /// The file was renamed into place: nothing to remove.
    fn kept(self) {
        std::mem::forget(self);
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// A temporary file older than this was left by a writer that was killed:
/// a write takes milliseconds.
pub const STALE_TEMPORARY: Duration = Duration::from_secs(3600);

/// Removes the temporary files in `dir` that killed writers left behind
/// (older than [`STALE_TEMPORARY`] at `now`). Best effort: a file that
/// cannot be removed stays, and a missing `dir` has none.
pub fn remove_stale_temporaries(dir: &Path, now: SystemTime) {
    let Ok(items) = fs::read_dir(dir) else {
        return;
    };
    for item in items.flatten() {
        let stale = item.file_name().to_string_lossy().starts_with(".tmp")
            && item
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|written| {
                    now.duration_since(written).unwrap_or_default() > STALE_TEMPORARY
                });
        if stale {
            let _ = fs::remove_file(item.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_file_in_an_entrys_place_is_refused_from_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.entry");
        let file = File::create(&path).unwrap();
        file.set_len(1 << 40).unwrap(); // 1 TiB, sparse: instant, no disk used
        let err = read_entry_file(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("bad magic"), "{err}");
        // A real header that lies about the size is refused too.
        let mut bytes = encode_entry(&[1; 32], &7u64).unwrap();
        bytes.extend_from_slice(&[0; 100]);
        fs::write(&path, &bytes).unwrap();
        let err = read_entry_file(&path).unwrap_err();
        assert!(err.to_string().contains("header says"), "{err}");
        let whole = encode_entry(&[1; 32], &7u64).unwrap();
        fs::write(&path, &whole).unwrap();
        assert_eq!(read_entry_file(&path).unwrap(), Some(whole));
    }

    #[test]
    fn a_pipe_or_a_directory_in_an_entrys_place_is_refused_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.entry");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        // Opening a pipe nobody writes to would block: bounded by a thread.
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            tx.send(read_sealed_file(&path).map_err(|e| e.to_string()))
        });
        let read = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a pipe hung the reader");
        assert!(read.unwrap_err().contains("not a regular file"));
        let err = read_entry_file(dir.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(read_sealed_file(&dir.path().join("none")).unwrap(), None);
    }

    #[test]
    fn writes_replace_or_keep_and_leave_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_new(dir.path(), &path, b"one").unwrap();
        let taken = write_new(dir.path(), &path, b"two").unwrap_err();
        assert_eq!(taken.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_atomic(dir.path(), &path, b"three", Durability::Fsync).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"three");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
        let missing = dir.path().join("no/such/dir");
        assert!(
            write_atomic(&missing, &missing.join("f"), b"x", Durability::Rename)
                .is_err()
        );
    }

    #[test]
    fn entries_round_trip_and_damage_is_caught() {
        let key = [7u8; 32];
        let bytes = encode_entry(&key, &(1u64, "one".to_string())).unwrap();
        let payload = verify_entry(&key, &bytes).unwrap();
        let value: (u64, String) = postcard::from_bytes(payload).unwrap();
        assert_eq!(value, (1, "one".to_string()));

        assert!(verify_entry(&[8u8; 32], &bytes).is_err(), "wrong key");
        let truncated = &bytes[..bytes.len() - 1];
        assert!(
            verify_entry(&key, truncated)
                .unwrap_err()
                .contains("truncated")
        );
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            verify_entry(&key, &flipped).unwrap_err(),
            "checksum mismatch"
        );
        assert!(verify_entry(&key, &[]).is_err());
    }
}
