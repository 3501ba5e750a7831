//! Prints, as JSON, the exact results of the deterministic workloads, so the
//! Python reference workloads (`benches/python/run.py`) can check that they
//! compute the same thing as the Rust ones, bit for bit.
//!
//! ```text
//! cargo run --release -q -p workloads --example reference_values -- \
//!     --driver-n 4096,1048576 --square-n 1000000 --pi-seeds 16 \
//!     --pi-trials 1000000 \
//!     --corpus-dir /tmp/corpus --corpus-files 8 --sleep-tasks 5 --scale 1
//! ```
//!
//! What it prints (one JSON object):
//! - `driver`: one entry per `--driver-n` size n: for
//!   `driver(i, DRIVER_NUM, DRIVER_DEN)` over `i in 0..n`, the bits of the
//!   first `--first` results (hex), the bits of their left-to-right sum, and
//!   the CRC-32 of all results as little-endian `f64` bytes.
//! - `square`: one entry per `--square-n` size n: for `square(i)` over
//!   `i in 0..n`, the first results, the wrapping sum and the CRC-32 of all
//!   results as little-endian `u64` bytes.
//! - `pi_mc_streams`: the bits of `pi_mc_streams(seed, trials)` for every
//!   seed (the numba port of the kernel must equal them exactly).
//! - `pi_mc`: `pi_mc(seed, trials)` for every seed (for a statistical
//!   comparison: Python's Mersenne Twister cannot match xoshiro256++).
//! - `files`: the corpus written by `generate_corpus` into `--corpus-dir`, and
//!   `process_file` of every file (bytes, words, CRC-32).
//! - `sleep`: the seconds slept by each task of the `sleep` workload.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use serde_json::{Value, json};
use workloads::{
    CORPUS_FILE_BYTES, CORPUS_SEED, DRIVER_DEN, DRIVER_NUM, TaskSpec, WorkloadKind,
    driver, generate_corpus, pi_mc, pi_mc_streams, process_file, square,
};

#[derive(Parser)]
#[command(about = "Exact results of the deterministic workloads, as JSON")]
struct Args {
    /// Tasks of the `driver` workload; several sizes comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1048576")]
    driver_n: Vec<u64>,
    /// How many leading results to print in full.
    #[arg(long, default_value_t = 8)]
    first: u64,
    /// Tasks of the `square` workload; several sizes comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000000")]
    square_n: Vec<u64>,
    /// π tasks (seeds 0..pi_seeds).
    #[arg(long, default_value_t = 16)]
    pi_seeds: u64,
    /// Trials per π task (≥ 1).
    #[arg(long, default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pi_trials: u64,
    /// Where to generate the corpus of the `files` workload (none: skipped).
    #[arg(long)]
    corpus_dir: Option<PathBuf>,
    /// Files in the corpus.
    #[arg(long, default_value_t = 8)]
    corpus_files: usize,
    /// Tasks of the `sleep` workload.
    #[arg(long, default_value_t = 5)]
    sleep_tasks: u64,
    /// Factor applied to every sleep.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
}

fn hex(x: f64) -> String {
    format!("{:#018x}", x.to_bits())
}

fn driver_values(n: u64, first: u64) -> Value {
    let mut crc = crc32fast::Hasher::new();
    let mut sum = 0.0f64;
    let mut head = Vec::new();
    for i in 0..n {
        let x = driver(i as f64, DRIVER_NUM, DRIVER_DEN);
        crc.update(&x.to_le_bytes());
        sum += x;
        if i < first {
            head.push(hex(x));
        }
    }
    json!({
        "n": n, "num": DRIVER_NUM, "den": DRIVER_DEN,
        "first_bits": head, "sum": sum, "sum_bits": hex(sum),
        "crc32_le_f64": crc.finalize(),
    })
}

fn square_values(n: u64, first: u64) -> Value {
    let mut crc = crc32fast::Hasher::new();
    let mut sum = 0u64;
    let mut head = Vec::new();
    for i in 0..n {
        let x = square(i);
        crc.update(&x.to_le_bytes());
        sum = sum.wrapping_add(x);
        if i < first {
            head.push(x);
        }
    }
    json!({ "n": n, "first": head, "wrapping_sum": sum, "crc32_le_u64": crc.finalize() })
}

fn files_values(dir: &Path, n: usize) -> Result<Value, workloads::WorkloadError> {
    let paths = generate_corpus(dir, n, CORPUS_FILE_BYTES, CORPUS_SEED)?;
    let stats = paths
        .iter()
        .map(|path| {
            let s = process_file(path)?;
            Ok(json!({
                "file": path.file_name().map(|f| f.to_string_lossy().into_owned()),
                "bytes": s.bytes, "words": s.words, "checksum": s.checksum,
            }))
        })
        .collect::<Result<Vec<_>, workloads::WorkloadError>>()?;
    Ok(json!({
        "dir": dir, "bytes": CORPUS_FILE_BYTES, "seed": CORPUS_SEED, "stats": stats,
    }))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let spec = TaskSpec {
        kind: WorkloadKind::Sleep,
        trials: 1,
        scale: args.scale,
        corpus_dir: None,
    };
    let pi: Vec<f64> = (0..args.pi_seeds)
        .map(|seed| pi_mc(seed, args.pi_trials))
        .collect();
    let mut out = json!({
        "driver": args.driver_n.iter()
            .map(|&n| driver_values(n, args.first))
            .collect::<Vec<_>>(),
        "square": args.square_n.iter()
            .map(|&n| square_values(n, args.first))
            .collect::<Vec<_>>(),
        "pi_mc": { "trials": args.pi_trials, "estimates": pi },
        // The vectorised kernel: the numba port of it must equal these bits.
        "pi_mc_streams": {
            "trials": args.pi_trials,
            "bits": (0..args.pi_seeds)
                .map(|seed| format!("{:#018x}", pi_mc_streams(seed, args.pi_trials).to_bits()))
                .collect::<Vec<_>>(),
        },
        "sleep": {
            "scale": args.scale,
            "seconds": (0..args.sleep_tasks)
                .map(|i| spec.sleep_seconds(i))
                .collect::<Vec<_>>(),
        },
    });
    if let Some(dir) = &args.corpus_dir {
        match files_values(dir, args.corpus_files) {
            Ok(files) => out["files"] = files,
            Err(e) => {
                eprintln!("error: generating the corpus: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{out}");
    ExitCode::SUCCESS
}
