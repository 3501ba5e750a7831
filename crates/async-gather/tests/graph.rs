//! `TaskGraph` behaviour: a diamond runs its shared task once and every
//! dependant sees the same value; a task starts as soon as its own inputs
//! are ready; a failing, panicking or cancelled task fails everything
//! downstream with an error naming it, while independent tasks succeed;
//! dropping a node or closing the cluster cancels what has not run. Every
//! test is bounded in time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use async_gather::{Cause, GraphError, LocalCluster, Node, TaskError, TaskGraph};

const BOUND: Duration = Duration::from_secs(30);

/// Runs `test` on its own thread and fails if it takes longer than [`BOUND`].
fn within<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    workloads::testing::bounded(BOUND, test)
}

/// A task that blocks its CPU thread until the returned sender is used (or
/// dropped): lets a test hold part of the graph back for as long as it likes.
fn gate(graph: &TaskGraph, name: &str) -> (Node<u32>, mpsc::Sender<()>) {
    let (open, wait) = mpsc::channel::<()>();
    let node = graph.task(name, (), move |()| {
        let _ = wait.recv_timeout(BOUND);
        1
    });
    (node, open)
}

/// A counter and a task function that counts its runs and returns `value`.
fn counted<I>(
    value: u32,
) -> (Arc<AtomicUsize>, impl FnOnce(I) -> u32 + Send + 'static) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    (runs, move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        value
    })
}

#[test]
fn a_diamond_runs_its_shared_task_once() {
    within(|| {
        let cluster = LocalCluster::new(2).unwrap();
        let graph = TaskGraph::new(&cluster);
        let loads = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&loads);
        let load = graph.task("load", (), move |()| {
            counter.fetch_add(1, Ordering::SeqCst);
            vec![1, 2, 3, 4]
        });
        let evens = graph.task("evens", &load, |xs| {
            xs.iter().filter(|&&x| x % 2 == 0).sum::<i32>()
        });
        let odds = graph.task("odds", &load, |xs| {
            xs.iter().filter(|&&x| x % 2 == 1).sum::<i32>()
        });
        let both = graph.task("both", (&evens, &odds), |(e, o)| (*e, *o));
        assert_eq!(*graph.compute(&both).unwrap(), (6, 4));
        assert_eq!(loads.load(Ordering::SeqCst), 1, "load ran more than once");
        // Every clone of a node shares the one value.
        let (first, again) = (graph.compute(&load), graph.compute(&load.clone()));
        assert!(Arc::ptr_eq(&first.unwrap(), &again.unwrap()));
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        cluster.shutdown(BOUND).unwrap();
    });
}

#[test]
fn fan_in_over_a_slice_keeps_input_order() {
    within(|| {
        let cluster = LocalCluster::new(2).unwrap();
        let graph = TaskGraph::new(&cluster);
        let parts: Vec<Node<u64>> = (0..8u64)
            .map(|i| graph.task(&format!("part-{i}"), (), move |()| i * i))
            .collect();
        let all = graph.task("all", &parts[..], |values| {
            values.iter().map(|v| **v).collect::<Vec<_>>()
        });
        let expected: Vec<u64> = (0..8).map(|i| i * i).collect();
        assert_eq!(*graph.compute(&all).unwrap(), expected);
    });
}

#[test]
fn a_task_starts_when_its_own_inputs_are_ready() {
    within(|| {
        let cluster = LocalCluster::new(2).unwrap();
        let graph = TaskGraph::new(&cluster);
        // `slow` holds one CPU thread until the end of the test; `b` needs
        // only `a`, so it must finish while `slow` still runs.
        let (slow, release) = gate(&graph, "slow");
        let a = graph.task("a", (), |()| 20);
        let b = graph.task("b", &a, |a| *a + 1);
        let after_slow = graph.task("after-slow", (&slow, &b), |(s, b)| *s + *b);
        assert_eq!(*graph.compute(&b).unwrap(), 21);
        release.send(()).unwrap();
        assert_eq!(*graph.compute(&after_slow).unwrap(), 22);
    });
}

#[test]
fn a_failing_task_fails_its_dependants_by_name_only() {
    within(|| {
        let cluster = LocalCluster::new(2).unwrap();
        let graph = TaskGraph::new(&cluster);
        let load = graph.task("load", (), |()| vec![3, 1, 2]);
        let clean_a = graph.try_task("clean-a", &load, |_| {
            Err::<Vec<i32>, _>("row 2 is not a number")
        });
        let clean_b = graph.task("clean-b", &load, |xs| xs.to_vec());
        let combine =
            graph.task("combine", (&clean_a, &clean_b), |(a, b)| a.len() + b.len());
        let report = graph.task("report", &combine, |n| format!("{n} rows"));
        let other = graph.task("other", (), |()| "independent");

        let returned = Cause::Returned("row 2 is not a number".into());
        let error = graph.compute(&report).unwrap_err();
        assert_eq!(
            error,
            GraphError {
                task: "report".into(),
                failed: "clean-a".into(),
                cause: returned.clone(),
            }
        );
        assert_eq!(
            error.to_string(),
            "task `report` did not run: its input `clean-a` returned an error: \
             row 2 is not a number"
        );
        let combined = graph.compute(&combine).unwrap_err();
        assert_eq!(
            (combined.task.as_str(), combined.failed.as_str()),
            ("combine", "clean-a")
        );
        let own = graph.compute(&clean_a).unwrap_err();
        assert_eq!(
            (own.task.as_str(), own.failed.as_str()),
            ("clean-a", "clean-a")
        );
        assert_eq!(own.cause, returned);
        assert_eq!(*graph.compute(&clean_b).unwrap(), vec![3, 1, 2]);
        assert_eq!(*graph.compute(&other).unwrap(), "independent");
    });
}

#[test]
fn a_panicking_task_is_named_downstream_and_the_pool_goes_on() {
    within(|| {
        let cluster = LocalCluster::new(2).unwrap();
        let graph = TaskGraph::new(&cluster);
        let bad = graph.task("parse", (), |()| -> u32 { panic!("bad header") });
        let (runs, use_it) = counted(7);
        let uses = graph.task("uses-parse", &bad, use_it);
        let error = graph.compute(&uses).unwrap_err();
        assert_eq!(error.failed, "parse");
        assert_eq!(
            error.cause,
            Cause::Task(TaskError::Panicked("bad header".into()))
        );
        assert_eq!(runs.load(Ordering::SeqCst), 0, "a dependant of a panic ran");
        // The panic took nothing else down: the same cluster still runs tasks.
        let fine = graph.task("fine", (), |()| 5);
        assert_eq!(*graph.compute(&fine).unwrap(), 5);
    });
}

#[test]
fn a_cancelled_task_fails_its_dependants_and_never_runs() {
    within(|| {
        let cluster = LocalCluster::new(2).unwrap();
        let graph = TaskGraph::new(&cluster);
        let (input, release) = gate(&graph, "input");
        let (runs, mid_fn) = counted(2);
        let mid = graph.task("mid", &input, mid_fn);
        let end = graph.task("end", &mid, |m| *m * 10);
        let beside = graph.task("beside", &input, |i| *i + 100);
        mid.cancel();
        release.send(()).unwrap();
        let error = graph.compute(&end).unwrap_err();
        assert_eq!((error.task.as_str(), error.failed.as_str()), ("end", "mid"),);
        assert_eq!(error.cause, Cause::Task(TaskError::Cancelled));
        assert!(error.to_string().contains("`mid`"), "{error}");
        assert_eq!(runs.load(Ordering::SeqCst), 0, "a cancelled task ran");
        assert_eq!(*graph.compute(&beside).unwrap(), 101);
        // Cancelling a finished task changes nothing.
        beside.cancel();
        assert_eq!(*graph.compute(&beside).unwrap(), 101);
    });
}

#[test]
fn dropping_every_handle_of_a_waiting_task_cancels_it() {
    within(|| {
        let cluster = LocalCluster::new(2).unwrap();
        let graph = TaskGraph::new(&cluster);
        let (input, release) = gate(&graph, "input");
        let token = Arc::new(());
        let held = Arc::clone(&token);
        let (runs, count) = counted(0);
        let waiting = graph.task("waiting", &input, move |i| {
            let _held = held;
            count(i)
        });
        drop(waiting);
        // Its function (and the token it holds) is dropped without running,
        // while its input is still blocked.
        let deadline = Instant::now() + BOUND;
        while Arc::strong_count(&token) > 1 {
            assert!(Instant::now() < deadline, "the dropped task is still held");
            std::thread::sleep(Duration::from_millis(1));
        }
        release.send(()).unwrap();
        assert_eq!(*graph.compute(&input).unwrap(), 1);
        assert_eq!(runs.load(Ordering::SeqCst), 0, "a dropped task ran");
    });
}

#[test]
fn closing_the_cluster_cancels_tasks_that_have_not_run() {
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        let graph = TaskGraph::new(&cluster);
        let (input, release) = gate(&graph, "input");
        let (runs, count) = counted(3);
        let later = graph.task("later", &input, count);
        // `later` waits for the gate, which cannot finish before `release`:
        // the shutdown (timed out if the gate has started) finds it pending.
        let _ = cluster.shutdown(Duration::from_millis(50));
        let _ = release.send(()); // fails if the gate was skipped, unstarted
        let error = futures::executor::block_on(later).unwrap_err();
        assert_eq!(error.cause, Cause::Task(TaskError::Cancelled));
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        // A task submitted to a closed cluster fails at once, named.
        let late = graph.task("too-late", (), |()| 1);
        let error = futures::executor::block_on(late).unwrap_err();
        assert_eq!(
            (error.failed.as_str(), error.cause),
            ("too-late", Cause::Task(TaskError::Cancelled))
        );
    });
}
