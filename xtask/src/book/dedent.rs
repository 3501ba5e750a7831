//! Included code starts at the left margin. An anchor inside an `impl` block
//! or a function (`// ANCHOR: run_task` above a method) includes its lines
//! with their indentation, and mdBook has no option to strip it, so a method
//! would render four columns in. This preprocessor runs after mdBook's
//! `links` (which expands `{{#include}}`) and removes the indentation that
//! every line of a code block shares. Sample output (`text`, `console`) is
//! left as it is.

use mdbook_driver::book::Book;
use mdbook_driver::errors::Result;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

/// The preprocessor; register it with `MDBook::with_preprocessor`.
pub(crate) struct Dedent;

impl Preprocessor for Dedent {
    fn name(&self) -> &str {
        "xtask-dedent"
    }

    fn run(&self, _: &PreprocessorContext, mut book: Book) -> Result<Book> {
        book.for_each_chapter_mut(|chapter| {
            chapter.content = dedent(&chapter.content)
        });
        Ok(book)
    }
}

/// `markdown` with every code block fenced at the left margin dedented by
/// the indentation its non-blank lines share.
pub(crate) fn dedent(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    // The open block: whether it is code to dedent, and its lines so far.
    let mut block: Option<(bool, Vec<&str>)> = None;
    for line in markdown.split_inclusive('\n') {
        match block.as_mut() {
            None => {
                out.push_str(line);
                if let Some(info) = line.strip_prefix("```") {
                    let code = !matches!(info.trim(), "text" | "console");
                    block = Some((code, Vec::new()));
                }
            }
            Some((code, lines)) if line.starts_with("```") => {
                let shared = if *code { shared_indent(lines) } else { 0 };
                for l in lines.drain(..) {
                    out.push_str(l.get(shared..).unwrap_or("\n"));
                }
                out.push_str(line);
                block = None;
            }
            Some((_, lines)) => lines.push(line),
        }
    }
    // An unclosed block is left as it was.
    for l in block.map(|(_, lines)| lines).unwrap_or_default() {
        out.push_str(l);
    }
    out
}

/// The number of leading spaces that every non-blank line has.
fn shared_indent(lines: &[&str]) -> usize {
    lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_included_from_an_impl_starts_at_the_margin() {
        let page = "```text\n  out\n```\nText\n```rust\n    /// Doc.\n    pub fn run(&self) {\n\n        \
                    go();\n    }\n```\n  indented prose\n";
        assert_eq!(
            dedent(page),
            "```text\n  out\n```\nText\n```rust\n/// Doc.\npub fn run(&self) {\n\n    go();\n}\n```\n  \
             indented prose\n"
        );
    }

    #[test]
    fn sample_output_code_at_the_margin_and_unclosed_blocks_are_kept() {
        for page in [
            "```text\n    12 ms  task 1\n```\n",
            "```rust\nfn main() {\n    x();\n}\n```\n",
            "```rust\n    open\n",
            "   ```rust\n    in a list\n   ```\n",
        ] {
            assert_eq!(dedent(page), page);
        }
    }
}
