//! The cost model and its least-squares fit, on plain numbers (no report):
//!
//! ```text
//! time(J, n) = fixed + per_task × n + work_per_task × n / min(J, C, n)
//! ```
//!
//! for one map of `n` tasks on `J` workers (`n` tasks keep at most `n`
//! cores busy: it matters only for predictions with more cores than tasks). `work_per_task` is measured, not
//! fitted: the serial time per task of the same group. `fixed` (the cost of
//! one map: waking or reaching the workers, collecting), `per_task` (handing
//! one task out and its result back) and `C` (the cores' worth of work the
//! strategy gets: at most the machine's capacity, less when a pool keeps a
//! core busy with its own bookkeeping) are fitted.
//!
//! Why one `C` and not a free effective core count per `J`: with a fixed
//! work per task, the work term and the per-task term are both proportional
//! to `n`, so a free divisor per `J` would absorb `per_task` (one slope per
//! `J`, one unknown more than slopes). `min(J, C)` keeps one parameter and
//! says what the grid shows: more workers help until the cores run out.
//!
//! The fit minimises the squared *relative* error (the grid spans decades of
//! time, and a 10 % miss matters as much at 1 ms as at 100 ms): for each `C`
//! the best `fixed` and `per_task` (both ≥ 0) solve a 2 × 2 weighted linear
//! least-squares problem; `C` is found by a scan over `[1, max J]` refined by
//! golden-section search.

use serde::Serialize;

/// One measured map: `n` tasks on `jobs` workers took `time_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Point {
    pub(crate) jobs: usize,
    pub(crate) n: u64,
    pub(crate) time_ns: f64,
}

/// The model's parameters, in nanoseconds and cores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Params {
    /// Cost of one map, whatever its size.
    pub(crate) fixed_ns: f64,
    /// Cost of handing out one task and getting its result back.
    pub(crate) per_task_ns: f64,
    /// The work of one task (serial time per task), measured.
    pub(crate) work_per_task_ns: f64,
    /// The cores' worth of work the strategy gets: `min(J, cores)` divides
    /// the work.
    pub(crate) cores: f64,
}

impl Params {
    /// The cores the work of a map of `n` tasks on `jobs` workers is
    /// divided by: `min(J, C)`, and never more than the tasks (one task
    /// runs on one core).
    pub(crate) fn effective_cores(&self, jobs: usize, n: f64) -> f64 {
        (jobs as f64).min(self.cores).min(n.max(1.0))
    }

    /// The model's time of one map of `n` tasks on `jobs` workers.
    pub(crate) fn time_ns(&self, jobs: usize, n: f64) -> f64 {
        self.fixed_ns
            + self.per_task_ns * n
            + self.work_per_task_ns * n / self.effective_cores(jobs, n)
    }

    /// The same strategy predicted on a machine of `cores` cores, from a fit
    /// on `measured_cores`: the same fixed and per-task costs, each core as
    /// fast, and the same fraction of each core (`C / measured_cores`, at
    /// most all of it).
    pub(crate) fn on_cores(&self, measured_cores: usize, cores: usize) -> Params {
        let fraction = (self.cores / measured_cores as f64).min(1.0);
        Params {
            cores: fraction * cores as f64,
            ..*self
        }
    }

    /// The fewest tasks from which one map on `jobs` workers beats the
    /// serial loop (`work_per_task × n`), or `None` when it never does (a
    /// task costs at least as much to hand out as the workers save on it).
    pub(crate) fn break_even(&self, jobs: usize) -> Option<u64> {
        let (fixed, per_task, work) =
            (self.fixed_ns, self.per_task_ns, self.work_per_task_ns);
        let cores = (jobs as f64).min(self.cores);
        // Fewer tasks than cores: the map lasts one task's work, so
        // fixed + per_task·n + work < work·n  ⇔  n > (fixed + work) / (work − per_task).
        if work > per_task {
            let n = ((fixed + work) / (work - per_task)).floor() + 1.0;
            if n <= cores {
                return Some(n as u64);
            }
        }
        // More: fixed + per_task·n + work·n/C < work·n  ⇔  n > fixed / margin.
        let margin = work * (1.0 - 1.0 / cores) - per_task;
        if margin <= 0.0 {
            return None;
        }
        // The first count of this regime, unless the fixed cost needs more.
        let n = ((fixed / margin).floor() + 1.0).max(cores.ceil());
        (n < u64::MAX as f64).then_some(n as u64)
    }
}

/// A fit and how well it matches the points it was fitted to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Fit {
    pub(crate) params: Params,
    /// Root mean square of (model − measured) / measured over the points.
    pub(crate) rms_error: f64,
    /// The largest |model − measured| / measured.
    pub(crate) worst_error: f64,
    /// How many points it was fitted to.
    pub(crate) points: usize,
    /// Whether the points tell `C`: the work term is at least
    /// [`TELLS_CORES`] of the measured time of some map on two or more
    /// workers. Otherwise `C` is whatever fits the noise best (and hardly
    /// matters: the work is a small part of every map).
    pub(crate) cores_told: bool,
}

/// The smallest share of a map's time the work must take for the fit to
/// tell the cores it was divided by.
pub(crate) const TELLS_CORES: f64 = 0.1;

/// The relative errors of `params` on `points`.
fn errors(params: &Params, points: &[Point]) -> impl Iterator<Item = f64> {
    points
        .iter()
        .map(|p| (params.time_ns(p.jobs, p.n as f64) - p.time_ns) / p.time_ns)
}

fn sum_of_squares(params: &Params, points: &[Point]) -> f64 {
    errors(params, points).map(|e| e * e).sum()
}

/// Fits the model to `points` for a strategy whose serial work per task is
/// `work_per_task_ns`. `None` without enough points to tell the parameters
/// apart: three or more, on two or more jobs values, all positive.
pub(crate) fn fit(points: &[Point], work_per_task_ns: f64) -> Option<Fit> {
    let mut jobs: Vec<usize> = points.iter().map(|p| p.jobs).collect();
    jobs.sort_unstable();
    jobs.dedup();
    let usable = points.iter().all(|p| p.time_ns > 0.0 && p.n > 0)
        && work_per_task_ns.is_finite()
        && work_per_task_ns >= 0.0;
    if points.len() < 3 || jobs.len() < 2 || !usable {
        return None;
    }
    let max_jobs = *jobs.last()? as f64;
    let at = |cores: f64| best_costs(points, work_per_task_ns, cores);
    let cores = minimise(|c| sum_of_squares(&at(c), points), 1.0, max_jobs);
    let params = at(cores);
    let errors: Vec<f64> = errors(&params, points).collect();
    let rms_error =
        (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt();
    let worst_error = errors.iter().fold(0.0f64, |w, e| w.max(e.abs()));
    let cores_told = points.iter().filter(|p| p.jobs > 1).any(|p| {
        let n = p.n as f64;
        let work = work_per_task_ns * n / params.effective_cores(p.jobs, n);
        work >= TELLS_CORES * p.time_ns
    });
    Some(Fit {
        params,
        rms_error,
        worst_error,
        points: points.len(),
        cores_told,
    })
}

/// The best `fixed` and `per_task` (both ≥ 0) for a given `cores`: weighted
/// linear least squares on what the work term leaves, each point weighted
/// by 1 / its time (so the residuals are relative).
fn best_costs(points: &[Point], work_per_task_ns: f64, cores: f64) -> Params {
    let with = |fixed_ns: f64, per_task_ns: f64| Params {
        fixed_ns,
        per_task_ns,
        work_per_task_ns,
        cores,
    };
    let base = with(0.0, 0.0);
    // Rows (u, x) and target y of: fixed·u + per_task·x ≈ y.
    let rows: Vec<(f64, f64, f64)> = points
        .iter()
        .map(|p| {
            let left = p.time_ns - base.time_ns(p.jobs, p.n as f64);
            (1.0 / p.time_ns, p.n as f64 / p.time_ns, left / p.time_ns)
        })
        .collect();
    let sum = |f: &dyn Fn(&(f64, f64, f64)) -> f64| rows.iter().map(f).sum::<f64>();
    let (uu, ux, xx) = (
        sum(&|r| r.0 * r.0),
        sum(&|r| r.0 * r.1),
        sum(&|r| r.1 * r.1),
    );
    let (uy, xy) = (sum(&|r| r.0 * r.2), sum(&|r| r.1 * r.2));
    // The candidates of a two-variable non-negative least squares: the free
    // solution when it is feasible, and each variable alone (clipped at 0).
    let mut candidates = vec![with(0.0, 0.0)];
    candidates.push(with((uy / uu).max(0.0), 0.0));
    candidates.push(with(0.0, (xy / xx).max(0.0)));
    let det = uu * xx - ux * ux;
    if det.abs() > f64::EPSILON * uu * xx {
        let fixed = (uy * xx - xy * ux) / det;
        let per_task = (uu * xy - ux * uy) / det;
        if fixed >= 0.0 && per_task >= 0.0 {
            candidates.push(with(fixed, per_task));
        }
    }
    candidates
        .into_iter()
        .min_by(|a, b| {
            sum_of_squares(a, points).total_cmp(&sum_of_squares(b, points))
        })
        .unwrap_or(base)
}

/// Steps of the scan before the golden-section search.
const SCAN_STEPS: usize = 200;

/// The `x` in `[lo, hi]` where `f` is smallest: a scan, then golden-section
/// search between the scan's neighbours of its best point.
fn minimise(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    let step = (hi - lo) / SCAN_STEPS as f64;
    let best = (0..=SCAN_STEPS)
        .map(|i| lo + step * i as f64)
        .min_by(|a, b| f(*a).total_cmp(&f(*b)))
        .unwrap_or(lo);
    let (mut a, mut b) = ((best - step).max(lo), (best + step).min(hi));
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..100 {
        let (c, d) = (b - ratio * (b - a), a + ratio * (b - a));
        if f(c) <= f(d) {
            b = d;
        } else {
            a = c;
        }
    }
    let mid = (a + b) / 2.0;
    if f(mid) <= f(best) { mid } else { best }
}
