//! `cargo xtask book`: builds the mdBook in `book/` to `target/book` with the
//! `mdbook-driver` library (no separate mdbook install), after checking that
//! every `{{#include file:anchor}}` names an existing file and anchor, and then
//! checks the *rendered* HTML: every relative link resolves, and no page shows
//! what a reader should never see (a literal code fence, an `ANCHOR` marker, an
//! unexpanded `{{#` directive, or an empty code block), and that no chapter
//! page types a measured figure into its prose (`figures.rs`: figures come
//! from the labelled bench run only). An include indented
//! inside a list item, for example, renders its code as plain paragraphs and
//! the prose after it as a grey box with a literal fence: the markdown is
//! valid, only the rendered page shows the damage.
//! Included code is dedented to the margin (`dedent.rs`), so a method
//! included from an `impl` block does not render four columns in.

mod anchors;
mod dedent;
mod figures;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};

pub(crate) fn run(root: &Path, open: bool) -> anyhow::Result<()> {
    let book_dir = root.join("book");
    check_every_anchor_included(root, &book_dir.join("src"))?;
    figures::check(&book_dir.join("src"))?;
    let out_dir = build(&book_dir)?;
    let index = out_dir.join("index.html");
    eprintln!("book: {}", index.display());
    if open {
        let opened = std::process::Command::new("xdg-open").arg(&index).status();
        if !opened.is_ok_and(|s| s.success()) {
            eprintln!(
                "could not open a browser; open {} yourself",
                index.display()
            );
        }
    }
    Ok(())
}

/// Checks includes, builds the book in `book_dir`, checks links; returns the
/// output directory.
pub(crate) fn build(book_dir: &Path) -> anyhow::Result<PathBuf> {
    check_includes(&book_dir.join("src"))?;
    let mut book = mdbook_driver::MDBook::load(book_dir)
        .map_err(|e| anyhow!("{e:#}"))
        .with_context(|| format!("loading the book in {}", book_dir.display()))?;
    book.with_preprocessor(dedent::Dedent);
    let out_dir = book_dir.join(&book.config.build.build_dir);
    book.build()
        .map_err(|e| anyhow!("{e:#}"))
        .context("building the book")?;
    check_links(&out_dir)?;
    check_rendered(&out_dir)?;
    Ok(out_dir)
}

/// What a rendered page must not contain, with the reason shown to the author.
const LEFTOVERS: [(&str, &str); 3] = [
    (
        "```",
        "a literal code fence (an include inside a list item?)",
    ),
    (
        "ANCHOR",
        "an anchor marker (an include without its anchor name?)",
    ),
    ("{{#", "an unexpanded mdBook directive"),
];

/// Every rendered page's content (`<main>`) is free of [`LEFTOVERS`] and has
/// no empty code block. `print.html` repeats every page, so it is skipped.
pub(crate) fn check_rendered(out_dir: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for page in files_with_extension(out_dir, "html")? {
        let name = page
            .strip_prefix(out_dir)
            .unwrap_or(&page)
            .display()
            .to_string();
        if name == "print.html" || name == "404.html" {
            continue;
        }
        let html = fs::read_to_string(&page)?;
        problems.extend(
            rendered_problems(&html)
                .into_iter()
                .map(|p| format!("{name}: {p}")),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!("the rendered book is broken:\n  {}", problems.join("\n  "))
    }
}

/// The problems of one rendered page (see [`check_rendered`]).
fn rendered_problems(html: &str) -> Vec<String> {
    let main = match (html.find("<main>"), html.find("</main>")) {
        (Some(start), Some(end)) if start < end => &html[start..end],
        _ => html,
    };
    let mut problems = Vec::new();
    let text = text_of(main);
    for (needle, why) in LEFTOVERS {
        // A fence is a leftover only at the start of a line: inside a doc
        // comment (`/// ```rust`) it is part of the included code.
        let found: Vec<&str> = if needle == "```" {
            text.lines()
                .filter(|line| line.trim_start().starts_with(needle))
                .collect()
        } else {
            text.lines().filter(|line| line.contains(needle)).collect()
        };
        if let Some(first) = found.first() {
            let near: String = first.trim().chars().take(80).collect();
            problems.push(format!(
                "{} × `{needle}`: {why}, at \"{near}\"",
                found.len()
            ));
        }
    }
    let mut rest = main;
    let mut index = 0;
    while let Some(start) = rest.find("<pre") {
        index += 1;
        let block = &rest[start..];
        let end = block.find("</pre>").unwrap_or(block.len());
        if text_of(&block[..end]).trim().is_empty() {
            problems.push(format!("code block {index} is empty"));
        }
        rest = &block[end..];
    }
    problems
}

/// The text of an HTML fragment: tags dropped, a few entities decoded.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Every `{{#include path:anchor}}` in the pages under `src` must name an
/// existing file and, when given, an anchor that file defines. Line ranges are
/// refused: they silently drift when the source changes.
pub(crate) fn check_includes(src: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for page in files_with_extension(src, "md")? {
        let text = fs::read_to_string(&page)
            .with_context(|| format!("reading {}", page.display()))?;
        let page_name = page
            .strip_prefix(src)
            .unwrap_or(&page)
            .display()
            .to_string();
        for spec in include_specs(&text) {
            if let Err(problem) = check_include(page.parent().unwrap_or(src), spec) {
                problems.push(format!(
                    "{page_name}: {{{{#include {spec}}}}}: {problem}"
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!("broken includes:\n  {}", problems.join("\n  "))
    }
}

/// Every `ANCHOR:` in the sources is included by a page (see `anchors`).
fn check_every_anchor_included(root: &Path, src: &Path) -> anyhow::Result<()> {
    let mut included = BTreeSet::new();
    for page in files_with_extension(src, "md")? {
        let text = fs::read_to_string(&page)?;
        let page_dir = page.parent().unwrap_or(src);
        for spec in include_specs(&text) {
            if let Some((file, anchor)) = spec.split_once(':')
                && let Ok(path) = page_dir.join(file).canonicalize()
            {
                included.insert((path, anchor.to_owned()));
            }
        }
    }
    let unused = anchors::unused(root, &included)?;
    if !unused.is_empty() {
        bail!(
            "{} anchors no page includes (include them, or remove the markers):\n  {}",
            unused.len(),
            unused.join("\n  ")
        );
    }
    Ok(())
}

fn include_specs(text: &str) -> Vec<&str> {
    let mut specs = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{#") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        let directive = after[..end].trim();
        for keyword in ["include ", "rustdoc_include "] {
            if let Some(spec) = directive.strip_prefix(keyword) {
                specs.push(spec.trim());
            }
        }
        rest = &after[end..];
    }
    specs
}

fn check_include(page_dir: &Path, spec: &str) -> Result<(), String> {
    let (file, anchor) = match spec.split_once(':') {
        Some((file, anchor)) => (file, Some(anchor)),
        None => (spec, None),
    };
    let path = page_dir.join(file);
    let source =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {file}: {e}"))?;
    let Some(anchor) = anchor else { return Ok(()) };
    if anchor.is_empty() || anchor.chars().all(|c| c.is_ascii_digit() || c == ':') {
        return Err("line ranges are not allowed; use a named anchor".into());
    }
    let has = |marker: &str| {
        source.lines().any(|line| {
            line.split_once(marker)
                .is_some_and(|(_, name)| name.trim() == anchor)
        })
    };
    if !has("ANCHOR:") {
        return Err(format!("{file} has no `ANCHOR: {anchor}`"));
    }
    if !has("ANCHOR_END:") {
        return Err(format!("{file} has no `ANCHOR_END: {anchor}`"));
    }
    Ok(())
}

/// Every relative `href`/`src` in the generated HTML must point at a file that
/// exists in the output.
pub(crate) fn check_links(out_dir: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for page in files_with_extension(out_dir, "html")? {
        // 404.html resolves its links against a <base href> of the site root.
        if page.file_name().is_some_and(|n| n == "404.html") {
            continue;
        }
        let html = fs::read_to_string(&page)?;
        let page_name = page
            .strip_prefix(out_dir)
            .unwrap_or(&page)
            .display()
            .to_string();
        for target in relative_links(&html) {
            let path = page.parent().unwrap_or(out_dir).join(target);
            if !path.exists() {
                problems
                    .push(format!("{page_name}: link to {target} does not resolve"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!("broken links:\n  {}", problems.join("\n  "))
    }
}

fn relative_links(html: &str) -> Vec<&str> {
    let mut links = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            let after = &rest[start + attribute.len()..];
            let end = after.find('"').unwrap_or(after.len());
            let target = after[..end].split(['#', '?']).next().unwrap_or("");
            let external = target.is_empty()
                || target.starts_with('/')
                || target.contains("://")
                || target.starts_with("mailto:")
                || target.starts_with("javascript:")
                || target.starts_with("data:")
                || target.contains("{{");
            if !external {
                links.push(target);
            }
            rest = &after[end..];
        }
    }
    links
}

fn files_with_extension(
    dir: &Path,
    extension: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal book with one chapter including `code.rs:anchor`.
    fn book_with_include(anchor: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(&src).unwrap();
        fs::write(
            dir.path().join("book.toml"),
            "[book]\ntitle = \"t\"\n[build]\ncreate-missing = false\nbuild-dir = \"out\"\n",
        )
        .unwrap();
        fs::write(
            src.join("SUMMARY.md"),
            "# Summary\n\n- [Chapter](chapter.md)\n",
        )
        .unwrap();
        fs::write(
            src.join("chapter.md"),
            format!(
                "# Chapter\n\n```rust\n{{{{#include code.rs:{anchor}}}}}\n```\n"
            ),
        )
        .unwrap();
        fs::write(
            src.join("code.rs"),
            "// ANCHOR: real\nfn f() {}\n// ANCHOR_END: real\n",
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_good_book_builds_with_the_included_code() {
        let book = book_with_include("real");
        let out = build(book.path()).unwrap();
        let html = fs::read_to_string(out.join("chapter.html")).unwrap();
        assert!(
            html.contains("fn</span> f") || html.contains("fn f"),
            "{html}"
        );
    }

    /// The broken Introduction: code included inside a list item, indented
    /// as the list item needs but the included lines are not.
    #[test]
    fn an_include_inside_a_list_item_fails_the_rendered_check() {
        let book = book_with_include("real");
        let src = book.path().join("src");
        fs::write(
            src.join("code.rs"),
            "// ANCHOR: real\nfn f() {\n    g();\n}\n// ANCHOR_END: real\n",
        )
        .unwrap();
        fs::write(
            src.join("chapter.md"),
            "# Chapter\n\n- `f`: a function:\n\n  ```rust\n  \
             {{#include code.rs:real}}\n  ```\n\n- `f` again:\n\n  \
             ```rust\n  {{#include code.rs:real}}\n  ```\n\n\
             Prose after the list.\n",
        )
        .unwrap();
        let err = format!("{:#}", build(book.path()).unwrap_err());
        assert!(err.contains("chapter.html"), "{err}");
        assert!(err.contains("literal code fence"), "{err}");
    }

    #[test]
    fn rendered_leftovers_and_empty_code_blocks_are_reported() {
        let page = |main: &str| format!("<html><main>{main}</main></html>");
        assert!(
            rendered_problems(&page("<p>ok</p><pre><code>x</code></pre>"))
                .is_empty()
        );
        let empty =
            rendered_problems(&page("<pre><code class=\"rust\"> </code></pre>"));
        assert_eq!(empty, ["code block 1 is empty"]);
        let anchor = rendered_problems(&page("<p>// ANCHOR: x</p>"));
        assert!(anchor[0].contains("anchor marker"), "{anchor:?}");
        let directive = rendered_problems(&page("<p>{{#include a.rs:b}}</p>"));
        assert!(directive[0].contains("unexpanded"), "{directive:?}");
        // Outside <main> (the menu, scripts) nothing is checked.
        assert!(
            rendered_problems("<script>ANCHOR</script><main></main>").is_empty()
        );
    }

    #[test]
    fn a_broken_anchor_fails_and_names_the_page() {
        let book = book_with_include("missing");
        let err = format!("{:#}", build(book.path()).unwrap_err());
        assert!(err.contains("chapter.md"), "{err}");
        assert!(err.contains("ANCHOR: missing"), "{err}");
    }

    #[test]
    fn line_ranges_and_missing_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("code.rs"), "x\n").unwrap();
        assert!(
            check_include(dir.path(), "code.rs:1:3")
                .unwrap_err()
                .contains("line ranges")
        );
        assert!(
            check_include(dir.path(), "nope.rs:a")
                .unwrap_err()
                .contains("nope.rs")
        );
        assert!(check_include(dir.path(), "code.rs").is_ok());
    }

    #[test]
    fn broken_relative_links_are_reported_with_their_page() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.html"), r#"<a href="b.html#x">b</a>"#).unwrap();
        fs::write(
            dir.path().join("b.html"),
            r#"<a href="https://x.org">x</a><a href="gone.html">g</a><img src="a.html">"#,
        )
        .unwrap();
        let err = check_links(dir.path()).unwrap_err().to_string();
        assert!(err.contains("b.html: link to gone.html"), "{err}");
        assert!(!err.contains("a.html:"), "{err}");
    }
}
