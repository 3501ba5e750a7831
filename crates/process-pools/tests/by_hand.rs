//! The by-hand mechanism: right results in order, each with the pid of the
//! worker process that computed it; and, being minimal, a crash fails it all.

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::{WORKER, bounded};
use process_pools::by_hand::{self, ByHandError};
use process_pools::demo::{Behaviour, Misbehave, PiMc, WhoAmI};

#[test]
fn results_in_order_with_the_workers_pids() {
    bounded(60, || {
        let inputs: Vec<(u64, u64)> = (0..8).map(|i| (i, 20)).collect();
        let done = by_hand::map::<WhoAmI>(Path::new(WORKER), &inputs, 2).unwrap();
        assert_eq!(done.len(), 8);
        for (i, d) in done.iter().enumerate() {
            assert_eq!(d.output.0, i as u64);
            assert_eq!(d.output.1, d.pid, "the task saw the pid the reply names");
            assert_ne!(d.pid, std::process::id());
        }
        let pids: HashSet<u32> = done.iter().map(|d| d.pid).collect();
        assert!(pids.len() <= 2, "two workers, not {}", pids.len());
    });
}

#[test]
fn both_workers_take_tasks() {
    bounded(60, || {
        // A rendezvous, so that no timing is involved: each of the two tasks
        // records that it started, then waits until both have. The first
        // cannot finish until the second has started, on the other worker.
        let started = tempfile::tempdir().unwrap();
        let dir = started.path().display();
        let meet = format!(
            r#"touch "{dir}/$$"; i=0
            while [ "$(ls "{dir}" | wc -l)" -lt 2 ] && [ $i -lt 3000 ]; do
                sleep 0.01; i=$((i+1))
            done
            [ "$(ls "{dir}" | wc -l)" -ge 2 ]"#
        );
        let inputs = vec![Behaviour::Shell(meet.clone()), Behaviour::Shell(meet)];
        let done = by_hand::map::<Misbehave>(Path::new(WORKER), &inputs, 2).unwrap();
        assert!(done.iter().all(|d| d.output == 0), "both met: {done:?}");
        assert_ne!(done[0].pid, done[1].pid, "both workers took tasks");
    });
}

#[test]
fn equal_to_serial() {
    bounded(60, || {
        let inputs: Vec<(u64, u64)> = (0..5).map(|seed| (seed, 1_000)).collect();
        let done = by_hand::map::<PiMc>(Path::new(WORKER), &inputs, 2).unwrap();
        let got: Vec<f64> = done.into_iter().map(|d| d.output).collect();
        let serial: Vec<f64> = inputs
            .iter()
            .map(|&(s, t)| workloads::pi_mc(s, t))
            .collect();
        assert_eq!(got, serial);
    });
}

#[test]
fn a_crash_fails_the_whole_map_but_does_not_hang() {
    bounded(60, || {
        let inputs =
            vec![Behaviour::Return(1), Behaviour::Abort, Behaviour::Return(3)];
        let error =
            by_hand::map::<Misbehave>(Path::new(WORKER), &inputs, 1).unwrap_err();
        assert!(matches!(error, ByHandError::Io(_)), "{error}");
        assert!(error.to_string().contains("died during task 1"), "{error}");
    });
}
