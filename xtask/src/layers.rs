//! `cargo xtask layers`: the libraries as a reader's own crate sees them.
//! Each check is a module; `cargo xtask ci` runs them all.
//!
//! - `imports`: no import circle between the files of any crate.

mod imports;

use std::path::Path;

use anyhow::bail;

/// The crates whose files are checked for import rings: every crate with a
/// library under `crates/`.
fn library_dirs(root: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("crates"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("src/lib.rs").exists())
        .collect();
    dirs.push(root.join("benches"));
    dirs.sort();
    Ok(dirs)
}

/// No two files of one crate import each other (see `imports`).
pub(crate) fn check_imports(root: &Path) -> anyhow::Result<()> {
    let mut found = Vec::new();
    for dir in library_dirs(root)? {
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
    eprintln!("imports: no two files of any crate import each other");
    Ok(())
}

/// One check of the project root.
type Check = fn(&Path) -> anyhow::Result<()>;

/// The checks, by name, in the order `run` runs them.
const CHECKS: &[(&str, Check)] = &[("imports", check_imports)];

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
            check(root)?;
        }
    }
    Ok(())
}
