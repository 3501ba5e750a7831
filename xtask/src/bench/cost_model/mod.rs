//! The cost model of a map (issue 23, item 5): fitted per strategy to the
//! `grid` bench (pool size × number of tasks, threads and processes, on `pi`
//! and `square`; `benches/benches/grid.rs`), printed with its fit error,
//! drawn against the measurements, and used to answer "how many tasks before
//! a strategy pays off on N cores", measured and fitted for this machine and
//! predicted (and labelled so) for 16 and 64 cores.
//!
//! - `fit.rs`: the model and its least-squares fit, on plain numbers;
//! - `grid.rs`: from the report's grid groups to models and payoffs;
//! - `snippet.rs`: the Markdown (`cost-model.md`, copied into the book by
//!   `--book`); `plot.rs`: `cost-model-<group>.svg`.
//!
//! It adds no measurement: `cargo xtask bench --report-only` redraws it from
//! the last run, and a run without the grid (a `--filter` that skips it)
//! says so instead of fitting anything.

mod fit;
mod grid;
mod plot;
mod snippet;
#[cfg(test)]
mod tests;

use serde::Serialize;

use super::report::Report;
use super::svg::Plot;

/// Every fit of a report's grid, with its payoffs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CostModel {
    pub(crate) models: Vec<grid::Model>,
    pub(crate) payoffs: Vec<grid::Payoff>,
}

impl CostModel {
    /// The models the report's grid groups allow (none without them).
    pub(crate) fn build(report: &Report) -> CostModel {
        let models = grid::models(report);
        let payoffs = grid::payoffs(report, &models, report.machine.cores);
        CostModel { models, payoffs }
    }

    /// The tables, for the terminal (empty without a model).
    pub(crate) fn tables(&self) -> String {
        if self.models.is_empty() {
            return String::new();
        }
        format!(
            "{}\n{}",
            snippet::parameters(&self.models),
            snippet::payoff_table(&self.payoffs)
        )
    }

    /// `cost-model.md`: the tables under the report's label, with the model
    /// plots among `plots` linked as `<image_prefix><file>`.
    pub(crate) fn markdown(
        &self,
        report: &Report,
        plots: &[Plot],
        image_prefix: &str,
    ) -> String {
        let links: Vec<(String, String)> = plots
            .iter()
            .filter(|p| p.file.starts_with(plot::PREFIX))
            .map(|p| (p.title.clone(), p.file.clone()))
            .collect();
        snippet::markdown(
            &report.label(),
            &self.models,
            &self.payoffs,
            &links,
            image_prefix,
        )
    }

    /// Its JSON for `results.json`: parameters in ns and cores, errors as
    /// ratios, payoffs in tasks.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The plots of the cost model: one per grid group with a model.
pub(crate) fn plots(report: &Report) -> anyhow::Result<Vec<Plot>> {
    plot::plots(report, &grid::models(report))
}
