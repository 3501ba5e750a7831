//! The doc comments of the lazy `imap`, the `imap_unordered` stream and
//! progress, taken at their word by a careless or hostile user (issue 24):
//! dropping a stream mid-way, an input iterator that panics, an endless one,
//! zero inputs, order, and counts that must reach exactly the total. Every
//! test is bounded; executions are counted through side effects (a file per
//! run); no process is left behind. Retries, the initializer and the
//! backend switch are in `promises.rs`.
//!
//! Run with `cargo test -p process-pools --test promises_streams`.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Duration;

use common::{assert_no_children_left, bounded, executions, one_at_a_time, pool};
use process_pools::demo::{Behaviour, Counted, Flaky, Square, SweepPoint, WhoAmI};
use process_pools::{Executor, Progress, Task};
use workloads::testing::Buffer;

fn counted(dir: &Path, id: u64, behaviour: Behaviour) -> <Counted as Task>::Input {
    (dir.display().to_string(), id, behaviour)
}

/// How many of tasks `0..n` have run at least once.
fn ran(dir: &Path, n: u64) -> usize {
    (0..n).filter(|&i| !executions(dir, i).is_empty()).count()
}

/// How many tasks ran after a call was abandoned: counted once what was
/// already running has had time to finish, and again a while later.
fn ran_after_abandon(dir: &Path, n: u64) -> (usize, usize) {
    std::thread::sleep(Duration::from_millis(300));
    let settled = ran(dir, n);
    std::thread::sleep(Duration::from_millis(700));
    (settled, ran(dir, n))
}

/// Inputs `0..` for `Counted` (each sleeps 20 ms) that panic at `at`.
fn panicking_inputs(
    dir: &Path,
    at: u64,
) -> impl Iterator<Item = <Counted as Task>::Input> + use<'_> {
    (0..).map(move |i| {
        assert!(i != at, "the input iterator broke at {i}");
        counted(dir, i, Behaviour::Sleep(20))
    })
}

#[test]
fn dropping_either_stream_mid_way_cancels_and_the_pool_serves_on() {
    let _serial = one_at_a_time();
    for ordered in [true, false] {
        bounded(60, move || {
            let dir = tempfile::tempdir().unwrap();
            let pool = pool(2).build().unwrap();
            let inputs: Vec<_> = (0..400)
                .map(|i| counted(dir.path(), i, Behaviour::Sleep(20)))
                .collect();
            let taken = if ordered {
                pool.imap::<Counted, _>(inputs).take(3).count()
            } else {
                pool.imap_unordered::<Counted>(inputs).take(3).count()
            };
            assert_eq!(taken, 3);
            let (settled, later) = ran_after_abandon(dir.path(), 400);
            assert!(settled <= 3 + 8, "ordered {ordered}: {settled} of 400 ran");
            assert_eq!(
                settled, later,
                "ordered {ordered}: tasks ran after the drop"
            );
            assert_eq!(
                pool.map::<Square>(0..20u64),
                (0..20u64).map(|x| Ok(x * x)).collect::<Vec<_>>()
            );
        });
    }
    assert_no_children_left();
}

#[test]
fn an_input_iterator_that_panics_in_imap_reaches_the_caller_and_hangs_nothing() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(2).chunksize(3).max_in_flight(2).build().unwrap();
        let mut results = pool.imap::<Counted, _>(panicking_inputs(dir.path(), 10));
        // A careless caller catches the panic and goes on reading.
        let (mut yielded, mut panics) = (Vec::new(), 0);
        for _ in 0..100 {
            match catch_unwind(AssertUnwindSafe(|| results.next())) {
                Ok(Some(result)) => yielded.push(result),
                Ok(None) => break,
                Err(_) => panics += 1,
            }
        }
        assert_eq!(panics, 1, "the panic reaches the caller, once");
        assert_eq!(yielded, vec![Ok(0); 10], "the inputs taken before it run");
        assert_eq!(results.next(), None);
        drop(results);
        assert_eq!(pool.map::<Square>([3]), [Ok(9)]);
    });
    assert_no_children_left();
}

#[test]
fn an_input_iterator_that_panics_in_map_abandons_what_it_sent() {
    let _serial = one_at_a_time();
    for lazy in [false, true] {
        bounded(60, move || {
            let dir = tempfile::tempdir().unwrap();
            let pool = pool(2).max_in_flight(1000).build().unwrap();
            let panicked = catch_unwind(AssertUnwindSafe(|| {
                let inputs = panicking_inputs(dir.path(), 200);
                if lazy {
                    pool.imap::<Counted, _>(inputs).count()
                } else {
                    pool.map::<Counted>(inputs).len()
                }
            }));
            assert!(panicked.is_err());
            let at_panic = ran(dir.path(), 200);
            let (settled, later) = ran_after_abandon(dir.path(), 200);
            // What ran before the panic, and at most what each worker had
            // started or been sent ahead when it came.
            let context =
                format!("lazy {lazy}: {at_panic}, then {settled} of 200 ran");
            assert!(settled <= at_panic + 4, "{context}");
            assert_eq!(settled, later, "{context}: tasks ran after the panic");
            assert_eq!(pool.map::<Square>([3]), [Ok(9)]);
        });
    }
    assert_no_children_left();
}

#[test]
fn zero_inputs_are_zero_results_and_a_finished_iterator_stays_finished() {
    let _serial = one_at_a_time();
    bounded(30, || {
        let pool = pool(1).chunksize(4).build().unwrap();
        let mut lazy = pool.imap::<Square, _>(std::iter::empty());
        assert_eq!(lazy.next(), None);
        assert_eq!(lazy.next(), None);
        let mut unordered = pool.imap_unordered::<Square>(Vec::new());
        assert_eq!((unordered.len(), unordered.next()), (0, None));
        let mut lazy = pool.imap::<Square, _>(0..8u64);
        assert_eq!(lazy.by_ref().count(), 8);
        assert_eq!(lazy.next(), None);
    });
    assert_no_children_left();
}

#[test]
fn imap_yields_in_input_order_when_later_tasks_finish_first() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let pool = pool(2).max_in_flight(8).build().unwrap();
        // Task i sleeps 5 * (12 - i) ms: the last ones finish first.
        let inputs = (0..12u64).map(|i| (i, 5 * (12 - i)));
        let order: Vec<u64> = pool
            .imap::<WhoAmI, _>(inputs)
            .map(|r| r.unwrap().0)
            .collect();
        assert_eq!(order, (0..12).collect::<Vec<_>>());
    });
    assert_no_children_left();
}

/// Progress as plain lines into `buffer`, only the last one in practice.
fn lines(label: &str, buffer: &Buffer) -> Progress {
    Progress::lines_to(label, Duration::from_secs(3600), buffer.clone())
}

#[test]
fn progress_reaches_exactly_the_total_with_failures_and_retries() {
    let _serial = one_at_a_time();
    for (chunksize, lazy) in [(1, false), (4, false), (4, true), (5, true)] {
        bounded(60, move || {
            let dir = tempfile::tempdir().unwrap();
            let buffer = Buffer::default();
            let pool = pool(2)
                .chunksize(chunksize)
                .retries(1)
                .timeout(Duration::from_secs(1))
                .progress(lines("p", &buffer))
                .build()
                .unwrap();
            // 2 and 7 crash once (rescued), 5 always crashes, 9 always
            // panics, 10 always times out: 3 failed.
            let inputs = (0..12).map(|i| {
                let (fails, bad) = match i {
                    2 | 7 => (1, Behaviour::Abort),
                    5 => (u64::MAX, Behaviour::Abort),
                    9 => (u64::MAX, Behaviour::Panic("nine".into())),
                    10 => (u64::MAX, Behaviour::Sleep(60_000)),
                    _ => (0, Behaviour::Return(0)),
                };
                (dir.path().display().to_string(), i, fails, bad)
            });
            let failed = if lazy {
                pool.imap::<Flaky, _>(inputs).filter(Result::is_err).count()
            } else {
                pool.map::<Flaky>(inputs)
                    .iter()
                    .filter(|r| r.is_err())
                    .count()
            };
            assert_eq!(failed, 3);
            let line = buffer.last_line();
            let context = format!("chunksize {chunksize}, lazy {lazy}");
            assert!(
                line.starts_with("[p] 12/12 done (100%), 3 failed"),
                "{context}: {line}"
            );
            assert!(line.ends_with("finished"), "{context}: {line}");
        });
    }
    assert_no_children_left();
}

#[test]
fn progress_of_zero_tasks_is_a_finished_run_on_every_call() {
    let _serial = one_at_a_time();
    bounded(30, || {
        let buffer = Buffer::default();
        let pool = pool(1).progress(lines("zero", &buffer)).build().unwrap();
        assert!(pool.map::<Square>(Vec::new()).is_empty());
        assert_eq!(pool.imap::<Square, _>(Vec::new()).count(), 0);
        assert_eq!(pool.imap_unordered::<Square>(Vec::new()).count(), 0);
        assert!(pool.run_tasks::<SweepPoint>(Vec::new()).is_empty());
        let text = buffer.text();
        let finished: Vec<&str> =
            text.lines().filter(|l| l.ends_with("finished")).collect();
        assert_eq!(finished.len(), 4, "{text}");
        for line in finished {
            assert!(line.starts_with("[zero] 0/0 done (100%)"), "{line}");
        }
    });
    assert_no_children_left();
}

#[test]
fn a_dropped_stream_stops_reporting_progress() {
    let _serial = one_at_a_time();
    for ordered in [true, false] {
        bounded(60, move || {
            let buffer = Buffer::default();
            let every = Duration::from_millis(20);
            let progress = Progress::lines_to("dropped", every, buffer.clone());
            let pool = pool(1).progress(progress).build().unwrap();
            // Its second task runs 2 s: dropped after the first result, the
            // call is over, though that task still runs.
            let inputs = (0..4).map(|i| (i, if i == 1 { 2000 } else { 0 }));
            let taken = if ordered {
                pool.imap::<WhoAmI, _>(inputs).take(1).count()
            } else {
                pool.imap_unordered::<WhoAmI>(inputs).take(1).count()
            };
            assert_eq!(taken, 1);
            std::thread::sleep(Duration::from_millis(200));
            let before = buffer.text().lines().count();
            std::thread::sleep(Duration::from_millis(500));
            let text = buffer.text();
            assert_eq!(text.lines().count(), before, "ordered {ordered}: {text}");
        });
    }
    assert_no_children_left();
}
