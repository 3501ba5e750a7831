//! No hand-run figure in the book's prose: every measured figure comes from
//! the labelled run of `cargo xtask bench --book`, included from
//! `book/src/results/`. This check reads the chapter pages (`book/src/*.md`,
//! not the generated `results/`) and fails on a number with a unit of time or
//! speed (`28 ms`, `4.7 µs`, `1.56×`, `83 %`) in prose, naming each
//! `file:line`. Code blocks, inline code and `{{#include}}` lines are not
//! prose. Arithmetic examples that are not measurements are allowed by
//! [`ALLOWED`]: a short list of exact phrases, each with its reason.

use std::fs;
use std::path::Path;

use anyhow::{Context, bail};

/// Phrases with a unit that are arithmetic or definitions, not measurements:
/// `(page, phrase)`. Keep it short: a figure a reader could take for a
/// measurement belongs in a generated include.
pub(crate) const ALLOWED: &[(&str, &str)] = &[
    // The seeds' example: sleeps of 0.5 s steps, summed by hand.
    ("*", "7.5 s"),
    ("*", "4.5 s"),
    ("*", "2.5 s"),
    // Definitions of efficiency and of the flag's tolerance.
    ("*", "100 %"),
    ("*", "10 %"),
    // Amdahl's law worked out: p = 0.95 on two cores, and in the limit.
    ("introduction.md", "1.9×"),
    ("introduction.md", "20×"),
    ("02-thread-pools.md", "5 %"),
    ("02-thread-pools.md", "1.9×"),
    // A rule of thumb (task 10× the overhead: overhead under 10 %).
    ("choosing.md", "10×"),
    // How to read a table and a plot: criterion's time limit, an example
    // capacity, the plots' jobs range and log-axis example values.
    ("results.md", "2 s"),
    ("results.md", "1.3×"),
    ("results.md", "2 ×"),
    ("results.md", "0.01×"),
    ("results.md", "1×"),
];

/// The units a figure may carry, longest first (so `ms` is not read as `s`).
const UNITS: [&str; 7] = ["ms", "µs", "us", "ns", "s", "×", "%"];

/// One figure found in prose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Figure {
    pub(crate) file: String,
    pub(crate) line: usize,
    /// The figure itself, `28–29 ms`.
    pub(crate) figure: String,
    pub(crate) text: String,
}

/// Fails, listing `file:line: figure — text`, when a chapter page has a
/// figure in prose that [`ALLOWED`] does not list.
pub(crate) fn check(src: &Path) -> anyhow::Result<()> {
    let figures = find(src)?;
    if figures.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = figures
        .iter()
        .map(|f| {
            format!("  {}:{}: {} — {}", f.file, f.line, f.figure, f.text.trim())
        })
        .collect();
    bail!(
        "{} measured figure(s) typed into the book's prose; every figure must \
         come from the labelled run (include a generated snippet from \
         book/src/results/, or say it in words; an arithmetic example goes in \
         ALLOWED, xtask/src/book/figures.rs):\n{}",
        figures.len(),
        list.join("\n")
    )
}

/// Every figure in the prose of the pages directly in `src`.
pub(crate) fn find(src: &Path) -> anyhow::Result<Vec<Figure>> {
    let mut pages: Vec<_> = fs::read_dir(src)
        .with_context(|| format!("reading {}", src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    let mut out = Vec::new();
    for page in pages {
        let name = page.file_name().unwrap_or_default().to_string_lossy();
        let text = fs::read_to_string(&page)?;
        out.extend(in_page(&name, &text));
    }
    Ok(out)
}

/// The figures in the prose of one page.
pub(crate) fn in_page(file: &str, text: &str) -> Vec<Figure> {
    let mut out = Vec::new();
    let mut fenced = false;
    let mut comment = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced || trimmed.starts_with("{{#") {
            continue;
        }
        let prose = prose_of(line, &mut comment);
        for figure in figures_in(&prose) {
            let allowed = ALLOWED
                .iter()
                .any(|(f, phrase)| (*f == "*" || *f == file) && figure == *phrase);
            if !allowed {
                out.push(Figure {
                    file: file.to_string(),
                    line: i + 1,
                    figure,
                    text: line.to_string(),
                });
            }
        }
    }
    out
}

/// The line without inline code spans and HTML comments (which may span
/// lines: `comment` carries the state), each replaced by a space.
fn prose_of(line: &str, comment: &mut bool) -> String {
    let mut out = String::new();
    let mut rest = line;
    loop {
        if *comment {
            match rest.find("-->") {
                Some(end) => {
                    rest = &rest[end + 3..];
                    *comment = false;
                    out.push(' ');
                }
                None => return out,
            }
        }
        let code = rest.find('`');
        let open = rest.find("<!--");
        match (code, open) {
            (Some(c), o) if o.is_none_or(|o| c < o) => {
                out.push_str(&rest[..c]);
                let ticks = rest[c..].chars().take_while(|&ch| ch == '`').count();
                let after = &rest[c + ticks..];
                match after.find(&"`".repeat(ticks)) {
                    Some(end) => {
                        out.push(' ');
                        rest = &after[end + ticks..];
                    }
                    None => return out,
                }
            }
            (_, Some(o)) => {
                out.push_str(&rest[..o]);
                rest = &rest[o + 4..];
                *comment = true;
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// The numbers with a unit in `prose`: `28 ms`, `28–29 ms`, `1.56×`, `83%`.
fn figures_in(prose: &str) -> Vec<String> {
    let chars: Vec<char> = prose.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
        if !starts {
            i += 1;
            continue;
        }
        // The number, and a range's second number (`28–29`, `1.56-1.60`).
        let mut end = number_end(&chars, i);
        if end + 1 < chars.len()
            && matches!(chars[end], '–' | '-')
            && chars[end + 1].is_ascii_digit()
        {
            end = number_end(&chars, end + 1);
        }
        let mut unit_at = end;
        while unit_at < chars.len() && matches!(chars[unit_at], ' ' | '\u{a0}') {
            unit_at += 1;
        }
        let rest: String = chars[unit_at..].iter().take(3).collect();
        let unit = UNITS.iter().find(|u| {
            rest.starts_with(*u) && {
                let after = rest.chars().nth(u.chars().count());
                // `s` and `ms` end a word; `×` and `%` stand alone.
                !(u.chars().all(char::is_alphabetic)
                    && after.is_some_and(|c| c.is_alphanumeric()))
            }
        });
        match unit {
            Some(unit) => {
                let number: String = chars[i..end].iter().collect();
                let gap = if unit_at > end { " " } else { "" };
                out.push(format!("{number}{gap}{unit}"));
                i = unit_at + unit.chars().count();
            }
            None => i = end.max(i + 1),
        }
    }
    out
}

/// The end of the number starting at `i`: digits, with `.` or `,` between
/// digits.
fn number_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        let inner = matches!(chars[i], '.' | ',')
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if chars[i].is_ascii_digit() || inner {
            i += 1;
        } else {
            break;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_run_figure_in_prose_fails_the_book_check_by_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("03-process-pools.md");
        fs::write(
            &page,
            "# Pools\n\nThe bench agrees: 28–29 ms, and paired 1.56×.\n",
        )
        .unwrap();
        let err = format!("{:#}", check(dir.path()).unwrap_err());
        assert!(err.contains("03-process-pools.md:3: 28–29 ms"), "{err}");
        assert!(err.contains("03-process-pools.md:3: 1.56×"), "{err}");
        // Told in words, with the setting in inline code, it passes.
        fs::write(
            &page,
            "# Pools\n\nThe bench agrees (table below); `--timeout 1s`.\n",
        )
        .unwrap();
        check(dir.path()).unwrap();
    }

    #[test]
    fn the_book_in_this_repository_passes() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src");
        check(&src).unwrap();
    }

    #[test]
    fn code_includes_comments_and_allowed_arithmetic_are_not_prose() {
        let page = "Sleeps of 7.5 s, 4.5 s and 2.5 s.\n\
            Run `--scale 0.2 s` and `hyperfine` at 1.2x.\n\
            ```console\n$ cargo run\n42.0 ms\n```\n\
            {{#include results/paired.md}}\n\
            <!-- 12 ms,\nstill 13 ms -->\n\
            100 % is perfect scaling; 2 cores, 16 tasks, 10^6 trials, 1.5 GHz.\n";
        assert_eq!(in_page("x.md", page), []);
        let found: Vec<String> =
            in_page("x.md", "took 4.7 ms, 2.45ms and 83% of 3 s")
                .into_iter()
                .map(|f| f.figure)
                .collect();
        assert_eq!(found, ["4.7 ms", "2.45ms", "83%", "3 s"]);
    }
}
