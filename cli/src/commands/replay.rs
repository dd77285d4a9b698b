//! `dive replay`: re-run a trace offline (byte for byte) or live (report drift).

use crate::context::{open_runtime, open_store, usage, Global};
use crate::report;
use anyhow::Result;

/// Re-run a trace offline (byte-for-byte) or --live (report drift).
#[derive(clap::Args)]
pub(crate) struct ReplayArgs {
    /// A trace id, a unique prefix of one, or a ref name.
    trace: String,
    /// Re-run against the real upstream (or --upstream) and report drift per call.
    #[arg(long)]
    live: bool,
}

/// `dive replay`.
pub(crate) async fn run(g: &Global, a: &ReplayArgs) -> Result<u8> {
    let store = open_store(g)?;
    let id = store.resolve_trace(&a.trace).map_err(|e| usage(e.to_string()))?;
    let runtime = open_runtime(g).await?;
    let report = dive_runtime::replay::replay(&runtime, &store, &id, a.live).await.map_err(|e| {
        use dive_runtime::store::StoreError as S;
        let dive_runtime::replay::ReplayError::Store(inner) = &e;
        match inner {
            // A trace that is not a trace, or asks for more than the bounds: bad
            // input, exit 2 (ARCHITECTURE.md §9); a store fault stays exit 1.
            S::CorruptTrace { .. } | S::Untrusted(_) | S::EvidenceTooLarge { .. } | S::Unsafe { .. } => usage(format!(
                "cannot replay trace {id}: {e} (`dive store fsck` checks the whole store)"
            )),
            _ => anyhow::Error::new(e),
        }
    })?;
    report::replay(&report, g.json)
}
