//! What makes a call's view of time and randomness: the same (seed, instant, call index)
//! gives the guest the same time readings and the same random bytes, every run. The
//! clocks that serve it to a guest are the runtime's.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// What makes one call's view of time and randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeterminismConfig {
    /// The trace seed.
    pub seed: u64,
    /// The pinned wall-clock instant, nanoseconds since the Unix epoch.
    pub clock_ns: u64,
}

impl DeterminismConfig {
    /// The current time truncated to whole seconds: a good pin for a new live session.
    pub fn now(seed: u64) -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        DeterminismConfig {
            seed,
            clock_ns: secs * 1_000_000_000,
        }
    }

    /// 32 bytes of key material for one stream of one call.
    fn derive(&self, call_index: u64, stream: &str) -> [u8; 32] {
        let mut h = blake3::Hasher::new_derive_key("dive 2026 per-call random stream v1");
        h.update(&self.seed.to_le_bytes());
        h.update(&call_index.to_le_bytes());
        h.update(stream.as_bytes());
        *h.finalize().as_bytes()
    }

    /// The stream behind the guest's `wasi:random/random` (secure random) in call
    /// `call_index` of the trace.
    pub fn secure_rng(&self, call_index: u64) -> ChaCha20Rng {
        ChaCha20Rng::from_seed(self.derive(call_index, "secure"))
    }

    /// The stream behind the guest's `wasi:random/insecure` in call `call_index`;
    /// independent of [`DeterminismConfig::secure_rng`].
    pub fn insecure_rng(&self, call_index: u64) -> ChaCha20Rng {
        ChaCha20Rng::from_seed(self.derive(call_index, "insecure"))
    }

    /// The value the guest's `wasi:random/insecure-seed` returns in call `call_index`.
    pub fn insecure_seed(&self, call_index: u64) -> u128 {
        let k = self.derive(call_index, "insecure-seed");
        u128::from_le_bytes(k[..16].try_into().expect("16 bytes"))
    }

}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_inputs_same_bytes_and_streams_differ() {
        let d = DeterminismConfig { seed: 7, clock_ns: 1 };
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        d.secure_rng(3).fill_bytes(&mut a);
        d.secure_rng(3).fill_bytes(&mut b);
        assert_eq!(a, b);
        d.secure_rng(4).fill_bytes(&mut b);
        assert_ne!(a, b, "call index changes the stream");
        d.insecure_rng(3).fill_bytes(&mut b);
        assert_ne!(a, b, "secure and insecure streams differ");
    }
}
