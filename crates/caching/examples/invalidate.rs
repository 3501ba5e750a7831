//! What invalidates a cached function and what does not: the same function
//! written four ways, all under one name, looked up in one cache.
//!
//! ```text
//! cargo run -p caching --example invalidate
//! ```
//! Reformatting and comments keep the fingerprint (a hit); a changed body
//! gives a new one (a miss: "code changed"); so does a `version` bump, which
//! is how you tell the cache about a change it cannot see, in a helper.

use caching::{Lookup, Memory, cached};

// ANCHOR: versions
mod original {
    use super::*;
    cached! {
        #![name = "energy"]
        pub fn energy(x: u64) -> u64 {
            let squared = x * x;
            squared + helper(x)
        }
    }
}

mod reformatted {
    use super::*;
    cached! {
        #![name = "energy"]
        pub fn energy(x: u64)
            -> u64
        {
            // Same tokens, new layout and a comment: same fingerprint.
            let squared = x*x;
            squared + helper(x)
        }
    }
}

mod edited {
    use super::*;
    cached! {
        #![name = "energy"]
        pub fn energy(x: u64) -> u64 {
            let squared = x.pow(2); // a real edit: new fingerprint
            squared + helper(x)
        }
    }
}

mod bumped {
    use super::*;
    cached! {
        #![name = "energy"]
        #![version = 1] // `helper` changed: the tokens above cannot see that
        pub fn energy(x: u64) -> u64 {
            let squared = x * x;
            squared + helper(x)
        }
    }
}

/// A helper: its code is not part of `energy`'s fingerprint.
fn helper(x: u64) -> u64 {
    x + 1
}
// ANCHOR_END: versions

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let memory = Memory::new(dir.path())?;
    println!("fingerprints:");
    for (label, id) in [
        ("original", original::energy::id()),
        ("reformatted", reformatted::energy::id()),
        ("edited", edited::energy::id()),
        ("bumped", bumped::energy::id()),
    ] {
        println!("  {label:<12} {}", id.code());
    }

    println!("store energy(3) with the original code");
    original::energy::call(&memory, 3);
    let report = |label: &str, lookup: Lookup<u64>| match lookup {
        Lookup::Hit(v) => println!("  {label:<12} hit ({v})"),
        Lookup::Miss(why) => println!("  {label:<12} miss: {why}"),
    };
    report("reformatted", reformatted::energy::lookup(&memory, 3));
    report("edited", edited::energy::lookup(&memory, 3));
    report("bumped", bumped::energy::lookup(&memory, 3));
    report("original", original::energy::lookup(&memory, 4));
    Ok(())
}
