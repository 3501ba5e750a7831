//! `Memory` and `CachedFn`: hits, misses and their reasons, ignored
//! arguments, code versions, damaged entries, bad directories, `clear`,
//! `reduce_size`, `import`, and arguments that cannot be serialised.

use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use caching::{CacheError, Limits, Lookup, Memory, MissReason, cached};

fn memory() -> (tempfile::TempDir, Memory) {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path()).unwrap();
    (dir, memory)
}

static CALLS: AtomicUsize = AtomicUsize::new(0);

cached! {
    fn counted(x: u64, #[ignore] note: String) -> u64 {
        let _ = note;
        CALLS.fetch_add(1, Ordering::SeqCst);
        x * 10
    }
}

#[test]
fn same_arguments_are_computed_once_and_ignored_ones_do_not_matter() {
    let (_dir, memory) = memory();
    let calls = || CALLS.load(Ordering::SeqCst);
    let before = calls();
    assert_eq!(counted::call(&memory, 4, "a".into()), 40);
    assert_eq!(counted::call(&memory, 4, "a".into()), 40);
    assert_eq!(counted::call(&memory, 4, "ignored".into()), 40);
    assert_eq!(calls() - before, 1, "same key: computed once");
    assert_eq!(counted::call(&memory, 5, "a".into()), 50);
    assert_eq!(calls() - before, 2, "new arguments: computed");
    let stats = memory.stats();
    assert_eq!((stats.hits, stats.misses, stats.stores), (2, 2, 2));
    assert!(counted::check_in_cache(&memory, 5, "whatever".into()));
    assert!(!counted::check_in_cache(&memory, 6, "a".into()));
}

#[test]
fn the_typed_api_without_the_macro() {
    let (_dir, memory) = memory();
    let f = memory.function::<Vec<f64>>("series", 1);
    assert_eq!(f.get(&(1u8, "x")), None);
    assert_eq!(
        f.lookup(&(1u8, "x")),
        Lookup::Miss(MissReason::NewArguments)
    );
    let v = f.call(&(1u8, "x"), || vec![1.0, f64::NAN, -0.0]);
    let back = f.get(&(1u8, "x")).unwrap();
    assert_eq!(back.len(), 3);
    assert!(
        back[1].is_nan() && back[2].is_sign_negative(),
        "bit-exact values"
    );
    assert_eq!(v[0], back[0]);
    // Errors are not stored by try_call.
    let failed: Result<Vec<f64>, &str> = f.try_call(&2u8, || Err("boom"));
    assert_eq!(failed, Err("boom"));
    assert!(!f.check_in_cache(&2u8));
    f.put(&3u8, &vec![3.0]).unwrap();
    assert_eq!(f.try_call::<_, ()>(&3u8, || unreachable!()), Ok(vec![3.0]));
    // A new version is a different function version: a miss that says why.
    let g = memory.function::<Vec<f64>>("series", 2);
    assert!(matches!(
        g.lookup(&(1u8, "x")),
        Lookup::Miss(MissReason::CodeChanged { previous }) if previous.version == 1
    ));
}

mod v1 {
    use caching::cached;
    cached! {
        #![name = "poly"]
        pub fn poly(x: i64) -> i64 { 3 * x + 1 }
    }
}
mod v1_reformatted {
    use caching::cached;
    cached! {
        #![name = "poly"]
        pub fn poly(x: i64) -> i64 {
            // three x plus one
            3*x
                + 1
        }
    }
}
mod v2 {
    use caching::cached;
    cached! {
        #![name = "poly"]
        pub fn poly(x: i64) -> i64 { 3 * x + 2 }
    }
}
mod v1_bumped {
    use caching::cached;
    cached! {
        #![name = "poly"]
        #![version = 7]
        pub fn poly(x: i64) -> i64 { 3 * x + 1 }
    }
}

#[test]
fn body_edits_invalidate_but_formatting_and_comments_do_not() {
    let (_dir, memory) = memory();
    assert_eq!(v1::poly::call(&memory, 2), 7);
    assert_eq!(v1_reformatted::poly::lookup(&memory, 2), Lookup::Hit(7));
    assert!(matches!(
        v2::poly::lookup(&memory, 2),
        Lookup::Miss(MissReason::CodeChanged { .. })
    ));
    assert!(matches!(
        v1_bumped::poly::lookup(&memory, 2),
        Lookup::Miss(MissReason::CodeChanged { .. })
    ));
    assert_eq!(v2::poly::call(&memory, 2), 8, "the new code's result");
    assert_eq!(
        v1::poly::call(&memory, 2),
        7,
        "old entries stay valid for old code"
    );
    assert_eq!(memory.stats().code_changed, 3);
}

#[test]
fn after_a_damaged_entry_is_deleted_misses_still_say_corrupt() {
    let (_dir, memory) = memory();
    assert_eq!(v1::poly::call(&memory, 2), 7);
    assert_eq!(v2::poly::call(&memory, 2), 8); // a miss: code changed
    memory.reset_stats();
    let key = v2::poly::key(&memory, &2).unwrap().hex();
    let entries = memory.entries().unwrap();
    let entry = entries
        .iter()
        .find(|e| e.path.ends_with(format!("{key}.entry")));
    fs::write(&entry.unwrap().path, b"garbage").unwrap();
    let corrupt = |lookup: Lookup<i64>| matches!(lookup, Lookup::Miss(MissReason::Corrupt(why)) if why.contains("no header"));
    assert!(corrupt(v2::poly::lookup(&memory, 2)), "found and deleted");
    // Not "code changed" (v1's entry is still there) nor "new arguments".
    let again = v2::poly::lookup(&memory, 2);
    assert!(corrupt(again.clone()), "{again:?}");
    assert_eq!(v2::poly::call(&memory, 2), 8, "recomputed and stored");
    assert_eq!(v2::poly::lookup(&memory, 2), Lookup::Hit(8));
    assert_eq!(memory.stats().code_changed, 0);
    // The note goes with the next store, and `clear` removes any left.
    let f = memory.function::<u8>("plain", 0);
    f.put(&1u8, &1).unwrap();
    fs::write(only_entry_of(&memory, "plain"), b"garbage").unwrap();
    assert!(matches!(
        f.lookup(&1u8),
        Lookup::Miss(MissReason::Corrupt(_))
    ));
    memory.clear().unwrap();
    assert_eq!(f.lookup(&1u8), Lookup::Miss(MissReason::NewArguments));
}

fn only_entry_of(memory: &Memory, function: &str) -> std::path::PathBuf {
    let entries = memory.entries().unwrap();
    let mine: Vec<_> = entries.iter().filter(|e| e.function == function).collect();
    assert_eq!(mine.len(), 1);
    mine[0].path.clone()
}

fn only_entry(memory: &Memory) -> std::path::PathBuf {
    let entries = memory.entries().unwrap();
    assert_eq!(entries.len(), 1);
    entries[0].path.clone()
}

#[test]
fn damaged_entries_are_recomputed_never_returned() {
    let (_dir, memory) = memory();
    let f = memory.function::<String>("text", 0);
    let value = "x".repeat(100);
    f.call(&1u8, || value.clone());
    let path = only_entry(&memory);
    let good = fs::read(&path).unwrap();

    // Truncated.
    fs::write(&path, &good[..good.len() - 10]).unwrap();
    assert!(f.check_in_cache(&1u8), "a stat cannot see the damage");
    let lookup = f.lookup(&1u8);
    assert!(
        matches!(&lookup, Lookup::Miss(MissReason::Corrupt(why)) if why.contains("truncated")),
        "{lookup:?}"
    );
    assert_eq!(f.call(&1u8, || value.clone()), value, "recomputed");

    // One bit flipped in the value.
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 0x01;
    fs::write(&path, &flipped).unwrap();
    let mut recomputed = false;
    let got = f.call(&1u8, || {
        recomputed = true;
        value.clone()
    });
    assert!(recomputed);
    assert_eq!(got, value);
    assert_eq!(fs::read(&path).unwrap(), good, "rewritten whole");
    // Three: the call after the first lookup knew the entry was deleted as
    // corrupt, and said so.
    assert_eq!(memory.stats().corrupt, 3);
}

#[test]
fn bad_directories_fail_at_construction_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, "not a directory").unwrap();
    let err = Memory::new(&file).unwrap_err();
    assert!(matches!(err, CacheError::NotADirectory(_)), "{err}");
    let err = Memory::new(file.join("sub")).unwrap_err();
    assert!(matches!(err, CacheError::Create { .. }), "{err}");
    assert!(err.to_string().contains("cannot create cache directory"));
    let err = Memory::open(dir.path().join("missing")).unwrap_err();
    assert!(matches!(err, CacheError::Missing(_)), "{err}");
    // A missing directory is created by `new`.
    let created = dir.path().join("new/cache");
    Memory::new(&created).unwrap();
    assert!(created.join("CACHEDIR.TAG").is_file());
}

#[cfg(unix)]
#[test]
fn an_unwritable_directory_fails_at_construction() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    if fs::write(locked.join("probe"), "").is_ok() {
        eprintln!("running as root: permissions do not stop us; skipped");
        return;
    }
    let err = Memory::new(&locked).unwrap_err();
    assert!(matches!(err, CacheError::Unwritable { .. }), "{err}");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn clear_removes_one_function_or_all() {
    let (_dir, memory) = memory();
    let a = memory.function::<u32>("a", 0);
    let b = memory.function::<u32>("b", 0);
    for i in 0..3u32 {
        a.call(&i, || i);
        b.call(&i, || i);
    }
    assert_eq!(memory.usage().unwrap().0, 6);
    assert_eq!(a.clear().unwrap(), 3);
    assert!(!a.check_in_cache(&0u32));
    assert!(b.check_in_cache(&0u32));
    memory.clear().unwrap();
    assert_eq!(memory.usage().unwrap(), (0, 0));
    a.call(&9u32, || 9); // still usable after a clear
    assert_eq!(a.get(&9u32), Some(9));
}

#[test]
fn reduce_size_by_items_bytes_and_age() {
    let (_dir, memory) = memory();
    let f = memory.function::<Vec<u8>>("blob", 0);
    for i in 0..10u32 {
        f.call(&i, || vec![0u8; 1000]);
    }
    let (items, bytes) = memory.usage().unwrap();
    assert_eq!(items, 10);
    let r = memory
        .reduce_size(Limits {
            max_items: Some(7),
            ..Limits::default()
        })
        .unwrap();
    assert_eq!((r.removed_items, r.kept_items), (3, 7));
    let per_entry = bytes / 10;
    let r = memory
        .reduce_size(Limits {
            max_bytes: Some(4 * per_entry),
            ..Limits::default()
        })
        .unwrap();
    assert_eq!(r.kept_items, 4);
    assert!(r.kept_bytes <= 4 * per_entry);
    let r = memory
        .reduce_size(Limits {
            max_age: Some(Duration::from_secs(3600)),
            ..Limits::default()
        })
        .unwrap();
    assert_eq!(r.removed_items, 0, "everything was used just now");
    std::thread::sleep(Duration::from_millis(20));
    let r = memory
        .reduce_size(Limits {
            max_age: Some(Duration::from_millis(1)),
            ..Limits::default()
        })
        .unwrap();
    assert_eq!((r.removed_items, r.kept_items), (4, 0));
    assert_eq!(f.lookup(&0u32), Lookup::Miss(MissReason::Evicted));
    assert_eq!(memory.stats().evicted, 1);
}

#[test]
fn import_merges_another_cache_and_skips_damage() {
    let (_a, shard) = memory();
    let (_b, merged) = memory();
    let f = shard.function::<u64>("task", 0);
    for i in 0..4u64 {
        f.call(&i, || i * i);
    }
    merged.function::<u64>("task", 0).call(&0u64, || 0);
    let damaged = shard.entries().unwrap()[3].path.clone();
    fs::write(&damaged, b"garbage").unwrap();
    let imported = merged.import(&shard).unwrap();
    assert_eq!(imported.copied + imported.present + imported.damaged, 4);
    assert_eq!(imported.damaged, 1);
    let g = merged.function::<u64>("task", 0);
    let found = (0..4u64).filter(|i| g.get(i) == Some(i * i)).count();
    assert_eq!(found, 3);
}

#[test]
fn import_counts_unreadable_and_huge_entries_as_damaged_and_goes_on() {
    let (_a, shard) = memory();
    let (_b, merged) = memory();
    let f = shard.function::<u64>("task", 0);
    for i in 0..4u64 {
        f.call(&i, || i * i);
    }
    let entries = shard.entries().unwrap();
    // A directory where an entry should be: reading it fails (even as root).
    fs::remove_file(&entries[0].path).unwrap();
    fs::create_dir(&entries[0].path).unwrap();
    // A 1 TiB sparse file in an entry's place: refused from its header.
    fs::File::create(&entries[1].path)
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    let imported = merged.import(&shard).unwrap();
    assert_eq!((imported.copied, imported.damaged), (2, 2), "{imported:?}");
}

#[test]
fn a_huge_file_in_an_entrys_place_is_a_miss_and_recomputed() {
    let (_dir, memory) = memory();
    let f = memory.function::<u64>("task", 0);
    f.call(&1u64, || 1);
    let path = memory.entries().unwrap()[0].path.clone();
    fs::File::create(&path).unwrap().set_len(1 << 40).unwrap();
    assert!(
        matches!(f.lookup(&1u64), Lookup::Miss(MissReason::Corrupt(_))),
        "a damaged entry is a miss with its reason"
    );
    assert_eq!(f.call(&1u64, || 2), 2, "recomputed");
    assert_eq!(f.get(&1u64), Some(2));
}

/// An argument that refuses to be serialised.
struct Unserialisable;

impl serde::Serialize for Unserialisable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "this argument cannot be serialised",
        ))
    }
}

static ODD_CALLS: AtomicUsize = AtomicUsize::new(0);

cached! {
    fn odd(x: u64, odd: Unserialisable) -> u64 {
        let _ = odd;
        ODD_CALLS.fetch_add(1, Ordering::SeqCst);
        x + 1
    }
}

#[test]
fn arguments_that_cannot_be_serialised_run_uncached_through_call_and_cached() {
    let (_dir, memory) = memory();
    let f = memory.function::<u64>("odd", 0);
    let mut runs = 0;
    for _ in 0..2 {
        assert_eq!(
            f.call(&Unserialisable, || {
                runs += 1;
                7
            }),
            7
        );
    }
    assert_eq!(runs, 2, "computed every time, never loaded");
    let before = ODD_CALLS.load(Ordering::SeqCst);
    assert_eq!(odd::call(&memory, 1, Unserialisable), 2);
    assert_eq!(odd::call(&memory, 1, Unserialisable), 2);
    assert_eq!(ODD_CALLS.load(Ordering::SeqCst) - before, 2);
    assert!(matches!(
        odd::key(&memory, &1, &Unserialisable),
        Err(CacheError::Encode {
            what: "arguments",
            ..
        })
    ));
    let stats = memory.stats();
    assert_eq!((stats.hits, stats.misses, stats.stores), (0, 0, 0));
    assert_eq!(memory.usage().unwrap().0, 0, "nothing stored");
}
