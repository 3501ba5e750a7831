//! No import circle between the files of one crate: a crate reads top to
//! bottom (storage at the bottom, the API on top).
//!
//! Each library file is parsed with `syn`. A file *imports* another when it
//! names an item of it: a `use`, or a path in code, through `crate::`,
//! `super::`, `self::` or a child module's name. A path to an item that a
//! module only re-exports (`pub use pool::Pool` in `lib.rs`) counts as an
//! import of the file that defines it, so `crate::Pool` from `imap.rs` leads
//! to `pool.rs`, not to `lib.rs`. Declaring a child (`mod pool;`) is not an
//! import. The check fails on every group of files that import each other,
//! directly or round a ring.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use syn::visit::Visit;

/// A module path inside one crate: `[]` is the root, `["pool", "handle"]`
/// is `crate::pool::handle`.
type ModPath = Vec<String>;

/// One file of a crate: its module path, the names it re-exports (`pub use child::Item` → `Item` → path).
struct File {
    path: PathBuf,
    module: ModPath,
    reexports: BTreeMap<String, Option<Vec<String>>>,
    /// Every path the file names, already made absolute (from the root).
    names: Vec<Vec<String>>,
}

/// The import graph of the library of the crate in `crate_dir`: file →
/// files it imports (relative paths).
pub(crate) fn graph(
    crate_dir: &Path,
) -> anyhow::Result<BTreeMap<String, BTreeSet<String>>> {
    let files = parse_crate(&crate_dir.join("src"))?;
    let by_module: BTreeMap<&ModPath, &File> =
        files.iter().map(|f| (&f.module, f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let from = display(crate_dir, &file.path);
        let targets: &mut BTreeSet<String> = graph.entry(from.clone()).or_default();
        for name in &file.names {
            if let Some(target) = resolve(&by_module, name, 8)
                && target.path != file.path
            {
                targets.insert(display(crate_dir, &target.path));
            }
        }
    }
    Ok(graph)
}

/// The groups of files that import each other (strongly connected
/// components of more than one file), each sorted.
pub(crate) fn rings(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |start: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(node) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|k| (k, reach(k))).collect();
    let mut rings: Vec<Vec<String>> = Vec::new();
    for (node, from_node) in &reachable {
        if rings.iter().any(|r| r.contains(node)) {
            continue;
        }
        let mut ring: Vec<String> = from_node
            .iter()
            .filter(|other| reachable.get(other).is_some_and(|r| r.contains(*node)))
            .cloned()
            .collect();
        if !ring.contains(node) {
            continue;
        }
        ring.sort();
        if ring.len() > 1 {
            rings.push(ring);
        }
    }
    rings
}

/// The pairs `a → b` inside `ring`, to say which imports close it.
pub(crate) fn edges_within(
    graph: &BTreeMap<String, BTreeSet<String>>,
    ring: &[String],
) -> Vec<String> {
    ring.iter()
        .flat_map(|a| {
            graph[a]
                .iter()
                .filter(|b| ring.contains(b))
                .map(move |b| format!("{a} → {b}"))
        })
        .collect()
}

fn display(crate_dir: &Path, path: &Path) -> String {
    path.strip_prefix(crate_dir)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The file that defines what `name` (absolute) points at, following
/// re-exports up to `hops` times. `None` for other crates and unknowns.
fn resolve<'a>(
    by_module: &BTreeMap<&ModPath, &'a File>,
    name: &[String],
    hops: usize,
) -> Option<&'a File> {
    // The longest prefix of `name` that is a file module.
    let (depth, file) = (0..=name.len())
        .rev()
        .find_map(|n| by_module.get(&name[..n].to_vec()).map(|f| (n, *f)))?;
    let Some(item) = name.get(depth) else {
        return Some(file); // the module itself
    };
    match file.reexports.get(item) {
        // Re-exported from another crate: naming it imports no file here.
        Some(None) => None,
        Some(Some(target)) if hops > 0 => {
            let mut next = target.clone();
            next.extend_from_slice(&name[depth + 1..]);
            resolve(by_module, &next, hops - 1).or(Some(file))
        }
        _ => Some(file),
    }
}

fn parse_crate(src: &Path) -> anyhow::Result<Vec<File>> {
    let mut files = Vec::new();
    parse_file(&src.join("lib.rs"), Vec::new(), &mut files)?;
    Ok(files)
}

/// Parses `path` as module `module`, then the child files it declares.
fn parse_file(
    path: &Path,
    module: ModPath,
    files: &mut Vec<File>,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let ast = syn::parse_file(&text)
        .with_context(|| format!("parsing {}", path.display()))?;
    let mut collect = Collect {
        module: module.clone(),
        inline: Vec::new(),
        children: BTreeSet::new(),
        reexports: BTreeMap::new(),
        names: Vec::new(),
    };
    // Children first: a relative path (`pace::Pace`) may come before the
    // `mod pace;` that makes `pace` a child.
    for item in &ast.items {
        if let syn::Item::Mod(m) = item
            && m.content.is_none()
        {
            collect.children.insert(m.ident.to_string());
        }
    }
    collect.visit_file(&ast);
    // A child `name` of `dir/file.rs` is `dir/file/name.rs` (or of `lib.rs`,
    // `mod.rs`: `dir/name.rs`), or `…/name/mod.rs`.
    let dir = match path.file_stem().and_then(|s| s.to_str()) {
        Some("lib" | "mod") => path.parent().unwrap().to_path_buf(),
        Some(stem) => path.parent().unwrap().join(stem),
        None => unreachable!("a .rs file has a stem"),
    };
    let children = collect.children.clone();
    files.push(File {
        path: path.to_path_buf(),
        module: module.clone(),
        reexports: collect.reexports,
        names: collect.names,
    });
    for child in children {
        let flat = dir.join(format!("{child}.rs"));
        let nested = dir.join(&child).join("mod.rs");
        let child_path = if flat.exists() { flat } else { nested };
        let mut child_module = module.clone();
        child_module.push(child);
        parse_file(&child_path, child_module, files)?;
    }
    Ok(())
}

/// Walks one file: child modules, re-exports and every path it names.
struct Collect {
    /// The file's module path.
    module: ModPath,
    /// Inline modules (`mod tests { … }`) we are inside, for `super::`.
    inline: Vec<String>,
    children: BTreeSet<String>,
    /// `None`: re-exported from another crate.
    reexports: BTreeMap<String, Option<Vec<String>>>,
    names: Vec<Vec<String>>,
}

impl Collect {
    /// The module the code being visited is in (the file's, plus inline ones).
    fn here(&self) -> ModPath {
        let mut here = self.module.clone();
        here.extend(self.inline.iter().cloned());
        here
    }

    /// `segments` made absolute, or `None` if it leaves the crate.
    fn absolute(&self, segments: &[String]) -> Option<Vec<String>> {
        let mut here = self.here();
        let mut rest = segments;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                here.clear();
                rest = &rest[1..];
            }
            Some("self") => rest = &rest[1..],
            Some("super") => {
                while rest.first().map(String::as_str) == Some("super") {
                    here.pop()?;
                    rest = &rest[1..];
                }
            }
            // A relative path: only a child module of this file counts.
            Some(first)
                if self.inline.is_empty() && self.children.contains(first) => {}
            _ => return None,
        }
        here.extend(rest.iter().cloned());
        Some(here)
    }

    fn record(&mut self, segments: &[String]) {
        if let Some(name) = self.absolute(segments) {
            self.names.push(name);
        }
    }

    /// Every path of a `use` tree, with the name it binds.
    fn use_paths(
        tree: &syn::UseTree,
        prefix: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, Option<String>)>,
    ) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                Self::use_paths(&p.tree, prefix, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut path = prefix.clone();
                let name = n.ident.to_string();
                if name != "self" {
                    path.push(name.clone());
                }
                let bound = if name == "self" {
                    prefix.last().cloned()
                } else {
                    Some(name)
                };
                out.push((path, bound));
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                path.push(r.ident.to_string());
                out.push((path, Some(r.rename.to_string())));
            }
            syn::UseTree::Glob(_) => out.push((prefix.clone(), None)),
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    Self::use_paths(item, prefix, out);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collect {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let name = item.ident.to_string();
        match &item.content {
            None if self.inline.is_empty() => {
                self.children.insert(name);
            }
            None => {}
            Some(_) => {
                self.inline.push(name);
                syn::visit::visit_item_mod(self, item);
                self.inline.pop();
            }
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        Self::use_paths(&item.tree, &mut Vec::new(), &mut paths);
        let public = !matches!(item.vis, syn::Visibility::Inherited);
        for (path, bound) in paths {
            let absolute = self.absolute(&path);
            if public
                && self.inline.is_empty()
                && let Some(bound) = bound
            {
                self.reexports.insert(bound, absolute.clone());
            }
            self.names.extend(absolute);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> =
            path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 {
            self.record(&segments);
        }
        syn::visit::visit_path(self, path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    #[test]
    fn a_ring_through_a_reexport_is_found_and_a_tree_is_not() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "src/lib.rs",
                    "mod a; mod b; mod c;\npub use a::A; pub use b::B;",
                ),
                ("src/a.rs", "pub struct A; fn f() -> crate::B { todo!() }"),
                ("src/b.rs", "use crate::A;\npub struct B(A);"),
                ("src/c.rs", "use super::b::B; fn g(_: B) {}"),
            ],
        );
        let graph = graph(dir.path()).unwrap();
        assert_eq!(graph["src/c.rs"], BTreeSet::from(["src/b.rs".to_owned()]));
        assert_eq!(
            rings(&graph),
            vec![vec!["src/a.rs".to_owned(), "src/b.rs".to_owned()]]
        );
        let tree = tempfile::tempdir().unwrap();
        write(
            tree.path(),
            &[
                ("src/lib.rs", "mod a; mod b;\npub use b::B;"),
                ("src/a.rs", "pub struct A;"),
                (
                    "src/b.rs",
                    "use crate::a::A;\npub struct B(A);\n#[cfg(test)] mod tests { use super::*; }",
                ),
            ],
        );
        assert!(rings(&graph_of(tree.path())).is_empty());
    }

    #[test]
    fn an_item_reexported_from_another_crate_imports_no_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "src/lib.rs",
                    "mod a;\npub use a::A;\npub use other::progress;",
                ),
                ("src/a.rs", "pub struct A(crate::progress::Bar);"),
            ],
        );
        assert!(graph_of(dir.path())["src/a.rs"].is_empty());
    }

    #[test]
    fn a_relative_path_before_its_mod_line_counts() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("src/lib.rs", "mod p;"),
                ("src/p.rs", "use c::C;\nmod c;\npub struct P(C);"),
                ("src/p/c.rs", "pub struct C(super::P);"),
            ],
        );
        assert_eq!(rings(&graph_of(dir.path())).len(), 1);
    }

    #[test]
    fn a_child_that_uses_its_parent_is_a_ring() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("src/lib.rs", "mod p;"),
                ("src/p.rs", "mod c;\npub use c::C;\npub struct P;"),
                ("src/p/c.rs", "use super::P;\npub struct C(P);"),
            ],
        );
        assert_eq!(rings(&graph_of(dir.path())).len(), 1);
    }

    fn graph_of(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
        graph(dir).unwrap()
    }
}
