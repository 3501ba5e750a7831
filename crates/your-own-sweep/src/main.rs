//! A two-parameter sweep of your own, on the backend you choose, cached and
//! resumable: kill it and run it again, and only the missing points run.
//!
//! ```text
//! cargo run --release -p your-own-sweep -- --backend processes --jobs 2
//! cargo run --release -p your-own-sweep -- --backend threads --rates 400 --progress
//! ```
//! Flags: `--backend serial|threads|processes` (default threads), `--jobs N`
//! (default 2), `--rates N` (rates in [2.8, 4.0], default 50), `--cache DIR`
//! (default `your-own-sweep-cache` in the temporary directory), `--progress`.
//! Bad flags: a message and exit code 2.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use thread_pools::Progress;
use your_own_sweep::{backend, grid, linspace};

/// The settings of one run.
struct Settings {
    backend: String,
    jobs: usize,
    rates: usize,
    cache: PathBuf,
    progress: bool,
}

// ANCHOR: main
fn main() -> anyhow::Result<ExitCode> {
    // First line: when a process pool starts this program as its worker,
    // it serves the registry's tasks here and never returns.
    process_pools::worker_main_if_requested_with(&your_own_sweep::registry());

    // `args_os`: a path need not be UTF-8 (`args` would panic on one).
    let settings = match parse(std::env::args_os().skip(1)) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("your-own-sweep: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    // Create (or check) the cache before any work: a bad directory is a
    // usage error, not one failure per point.
    if let Err(err) = caching::Memory::new(&settings.cache) {
        eprintln!(
            "your-own-sweep: --cache {}: {err}",
            settings.cache.display()
        );
        return Ok(ExitCode::from(2));
    }
    let progress = Progress::auto_if(settings.progress, "sweep");
    let backend = backend(&settings.backend, settings.jobs, progress)?;
    let rates = linspace(2.8, 4.0, settings.rates);
    let points = grid(&rates, &[1_000, 100_000], &settings.cache);
    let results = backend.sweep(points.clone());
    // ANCHOR_END: main
    let mut failed = 0;
    println!("rate\tsteps\tmean");
    for (point, result) in points.iter().zip(results) {
        match result {
            Ok(mean) => println!("{:.4}\t{}\t{mean:.6}", point.rate, point.steps),
            Err(failure) => {
                failed += 1;
                eprintln!("rate {} steps {}: {failure}", point.rate, point.steps);
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The flags, or a message saying what is wrong with them. Paths are taken
/// as the operating system gives them; every other value must be text.
fn parse(mut args: impl Iterator<Item = OsString>) -> Result<Settings, String> {
    let mut settings = Settings {
        backend: "threads".to_owned(),
        jobs: 2,
        rates: 50,
        cache: std::env::temp_dir().join("your-own-sweep-cache"),
        progress: false,
    };
    while let Some(flag) = args.next() {
        let flag = text(flag)?;
        // A missing value, or the next flag where the value should be
        // (`--cache --progress`), is refused, as argparse does; a path that
        // starts with `--` can be given as `./--name`.
        let mut value_os = || match args.next() {
            Some(value) if !value.as_encoded_bytes().starts_with(b"--") => Ok(value),
            _ => Err(format!("{flag} needs a value")),
        };
        if flag == "--cache" {
            settings.cache = PathBuf::from(value_os()?);
            if settings.cache.as_os_str().is_empty() {
                return Err("--cache needs a directory, not an empty path".into());
            }
            continue;
        }
        let mut value = || value_os().and_then(text);
        match flag.as_str() {
            "--backend" => {
                settings.backend = value()?;
                if !["serial", "threads", "processes"]
                    .contains(&settings.backend.as_str())
                {
                    return Err(format!(
                        "unknown backend `{}`: serial, threads or processes",
                        settings.backend
                    ));
                }
            }
            "--jobs" => settings.jobs = count(&flag, &value()?, 256)?,
            "--rates" => settings.rates = count(&flag, &value()?, 100_000)?,
            "--progress" => settings.progress = true,
            _ => return Err(format!("unknown flag `{flag}`")),
        }
    }
    Ok(settings)
}

/// `arg` as text, or a message quoting it.
fn text(arg: OsString) -> Result<String, String> {
    arg.into_string()
        .map_err(|arg| format!("`{}` is not valid text", arg.to_string_lossy()))
}

/// A whole number from 1 to `max`.
fn count(flag: &str, text: &str, max: usize) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{flag} takes a whole number from 1 to {max}, not `{text}`"
        )),
    }
}
