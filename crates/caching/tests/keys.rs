//! What a key must tell apart: arguments with the same bytes but different
//! types, results of different types, and two functions with the same name
//! in different modules. Each of these once returned another call's value.

use caching::{Lookup, Memory, MissReason};
use serde::Serialize;

fn memory() -> (tempfile::TempDir, Memory) {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path()).unwrap();
    (dir, memory)
}

/// A generic cached function, written the way the crate docs say generic
/// code must be: `Memory::function` with a name and a version.
fn describe<T: Serialize + std::fmt::Display>(memory: &Memory, x: T) -> String {
    memory
        .function::<String>("describe", 1)
        .call(&x, || format!("{x}"))
}

#[test]
fn same_bytes_of_different_argument_types_are_different_keys() {
    let (_dir, memory) = memory();
    // postcard encodes 1u64 and -1i64 (zigzag) as the same single byte.
    assert_eq!(
        postcard::to_allocvec(&1u64).unwrap(),
        postcard::to_allocvec(&-1i64).unwrap()
    );
    assert_eq!(describe(&memory, 1u64), "1");
    assert_eq!(describe(&memory, -1i64), "-1", "not 1u64's result");
    assert_eq!(describe(&memory, 1u64), "1");
    assert_eq!(memory.stats().hits, 1);
    let f = memory.function::<String>("describe", 1);
    assert_eq!(
        f.get(&&1u64).as_deref(),
        Some("1"),
        "a reference is the value"
    );
    assert_eq!(
        f.lookup(&1u32),
        Lookup::Miss(MissReason::NewArguments),
        "1u32 is not 1u64 either"
    );
}

#[test]
fn a_result_stored_as_one_type_is_not_read_as_another() {
    let (_dir, memory) = memory();
    memory.function::<u64>("f", 0).put(&7u8, &300).unwrap();
    // 300u64's bytes decode as the i64 150: the key must keep them apart.
    assert_eq!(memory.function::<i64>("f", 0).get(&7u8), None);
    assert_eq!(memory.function::<u64>("f", 0).get(&7u8), Some(300));
}

/// Two modules with a function `model` of identical tokens whose results
/// differ through the helper each module defines.
mod linear {
    use caching::cached;
    fn shape(x: f64) -> f64 {
        x
    }
    cached! {
        pub fn model(x: f64) -> f64 { shape(x) }
    }
}
mod quadratic {
    use caching::cached;
    fn shape(x: f64) -> f64 {
        x * x
    }
    cached! {
        pub fn model(x: f64) -> f64 { shape(x) }
    }
}

#[test]
fn functions_with_the_same_name_in_different_modules_do_not_share_results() {
    let (_dir, memory) = memory();
    assert_eq!(linear::model::id().code(), quadratic::model::id().code());
    assert_eq!(linear::model::call(&memory, 3.0), 3.0);
    assert_eq!(quadratic::model::call(&memory, 3.0), 9.0, "not linear's 3");
    assert_eq!(linear::model::call(&memory, 3.0), 3.0);
    assert!(linear::model::id().name().ends_with("keys::linear::model"));
    assert_eq!(memory.stats().stores, 2);
}

#[cfg(feature = "cli")] // the demo's sweep
#[test]
fn a_corpus_regenerated_in_a_fresh_temp_dir_hits_the_cache() {
    use caching::sweep::cached_serial;
    use workloads::{Workload, WorkloadKind};
    let (_dir, memory) = memory();
    let first = Workload::prepare(WorkloadKind::Files, 3, 1, 1.0).unwrap();
    let expected = cached_serial(&memory, first.spec(), &first.inputs());
    assert_eq!(memory.stats().stores, 3);
    let second = Workload::prepare(WorkloadKind::Files, 3, 1, 1.0).unwrap();
    assert_ne!(first.spec().corpus_dir, second.spec().corpus_dir);
    memory.reset_stats();
    let again = cached_serial(&memory, second.spec(), &second.inputs());
    assert_eq!(again, expected);
    let stats = memory.stats();
    assert_eq!((stats.hits, stats.misses), (3, 0), "{stats:?}");
    // The key is the contents: an edited file is a miss, and its new result.
    let path = second.spec().corpus_file(1);
    std::fs::write(&path, "two words").unwrap();
    let edited = cached_serial(&memory, second.spec(), &second.inputs());
    assert_eq!(memory.stats().misses, 1);
    assert_eq!(edited[1].as_ref().unwrap().value(), 2.0);
}
