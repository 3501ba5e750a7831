//! The binary protocol between a [`crate::ProcessPool`] and its workers: frames
//! of a little-endian `u32` length followed by that many bytes, on the worker's
//! stdin (requests) and stdout (replies). Task inputs and outputs inside a frame
//! are `postcard`-encoded, one after the other.
//!
//! Request: `CHUNK, count: u32, name length: u8, name, inputs…`.
//! Replies: `HELLO, "PPW1", pid: u32` once at start-up; then, per chunk, one or
//! more `RESULTS, count: u32, results…` (the next `count` results of the current
//! chunk), or one `UNKNOWN_FUNCTION, name` / `BAD_INPUT, detail` for the
//! whole chunk.

use std::io::{self, Read, Write};

/// Largest frame either side accepts: a corrupted length is an error, not a
/// 4 GiB allocation.
pub(crate) const MAX_FRAME: usize = 1 << 30;

pub(crate) const CHUNK: u8 = 1;

pub(crate) const HELLO: u8 = 0;
pub(crate) const RESULTS: u8 = 1;
pub(crate) const UNKNOWN_FUNCTION: u8 = 2;
pub(crate) const BAD_INPUT: u8 = 3;
pub(crate) const MAGIC: &[u8; 4] = b"PPW1";

/// Writes one frame made of `parts`.
pub(crate) fn write_frame(w: &mut impl Write, parts: &[&[u8]]) -> io::Result<()> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a message of {len} bytes is larger than {MAX_FRAME}"),
        ));
    }
    w.write_all(&(len as u32).to_le_bytes())?;
    for part in parts {
        w.write_all(part)?;
    }
    Ok(())
}

/// Reads one frame into `buf`; `Ok(false)` at end of input.
pub(crate) fn read_frame(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<bool> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "frame length {len} is larger than {MAX_FRAME}: not our protocol"
            ),
        ));
    }
    buf.clear();
    buf.resize(len, 0);
    r.read_exact(buf)?;
    Ok(true)
}

/// A `u32` at `at` in `bytes`.
pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A parsed request: `(count, function name, inputs)`.
pub(crate) fn parse_chunk(frame: &[u8]) -> io::Result<(u32, &str, &[u8])> {
    let bad =
        |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    if frame.first() != Some(&CHUNK) {
        return Err(bad("not a chunk request"));
    }
    let count = u32_at(frame, 1).ok_or_else(|| bad("truncated chunk header"))?;
    let name_len = *frame.get(5).ok_or_else(|| bad("truncated chunk header"))?;
    let name_end = 6 + name_len as usize;
    let name = frame
        .get(6..name_end)
        .and_then(|n| std::str::from_utf8(n).ok())
        .ok_or_else(|| bad("bad function name"))?;
    Ok((count, name, &frame[name_end..]))
}

/// The header of a chunk request (the inputs follow it).
pub(crate) fn chunk_header(count: u32, name: &str) -> Vec<u8> {
    let name_len = u8::try_from(name.len()).expect("task names are under 256 bytes");
    let mut header = Vec::with_capacity(6 + name.len());
    header.push(CHUNK);
    header.extend_from_slice(&count.to_le_bytes());
    header.push(name_len);
    header.extend_from_slice(name.as_bytes());
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_end_cleanly() {
        let mut pipe = Vec::new();
        write_frame(&mut pipe, &[b"ab", b"c"]).unwrap();
        write_frame(&mut pipe, &[]).unwrap();
        let mut r = &pipe[..];
        let mut buf = Vec::new();
        assert!(read_frame(&mut r, &mut buf).unwrap());
        assert_eq!(buf, b"abc");
        assert!(read_frame(&mut r, &mut buf).unwrap());
        assert!(buf.is_empty());
        assert!(!read_frame(&mut r, &mut buf).unwrap());
    }

    #[test]
    fn a_huge_length_is_rejected_not_allocated() {
        let garbage = [0xff, 0xff, 0xff, 0xff, 1, 2];
        let err = read_frame(&mut &garbage[..], &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn chunk_header_parses_back() {
        let mut frame = chunk_header(3, "square");
        frame.extend_from_slice(&[1, 2, 3]);
        let (count, name, payload) = parse_chunk(&frame).unwrap();
        assert_eq!((count, name, payload), (3, "square", &[1u8, 2, 3][..]));
        assert!(parse_chunk(&[CHUNK, 1]).is_err());
    }
}
