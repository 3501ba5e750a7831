//! [`Heartbeat`]: noticing that a peer of a timely cluster is lost. Each
//! pair of processes keeps a second connection (opened by
//! [`super::connect_peers`]) on which both beat every `timeout / 4`; a closed
//! connection (the peer exited or was killed) or a silence longer than
//! `timeout` plus one beat interval (stopped, hung or unreachable) becomes
//! one [`ClusterError::PeerLost`] naming the peer. The extra interval is
//! what makes any pause shorter than `timeout` safe, wherever it falls
//! between two beats. A peer that finished normally says goodbye first, so
//! its exit is not taken for a crash.
//!
//! Started with a [`Tally`], a beat also carries the count of tasks this
//! process has done, several times a second, so that the process hosting
//! worker 0 shows one progress view of every process.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::cluster_error::ClusterError;
use crate::tally::Tally;

/// A heartbeat.
const BEAT: u8 = 1;
/// "I finished normally": stop watching me.
const BYE: u8 = 2;
/// A heartbeat followed by this process's count of tasks done (8 bytes,
/// big-endian).
const COUNT: u8 = 3;
/// How often a counting heartbeat beats, at most: the view's refresh.
const COUNT_EVERY: Duration = Duration::from_millis(250);

/// What a lost peer looks like from here.
type OnLost = Arc<dyn Fn(&ClusterError) + Send + Sync>;

// ANCHOR: heartbeat
/// Watches every peer's heartbeat connection and beats on it. The first
/// peer lost is recorded (see [`Heartbeat::lost`]) and passed to `on_lost`,
/// which may end the process: a cluster that lost a process cannot finish.
pub struct Heartbeat {
    finished: Arc<AtomicBool>,
    lost: Arc<Mutex<Option<ClusterError>>>,
    senders: Vec<JoinHandle<()>>,
}

impl Heartbeat {
    /// Starts beating on, and watching, every stream of `beat`; `addresses`
    /// only name the peers in errors. A peer silent for `timeout` plus a
    /// beat interval (`timeout / 4`) is lost; a pause shorter than
    /// `timeout` is not. A zero `timeout` is an `InvalidInput` error.
    pub fn start(
        beat: Vec<Option<TcpStream>>,
        addresses: &[String],
        me: usize,
        timeout: Duration,
        on_lost: OnLost,
    ) -> io::Result<Heartbeat> {
        Self::start_counting(beat, addresses, me, timeout, on_lost, None)
    }

    /// [`Heartbeat::start`], and with a `tally`, each beat carries the
    /// count of this process's tasks done to every peer (at least every
    /// `COUNT_EVERY`, a quarter of a second), and the counts peers send
    /// are added to it.
    pub fn start_counting(
        beat: Vec<Option<TcpStream>>,
        addresses: &[String],
        me: usize,
        timeout: Duration,
        on_lost: OnLost,
        tally: Option<Arc<Tally>>,
    ) -> io::Result<Heartbeat> {
        if timeout.is_zero() {
            let why = "the peer timeout must be longer than zero";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
        }
        let finished = Arc::new(AtomicBool::new(false));
        let lost = Arc::new(Mutex::new(None));
        let mut senders = Vec::new();
        let interval = match tally {
            Some(_) => (timeout / 4).min(COUNT_EVERY),
            None => timeout / 4,
        };
        for (peer, stream) in beat.into_iter().enumerate() {
            let Some(stream) = stream else { continue };
            stream.set_write_timeout(Some(timeout))?;
            let mut out = stream.try_clone()?;
            let done = Arc::clone(&finished);
            let counts = tally.clone();
            senders.push(std::thread::spawn(move || {
                let beat = || match &counts {
                    Some(tally) => counting_beat(tally.own()),
                    None => vec![BEAT],
                };
                while !done.load(Ordering::Acquire) && out.write_all(&beat()).is_ok()
                {
                    sleep_unless(&done, interval);
                }
                // The final count, then goodbye.
                let _ = out.write_all(&beat());
                let _ = out.write_all(&[BYE]);
            }));
            let report = Report {
                me,
                peer,
                address: addresses[peer].clone(),
                timeout,
                finished: Arc::clone(&finished),
                lost: Arc::clone(&lost),
                on_lost: Arc::clone(&on_lost),
                tally: tally.clone(),
            };
            std::thread::spawn(move || watch(stream, &report));
        }
        Ok(Heartbeat {
            finished,
            lost,
            senders,
        })
    }

    /// The first peer lost so far, if any.
    pub fn lost(&self) -> Option<ClusterError> {
        self.lost.lock().map_or(None, |mut lost| lost.take())
    }

    /// Whether a peer was lost (without taking the error).
    pub fn any_lost(&self) -> bool {
        self.lost.lock().is_ok_and(|lost| lost.is_some())
    }

    /// A flag that becomes true when a peer is lost, for worker loops.
    pub fn lost_flag(&self) -> impl Fn() -> bool + Send + Sync + 'static {
        let lost = Arc::clone(&self.lost);
        move || lost.lock().is_ok_and(|lost| lost.is_some())
    }

    /// This process finished its part: says goodbye to every peer (so that
    /// its exit is not taken for a crash) and stops watching them.
    pub fn finish(self) {
        self.finished.store(true, Ordering::Release);
        for sender in self.senders {
            let _ = sender.join();
        }
    }
}
// ANCHOR_END: heartbeat

/// A beat with `count`: [`COUNT`], then the count.
fn counting_beat(count: u64) -> Vec<u8> {
    let mut bytes = vec![COUNT];
    bytes.extend_from_slice(&count.to_be_bytes());
    bytes
}

fn sleep_unless(done: &AtomicBool, total: Duration) {
    let until = Instant::now().checked_add(total);
    while !done.load(Ordering::Acquire) && until.is_none_or(|u| Instant::now() < u) {
        std::thread::sleep(Duration::from_millis(20).min(total));
    }
}

struct Report {
    me: usize,
    peer: usize,
    address: String,
    timeout: Duration,
    finished: Arc<AtomicBool>,
    lost: Arc<Mutex<Option<ClusterError>>>,
    on_lost: OnLost,
    /// Where a peer's counts go (counting heartbeats only).
    tally: Option<Arc<Tally>>,
}

/// Reads `peer`'s heartbeats until it says goodbye; reports it lost if the
/// connection closes first or stays silent past its deadline.
fn watch(mut stream: TcpStream, report: &Report) {
    // A beat may come a whole interval late and still be on time: the
    // peer beat, then paused just before its next beat.
    let silence = report.timeout.saturating_add(report.timeout / 4);
    let deadline_from_now = || Instant::now().checked_add(silence); // None: never
    let mut deadline = deadline_from_now();
    let mut byte = [0];
    let why = loop {
        // Wait until the deadline, counted from the last byte, never from
        // the last read: a read ended early (below) must not restart the
        // count. At least a moment, so that beats already received are
        // read even past the deadline (this process was stopped itself).
        let wait = deadline.map(|d| {
            d.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        });
        if let Err(e) = stream.set_read_timeout(wait) {
            break format!("its connection failed: {e}");
        }
        match stream.read(&mut byte) {
            Ok(1) if byte[0] == BYE => return,
            Ok(1) if byte[0] == COUNT => {
                let mut count = [0; 8];
                if let Err(e) = stream.read_exact(&mut count) {
                    break format!("its heartbeat stopped mid-count: {e}");
                }
                if let Some(tally) = &report.tally {
                    tally.peer(report.peer, u64::from_be_bytes(count));
                }
                deadline = deadline_from_now();
            }
            Ok(1) => deadline = deadline_from_now(),
            // Linux ends a socket read with a timeout by EINTR when a
            // signal handler runs or this process is stopped and resumed
            // (signal(7)): not a lost peer, and not a reason to wait longer.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Ok(_) => {
                break "its connection closed: it exited or was killed".to_owned();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break format!(
                        "no heartbeat for {:?}: it is stopped, hung or unreachable",
                        report.timeout
                    );
                }
            }
            Err(e) => break format!("its connection failed: {e}"),
        }
    };
    if report.finished.load(Ordering::Acquire) {
        return; // we are done: a peer leaving now changes nothing
    }
    let error = || ClusterError::PeerLost {
        process: report.me,
        peer: report.peer,
        address: report.address.clone(),
        why: why.clone(),
    };
    if let Ok(mut lost) = report.lost.lock() {
        if lost.is_some() {
            return; // one error is enough
        }
        *lost = Some(error());
    }
    (report.on_lost)(&error());
}
