//! Tests of [`super::Report`] and its formatting.

use super::*;

#[test]
fn speedup_and_efficiency_are_relative_to_the_first_row() {
    let mut report = Report::new("ch", "pi", 4);
    report.push("serial", 1, 2.0, 1, true);
    report.push("threads", 2, 1.0, 1, true);
    assert_eq!(report.rows[1].speedup, 2.0);
    assert_eq!(report.rows[1].efficiency, 1.0);
    assert!(report.table().contains("threads"));
    assert!(report.json().contains("\"efficiency\": 1.0"));
}

#[test]
fn a_wrong_result_is_a_mismatch_and_a_failure() {
    let mut report = Report::new("ch", "pi", 1);
    let expected = report.baseline("serial", || 1);
    report.check("broken", 2, &expected, || 2);
    assert!(!report.all_verified());
    assert!(report.table().contains("MISMATCH"));
    assert_eq!(report.finish(true), ExitCode::FAILURE);
}

#[test]
fn quick_strategies_are_repeated_and_slow_ones_are_not() {
    let mut calls = 0;
    let mut report = Report::new("ch", "pi", 1);
    report.baseline("quick", || calls += 1);
    assert_eq!(calls, 1 + MAX_RUNS, "one untimed warm-up, then timed runs");
    let mut slow_calls = 0;
    report.check("slow", 1, &(), || {
        slow_calls += 1;
        std::thread::sleep(Duration::from_millis(200));
    });
    assert_eq!(slow_calls, 1);
}

#[test]
fn compare_pairs_the_speedup_and_checks_the_result() {
    let mut report = Report::new("ch", "pi", 3);
    let expected = report.baseline("serial", || vec![1, 2, 3]);
    assert!(report.compare(
        "same",
        1,
        &expected,
        || vec![1, 2, 3],
        || vec![1, 2, 3]
    ));
    let row = &report.rows[1];
    let paired = row.paired.as_ref().expect("paired");
    assert!(paired.pairs >= Budget::quick().min_pairs);
    assert_eq!(row.speedup, paired.median);
    assert!(!report.compare("wrong", 1, &expected, || vec![1, 2, 3], || vec![0]));
    assert!(report.table().contains("paired: median of"));
}

#[test]
fn parallel_speedups_above_capacity_are_flagged_in_the_table() {
    let mut report = Report::new("ch", "pi", 4);
    report.capacity = Some(1.2);
    report.push("serial", 1, 3.0, 1, true);
    report.push("threads", 2, 1.0, 1, true);
    report.push("cleverer loop", 1, 1.0, 1, true);
    let table = report.table();
    assert!(table.contains("parallel capacity now 1.20×"), "{table}");
    let flagged: Vec<&str> = table.lines().filter(|l| l.contains('⚠')).collect();
    assert_eq!(flagged.len(), 1, "{table}");
    assert!(flagged[0].starts_with("threads"), "{table}");
}

#[test]
fn a_slowdown_is_never_flagged_however_it_scales_over_one_worker() {
    let mut report = Report::new("ch", "square", 4);
    report.capacity = Some(1.2);
    report.push("serial", 1, 1.0, 1, true);
    report.push("pool", 1, 30.0, 1, true);
    report.push("pool", 2, 10.0, 1, true);
    report.push("rayon", 1, 0.5, 1, true);
    report.push("rayon", 2, 0.4, 1, true);
    let table = report.table();
    // pool: 3× over its one-worker row, but 0.1× serial; rayon: 2.5× serial
    // but 1.25× over its own one-worker row (within 10 % of 1.2).
    assert!(!table.contains('⚠'), "{table}");
}

#[test]
fn formats_seconds_with_units() {
    assert_eq!(format_seconds(2.5e-9), "2.5 ns");
    assert_eq!(format_seconds(2.5e-5), "25.0 µs");
    assert_eq!(format_seconds(0.25), "250.0 ms");
    assert_eq!(format_seconds(2.5), "2.50 s");
}
