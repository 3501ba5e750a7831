//! Every serial strategy gives the `for` loop's results, on every workload and on
//! empty and one-element inputs.

use serial_map::{fold_sum, for_loop, iterator_map, my_map};
use workloads::{Workload, WorkloadKind};

fn check_all_strategies(kind: WorkloadKind, size: u64) {
    let workload = Workload::prepare(kind, size, 200, 0.001).unwrap();
    let inputs = workload.inputs();
    let task = |&i: &u64| workload.run(i);
    let expected = for_loop(&inputs, task);
    assert_eq!(expected.len() as u64, size);
    assert!(expected.iter().all(Result::is_ok), "{kind:?}: {expected:?}");
    assert_eq!(my_map(&inputs, task), expected, "{kind:?} my_map");
    assert_eq!(
        iterator_map(&inputs, task),
        expected,
        "{kind:?} iterator_map"
    );
    let sum: f64 = expected.iter().map(|r| r.as_ref().unwrap().value()).sum();
    let folded = fold_sum(&inputs, |&i| workload.run(i).map(|o| o.value())).unwrap();
    assert_eq!(folded, sum, "{kind:?} fold_sum");
}

#[test]
fn every_strategy_equals_the_loop_on_every_workload() {
    for kind in [
        WorkloadKind::Driver,
        WorkloadKind::Pi,
        WorkloadKind::Sleep,
        WorkloadKind::Files,
    ] {
        check_all_strategies(kind, 5);
    }
}

#[test]
fn one_element_inputs() {
    for kind in [WorkloadKind::Driver, WorkloadKind::Pi, WorkloadKind::Files] {
        check_all_strategies(kind, 1);
    }
}

#[test]
fn empty_inputs_give_empty_results() {
    let empty: [u64; 0] = [];
    assert!(for_loop(&empty, |x| x * 2).is_empty());
    assert!(my_map(&empty, |x| x * 2).is_empty());
    assert!(iterator_map(&empty, |x| x * 2).is_empty());
    assert_eq!(fold_sum::<_, ()>(&empty, |_| Ok(1.0)), Ok(0.0));
}

#[test]
fn order_is_kept() {
    let inputs: Vec<u32> = (0..1000).rev().collect();
    let doubled = iterator_map(&inputs, |x| x * 2);
    assert!(doubled.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(my_map(&inputs, |x| x * 2), doubled);
}
