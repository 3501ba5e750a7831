//! Chapter 1 bench: the serial strategies on `driver` over a range of sizes.
//!
//! `cargo bench -p benches --bench serial_map -- --quick`

use std::hint::black_box;

use benches::{group, id, sized};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serial_map::names::{FOLD_SUM, FOR_LOOP, ITERATOR_MAP, MY_MAP};
use serial_map::{fold_sum, for_loop, iterator_map, my_map};
use workloads::{DRIVER_DEN, DRIVER_NUM, WorkloadKind, driver};

fn task(x: &f64) -> f64 {
    driver(black_box(*x), DRIVER_NUM, DRIVER_DEN)
}

fn serial_map(c: &mut Criterion) {
    let mut g = group(c, "serial_map", WorkloadKind::Driver.name());
    for n in [1u64 << 10, sized(1 << 14, 16), sized(1 << 18, 32)] {
        let inputs: Vec<f64> = (0..n).map(|i| i as f64).collect();
        g.throughput(Throughput::Elements(n));
        g.bench_function(id(FOR_LOOP, 1, n), |b| b.iter(|| for_loop(&inputs, task)));
        g.bench_function(id(MY_MAP, 1, n), |b| b.iter(|| my_map(&inputs, task)));
        g.bench_function(id(ITERATOR_MAP, 1, n), |b| {
            b.iter(|| iterator_map(&inputs, task))
        });
        g.bench_function(id(FOLD_SUM, 1, n), |b| {
            b.iter(|| fold_sum::<_, ()>(&inputs, |x| Ok(task(x))))
        });
    }
    g.finish();
}

criterion_group!(benches, serial_map);
criterion_main!(benches);
