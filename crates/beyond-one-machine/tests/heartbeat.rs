//! The heartbeat's promises, attacked on one loopback connection in this
//! process (the port is chosen by the system): a peer paused for less than
//! the timeout is not lost, however the pause falls between its beats; a
//! silent peer is lost after the timeout, a closed connection at once, a
//! goodbye is never a loss; a timeout of `Duration::MAX` still says goodbye.
//! Plus one bounded two-process test: a process stopped and resumed again
//! and again (each resume ends its socket reads early) still notices a peer
//! that stopped for good. Every test is bounded; processes are killed by
//! pid.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use beyond_one_machine::connect::Heartbeat;

const BEAT: u8 = 1;
const BYE: u8 = 2;

/// A connected loopback pair: (the heartbeat's end, the test's end).
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (theirs, _) = listener.accept().unwrap();
    (theirs, ours)
}

/// A heartbeat (process 0) watching one peer, the test's end of the pair,
/// and a channel that receives the loss it reports.
fn watched(timeout: Duration) -> (Heartbeat, TcpStream, mpsc::Receiver<String>) {
    let (theirs, ours) = pair();
    let (lost_tx, lost_rx) = mpsc::channel();
    let lost_tx = std::sync::Mutex::new(lost_tx);
    let addresses = ["me".to_owned(), "peer".to_owned()];
    let heartbeat = Heartbeat::start(
        vec![None, Some(theirs)],
        &addresses,
        0,
        timeout,
        Arc::new(move |err| {
            let _ = lost_tx.lock().unwrap().send(err.to_string());
        }),
    )
    .unwrap();
    (heartbeat, ours, lost_rx)
}

fn within<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    workloads::testing::bounded(Duration::from_secs(60), test)
}

#[test]
fn a_pause_shorter_than_the_timeout_is_not_a_loss_wherever_it_falls() {
    within(|| {
        let timeout = Duration::from_millis(800);
        let (heartbeat, mut peer, lost) = watched(timeout);
        // The worst case: the peer beat, was paused just before its next
        // beat (a beat interval, timeout / 4, later), for 90% of the
        // timeout, then beat on resume.
        peer.write_all(&[BEAT]).unwrap();
        std::thread::sleep(timeout / 4 + timeout * 9 / 10);
        peer.write_all(&[BEAT]).unwrap();
        std::thread::sleep(timeout / 4);
        peer.write_all(&[BYE]).unwrap();
        assert_eq!(
            lost.recv_timeout(timeout).ok(),
            None,
            "a pause taken for a loss"
        );
        assert!(!heartbeat.any_lost());
        heartbeat.finish();
    });
}

#[test]
fn a_silent_peer_is_lost_after_the_timeout_and_a_closed_one_at_once() {
    within(|| {
        let timeout = Duration::from_millis(600);
        let (heartbeat, peer, lost) = watched(timeout);
        let started = Instant::now();
        let why = lost
            .recv_timeout(4 * timeout)
            .expect("a silent peer is lost");
        let waited = started.elapsed();
        assert!(why.contains("no heartbeat for 600ms"), "{why}");
        assert!(waited >= timeout, "lost after only {waited:?}");
        assert!(heartbeat.any_lost());
        drop((heartbeat, peer));

        let (heartbeat, peer, lost) = watched(Duration::from_secs(20));
        let started = Instant::now();
        drop(peer);
        let why = lost
            .recv_timeout(Duration::from_secs(10))
            .expect("closed: lost");
        assert!(why.contains("exited or was killed"), "{why}");
        assert!(started.elapsed() < Duration::from_secs(5), "not at once");
        assert!(heartbeat.lost().is_some());
    });
}

#[test]
fn a_goodbye_is_never_a_loss_and_finish_says_goodbye() {
    within(|| {
        let (heartbeat, mut peer, lost) = watched(Duration::from_millis(400));
        peer.write_all(&[BYE]).unwrap();
        drop(peer); // exits right after its goodbye
        assert_eq!(lost.recv_timeout(Duration::from_secs(1)).ok(), None);
        heartbeat.finish();
    });
}

#[test]
fn a_timeout_of_duration_max_beats_and_says_goodbye() {
    within(|| {
        let (heartbeat, mut peer, _lost) = watched(Duration::MAX);
        std::thread::sleep(Duration::from_millis(100));
        heartbeat.finish();
        // Everything it sent, up to the goodbye.
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut byte = [0];
        loop {
            match peer.read(&mut byte) {
                Ok(1) if byte[0] == BYE => break,
                Ok(1) => continue,
                other => panic!("no goodbye: {other:?}"),
            }
        }
    });
}

#[test]
fn a_zero_timeout_is_refused_with_a_reason() {
    let (theirs, _ours) = pair();
    let addresses = ["me".to_owned(), "peer".to_owned()];
    let err = Heartbeat::start(
        vec![None, Some(theirs)],
        &addresses,
        0,
        Duration::ZERO,
        Arc::new(|_| {}),
    )
    .err()
    .expect("a zero timeout");
    assert!(err.to_string().contains("peer timeout"), "{err}");
}
