//! Every anchor in the sources is shown by some page: an `ANCHOR: name`
//! that no `{{#include file:name}}` names is code the book meant to show and
//! lost (a page rewritten, an include moved), or a marker left behind.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The directories whose files may carry anchors.
const SOURCES: &[&str] = &["crates", "benches", "xtask/src"];

/// `(file, anchor)` for every `ANCHOR: name` under [`SOURCES`] that is not
/// in `included` (files as canonical paths).
pub(crate) fn unused(
    root: &Path,
    included: &BTreeSet<(PathBuf, String)>,
) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    for dir in SOURCES {
        walk(&root.join(dir), &mut files);
    }
    let mut unused = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue; // not text
        };
        let canonical = file.canonicalize()?;
        for name in anchors_in(&text) {
            if !included.contains(&(canonical.clone(), name.clone())) {
                let shown = file.strip_prefix(root).unwrap_or(&file).display();
                unused.push(format!("{shown}: {name}"));
            }
        }
    }
    Ok(unused)
}

/// The names of the `ANCHOR:` markers in `text` (not `ANCHOR_END:`).
pub(crate) fn anchors_in(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split_once("ANCHOR: "))
        .map(|(_, name)| name.trim().to_owned())
        .filter(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
        .collect()
}

/// Every file under `dir`, skipping build output and hidden directories.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                walk(&path, files);
            }
        } else {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_read_and_an_unincluded_one_is_reported() {
        assert_eq!(
            anchors_in("// ANCHOR: a\nx\n// ANCHOR_END: a\n# ANCHOR: b_2\n"),
            ["a", "b_2"]
        );
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("crates/x/src");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("lib.rs");
        std::fs::write(
            &file,
            "// ANCHOR: shown\n// ANCHOR_END: shown\n// ANCHOR: lost\n",
        )
        .unwrap();
        let included =
            BTreeSet::from([(file.canonicalize().unwrap(), "shown".to_owned())]);
        assert_eq!(
            unused(root.path(), &included).unwrap(),
            ["crates/x/src/lib.rs: lost"]
        );
    }
}
