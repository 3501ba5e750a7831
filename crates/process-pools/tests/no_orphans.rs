//! Dropping a pool leaves no child process behind, whatever its workers were
//! doing. Its own test binary, so no other test's workers are counted.

mod common;

use std::time::Duration;

use common::{bounded, live_children, pool};
use process_pools::demo::{Behaviour, Misbehave, WhoAmI};

#[test]
fn dropping_pools_leaves_no_child_process() {
    bounded(60, || {
        let me = std::process::id();
        assert_eq!(live_children(me), Vec::<u32>::new());

        // Idle workers.
        let idle = pool(3).build().unwrap();
        assert_eq!(live_children(me).len(), 3);
        drop(idle);
        assert_eq!(live_children(me), Vec::<u32>::new());

        // Workers that crashed, were replaced, timed out and were recycled.
        let used = pool(2)
            .timeout(Duration::from_millis(200))
            .max_tasks_per_worker(3)
            .build()
            .unwrap();
        let inputs = vec![
            Behaviour::Kill,
            Behaviour::Abort,
            Behaviour::Sleep(60_000),
            Behaviour::Return(1),
            Behaviour::Exit(1),
            Behaviour::Return(2),
        ];
        assert_eq!(used.map::<Misbehave>(inputs).len(), 6);
        drop(used);
        assert_eq!(live_children(me), Vec::<u32>::new());

        // Workers busy with tasks nobody waits for any more.
        let busy = pool(2).build().unwrap();
        let stream = busy.imap_unordered::<WhoAmI>((0..4).map(|i| (i, 60_000)));
        std::thread::sleep(Duration::from_millis(100));
        let pids = busy.worker_pids();
        assert!(pids.iter().all(|&pid| common::alive(pid)));
        drop(stream); // the stream borrows the pool: it goes first

        drop(busy);
        assert_eq!(live_children(me), Vec::<u32>::new());
    });
}
