//! A crate outside the workspace that depends on the libraries, twice: once
//! through `git = "file://<a clone of this repository>"`, once through the
//! packaged `.crate` files (as if they came from a registry). The crate is
//! chapter 7's `your-own-sweep`, copied to a temporary directory with its
//! three path dependencies rewritten; its own `cargo test` runs a cached
//! sweep on a `ProcessPool` whose workers are its binary (the worker hook in
//! its `main`), and its binary runs the sweep once more from the command
//! line.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The crate that plays the reader's project, and the libraries it uses.
const PROJECT: &str = "crates/your-own-sweep";
const USED: &[&str] = &["thread-pools", "process-pools", "caching"];

/// Where the outside projects are built: inside `target/`, so that a
/// clean-up of `target/` removes them, but outside the workspace's members.
fn scratch(root: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let dir = root.join("target/outside").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The project's manifest with each used library's `path = "../<lib>"`
/// dependency replaced by `spec(lib)`, plus `extra` at the end.
pub(crate) fn rewrite_manifest(
    manifest: &str,
    spec: impl Fn(&str) -> String,
    extra: &str,
) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut replaced = 0;
    for line in manifest.lines() {
        let lib = USED.iter().find(|lib| {
            line.starts_with(&format!("{lib} = "))
                && line.contains(&format!("path = \"../{lib}\""))
        });
        match lib {
            Some(lib) => {
                let features = line
                    .find("features = [")
                    .map(|at| {
                        let end =
                            line[at..].find(']').map_or(line.len(), |e| at + e + 1);
                        format!(", {}", &line[at..end])
                    })
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{lib} = {{ {}, default-features = false{features} }}\n",
                    spec(lib)
                ));
                replaced += 1;
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if replaced != USED.len() {
        bail!(
            "{PROJECT}/Cargo.toml: found {replaced} of the {} library lines",
            USED.len()
        );
    }
    out.push_str(extra);
    Ok(out)
}

/// Copies the project's sources into `dir` with `manifest`, and the
/// workspace's lock file, so the outside build picks the same versions.
fn place_project(root: &Path, dir: &Path, manifest: &str) -> anyhow::Result<()> {
    for sub in ["src", "tests"] {
        copy_dir(&root.join(PROJECT).join(sub), &dir.join(sub))?;
    }
    // Its own workspace root: it lives under this workspace's `target/`.
    std::fs::write(dir.join("Cargo.toml"), format!("{manifest}\n[workspace]\n"))?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)?.flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// `cargo test`, then the binary on a process pool, in the project `dir`.
fn test_and_run(dir: &Path, target: &Path) -> anyhow::Result<()> {
    let target = target.to_str().context("a UTF-8 path")?;
    let cargo = |args: &[&str]| {
        super::run::cargo(dir, args, &[("CARGO_TARGET_DIR", target)])
    };
    cargo(&["test", "-q"])?;
    let cache = dir.join("cache");
    let cache = cache.to_str().context("a UTF-8 path")?;
    let args = [
        "--backend",
        "processes",
        "--jobs",
        "2",
        "--rates",
        "6",
        "--cache",
        cache,
    ];
    cargo(&[&["run", "-q", "--"][..], &args].concat())?;
    // Again: every point now comes from the cache.
    cargo(&[&["run", "-q", "--"][..], &args].concat())
}

fn git(args: &[&str], dir: &Path) -> anyhow::Result<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .context("running git")?;
    if !output.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// The project, depending on a `file://` git clone of this repository at
/// its `HEAD` commit (uncommitted changes are not in it: CI runs on a clean
/// clone; locally, a warning says so).
pub(crate) fn check_git(root: &Path) -> anyhow::Result<()> {
    if !git(&["status", "--porcelain"], root)?.is_empty() {
        eprintln!("  note: uncommitted changes are not in the clone; it holds HEAD");
    }
    let dir = scratch(root, "git")?;
    let clone = dir.join("clone");
    let clone_str = clone.to_str().context("a UTF-8 path")?;
    git(&["clone", "--quiet", "--no-local", ".", clone_str], root)?;
    let rev = git(&["rev-parse", "HEAD"], &clone)?;
    let original = std::fs::read_to_string(root.join(PROJECT).join("Cargo.toml"))?;
    let manifest = rewrite_manifest(
        &original,
        |_| format!("git = \"file://{clone_str}\", rev = \"{rev}\""),
        "",
    )?;
    let project = dir.join("project");
    place_project(root, &project, &manifest)?;
    eprintln!(
        "  outside project at {} on git rev {}",
        project.display(),
        &rev[..12]
    );
    test_and_run(&project, &root.join("target/outside/target"))
}

/// `cargo package` for every library, then the project against the
/// unpacked packages through `[patch.crates-io]`: the crates as a registry
/// would serve them.
pub(crate) fn check_packages(root: &Path, libraries: &[&str]) -> anyhow::Result<()> {
    forget_unpacked_packages(libraries)?;
    forget_builds_of(&root.join("target/debug"), libraries)?;
    // The project below builds them from freshly unpacked sources whose
    // times come from the archive, older than the last build: forget it.
    forget_builds_of(&root.join("target/outside/target/debug"), libraries)?;
    let mut args = vec!["package", "--allow-dirty"];
    for lib in libraries {
        args.extend(["-p", lib]);
    }
    super::run::cargo(root, &args, &[])?;
    let dir = scratch(root, "packages")?;
    let unpacked = dir.join("unpacked");
    std::fs::create_dir_all(&unpacked)?;
    let mut patch = String::from("\n[patch.crates-io]\n");
    for lib in libraries {
        let file = root.join(format!("target/package/{lib}-0.1.0.crate"));
        let status = Command::new("tar")
            .arg("xzf")
            .arg(&file)
            .arg("-C")
            .arg(&unpacked)
            .status()
            .context("running tar")?;
        if !status.success() {
            bail!("unpacking {}", file.display());
        }
        let path = unpacked.join(format!("{lib}-0.1.0"));
        patch.push_str(&format!("{lib} = {{ path = \"{}\" }}\n", path.display()));
    }
    let original = std::fs::read_to_string(root.join(PROJECT).join("Cargo.toml"))?;
    let manifest =
        rewrite_manifest(&original, |_| "version = \"0.1.0\"".to_owned(), &patch)?;
    let project = dir.join("project");
    place_project(root, &project, &manifest)?;
    eprintln!(
        "  outside project at {} on the packaged crates",
        project.display()
    );
    test_and_run(&project, &root.join("target/outside/target"))
}

/// Removes cargo's unpacked copies of earlier packagings of `libraries`.
/// Cargo verifies the packages against a local registry of the new
/// `.crate` files, but unpacks them under `$CARGO_HOME/registry/src/-<hash>/`
/// and reuses a copy already there: a library changed without a version
/// bump would be verified against its old sources. (crates.io's own
/// copies, under `index.crates.io-*`, are left alone.)
fn forget_unpacked_packages(libraries: &[&str]) -> anyhow::Result<()> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo"))
        })
        .context("neither CARGO_HOME nor HOME is set")?;
    let Ok(registries) = std::fs::read_dir(home.join("registry/src")) else {
        return Ok(()); // nothing unpacked yet
    };
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue; // a real registry, not a local one of `cargo package`
        }
        for lib in libraries {
            let unpacked = registry.path().join(format!("{lib}-0.1.0"));
            if unpacked.exists() {
                std::fs::remove_dir_all(&unpacked)
                    .with_context(|| format!("removing {}", unpacked.display()))?;
            }
        }
    }
    Ok(())
}

/// Removes the build fingerprints of `libraries` in the build directory
/// `dir`. Cargo takes a registry crate of a given version as immutable and
/// never looks at its sources again; verifying a package would link the
/// last packaging's build of a sibling that changed since. (Their path
/// builds are rebuilt too: a minute at most.)
fn forget_builds_of(dir: &Path, libraries: &[&str]) -> anyhow::Result<()> {
    let Ok(items) = std::fs::read_dir(dir.join(".fingerprint")) else {
        return Ok(());
    };
    for item in items.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        let ours = libraries.iter().any(|lib| {
            // `<name>-<16 hex digits>`, and not a longer name that starts alike.
            name.strip_prefix(lib)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|hash| {
                    hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit())
                })
        });
        if ours {
            std::fs::remove_dir_all(item.path())
                .with_context(|| format!("removing {}", item.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_lines_are_rewritten_and_the_rest_is_kept() {
        let manifest = "[dependencies]\n\
            thread-pools = { path = \"../thread-pools\", default-features = false, features = [\"bar\"] }\n\
            process-pools = { path = \"../process-pools\", default-features = false }\n\
            caching = { path = \"../caching\", default-features = false }\n\
            anyhow = \"1\"\n";
        let out =
            rewrite_manifest(manifest, |_| "version = \"0.1.0\"".into(), "[x]\n")
                .unwrap();
        assert!(out.contains(
            "thread-pools = { version = \"0.1.0\", default-features = false, features = [\"bar\"] }"
        ), "{out}");
        assert!(out.contains(
            "caching = { version = \"0.1.0\", default-features = false }\n"
        ));
        assert!(out.contains("anyhow = \"1\"\n") && out.ends_with("[x]\n"));
        assert!(
            rewrite_manifest("anyhow = \"1\"\n", |_| String::new(), "").is_err()
        );
    }
}
