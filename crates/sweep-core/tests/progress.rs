//! The progress reporter: counts of completions and failures, plain lines
//! at intervals (a heartbeat even when nothing completes) and one at the
//! end, rate limits, lazy totals, and worker batches.
use std::time::Duration;

use std::io::Write;
use std::sync::{Arc, Mutex};
use sweep_core::progress::{AUTO_EVERY, BATCH, Counts, Progress, line};

/// A `Write` whose bytes the test reads back.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn off_counts_nothing_and_costs_nothing() {
    let tracker = Progress::Off.start(Some(10));
    tracker.add(5, 1);
    assert!(!tracker.is_on());
    assert_eq!(tracker.counts().done, 0);
    assert!(!Progress::default().is_on());
}

#[test]
fn lines_count_completions_and_failures_and_end_with_a_summary() {
    let buffer = Buffer::default();
    let every = Duration::from_secs(3600);
    let progress = Progress::lines_to("sweep", every, buffer.clone());
    let tracker = progress.start(Some(4));
    let worker = tracker.clone();
    std::thread::spawn(move || {
        worker.record(&Ok::<u8, ()>(1));
        worker.record(&Err::<u8, ()>(()));
    })
    .join()
    .unwrap();
    tracker.add(2, 0);
    assert_eq!(
        tracker.counts(),
        Counts {
            done: 4,
            failed: 1,
            total: Some(4)
        }
    );
    drop(tracker); // the last clone: the run is finished
    let text = buffer.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("[sweep] 4/4 done (100%), 1 failed"),
        "{text}"
    );
    assert!(last.ends_with(", finished"), "{text}");
}

#[test]
fn lines_are_rate_limited() {
    let buffer = Buffer::default();
    let every = Duration::from_secs(3600);
    let tracker = Progress::lines_to("x", every, buffer.clone()).start(None);
    for _ in 0..10_000 {
        tracker.add(1, 0);
    }
    tracker.finish();
    tracker.finish(); // only once
    assert_eq!(buffer.text().lines().count(), 1, "{}", buffer.text());
    assert!(buffer.text().starts_with("[x] 10000 done,"));
}

#[test]
fn lines_come_at_each_interval_even_when_nothing_completes() {
    let buffer = Buffer::default();
    let every = Duration::from_millis(10);
    let tracker = Progress::lines_to("slow", every, buffer.clone()).start(Some(2));
    std::thread::sleep(Duration::from_millis(200));
    tracker.add(1, 0);
    let heartbeats = buffer.text();
    assert!(
        heartbeats.starts_with("[slow] 0/2 done (0%)"),
        "a heartbeat before any completion: {heartbeats}"
    );
    tracker.finish();
    let lines = buffer.text();
    let last = lines.lines().last().unwrap();
    assert!(last.starts_with("[slow] 1/2 done (50%)"), "{lines}");
    assert!(last.ends_with("finished"), "{lines}");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(buffer.text(), lines, "nothing after the last line");
}

#[test]
fn batches_pass_every_count_on_by_the_time_they_are_dropped() {
    let tracker = Progress::lines_to("b", AUTO_EVERY.1, Vec::new()).start(None);
    let mut batch = tracker.batch();
    batch.record(&Ok::<(), ()>(()));
    assert_eq!(tracker.counts().done, 1, "the first task is passed on");
    for k in 1..10_000 {
        batch.record(&if k % 10 == 0 { Err(()) } else { Ok(()) });
    }
    let passed = tracker.counts().done;
    assert!(passed > 10_000 - BATCH, "{passed}: at most a batch behind");
    drop(batch);
    let counts = tracker.counts();
    assert_eq!((counts.done, counts.failed), (10_000, 999));
    let mut slow = tracker.batch();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(20));
        let before = tracker.counts().done;
        slow.record(&Ok::<(), ()>(()));
        assert_eq!(tracker.counts().done, before + 1, "slow tasks one by one");
    }
}

#[test]
fn line_shows_an_eta_only_while_running_with_a_known_total() {
    let counts = Counts {
        done: 25,
        failed: 0,
        total: Some(100),
    };
    let text = line("l", counts, Duration::from_secs(10), false);
    assert_eq!(text, "[l] 25/100 done (25%), 10.0 s elapsed, ETA 30.0 s");
    let unknown = Counts {
        total: None,
        ..counts
    };
    let text = line("l", unknown, Duration::from_secs(1), false);
    assert_eq!(text, "[l] 25 done, 1.0 s elapsed");
}

#[test]
fn set_total_fills_in_a_lazy_runs_length() {
    let tracker = Progress::lines_to("x", AUTO_EVERY.0, Vec::new()).start(None);
    assert_eq!(tracker.counts().total, None);
    tracker.set_total(7);
    assert_eq!(tracker.counts().total, Some(7));
    tracker.add_total(2);
    assert_eq!(tracker.counts().total, Some(9));
    let growing = Progress::lines_to("y", AUTO_EVERY.0, Vec::new()).start(None);
    growing.add_total(1);
    assert_eq!(growing.counts().total, Some(1));
}
