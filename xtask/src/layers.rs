//! `cargo xtask layers`: the libraries as a reader's own crate sees them,
//! one check per step; `cargo xtask ci` runs them all after the tests.
//!
//! - `imports`: no import circle between the files of any crate.
//! - `deps`: no library depends on the demo layer (`workloads`), each stays
//!   within its count of unique crates, and no crate declares a dependency
//!   it does not use.
//! - `alone`: each library checked and tested on its own with
//!   `--no-default-features` (the workspace's tests unify features, so they
//!   never see a library as a reader's crate does).
//! - `docs`: `cargo doc --workspace --no-deps` with warnings as errors.
//! - `git`: chapter 7's crate, outside the workspace, on a git clone.
//! - `packages`: `cargo package` for every library, and chapter 7's crate on
//!   the packaged crates.

mod deps;
mod imports;
mod outside;
mod run;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use run::cargo;

/// The crates the packaged check packs: the core, the demo layer (the
/// libraries' `cli` feature needs it) and the chapter libraries.
const PACKAGED: &[&str] = &[
    "sweep-core",
    "workloads",
    "serial-map",
    "thread-pools",
    "process-pools",
    "async-gather",
    "caching",
    "beyond-one-machine",
];

/// One check of the project root.
type Check = fn(&Path) -> anyhow::Result<()>;

/// The checks, by name, in the order `run` runs them.
const CHECKS: &[(&str, Check)] = &[
    ("imports", check_imports),
    ("deps", check_deps),
    ("alone", check_alone),
    ("docs", check_docs),
    ("git", outside::check_git),
    ("packages", |root| outside::check_packages(root, PACKAGED)),
];

/// Runs every check, or only the one named `only`.
pub(crate) fn run(root: &Path, only: Option<&str>) -> anyhow::Result<()> {
    if let Some(name) = only
        && !CHECKS.iter().any(|(n, _)| *n == name)
    {
        let names: Vec<_> = CHECKS.iter().map(|(n, _)| *n).collect();
        bail!("no check `{name}`; the checks are {}", names.join(", "));
    }
    for (name, check) in CHECKS {
        if only.is_none_or(|o| o == *name) {
            eprintln!("== xtask layers: {name}");
            check(root).with_context(|| format!("layers check `{name}`"))?;
        }
    }
    Ok(())
}

/// Every workspace member's directory: `crates/*`, `benches`, `xtask`.
fn member_dirs(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("crates"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    dirs.push(root.join("benches"));
    dirs.push(root.join("xtask"));
    dirs.sort();
    Ok(dirs)
}

/// No two files of one crate import each other (see `imports`).
fn check_imports(root: &Path) -> anyhow::Result<()> {
    let mut found = Vec::new();
    let mut checked = 0;
    for dir in member_dirs(root)? {
        if !dir.join("src/lib.rs").exists() {
            continue;
        }
        checked += 1;
        let graph = imports::graph(&dir)?;
        for ring in imports::rings(&graph) {
            let name = dir.file_name().unwrap().to_string_lossy();
            found.push(format!(
                "{name}: {} import each other: {}",
                ring.join(", "),
                imports::edges_within(&graph, &ring).join("; ")
            ));
        }
    }
    if !found.is_empty() {
        bail!("import rings between files:\n  {}", found.join("\n  "));
    }
    eprintln!("  {checked} crates: no two files of one crate import each other");
    Ok(())
}

fn check_deps(root: &Path) -> anyhow::Result<()> {
    deps::check_budgets(root)?;
    deps::check_unused(root)
}

fn check_alone(root: &Path) -> anyhow::Result<()> {
    for lib in deps::LIBRARIES {
        eprintln!("  {}: check and test with --no-default-features", lib.name);
        let p = ["-p", lib.name, "--no-default-features"];
        cargo(
            root,
            &[&["check", "-q", "--all-targets"][..], &p].concat(),
            &[],
        )?;
        cargo(root, &[&["test", "-q"][..], &p].concat(), &[])?;
    }
    Ok(())
}

fn check_docs(root: &Path) -> anyhow::Result<()> {
    cargo(
        root,
        &["doc", "-q", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )
}
