//! How a user's crate tests its own process pool under `cargo test`: a test
//! target with `harness = false` has its own `main`, so it can call the
//! worker hook first with its own registry, and the test binary serves as its
//! own worker. In `Cargo.toml`:
//!
//! ```toml
//! [[test]]
//! name = "own_main"
//! harness = false
//! ```
//!
//! (The other way: `.worker_exe(env!("CARGO_BIN_EXE_<your binary>"))`, a
//! binary of your crate whose `main` calls the hook, as `tests/common` does.)

use std::time::Duration;

use process_pools::{ProcessPool, Registry, Task, TaskErrorKind};

// ANCHOR: own_main
/// A task of "the user's crate": the length of a word.
struct WordLength;

impl Task for WordLength {
    const NAME: &'static str = "word_length";
    type Input = String;
    type Output = usize;
    fn run(word: String) -> usize {
        word.chars().count()
    }
}

/// Another: fails on purpose for an empty word.
struct FirstLetter;

impl Task for FirstLetter {
    const NAME: &'static str = "first_letter";
    type Input = String;
    type Output = char;
    fn run(word: String) -> char {
        word.chars().next().expect("an empty word")
    }
}

fn registry() -> Registry {
    Registry::new().with::<WordLength>().with::<FirstLetter>()
}

fn main() {
    // First line of `main`: a worker started by the pools below serves here.
    process_pools::worker_main_if_requested_with(&registry());
    // ANCHOR_END: own_main

    // A bound for the whole test: a hang fails it instead of blocking CI.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(60));
        eprintln!("own_main: no result after 60 s");
        std::process::exit(1);
    });

    let pool = ProcessPool::builder()
        .workers(2)
        .chunksize(2)
        .build()
        .unwrap();
    let words = ["process", "pools", "für", "alle", ""].map(String::from);
    let lengths = pool.map::<WordLength>(words.clone());
    assert_eq!(lengths, [7, 5, 3, 4, 0].map(Ok));
    let letters = pool.map::<FirstLetter>(words);
    assert_eq!(letters[..4], ['p', 'p', 'f', 'a'].map(Ok));
    let error = letters[4].clone().unwrap_err();
    assert_eq!(error.task, 4);
    assert!(
        matches!(&error.kind, TaskErrorKind::Panicked { message } if message.contains("an empty word")),
        "{error}"
    );
    let workers = pool.worker_pids();
    assert!(!workers.contains(&std::process::id()));
    drop(pool);
    println!(
        "own_main: a user-shaped crate's own tasks ran in its own test binary: ok"
    );
}
