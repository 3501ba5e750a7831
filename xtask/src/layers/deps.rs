//! What each library pulls in, as a crate outside the workspace sees it
//! (`default-features = false`): no library depends on the demo layer, the
//! count of unique crates stays within its ceiling, and no dependency is
//! declared but unused.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, bail};

/// A library, the book's budget for its unique crates (itself included,
/// with `default-features = false`), and the ceiling CI holds it to where
/// the budget is not met, with the reason it is worth it.
pub(crate) struct Budget {
    pub(crate) name: &'static str,
    pub(crate) budget: usize,
    pub(crate) ceiling: usize,
    pub(crate) why_over: &'static str,
}

/// The libraries, bottom layer first.
pub(crate) const LIBRARIES: &[Budget] = &[
    Budget {
        name: "sweep-core",
        budget: 10,
        ceiling: 10,
        why_over: "",
    },
    Budget {
        name: "serial-map",
        budget: 8,
        ceiling: 8,
        why_over: "",
    },
    Budget {
        name: "thread-pools",
        budget: 15,
        ceiling: 18,
        why_over: "serde's derive and thiserror bring the proc-macro stack (syn, quote, \
                   proc-macro2, unicode-ident: 6 crates with the two derive crates); \
                   rayon is 6 on its own",
    },
    Budget {
        name: "process-pools",
        budget: 20,
        ceiling: 25,
        why_over: "the proc-macro stack of serde's derive and thiserror (6), nix for \
                   signals and process groups, serde_json for the by-hand lesson's \
                   JSON lines, memmap2 and bytemuck for the shared input (a worker \
                   maps it read-only and reads it as a typed slice, without unsafe \
                   casts of our own)",
    },
    Budget {
        name: "async-gather",
        budget: 25,
        ceiling: 25,
        why_over: "",
    },
    Budget {
        name: "caching",
        budget: 25,
        ceiling: 25,
        why_over: "",
    },
    Budget {
        name: "beyond-one-machine",
        budget: 60,
        ceiling: 60,
        why_over: "timely dataflow and its networking (about 25 crates)",
    },
];

/// The unique crates `name` pulls in with `default-features = false`.
pub(crate) fn unique_crates(
    root: &Path,
    name: &str,
) -> anyhow::Result<BTreeSet<String>> {
    let output = crate::cargo()
        .args([
            "tree",
            "-q",
            "-p",
            name,
            "-e",
            "normal",
            "--no-default-features",
        ])
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(root)
        .output()
        .context("running cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree -p {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

/// Every library within its ceiling and free of the demo layer.
pub(crate) fn check_budgets(root: &Path) -> anyhow::Result<()> {
    let mut failures = Vec::new();
    for lib in LIBRARIES {
        let crates = unique_crates(root, lib.name)?;
        let count = crates.len();
        let status = if count <= lib.budget {
            "within budget".to_owned()
        } else {
            format!("over budget by {}: {}", count - lib.budget, lib.why_over)
        };
        eprintln!(
            "  {:<20} {count:>3} crates (budget {:>2}) {status}",
            lib.name, lib.budget
        );
        if count > lib.ceiling {
            failures.push(format!(
                "{} pulls in {count} crates, more than its ceiling {}",
                lib.name, lib.ceiling
            ));
        }
        for demo in ["workloads", "clap", "anyhow"] {
            if crates.contains(demo) {
                failures.push(format!(
                    "{} depends on `{demo}` without its `cli` feature",
                    lib.name
                ));
            }
        }
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(())
}

/// The dependencies a manifest declares (normal, dev and build), by the
/// name code uses (`-` becomes `_`).
pub(crate) fn declared(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = matches!(
                line,
                "[dependencies]" | "[dev-dependencies]" | "[build-dependencies]"
            );
            continue;
        }
        if !in_deps || line.starts_with('#') {
            continue;
        }
        let Some(key) = line.split(['=', '.', ' ']).next().filter(|k| !k.is_empty())
        else {
            continue;
        };
        // `name = { package = "real", … }` is still used as `name`.
        names.push(key.replace('-', "_"));
    }
    names
}

/// Whether `code` uses the crate `name`: a path, a `use`, a macro or an
/// attribute naming it.
pub(crate) fn used_in(code: &str, name: &str) -> bool {
    code.match_indices(name).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = &code[at + name.len()..];
        let starts_word = !before.is_some_and(|c| c.is_alphanumeric() || c == '_');
        starts_word && (after.starts_with("::") || after.starts_with('!'))
            || code[..at].ends_with("use ")
                && !after.starts_with(|c: char| c.is_alphanumeric() || c == '_')
    })
}

/// No workspace crate declares a dependency none of its files use.
pub(crate) fn check_unused(root: &Path) -> anyhow::Result<()> {
    let mut unused = Vec::new();
    for dir in super::member_dirs(root)? {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml"))?;
        let mut code = String::new();
        for sub in ["src", "tests", "examples", "benches"] {
            collect_rs(&dir.join(sub), &mut code)?;
        }
        for name in declared(&manifest) {
            if !used_in(&code, &name) {
                unused.push(format!("{}: {name}", dir.display()));
            }
        }
    }
    if !unused.is_empty() {
        bail!("declared but never used:\n  {}", unused.join("\n  "));
    }
    eprintln!("  every declared dependency is used");
    Ok(())
}

/// Appends the text of every `.rs` file under `dir` to `code`.
fn collect_rs(dir: &Path, code: &mut String) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs(&path, code)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            code.push_str(&std::fs::read_to_string(&path)?);
            code.push('\n');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_reads_every_dependency_table_and_skips_comments() {
        let manifest = "[package]\nname = \"x\"\n[dependencies]\n# a note\n\
                        sweep-core.workspace = true\nserde = { version = \"1\" }\n\
                        [dev-dependencies]\ntempfile = \"3\"\n[features]\ncli = []\n";
        assert_eq!(declared(manifest), ["sweep_core", "serde", "tempfile"]);
    }

    #[test]
    fn used_in_wants_a_path_a_macro_or_a_use() {
        assert!(used_in("let d = tempfile::tempdir();", "tempfile"));
        assert!(used_in("log::warn!(\"x\")", "log"));
        assert!(used_in("use serde;", "serde"));
        assert!(used_in("#[derive(thiserror::Error)]", "thiserror"));
        assert!(!used_in("// tempfile is not used\nlet x = 1;", "tempfile"));
        assert!(
            !used_in("my_log::info()", "log"),
            "a longer name is not the crate"
        );
        assert!(!used_in("use serde_json::Value;", "serde"));
    }
}
