//! The cost of one element or trial of each kernel, serial, in ns and in
//! cycles: the bound every parallel strategy is divided from.
//!
//! `cargo run --release -p workloads --example kernels`
//!
//! Prints `driver` (the per-element `map`) against `driver_into` (slices),
//! `driver_into` against `driver_vec_into` (a vectorised `ln`), and
//! `pi_mc` (one generator) against `pi_mc_streams` (eight lanes), each pair
//! timed alternately, with the speedup of the fast version.

use std::hint::black_box;

use workloads::measure::{Budget, clock_ghz, paired};
use workloads::{
    DRIVER_DEN, DRIVER_NUM, WorkloadKind, driver, driver_into, driver_vec_into,
    pi_mc, pi_mc_streams,
};

fn main() {
    let ghz = clock_ghz();
    println!("clock estimate: {ghz:.2} GHz (from a chain of dependent multiplies)");
    let n = 1usize << 20;
    let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let (p, a, b) = paired(
        Budget::quick(),
        || {
            xs.iter()
                .map(|&x| driver(black_box(x), DRIVER_NUM, DRIVER_DEN))
                .collect::<Vec<f64>>()
        },
        || {
            let mut out = vec![0.0; n];
            driver_into(black_box(&xs), DRIVER_NUM, DRIVER_DEN, &mut out);
            out
        },
    );
    assert_eq!(a, b, "driver_into must equal driver");
    report(WorkloadKind::Driver.name(), "element", n as f64, ghz, &p);
    let (p, _, _) = paired(
        Budget::quick(),
        || {
            let mut out = vec![0.0; n];
            driver_into(black_box(&xs), DRIVER_NUM, DRIVER_DEN, &mut out);
            out
        },
        || {
            let mut out = vec![0.0; n];
            driver_vec_into(black_box(&xs), DRIVER_NUM, DRIVER_DEN, &mut out);
            out
        },
    );
    report("driver_vec", "element", n as f64, ghz, &p);
    let trials = 1_000_000u64;
    let (p, _, _) = paired(
        Budget::quick(),
        || pi_mc(black_box(1), trials),
        || pi_mc_streams(black_box(1), trials),
    );
    report(WorkloadKind::Pi.name(), "trial", trials as f64, ghz, &p);
}

fn report(
    name: &str,
    unit: &str,
    count: f64,
    ghz: f64,
    p: &workloads::measure::Paired,
) {
    let per = |s: f64| s * 1e9 / count;
    println!(
        "{name}: simple {:.2} ns/{unit} ({:.1} cycles), fast {:.2} ns/{unit} \
         ({:.1} cycles); paired speedup {}",
        per(p.baseline_seconds),
        per(p.baseline_seconds) * ghz,
        per(p.strategy_seconds),
        per(p.strategy_seconds) * ghz,
        p.display(None)
    );
}
