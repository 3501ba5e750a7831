//! Who a cached function is: its name, a fingerprint of its code and a version
//! number, and the `fingerprint!` macro that computes the fingerprint from a
//! function's own tokens (`cached!`, in `cached.rs`, uses it).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The code half of a function's identity: the fingerprint of its tokens and
/// the version number its author gave it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CodeVersion {
    /// Hex digest of the normalised tokens ("" when there is no fingerprint).
    pub fingerprint: String,
    /// Bumped by hand for changes the fingerprint cannot see.
    pub version: u32,
}

impl std::fmt::Display for CodeVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.fingerprint.is_empty() {
            write!(f, "version {}", self.version)
        } else {
            write!(f, "code {} version {}", self.fingerprint, self.version)
        }
    }
}

/// A cached function's identity: everything except the arguments that goes
/// into a cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FunctionId {
    name: String,
    code: CodeVersion,
    dir_name: String,
}

impl FunctionId {
    /// A function known by `name` and `version` only: change `version`
    /// whenever its results would change. Use this for generic code and
    /// closures, which the [`cached!`](crate::cached!) macro cannot wrap.
    pub fn new(name: impl Into<String>, version: u32) -> Self {
        Self::with_fingerprint(name, "", version)
    }

    /// A function with an explicit fingerprint (any string that changes when
    /// its code changes).
    pub fn with_fingerprint(
        name: impl Into<String>,
        fingerprint: impl Into<String>,
        version: u32,
    ) -> Self {
        let name = name.into();
        let dir_name = dir_name(&name);
        FunctionId {
            name,
            code: CodeVersion {
                fingerprint: fingerprint.into(),
                version,
            },
            dir_name,
        }
    }

    /// A function whose fingerprint is [`fingerprint_of`] its source text:
    /// what [`cached!`](crate::cached!) uses.
    pub fn from_source(name: impl Into<String>, source: &str, version: u32) -> Self {
        Self::with_fingerprint(name, fingerprint_of(source), version)
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its fingerprint and version.
    pub fn code(&self) -> &CodeVersion {
        &self.code
    }

    /// The name of its directory inside the cache: the name made safe for a
    /// file system, plus a short hash of the exact name.
    pub fn dir_name(&self) -> &str {
        &self.dir_name
    }
}

fn dir_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let hash = blake3::hash(name.as_bytes());
    format!("{safe}-{}", &hash.to_hex()[..8])
}

/// Shared, immutable function identities (what the macro's statics hold).
pub type SharedId = Arc<FunctionId>;

// ANCHOR: fingerprint
/// The code fingerprint of Rust source text: a hash of its *tokens*.
///
/// Whitespace is dropped (a space is kept only where it separates two
/// words, `let x`), and comments are not tokens, so reformatting or
/// re-commenting a function keeps its fingerprint, while any change to its
/// tokens (an operator, a literal, a called name) gives a new one.
/// String and character literals are kept byte for byte.
pub fn fingerprint_of(source: &str) -> String {
    let normal = normalise_tokens(source);
    blake3::hash(normal.as_bytes()).to_hex()[..16].to_owned()
}
// ANCHOR_END: fingerprint

/// Normalises source text so that only its tokens matter (see
/// [`fingerprint_of`]).
pub fn normalise_tokens(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut space = false; // whitespace (or a comment) since the last token
    let mut i = 0;
    let word = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            space = true;
            i += 1;
            continue;
        }
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            space = true;
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            space = true;
            continue;
        }
        let after_word = out.chars().last().is_some_and(word);
        if word(c) {
            if space && after_word {
                out.push(' ');
            }
            space = false;
            // A raw string: r"..", r#".."#, br"..", cr#".."#.
            let start = i;
            while i < chars.len() && word(chars[i]) {
                i += 1;
            }
            let w: String = chars[start..i].iter().collect();
            out.push_str(&w);
            let raw_prefix = matches!(w.as_str(), "r" | "br" | "cr");
            if raw_prefix && matches!(chars.get(i), Some('"') | Some('#')) {
                let mut hashes = 0;
                while chars.get(i) == Some(&'#') {
                    hashes += 1;
                    i += 1;
                }
                if chars.get(i) == Some(&'"') {
                    i += 1;
                    let mut body = String::new();
                    loop {
                        match chars.get(i) {
                            None => break,
                            Some('"')
                                if (1..=hashes)
                                    .all(|k| chars.get(i + k) == Some(&'#')) =>
                            {
                                i += 1 + hashes;
                                break;
                            }
                            Some(&ch) => {
                                body.push(ch);
                                i += 1;
                            }
                        }
                    }
                    let fence = "#".repeat(hashes);
                    out.push_str(&format!("{fence}\"{body}\"{fence}"));
                } else {
                    out.push_str(&"#".repeat(hashes));
                }
            }
            continue;
        }
        space = false;
        if c == '"' {
            i = copy_quoted(&chars, i, '"', &mut out);
            continue;
        }
        if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            i = copy_quoted(&chars, i, '\'', &mut out);
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Copies a quoted literal starting at `chars[start] == quote` (escapes
/// included) to `out`; returns the index after its closing quote.
fn copy_quoted(
    chars: &[char],
    start: usize,
    quote: char,
    out: &mut String,
) -> usize {
    out.push(quote);
    let mut i = start + 1;
    while i < chars.len() {
        let ch = chars[i];
        out.push(ch);
        i += 1;
        if ch == '\\' {
            if let Some(&escaped) = chars.get(i) {
                out.push(escaped);
                i += 1;
            }
        } else if ch == quote {
            break;
        }
    }
    i
}

/// The code fingerprint of the tokens given (see [`fingerprint_of`]).
///
/// ```
/// let a = caching::fingerprint!(fn f(x: u64) -> u64 { x + 1 });
/// let b = caching::fingerprint!(fn f(x:u64)->u64{
///     x + 1 // comments are not tokens
/// });
/// let c = caching::fingerprint!(fn f(x: u64) -> u64 { x + 2 });
/// assert_eq!(a, b);
/// assert_ne!(a, c);
/// ```
#[macro_export]
macro_rules! fingerprint {
    ($($tokens:tt)*) => {
        $crate::fingerprint_of(::core::stringify!($($tokens)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_and_comments_do_not_change_the_fingerprint() {
        let a = fingerprint_of("fn f(x: u64) -> u64 { let y = x * 2; y + 1 }");
        let b = fingerprint_of(
            "fn f(x:u64)->u64{\n    // double it\n    let y = x*2; /* then */ y+1\n}",
        );
        assert_eq!(a, b);
    }

    #[test]
    fn token_changes_change_the_fingerprint() {
        let base = fingerprint_of("fn f(x: u64) -> u64 { x + 1 }");
        for changed in [
            "fn f(x: u64) -> u64 { x + 2 }",
            "fn f(x: u64) -> u64 { x - 1 }",
            "fn f(x: u32) -> u64 { x + 1 }",
            "fn g(x: u64) -> u64 { x + 1 }",
        ] {
            assert_ne!(fingerprint_of(changed), base, "{changed}");
        }
        // A space between two words is a token boundary and is kept.
        assert_ne!(fingerprint_of("return x"), fingerprint_of("returnx"));
    }

    #[test]
    fn literals_are_kept_byte_for_byte() {
        assert_ne!(
            normalise_tokens(r#"f("a  b")"#),
            normalise_tokens(r#"f("a b")"#)
        );
        assert_eq!(normalise_tokens(r#"f( "a \" // b" )"#), r#"f("a \" // b")"#);
        assert_eq!(normalise_tokens("g( ' ' , '\\'' )"), "g(' ','\\'')");
        assert_eq!(
            normalise_tokens(r###"h( r#"x  "y" "# )"###),
            r###"h(r#"x  "y" "#)"###
        );
        assert_eq!(
            normalise_tokens("fn f<'a>(x: &'a str)"),
            "fn f<'a>(x:&'a str)"
        );
    }

    #[test]
    #[rustfmt::skip] // the point is layouts that rustfmt would unify
    fn macro_fingerprint_sees_tokens_not_layout() {
        let a = crate::fingerprint!(fn f(x: u64) -> u64 { x.pow(2) + 1 });
        let b = crate::fingerprint!(
            fn f(x:u64)
                -> u64
            {
                // squared, plus one
                x.pow( 2 )+1 /* same tokens */
            }
        );
        assert_eq!(a, b, "layout and comments do not count");
        // A trailing comma is a token: a real (if harmless) change.
        let comma = crate::fingerprint!(fn f(x: u64,) -> u64 { x.pow(2) + 1 });
        assert_ne!(a, comma);
        let c = crate::fingerprint!(fn f(x: u64) -> u64 { x.pow(3) + 1 });
        assert_ne!(a, c, "a changed literal counts");
    }

    #[test]
    fn dir_names_are_safe_and_distinct() {
        let a = FunctionId::new("my fn/../x", 0);
        assert!(!a.dir_name().contains('/'));
        assert!(a.dir_name().starts_with("my_fn____x-"));
        assert_ne!(
            FunctionId::new("a b", 0).dir_name(),
            FunctionId::new("a_b", 0).dir_name()
        );
    }
}
