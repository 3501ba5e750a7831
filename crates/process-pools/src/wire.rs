//! The binary protocol between a [`crate::ProcessPool`] and its workers: frames
//! of a little-endian `u32` length followed by that many bytes, on private
//! pipes (close-on-exec in the worker, so a task's child processes never hold
//! them). Task inputs and outputs inside a frame are `postcard`-encoded.
//!
//! Request: `CHUNK, count: u32, type fingerprint: u64, name length: u8, name,
//! inputs…`.
//!
//! Replies: `HELLO, "PPW2", pid: u32, nonce: u64` once at start-up; then, for
//! each task of a chunk, `RESULT, Result<output, Failure>` after it. Which
//! task is running is not a message: the worker publishes it in its black
//! box ([`crate::black_box`]), which also holds the results not yet written.
//! A worker without one (it could not map it) sends `STARTED` *before* each
//! task instead. A chunk refused before any of its tasks started gets one
//! `UNKNOWN_FUNCTION` / `TYPE_MISMATCH` / `BAD_INPUT, text`.
//! A program started as a worker that never entered the worker hook answers
//! `NOT_HOOKED, text` and exits.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};

/// Largest frame either side ever accepts (1 GiB): a corrupted length is an
/// error, not a 4 GiB allocation. A pool may set a lower limit.
pub(crate) const MAX_FRAME: usize = 1 << 30;

pub(crate) const CHUNK: u8 = 1;

pub(crate) const HELLO: u8 = 0;
pub(crate) const STARTED: u8 = 1;
pub(crate) const RESULT: u8 = 2;
pub(crate) const UNKNOWN_FUNCTION: u8 = 3;
pub(crate) const TYPE_MISMATCH: u8 = 4;
pub(crate) const BAD_INPUT: u8 = 5;
pub(crate) const NOT_HOOKED: u8 = 6;
pub(crate) const MAGIC: &[u8; 4] = b"PPW2";

/// Bytes of a chunk request's header (before its inputs), for a name of
/// `name_len` bytes.
pub(crate) const fn chunk_overhead(name_len: usize) -> usize {
    1 + 4 + 8 + 1 + name_len
}

/// Why a task that ran has no output (sent inside a `RESULT` frame).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Failure {
    /// The task panicked: the message and where.
    Panicked(String),
    /// The encoded output is larger than a message may be.
    OutputTooLarge { bytes: u64, limit: u64 },
}

/// Writes one frame made of `parts`, refusing one larger than `limit`.
pub(crate) fn write_frame(
    w: &mut impl Write,
    parts: &[&[u8]],
    limit: usize,
) -> io::Result<()> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if len > limit.min(MAX_FRAME) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a message of {len} bytes is over the limit of {limit} bytes"),
        ));
    }
    w.write_all(&(len as u32).to_le_bytes())?;
    for part in parts {
        w.write_all(part)?;
    }
    Ok(())
}

/// Reads one frame into `buf`; `Ok(false)` at end of input.
pub(crate) fn read_frame(
    r: &mut impl Read,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<bool> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    let len = check_len(u32::from_le_bytes(len), limit)?;
    buf.clear();
    buf.resize(len, 0);
    r.read_exact(buf)?;
    Ok(true)
}

/// A frame length read from the pipe, if it is within `limit`.
pub(crate) fn check_len(len: u32, limit: usize) -> io::Result<usize> {
    let len = len as usize;
    if len > limit.min(MAX_FRAME) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "frame length {len} is over the limit of {limit}: not our protocol"
            ),
        ));
    }
    Ok(len)
}

/// Splits `bytes` into the complete frames at its start; returns them and
/// how many bytes they take.
pub(crate) fn complete_frames(
    bytes: &[u8],
    limit: usize,
) -> io::Result<(Vec<(usize, usize)>, usize)> {
    let mut frames = Vec::new();
    let mut at = 0;
    while let Some(len) = u32_at(bytes, at) {
        let len = check_len(len, limit)?;
        if bytes.len() < at + 4 + len {
            break;
        }
        frames.push((at + 4, at + 4 + len));
        at += 4 + len;
    }
    Ok((frames, at))
}

/// A `u32` at `at` in `bytes`.
pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A `u64` at `at` in `bytes`.
pub(crate) fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

/// A parsed request.
#[derive(Debug, PartialEq)]
pub(crate) struct Request<'a> {
    pub(crate) count: u32,
    pub(crate) fingerprint: u64,
    pub(crate) name: &'a str,
    pub(crate) inputs: &'a [u8],
}

/// Parses a chunk request.
pub(crate) fn parse_chunk(frame: &[u8]) -> io::Result<Request<'_>> {
    let bad =
        |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    if frame.first() != Some(&CHUNK) {
        return Err(bad("not a chunk request"));
    }
    let count = u32_at(frame, 1).ok_or_else(|| bad("truncated chunk header"))?;
    let fingerprint = u64_at(frame, 5).ok_or_else(|| bad("truncated header"))?;
    let name_len = *frame.get(13).ok_or_else(|| bad("truncated chunk header"))?;
    let name_end = 14 + name_len as usize;
    let name = frame
        .get(14..name_end)
        .and_then(|n| std::str::from_utf8(n).ok())
        .ok_or_else(|| bad("bad function name"))?;
    Ok(Request {
        count,
        fingerprint,
        name,
        inputs: &frame[name_end..],
    })
}

/// The header of a chunk request (the inputs follow it).
pub(crate) fn chunk_header(count: u32, fingerprint: u64, name: &str) -> Vec<u8> {
    let name_len = u8::try_from(name.len()).expect("task names are under 256 bytes");
    let mut header = Vec::with_capacity(chunk_overhead(name.len()));
    header.push(CHUNK);
    header.extend_from_slice(&count.to_le_bytes());
    header.extend_from_slice(&fingerprint.to_le_bytes());
    header.push(name_len);
    header.extend_from_slice(name.as_bytes());
    header
}

/// A stable 64-bit FNV-1a hash: the type fingerprint of a task must be the
/// same in every build of the same source, unlike `DefaultHasher`'s.
pub(crate) fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_end_cleanly() {
        let mut pipe = Vec::new();
        write_frame(&mut pipe, &[b"ab", b"c"], MAX_FRAME).unwrap();
        write_frame(&mut pipe, &[], MAX_FRAME).unwrap();
        let mut r = &pipe[..];
        let mut buf = Vec::new();
        assert!(read_frame(&mut r, &mut buf, MAX_FRAME).unwrap());
        assert_eq!(buf, b"abc");
        assert!(read_frame(&mut r, &mut buf, MAX_FRAME).unwrap());
        assert!(buf.is_empty());
        assert!(!read_frame(&mut r, &mut buf, MAX_FRAME).unwrap());
    }

    #[test]
    fn a_huge_length_is_rejected_not_allocated() {
        let garbage = [0xff, 0xff, 0xff, 0xff, 1, 2];
        let err =
            read_frame(&mut &garbage[..], &mut Vec::new(), MAX_FRAME).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let err = write_frame(&mut Vec::new(), &[&[0; 11]], 10).unwrap_err();
        assert!(err.to_string().contains("limit of 10 bytes"), "{err}");
    }

    #[test]
    fn complete_frames_stops_at_a_partial_one() {
        let mut pipe = Vec::new();
        write_frame(&mut pipe, &[b"ab"], MAX_FRAME).unwrap();
        write_frame(&mut pipe, &[b"xyz"], MAX_FRAME).unwrap();
        let (frames, used) = complete_frames(&pipe[..pipe.len() - 1], 100).unwrap();
        assert_eq!((frames, used), (vec![(4, 6)], 6));
    }

    #[test]
    fn chunk_header_parses_back() {
        let mut frame = chunk_header(3, 42, "square");
        frame.extend_from_slice(&[1, 2, 3]);
        let request = parse_chunk(&frame).unwrap();
        assert_eq!(
            request,
            Request {
                count: 3,
                fingerprint: 42,
                name: "square",
                inputs: &[1, 2, 3]
            }
        );
        assert_eq!(frame.len() - 3, chunk_overhead(6));
        assert!(parse_chunk(&[CHUNK, 1]).is_err());
    }

    #[test]
    fn fingerprints_tell_types_apart() {
        assert_ne!(fnv1a(&["u64", "u64"]), fnv1a(&["i64", "i64"]));
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
