//! Per-call limits: memory through a resource limiter, wall clock through epoch
//! interruption plus an async timeout; output, response and request-count caps are
//! checked where the bytes pass (the network rule in `network.rs`, the result in `runtime.rs`).

use super::{CallMonitor, Rule, Violation};
use std::sync::Arc;

/// Memory and table growth limits for one call. A refused growth is remembered as a
/// violation so that the trap that usually follows is reported as what it is.
pub struct CallLimiter {
    pub memory_bytes: usize,
    pub monitor: Arc<CallMonitor>,
}

/// Enough table elements for large guests (CPython needs ~6,000).
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

impl wasmtime::ResourceLimiter for CallLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.monitor.violate(Violation::new(
                Rule::Memory,
                format!(
                    "the tool tried to grow its memory to {} MiB (from {} MiB); its policy allows memory_mib = {}",
                    desired.div_ceil(1 << 20),
                    current.div_ceil(1 << 20),
                    self.memory_bytes >> 20
                ),
            ));
            return Ok(false);
        }
        self.monitor.note_memory(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            self.monitor.violate(Violation::new(
                Rule::Memory,
                format!("the tool tried to grow a table to {desired} elements (limit {MAX_TABLE_ELEMENTS})"),
            ));
            return Ok(false);
        }
        Ok(true)
    }
}
