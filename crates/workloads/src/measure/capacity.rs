//! The machine's parallel capacity and clock rate: what a speedup is read
//! against. Part of [`crate::measure`], re-exported there.

use std::time::{Duration, Instant};

use super::stats::median;

/// A chain of dependent steps the compiler cannot shorten or vectorise.
fn spin(iterations: u64) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..iterations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = std::hint::black_box(x);
    }
    x
}

/// The median of three timings of `run`, in seconds.
fn median_of_three(run: impl Fn()) -> f64 {
    let times: Vec<f64> = (0..3).map(|_| seconds(&run)).collect();
    median(&times)
}

fn seconds(run: impl Fn()) -> f64 {
    let start = Instant::now();
    run();
    start.elapsed().as_secs_f64()
}

/// How many cores' worth of CPU this machine gives right now: the same spin
/// work (about `work` long) is timed on one thread alone and on `cores`
/// threads at once, and the capacity is `cores × alone / together`. Close to
/// `cores` on a dedicated machine; far lower on a shared or virtual one (a
/// busy sibling hyperthread, an oversubscribed host). Takes about `6 × work`.
pub fn parallel_capacity(cores: usize, work: Duration) -> f64 {
    CapacityProbe::calibrate(cores, work).measure()
}

/// A [`parallel_capacity`] probe calibrated once, so it can be sampled
/// cheaply and often: between the pairs of a paired measurement, the
/// capacity the strategy really had, not only the one before and after.
#[derive(Debug, Clone, Copy)]
pub struct CapacityProbe {
    cores: usize,
    iterations: u64,
}

impl CapacityProbe {
    /// Finds how many spin steps take about `work` on one thread.
    pub fn calibrate(cores: usize, work: Duration) -> CapacityProbe {
        let mut iterations = 1_000_000u64;
        loop {
            let t = median_of_three(|| {
                std::hint::black_box(spin(iterations));
            });
            if t >= 0.02 {
                let scaled = iterations as f64 * work.as_secs_f64() / t;
                let iterations = (scaled as u64).max(1);
                return CapacityProbe { cores, iterations };
            }
            iterations *= 4;
        }
    }

    fn alone(&self) -> f64 {
        seconds(|| {
            std::hint::black_box(spin(self.iterations));
        })
    }

    fn together(&self) -> f64 {
        seconds(|| {
            std::thread::scope(|scope| {
                for _ in 0..self.cores {
                    scope.spawn(|| std::hint::black_box(spin(self.iterations)));
                }
            });
        })
    }

    /// One reading: the spin alone once, then on every core at once.
    pub fn sample(&self) -> f64 {
        self.cores as f64 * self.alone() / self.together()
    }

    /// A steadier reading: the median of three runs alone against the
    /// median of three together (about `6 × work`).
    pub fn measure(&self) -> f64 {
        let alone = median(&[self.alone(), self.alone(), self.alone()]);
        let together = median(&[self.together(), self.together(), self.together()]);
        self.cores as f64 * alone / together
    }
}

/// A rough clock rate of one core, in GHz: a chain of dependent steps
/// `x = x * x ^ (x >> 7)`, each a 64-bit multiply (3 cycles on every x86-64
/// core of the last decade, and most ARM cores) and an xor (1 cycle; the
/// shift runs alongside the multiply). Not `x * x + 1`: recent Intel cores
/// fold the add of a constant away. Good to about ±10 %; used only to state
/// costs in cycles.
pub fn clock_ghz() -> f64 {
    // Many short chains (about 0.1 ms each), and the fastest: on a shared
    // machine a long chain is almost always interrupted, a short one often
    // runs whole.
    const STEPS: u64 = 100_000;
    const CYCLES_PER_STEP: f64 = 4.0;
    let chain = || {
        let mut x = std::hint::black_box(3u64);
        for _ in 0..STEPS {
            x = x.wrapping_mul(x) ^ (x >> 7);
        }
        std::hint::black_box(x);
    };
    let seconds = (0..2000)
        .map(|_| {
            let start = Instant::now();
            chain();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    CYCLES_PER_STEP * STEPS as f64 / seconds / 1e9
}
