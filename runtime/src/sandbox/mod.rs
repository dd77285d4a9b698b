//! The sandbox of one call. Each rule of ARCHITECTURE.md §4 lives in one module:
//!
//! - `network`: wasi:http only, the request cap, the origin allowlist, secrets only to
//!   named origins (where requests then go: [`crate::transport`])
//! - `outgoing`: wasi:http's outgoing handler, sending on the call's own task
//! - `files`: the package's read-only dirs
//! - `secrets`: host-side injection and scrubbing
//! - `determinism`: pinned clocks, seeded random
//! - `limits`: memory, tables (time, output, response and request caps are checked where
//!   they happen and reported through [`CallMonitor`])
//!
//! [`CallCtx::new`] is the only place a guest's WASI context is built, so reading it is
//! reading everything a guest can reach.

pub mod determinism;
pub mod files;
pub mod limits;
pub mod network;
pub(crate) mod outgoing;
pub mod secrets;

use crate::exchange::HttpExchange;
use crate::manifest::Policy;
pub use dive_policy::rules::{Rule, Violation};
use determinism::{DeterminismConfig, SteppingClock};
use limits::CallLimiter;
use crate::transport::Transport;
use network::{HttpShared, SandboxHttp};
use secrets::CallSecrets;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// What the host learns during one call, shared by the HTTP hook, the limiter and the
/// epoch callback.
#[derive(Default)]
pub struct CallMonitor {
    violation: Mutex<Option<Violation>>,
    requests: AtomicU32,
    exchanges: Mutex<Vec<(u32, HttpExchange)>>,
    peak_memory: AtomicUsize,
}

impl CallMonitor {
    /// Remember a violation; the first one is the one reported.
    pub fn violate(&self, v: Violation) {
        let mut slot = self.violation.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(v);
        }
    }

    pub fn violation(&self) -> Option<Violation> {
        self.violation.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn has_violation(&self) -> bool {
        self.violation.lock().map(|v| v.is_some()).unwrap_or(true)
    }

    /// The sequence number of a new request (0-based, in the order requests were made).
    pub fn next_request(&self) -> u32 {
        self.requests.fetch_add(1, Ordering::SeqCst)
    }

    pub fn requests_made(&self) -> u32 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Note a linear memory size the guest was granted.
    pub fn note_memory(&self, bytes: usize) {
        self.peak_memory.fetch_max(bytes, Ordering::Relaxed);
    }

    /// The largest linear memory size granted so far (instantiation included).
    pub fn peak_memory(&self) -> usize {
        self.peak_memory.load(Ordering::Relaxed)
    }

    pub fn record(&self, seq: u32, ex: HttpExchange) {
        self.exchanges.lock().unwrap_or_else(|p| p.into_inner()).push((seq, ex));
    }

    /// The recorded exchanges in the order their requests were made.
    pub fn take_exchanges(&self) -> Vec<HttpExchange> {
        let mut v = std::mem::take(&mut *self.exchanges.lock().unwrap_or_else(|p| p.into_inner()));
        v.sort_by_key(|(seq, _)| *seq);
        v.into_iter().map(|(_, e)| e).collect()
    }
}

/// Everything needed to build one call's sandbox.
pub struct SandboxSpec {
    pub policy: Arc<Policy>,
    /// Host directories for `policy.files`, in the same order, already checked.
    pub mounts: Vec<(PathBuf, String)>,
    pub secrets: CallSecrets,
    pub transport: Arc<dyn Transport>,
    pub determinism: DeterminismConfig,
    pub call_index: u64,
}

/// How much guest stderr the host keeps (for diagnostics only).
pub const GUEST_STDERR_CAP: usize = 64 * 1024;

/// The store data of one call.
pub struct CallCtx {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: SandboxHttp,
    pub(crate) limiter: CallLimiter,
    pub(crate) monitor: Arc<CallMonitor>,
    pub(crate) stderr: MemoryOutputPipe,
}

impl CallCtx {
    /// The sandbox every instance is made in, before any call owns it: no network, no
    /// files, no secrets, fixed clocks and random, and `memory_bytes` of memory. What a
    /// component does while it is instantiated therefore never depends on the call it
    /// will serve, and an instance made ahead of time behaves exactly like one made on
    /// the spot (see `instances.rs`).
    pub fn parked(memory_bytes: usize, timeout_ms: u64) -> CallCtx {
        let policy = Policy {
            timeout_ms,
            memory_mib: (memory_bytes >> 20) as u64,
            max_http_requests: 0,
            ..Policy::default()
        };
        CallCtx::new(SandboxSpec {
            policy: Arc::new(policy),
            mounts: Vec::new(),
            secrets: CallSecrets::default(),
            transport: Arc::new(crate::transport::NoNetwork),
            determinism: DeterminismConfig { seed: 0, clock_ns: 0 },
            call_index: 0,
        })
        .expect("a sandbox without mounts always builds")
    }

    /// Hand this instance to a call: everything the guest can reach becomes the call's
    /// (`call`, built by [`CallCtx::new`]); only the resource table the instance was
    /// made with is kept, since handles the guest already holds index into it.
    pub fn adopt(&mut self, call: CallCtx) {
        call.monitor.note_memory(self.monitor.peak_memory());
        let table = std::mem::take(&mut self.table);
        let http = std::mem::replace(&mut self.http, WasiHttpCtx::new());
        *self = CallCtx { table, http, ..call };
    }

    pub fn new(spec: SandboxSpec) -> wasmtime::Result<CallCtx> {
        let monitor = Arc::new(CallMonitor::default());
        let stderr = MemoryOutputPipe::new(GUEST_STDERR_CAP);
        let mut b = WasiCtx::builder();
        // Environment: empty. Arguments: none. Stdin: empty. Stdout is discarded.
        b.stdout(MemoryOutputPipe::new(GUEST_STDERR_CAP))
            .stderr(stderr.clone())
            // No sockets and no name lookup: wasi:http through the hook is the only way out.
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            // Pinned clocks and seeded random.
            .wall_clock(determinism::PinnedWallClock::of(&spec.determinism))
            .monotonic_clock(SteppingClock::default())
            .secure_random(spec.determinism.secure_rng(spec.call_index))
            .insecure_random(spec.determinism.insecure_rng(spec.call_index))
            .insecure_random_seed(spec.determinism.insecure_seed(spec.call_index));
        for (host, guest) in &spec.mounts {
            files::mount_read_only(&mut b, host, guest)?;
        }
        let memory_bytes = spec.policy.memory_bytes();
        let hooks = SandboxHttp {
            shared: Arc::new(HttpShared {
                policy: spec.policy,
                monitor: monitor.clone(),
                transport: spec.transport,
                secrets: spec.secrets,
            }),
        };
        Ok(CallCtx {
            wasi: b.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks,
            limiter: CallLimiter {
                memory_bytes,
                monitor: monitor.clone(),
            },
            monitor,
            stderr,
        })
    }
}

impl WasiView for CallCtx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for CallCtx {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            hooks: &mut self.hooks,
            table: &mut self.table,
            ctx: &mut self.http,
        }
    }
}
