//! Pinned clocks: the guest's wall clock reads the trace's instant, its monotonic clock
//! steps a fixed amount per read ([`DeterminismConfig`] holds the instant and the seed).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

pub use dive_evidence::determinism::DeterminismConfig;

/// How far the monotonic clock advances on each read.
pub const MONOTONIC_STEP_NS: u64 = 1_000_000;

/// A wall clock that always reads the same instant.
pub struct PinnedWallClock(Duration);

impl PinnedWallClock {
    /// The clock of a call with this determinism: it reads `clock_ns`.
    pub fn of(determinism: &DeterminismConfig) -> Self {
        PinnedWallClock(Duration::from_nanos(determinism.clock_ns))
    }
}

impl HostWallClock for PinnedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

/// A monotonic clock that starts at zero and advances a fixed step per read.
#[derive(Default, Clone)]
pub struct SteppingClock(Arc<AtomicU64>);

impl HostMonotonicClock for SteppingClock {
    fn resolution(&self) -> u64 {
        MONOTONIC_STEP_NS
    }
    fn now(&self) -> u64 {
        self.0.fetch_add(MONOTONIC_STEP_NS, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clocks_read_the_pin_and_step() {
        let c = SteppingClock::default();
        assert_eq!((c.now(), c.now()), (0, MONOTONIC_STEP_NS));
        let w = PinnedWallClock::of(&DeterminismConfig { seed: 1, clock_ns: 5_000 });
        assert_eq!((w.now(), w.now()), (Duration::from_nanos(5_000), Duration::from_nanos(5_000)));
    }
}
