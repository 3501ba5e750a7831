//! The cost model as Markdown: the fitted parameters with their fit error,
//! then how many tasks a strategy needs before it beats the serial loop,
//! measured and fitted on this machine and *predicted* on larger ones. The
//! report writes it to `cost-model.md`; `--book` copies it into
//! `book/src/results/`, where the "Choosing a strategy" page includes it.

use std::fmt::Write as _;

use super::fit::TELLS_CORES;
use super::grid::{BENCH, Measured, Model, PREDICTED_CORES, Payoff};
use crate::bench::report::format_ns;

/// The snippet under `label`, with links to `plots` (`(title, file)`) each
/// prefixed by `image_prefix` (`results/` in the book). Without a model, a
/// sentence saying the grid was not measured.
pub(crate) fn markdown(
    label: &str,
    models: &[Model],
    payoffs: &[Payoff],
    plots: &[(String, String)],
    image_prefix: &str,
) -> String {
    let mut out = format!("*{label}*\n\n");
    if models.is_empty() {
        let _ = writeln!(
            out,
            "*The cost model was not fitted in this run: it needs the `{BENCH}` \
             bench (`cargo xtask bench --book` measures it).*"
        );
        return out;
    }
    out.push_str(&parameters(models));
    out.push('\n');
    out.push_str(&payoff_table(payoffs));
    for (title, file) in plots {
        let _ = write!(out, "\n![{title}]({image_prefix}{file})\n");
    }
    out
}

/// The fitted parameters, one row per strategy of each group.
pub(crate) fn parameters(models: &[Model]) -> String {
    let mut out = format!(
        "**Cost model of one map** (fitted to the `{BENCH}` bench: pool size × \
         number of tasks). One map of *n* tasks on *J* workers takes about \
         *fixed + per task × n + work × n / min(J, C, n)*: *work* is the \
         serial time of one task, measured; *fixed*, *per task* and *C* (the \
         cores' worth of work the strategy gets) are fitted by least squares on the \
         relative error, over every *J* and *n* measured (*fit*: the RMS \
         relative error over the points, and the worst).\n\n\
         | group | strategy | fixed per map | per task | work per task | C | \
         fit (worst), points |\n\
         |---|---|---:|---:|---:|---:|---:|\n"
    );
    for m in models {
        let p = &m.fit.params;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.1} % ({:.0} %), {} |",
            m.group,
            m.strategy,
            format_ns(p.fixed_ns),
            format_ns(p.per_task_ns),
            format_ns(p.work_per_task_ns),
            cores_cell(m),
            m.fit.rms_error * 100.0,
            m.fit.worst_error * 100.0,
            m.fit.points,
        );
    }
    if models.iter().any(|m| !m.fit.cores_told) {
        let _ = writeln!(
            out,
            "\n(–: the work is under {:.0} % of every map's time, too little to \
             tell *C*; it hardly matters to such maps.)",
            TELLS_CORES * 100.0
        );
    }
    out
}

fn cores_cell(model: &Model) -> String {
    if model.fit.cores_told {
        format!("{:.2}", model.fit.params.cores)
    } else {
        "–".to_string()
    }
}

/// How many tasks before each strategy pays off; the larger machines'
/// columns and cells say they are predicted.
pub(crate) fn payoff_table(payoffs: &[Payoff]) -> String {
    let Some(first) = payoffs.first() else {
        return String::new();
    };
    let cores = first.cores;
    let predicted: Vec<String> =
        PREDICTED_CORES.iter().map(|n| n.to_string()).collect();
    let mut out = format!(
        "**How many tasks before a strategy pays off**: the fewest tasks (each \
         of its group's work per task) from which one map on one worker per \
         core beats the serial loop. The {cores}-core columns are this machine: \
         measured, and the model fitted to it. The {}-core columns are \
         **predicted** by the model, not measured: they assume the same fixed \
         and per-task costs, cores as fast as these, and the same fraction \
         C / {cores} of each core; the grid has no pool larger than its own, so \
         contention beyond it (memory bandwidth, a busier parent) is not in \
         them.\n\n\
         | group | strategy | {cores} cores, measured | {cores} cores, fitted |",
        predicted.join("- and ")
    );
    for n in PREDICTED_CORES {
        let _ = write!(out, " {n} cores, predicted |");
    }
    out.push_str("\n|---|---|---:|---:|");
    out.push_str(&"---:|".repeat(PREDICTED_CORES.len()));
    out.push('\n');
    for p in payoffs {
        let _ = write!(
            out,
            "| {} | {} | {} | {} |",
            p.group,
            p.strategy,
            measured_cell(&p.measured, cores),
            tasks_cell(p.fitted),
        );
        for (_, tasks) in &p.predicted {
            let _ = write!(out, " *{} (predicted)* |", tasks_cell(*tasks));
        }
        out.push('\n');
    }
    out
}

fn tasks_cell(tasks: Option<u64>) -> String {
    match tasks {
        Some(1) => "1 task".to_string(),
        Some(n) => format!("{n} tasks"),
        None => "never".to_string(),
    }
}

fn measured_cell(measured: &Measured, cores: usize) -> String {
    match measured {
        Measured::From { after: None, from } => {
            format!("≤ {from} (faster at every count measured)")
        }
        Measured::From {
            after: Some(after),
            from,
        } => format!("more than {after}, at most {from}"),
        Measured::NotUpTo(largest) => format!("more than {largest} (or never)"),
        Measured::Absent => format!("not measured on {cores} workers"),
    }
}
