//! Fresh instances, made ahead of time and dropped off the call path.
//!
//! Every call runs in an instance no call has used before. Making one — the component's
//! core instances, the wiring of their imports and exports, start functions, tables — is
//! most of the cost of a small call, and for a large component such as CPython most of
//! the cost of any call. Tearing one down (returning its memory to the pooling
//! allocator, with the page-table work that involves) costs as much again.
//!
//! So a package that is called more than once keeps a few instances ready, made by a
//! background task while calls run, and a used instance is dropped by a reaper thread
//! after the call has its result. Instances are always made in the *parked* sandbox
//! ([`CallCtx::parked`]: no network, no files, no secrets, fixed clocks and random);
//! the call's own sandbox is installed just before the call ([`CallCtx::adopt`]). An
//! instance made ahead of time and one made on the spot are therefore the same thing,
//! and which one a call got never shows in what it does.

use crate::bindings::{ToolProvider, ToolProviderPre};
use crate::sandbox::{CallCtx, Rule, Violation};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use wasmtime::Store;

/// Instances a package keeps ready once it has been called twice.
pub const READY_PER_PACKAGE: usize = 2;

/// An instance no call has used, in its store.
pub(crate) struct Fresh {
    pub store: Store<CallCtx>,
    pub provider: ToolProvider,
}

/// Why an instance could not be made.
pub(crate) struct InstantiateFailure {
    pub error: wasmtime::Error,
    /// A rule the component broke while being instantiated (e.g. memory).
    pub violation: Option<Violation>,
}

/// Make a fresh instance in the parked sandbox, with `memory_bytes` of memory and at
/// most `timeout_ms` of wall clock for instantiation.
pub(crate) async fn instantiate(
    pre: &ToolProviderPre<CallCtx>,
    memory_bytes: usize,
    timeout_ms: u64,
) -> Result<Fresh, InstantiateFailure> {
    let ctx = CallCtx::parked(memory_bytes, timeout_ms);
    let monitor = ctx.monitor.clone();
    let mut store = Store::new(pre.engine(), ctx);
    store.limiter(|c| &mut c.limiter);
    limit_wall_clock(&mut store, timeout_ms);
    let made = tokio::time::timeout(Duration::from_millis(timeout_ms), pre.instantiate_async(&mut store)).await;
    match made {
        Ok(Ok(provider)) => Ok(Fresh { store, provider }),
        Ok(Err(error)) => Err(InstantiateFailure {
            error,
            violation: monitor.violation(),
        }),
        Err(_elapsed) => Err(InstantiateFailure {
            error: wasmtime::Error::msg("instantiation did not finish in time"),
            violation: Some(Violation::new(
                Rule::Timeout,
                format!("instantiating the component took longer than timeout_ms = {timeout_ms}"),
            )),
        }),
    }
}

/// Stop the guest once `timeout_ms` from now has passed or a sandbox rule was broken,
/// checked at every epoch tick (the guest also yields to the executor at each tick).
/// Call again after [`CallCtx::adopt`]: the check follows the store's current monitor.
pub(crate) fn limit_wall_clock(store: &mut Store<CallCtx>, timeout_ms: u64) {
    let monitor = store.data().monitor.clone();
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        if monitor.has_violation() {
            return Err(wasmtime::Error::msg("stopped: a sandbox rule was broken"));
        }
        if Instant::now() >= deadline {
            monitor.violate(Violation::new(
                Rule::Timeout,
                format!("the call ran longer than timeout_ms = {timeout_ms}"),
            ));
            return Err(wasmtime::Error::msg("stopped: wall-clock limit"));
        }
        Ok(wasmtime::UpdateDeadline::Yield(1))
    });
}

/// The ready instances of one package.
pub(crate) struct ReadyInstances {
    ready: Mutex<Vec<Fresh>>,
    filling: AtomicBool,
    calls: AtomicU64,
    /// Memory and wall clock the package's instances are made with (its `[policy]`).
    memory_bytes: usize,
    timeout_ms: u64,
}

impl ReadyInstances {
    pub fn new(memory_bytes: usize, timeout_ms: u64) -> ReadyInstances {
        ReadyInstances {
            ready: Mutex::new(Vec::new()),
            filling: AtomicBool::new(false),
            calls: AtomicU64::new(0),
            memory_bytes,
            timeout_ms,
        }
    }

    /// A fresh instance for a call whose tool has `memory_bytes` of memory: a ready one
    /// when there is one made with that memory, else one made now. From the second call
    /// on, a background task makes instances until [`READY_PER_PACKAGE`] are ready.
    pub async fn take(
        self: &Arc<Self>,
        pre: &ToolProviderPre<CallCtx>,
        memory_bytes: usize,
        timeout_ms: u64,
    ) -> Result<Fresh, InstantiateFailure> {
        let earlier_calls = self.calls.fetch_add(1, Ordering::Relaxed);
        let same_kind = memory_bytes == self.memory_bytes;
        let ready = if same_kind {
            self.ready.lock().unwrap_or_else(|p| p.into_inner()).pop()
        } else {
            None
        };
        if same_kind && earlier_calls >= 1 {
            self.refill(pre);
        }
        match ready {
            Some(fresh) => Ok(fresh),
            None => instantiate(pre, memory_bytes, timeout_ms).await,
        }
    }

    fn refill(self: &Arc<Self>, pre: &ToolProviderPre<CallCtx>) {
        if self.ready.lock().map(|r| r.len() >= READY_PER_PACKAGE).unwrap_or(true) {
            return;
        }
        if self.filling.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            self.filling.store(false, Ordering::Release);
            return;
        };
        let this = self.clone();
        let pre = pre.clone();
        handle.spawn(async move {
            loop {
                if this.ready.lock().map(|r| r.len() >= READY_PER_PACKAGE).unwrap_or(true) {
                    break;
                }
                match instantiate(&pre, this.memory_bytes, this.timeout_ms).await {
                    Ok(fresh) => this.ready.lock().unwrap_or_else(|p| p.into_inner()).push(fresh),
                    Err(f) => {
                        // The call that gets no ready instance makes its own and reports
                        // whatever went wrong.
                        tracing::debug!("could not make an instance ahead of time: {:#}", f.error);
                        break;
                    }
                }
            }
            this.filling.store(false, Ordering::Release);
        });
    }
}

/// Drop a used store on the reaper thread, after the call has its result.
pub(crate) fn discard(store: Store<CallCtx>) {
    static REAPER: OnceLock<Option<mpsc::Sender<Store<CallCtx>>>> = OnceLock::new();
    let reaper = REAPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Store<CallCtx>>();
        std::thread::Builder::new()
            .name("dive-reaper".into())
            .spawn(move || {
                for store in rx {
                    drop(store);
                }
            })
            .ok()
            .map(|_| tx)
    });
    match reaper {
        Some(tx) => {
            if let Err(mpsc::SendError(store)) = tx.send(store) {
                drop(store);
            }
        }
        None => drop(store),
    }
}
