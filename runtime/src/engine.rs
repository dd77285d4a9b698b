//! The wasmtime engine: component model, async, epoch interruption, the pooling
//! allocator tuned for a fresh instance per call, and the on-disk compiled-component
//! cache keyed by the component's BLAKE3.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use crate::config::DiveEnv;
use thiserror::Error;
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances; the wall-clock limit is checked at each tick.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Calls that may run at once in one process, unless [`EngineOptions::concurrent_calls`]
/// says fewer (the pool is sized for it).
pub const MAX_CONCURRENT_CALLS: usize = 256;

/// Fiber stacks of an engine sized for [`MAX_CONCURRENT_CALLS`]: also enough for the
/// instances made ahead and the stores waiting to be dropped.
const STACKS: usize = 1000;

/// Fiber stacks a smaller engine has beyond one per concurrent call. A store keeps its
/// fiber stack until it is dropped, so the stores waiting for the background thread to
/// drop them hold stacks too: up to [`crate::instances::MAX_PENDING_DROPS`] queued and as
/// many more being dropped. Plus `list-tools` at load and one spare.
const SMALL_ENGINE_EXTRA_STACKS: usize = 2 * crate::instances::MAX_PENDING_DROPS + 2;

/// Why the engine could not be set up, or a component not compiled.
#[derive(Debug, Error)]
pub enum EngineError {
    /// wasmtime refused the configuration, or the epoch thread could not start.
    #[error("cannot configure the WebAssembly engine: {0}")]
    Config(String),
    /// A component did not validate or compile.
    #[error("{path} is not a usable WebAssembly component: {message}")]
    Compile {
        /// The component file.
        path: PathBuf,
        /// wasmtime's explanation.
        message: String,
    },
}

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Where compiled components are kept; None disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Write a perf map naming guest functions (`perf record`).
    pub perfmap: bool,
    /// Instances each package keeps ready once it has been called twice (0: every
    /// instance is made on the call path).
    pub ready_instances: usize,
    /// Calls that may run at once (at most [`MAX_CONCURRENT_CALLS`]); more wait their
    /// turn. Each fiber stack of the pool costs a system call at engine start (1,000 of
    /// them took ~4 ms of a 30 ms `dive call`), so a command that makes one call (`dive
    /// call`, `dive tools`) asks for 1: its engine sets up ~70 stacks and makes no
    /// instances ahead (`ready_instances` is taken as 0), since instances made ahead keep
    /// stacks too.
    pub concurrent_calls: usize,
}

impl EngineOptions {
    /// The options the environment asks for ([`DiveEnv`]'s cache dir, perf map and
    /// ready instances).
    pub fn of_env(env: &DiveEnv) -> Self {
        EngineOptions {
            cache_dir: env.cache_dir.clone(),
            perfmap: env.perfmap,
            ready_instances: env.ready_instances,
            concurrent_calls: MAX_CONCURRENT_CALLS,
        }
    }
}

impl Default for EngineOptions {
    /// [`EngineOptions::of_env`] of the process environment.
    fn default() -> Self {
        EngineOptions::of_env(&DiveEnv::from_env())
    }
}

/// What the component cache did for one load (for tests and `--verbose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Deserialized from the cache.
    Hit,
    /// Compiled and written to the cache.
    Compiled,
    /// Compiled; no cache configured (or it could not be written).
    Uncached,
}

/// The one wasmtime engine of a process, its epoch ticker and its compiled-component
/// cache. Dropping it stops the ticker.
pub struct DiveEngine {
    engine: Engine,
    cache_dir: Option<PathBuf>,
    ready_instances: usize,
    concurrent_calls: usize,
    engine_tag: String,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for DiveEngine {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

impl DiveEngine {
    /// Configure the engine (component model, async, epoch interruption, a pooling
    /// allocator) and start a thread that advances its epoch every [`EPOCH_TICK`].
    pub fn new(opts: EngineOptions) -> Result<DiveEngine, EngineError> {
        let concurrent_calls = opts.concurrent_calls.clamp(1, MAX_CONCURRENT_CALLS);
        let small = concurrent_calls < MAX_CONCURRENT_CALLS;
        let (stacks, ready_instances) =
            if small { (concurrent_calls + SMALL_ENGINE_EXTRA_STACKS, 0) } else { (STACKS, opts.ready_instances) };
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        // For profiling: `DIVE_PERFMAP=1 perf record …` names guest functions.
        if opts.perfmap {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }

        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(1000)
            .total_core_instances(4000)
            .max_core_instances_per_component(64)
            .total_memories(1000)
            .max_memories_per_component(8)
            .total_tables(2000)
            .max_tables_per_component(16)
            .table_elements(20_000)
            .total_stacks(stacks as u32)
            .max_memory_size(crate::manifest::MAX_MEMORY_MIB as usize * (1 << 20))
            // Keep what an instance wrote resident when its slot is reset (with
            // PAGEMAP_SCAN only the written pages are found and copied back from the
            // image) instead of madvise: decommitting costs TLB shootdowns, and the
            // next instance in the slot would take the page faults again. 32 MiB
            // covers a CPython call's working set (code_execution: 2.7 vs 3.0 ms).
            .linear_memory_keep_resident(32 << 20)
            .table_keep_resident(2 << 20)
            .pagemap_scan(wasmtime::Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));

        let engine = Engine::new(&config).map_err(|e| EngineError::Config(format!("{e:#}")))?;

        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let engine_tag = format!("{:016x}", h.finish());

        let ticker_stop = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = ticker_stop.clone();
            std::thread::Builder::new()
                .name("dive-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| EngineError::Config(format!("cannot start the epoch thread: {e}")))?;
        }

        Ok(DiveEngine {
            engine,
            cache_dir: opts.cache_dir,
            ready_instances,
            concurrent_calls,
            engine_tag,
            ticker_stop,
        })
    }

    /// The wasmtime engine itself.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Instances each package keeps ready ([`EngineOptions::ready_instances`]).
    pub fn ready_instances(&self) -> usize {
        self.ready_instances
    }

    /// Calls that may run at once on this engine.
    pub fn concurrent_calls(&self) -> usize {
        self.concurrent_calls
    }

    /// Where compiled components (and the pool index) are kept, if anywhere.
    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache_dir.as_deref()
    }

    /// A tag of the engine's compatibility hash: compiled components and index entries
    /// made by an engine with another tag are not used.
    pub fn compatibility_tag(&self) -> &str {
        &self.engine_tag
    }

    /// A compiled component from a cache entry that is private to this user: mapped from
    /// a sealed copy ([`sealed_copy`]), or read into memory where a sealed copy cannot be
    /// made (no memfd, no `/proc`).
    fn load_cached(&self, entry: &Path) -> wasmtime::Result<Component> {
        match sealed_copy(entry) {
            // SAFETY: the bytes were written by `Component::serialize` of an engine with
            // the same compatibility hash (it is in the file name), atomically (temp file
            // + rename, mode 0600), and the entry and its dir are owned by this user and
            // writable by no one else (checked by the caller); the copy mapped is sealed,
            // so nothing can change or truncate it while mapped. wasmtime also checks the
            // header and version before using it.
            Ok(sealed) => unsafe { Component::deserialize_file(&self.engine, sealed.path()) },
            Err(e) => {
                tracing::debug!("no sealed copy of {} ({e}); reading it", entry.display());
                let bytes = crate::untrusted::read_bounded(entry, CACHE_ENTRY_BYTES, "the cache entry cap", crate::untrusted::Follow::No)
                    .map_err(|e| wasmtime::Error::msg(e.to_string()))?;
                // SAFETY: as above; the bytes are this process's own copy.
                unsafe { Component::deserialize(&self.engine, &bytes) }
            }
        }
    }

    fn cache_path(&self, hash: &blake3::Hash) -> Option<PathBuf> {
        self.cache_dir.as_ref().map(|d| {
            d.join("components")
                .join(format!("{}-{}.cwasm", hash.to_hex(), self.engine_tag))
        })
    }

    /// Compile `bytes` (whose BLAKE3 is `hash`), or load the compiled form from the cache.
    pub fn load_component(
        &self,
        path: &Path,
        bytes: &[u8],
        hash: &blake3::Hash,
    ) -> Result<(Component, CacheOutcome), EngineError> {
        let cached = self.cache_path(hash);
        if let Some(cp) = &cached {
            // A compiled component is native code: use a cache entry only if this user
            // owns it and its dir and nobody else can write either (a shared or
            // world-writable cache dir is compiled around, not trusted).
            let usable = crate::fsutil::owned_and_private(cp);
            if !usable && cp.exists() {
                tracing::warn!("not using cache entry {}: it or its dir is not private to this user", cp.display());
            }
            if usable {
                match self.load_cached(cp) {
                    Ok(c) => return Ok((c, CacheOutcome::Hit)),
                    Err(e) => {
                        tracing::warn!("ignoring unusable cache entry {}: {e:#}", cp.display());
                        let _ = std::fs::remove_file(cp);
                    }
                }
            }
        }
        let component = Component::new(&self.engine, bytes).map_err(|e| EngineError::Compile {
            path: path.to_path_buf(),
            message: format!("{e:#}"),
        })?;
        let Some(cp) = cached else {
            return Ok((component, CacheOutcome::Uncached));
        };
        match component.serialize().map_err(|e| e.to_string()).and_then(|bytes| {
            crate::fsutil::private_dir(&cp).and_then(|()| crate::fsutil::write_atomic_mode(&cp, &bytes, 0o600)).map_err(|e| e.to_string())
        }) {
            Ok(()) => Ok((component, CacheOutcome::Compiled)),
            Err(e) => {
                tracing::warn!("could not cache the compiled component at {}: {e}", cp.display());
                Ok((component, CacheOutcome::Uncached))
            }
        }
    }
}

/// A compiled-component cache entry copied into a sealed memory file, to be mapped by
/// wasmtime in place of the entry itself.
///
/// Mapping the entry would spare copies (the code is used where it lies, and the data
/// segments' memory image maps from the same file instead of being written to a memfd),
/// but a file truncated while mapped kills the process (SIGBUS), and a cache entry can be
/// rewritten in place by hand or by a test. A sealed memfd cannot shrink, grow or be
/// written, so its mapping cannot fault; the copy into it is one in-kernel copy of the
/// page cache. Reading the entry into memory instead (`Component::deserialize`) copied it
/// twice and wrote the memory image out again: ~2 ms of a 21 ms `dive call`.
struct SealedCopy {
    /// Held open until wasmtime has opened (and mapped) it by its /proc path.
    _file: std::fs::File,
    path: PathBuf,
}

impl SealedCopy {
    fn path(&self) -> &Path {
        &self.path
    }
}

/// The largest cache entry copied (a CPython component's is ~41 MB).
const CACHE_ENTRY_BYTES: u64 = 1 << 30;

fn sealed_copy(entry: &Path) -> std::io::Result<SealedCopy> {
    use std::io::{Error, ErrorKind, Read};
    use std::os::fd::{AsRawFd, FromRawFd};
    let src = crate::untrusted::open_regular(entry, crate::untrusted::Follow::No).map_err(|e| Error::other(e.to_string()))?;
    // SAFETY: the name is a NUL-terminated C string; the flags are valid for memfd_create.
    let fd = unsafe { libc::memfd_create(c"dive-compiled-component".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
    if fd < 0 {
        return Err(Error::last_os_error());
    }
    // SAFETY: memfd_create returned a new descriptor that nothing else owns.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    let copied = std::io::copy(&mut src.take(CACHE_ENTRY_BYTES + 1), &mut file)?;
    if copied > CACHE_ENTRY_BYTES {
        return Err(Error::new(ErrorKind::InvalidData, "the cache entry is over the size cap"));
    }
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
    // SAFETY: fcntl on a descriptor this function owns, with a valid command and seals.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
        return Err(Error::last_os_error());
    }
    let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    std::fs::metadata(&path)?; // wasmtime opens it by this path: /proc must be there
    Ok(SealedCopy { _file: file, path })
}
