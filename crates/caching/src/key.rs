//! The key of one cached call: what goes into it, and why each part is there.
//! A plain value, made from a function's identity (`fingerprint.rs`) and its
//! arguments; `CachedFn::key` makes one, `history.rs` rehashes one under an
//! older code version to tell "code changed" from "new arguments".

use std::borrow::Cow;

use serde::Serialize;

use crate::error::CacheError;
use crate::fingerprint::{CodeVersion, FunctionId};

/// The key of one call: a blake3 hash of the function's full name, its code
/// version, the argument and result types, and the serialised arguments.
#[derive(Debug, Clone)]
pub struct CacheKey {
    pub(crate) hash: [u8; 32],
    /// [`type_name`] of the arguments and of the result.
    pub(crate) types: [Cow<'static, str>; 2],
    pub(crate) args: Vec<u8>,
    /// The arguments as JSON, for the log of a verbose handle.
    pub(crate) shown: Option<String>,
}

impl CacheKey {
    /// The key of a call of `id` with `args`, returning an `R`. With
    /// `show`, the arguments are also kept as JSON, for a verbose log.
    pub(crate) fn new<A: Serialize + ?Sized, R>(
        id: &FunctionId,
        args: &A,
        show: bool,
    ) -> Result<CacheKey, CacheError> {
        let bytes = postcard::to_allocvec(args).map_err(|e| CacheError::Encode {
            what: "arguments",
            message: e.to_string(),
        })?;
        let shown = show.then(|| {
            serde_json::to_string(args).unwrap_or_else(|_| "<arguments>".into())
        });
        let types = [type_name::<A>(), type_name::<R>()];
        Ok(CacheKey {
            hash: key_hash(id.name(), id.code(), &types, &bytes),
            types,
            args: bytes,
            shown,
        })
    }

    /// The hash this call would have under another code version of the
    /// function `name` (where an older entry for the same arguments is).
    pub(crate) fn hash_under(&self, name: &str, code: &CodeVersion) -> [u8; 32] {
        key_hash(name, code, &self.types, &self.args)
    }

    /// The key as 64 hex digits (the entry's file name).
    pub fn hex(&self) -> String {
        blake3::Hash::from(self.hash).to_hex().to_string()
    }
}

// ANCHOR: key
/// The key: blake3 over the function's full name (its module path too, with
/// `cached!`), its fingerprint and version, the argument and result *types*
/// and the arguments in postcard's compact, deterministic encoding. The
/// types are needed because the bytes alone are ambiguous: `1u64` and
/// `-1i64` both encode as the byte `0x01`. Each part is length-prefixed so
/// that no two different inputs hash the same bytes.
fn key_hash(
    id_name: &str,
    code: &CodeVersion,
    [arg_type, result_type]: &[Cow<'static, str>; 2],
    args: &[u8],
) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"ppr-caching key v2\0");
    let name = id_name.as_bytes();
    let code_id = code.fingerprint.as_bytes();
    let (arg_type, result_type) = (arg_type.as_bytes(), result_type.as_bytes());
    for part in [name, code_id, arg_type, result_type, args] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.update(&code.version.to_le_bytes());
    *hasher.finalize().as_bytes()
}
// ANCHOR_END: key

/// `std::any::type_name::<T>()` without references: `&T` and `T` serialise
/// alike and mean the same argument, so `f.call(&x)` and `f.call(&&x)` (or
/// `cached!`'s `key` and `call`) must find the same entry. The text may
/// change with a compiler upgrade: the cache then misses once (safe); two
/// different types never share a name.
fn type_name<T: ?Sized>() -> Cow<'static, str> {
    let name = std::any::type_name::<T>();
    if name.contains('&') {
        Cow::Owned(name.replace("&mut ", "").replace('&', ""))
    } else {
        Cow::Borrowed(name)
    }
}
