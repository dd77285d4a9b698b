//! Fresh instances, made ahead of time and dropped off the call path.
//!
//! Every call runs in an instance no call has used before. Making one — the component's
//! core instances, the wiring of their imports and exports, start functions, tables — is
//! most of the cost of a small call, and for a large component such as CPython most of
//! the cost of any call. Tearing one down (returning its memory to the pooling
//! allocator, with the page-table work that involves) costs as much again.
//!
//! So a package that is called more than once keeps a few instances ready, made by a
//! background thread while calls run, and a used instance is dropped by the same thread
//! after the call has its result. Instances are always made in the *parked* sandbox
//! ([`CallCtx::parked`]: no network, no files, no secrets, fixed clocks and random);
//! the call's own sandbox is installed just before the call ([`CallCtx::adopt`]). An
//! instance made ahead of time and one made on the spot are therefore the same thing,
//! and which one a call got never shows in what it does.

use crate::bindings::{ToolProvider, ToolProviderPre};
use crate::sandbox::{CallCtx, Rule, Violation};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};
use wasmtime::Store;

/// An instance no call has used, in its store.
pub(crate) struct Fresh {
    pub store: Store<CallCtx>,
    pub provider: ToolProvider,
    /// Made by the background thread, before the call asked for it.
    pub made_ahead: bool,
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
        Ok(Ok(provider)) => Ok(Fresh {
            store,
            provider,
            made_ahead: false,
        }),
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
    /// How many to keep ready.
    target: usize,
    calls: AtomicU64,
    /// Memory and wall clock the package's instances are made with (its `[policy]`).
    memory_bytes: usize,
    timeout_ms: u64,
}

impl ReadyInstances {
    /// Ready instances of one package: `target` kept ready, each made with the
    /// package's memory and wall-clock limits.
    pub fn new(target: usize, memory_bytes: usize, timeout_ms: u64) -> ReadyInstances {
        ReadyInstances {
            ready: Mutex::new(Vec::new()),
            target,
            calls: AtomicU64::new(0),
            memory_bytes,
            timeout_ms,
        }
    }

    fn len(&self) -> usize {
        self.ready.lock().map(|r| r.len()).unwrap_or(usize::MAX)
    }

    /// A fresh instance for a call whose tool has `memory_bytes` of memory: a ready one
    /// when there is one made with that memory, else one made now. From the second call
    /// on, the background thread makes instances until enough are ready.
    pub async fn take(
        self: &Arc<Self>,
        pre: &ToolProviderPre<CallCtx>,
        memory_bytes: usize,
        timeout_ms: u64,
    ) -> Result<Fresh, InstantiateFailure> {
        let earlier_calls = self.calls.fetch_add(1, Ordering::Relaxed);
        let same_kind = memory_bytes == self.memory_bytes;
        let (ready, short) = if same_kind {
            let mut ready = self.ready.lock().unwrap_or_else(|p| p.into_inner());
            let fresh = ready.pop();
            (fresh, ready.len() < self.target)
        } else {
            (None, false)
        };
        if short && earlier_calls >= 1 {
            background().request(Work::Fill(self.clone(), pre.clone()));
        }
        match ready {
            Some(fresh) => Ok(fresh),
            None => instantiate(pre, memory_bytes, timeout_ms).await,
        }
    }
}

/// Drop a used store on the background thread, after the call has its result.
pub(crate) fn discard(store: Store<CallCtx>) {
    background().request(Work::Discard(store));
}

enum Work {
    Fill(Arc<ReadyInstances>, ToolProviderPre<CallCtx>),
    Discard(Store<CallCtx>),
}

/// Used stores waiting to be dropped beyond which a caller drops its own: the background
/// thread runs at low priority and must not fall behind without bound.
pub(crate) const MAX_PENDING_DROPS: usize = 32;

/// One thread that makes instances ahead of time and drops used ones. It runs at a
/// lower priority than the threads serving calls, so waking it never preempts a call.
///
/// It stays awake for [`STAY_AWAKE`] after its last piece of work before it sleeps:
/// calls come in runs, and waking a sleeping thread costs the caller an
/// inter-processor interrupt — measured at ~9 µs per call in a VM, a quarter of a
/// small call — while handing work to a thread that is awake costs a lock and a flag.
/// Staying awake only uses idle CPU (the thread has idle priority).
struct Background {
    queue: Mutex<Queue>,
    wake: Condvar,
    /// Set whenever work is queued, so the awake thread notices without the lock.
    pending: AtomicBool,
    running: bool,
}

#[derive(Default)]
struct Queue {
    work: Vec<Work>,
    /// The thread waits on `wake`: the next request must notify it.
    sleeping: bool,
}

/// How long the background thread stays awake after its last piece of work.
const STAY_AWAKE: Duration = Duration::from_micros(500);

impl Background {
    fn new(running: bool) -> Background {
        Background {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            pending: AtomicBool::new(false),
            running,
        }
    }

    fn request(&self, work: Work) {
        if !self.running {
            // No background thread: drops happen here; nothing is made ahead of time.
            return drop(work);
        }
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if let Work::Discard(_) = work {
            if queue.work.iter().filter(|w| matches!(w, Work::Discard(_))).count() >= MAX_PENDING_DROPS {
                drop(queue);
                return drop(work);
            }
        }
        if let Work::Fill(r, _) = &work {
            if queue.work.iter().any(|w| matches!(w, Work::Fill(q, _) if Arc::ptr_eq(q, r))) {
                return;
            }
        }
        queue.work.push(work);
        self.pending.store(true, Ordering::Release);
        let sleeping = queue.sleeping;
        drop(queue);
        if sleeping {
            self.wake.notify_one();
        }
    }

    /// The next batch of work: waits awake for a while, then asleep.
    fn next_batch(&self) -> Vec<Work> {
        let awake_until = Instant::now() + STAY_AWAKE;
        while !self.pending.load(Ordering::Acquire) && Instant::now() < awake_until {
            std::hint::spin_loop();
        }
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        while queue.work.is_empty() {
            queue.sleeping = true;
            queue = self.wake.wait(queue).unwrap_or_else(|p| p.into_inner());
            queue.sleeping = false;
        }
        self.pending.store(false, Ordering::Release);
        std::mem::take(&mut queue.work)
    }

    fn serve(&self) {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_time().build() else {
            return;
        };
        loop {
            let batch = self.next_batch();
            // Drops first: they return slots and memory the new instances may need.
            let (fills, discards): (Vec<_>, Vec<_>) = batch.into_iter().partition(|w| matches!(w, Work::Fill(..)));
            for work in discards {
                if let Work::Discard(store) = work {
                    drop(store);
                }
            }
            for work in fills {
                let Work::Fill(ready, pre) = work else { continue };
                rt.block_on(async {
                    while ready.len() < ready.target {
                        match instantiate(&pre, ready.memory_bytes, ready.timeout_ms).await {
                            Ok(fresh) => ready.ready.lock().unwrap_or_else(|p| p.into_inner()).push(Fresh {
                                made_ahead: true,
                                ..fresh
                            }),
                            Err(f) => {
                                // A call that finds no ready instance makes its own and
                                // reports whatever went wrong.
                                tracing::debug!("could not make an instance ahead of time: {:#}", f.error);
                                break;
                            }
                        }
                    }
                });
            }
        }
    }
}

fn background() -> &'static Background {
    static BACKGROUND: OnceLock<&'static Background> = OnceLock::new();
    BACKGROUND.get_or_init(|| {
        let bg: &'static Background = Box::leak(Box::new(Background::new(true)));
        let started = std::thread::Builder::new().name("dive-instances".into()).spawn(move || {
            lower_this_threads_priority();
            bg.serve()
        });
        if started.is_err() {
            return Box::leak(Box::new(Background::new(false)));
        }
        bg
    })
}

/// Put the calling thread in the idle scheduling class (Linux: the policy is per
/// thread) so that the scheduler prefers the threads serving calls. A refusal only
/// costs speed: it is logged, not reported.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 names the calling thread, `param` is a valid sched_param that
        // outlives the call, and SCHED_IDLE requires a priority of 0, which it holds.
        let refused = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0;
        if refused {
            tracing::debug!("the ready-instance thread keeps its priority: {}", std::io::Error::last_os_error());
        }
    }
}
