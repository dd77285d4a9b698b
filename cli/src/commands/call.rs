//! `dive call`: one tool call in a fresh sandbox; the result (or the error JSON) on
//! stdout, the exit code by how it ended.

use crate::context::{open_runtime_for_one_call, open_store, usage, Global};
use crate::exit;
use anyhow::Result;
use dive_runtime::record::{RecordError, Recorder};
use dive_runtime::store::Store;
use dive_runtime::transport::CassetteTransport;
use dive_runtime::{CallError, CallOptions, CallRecord, DeterminismConfig, Outcome, Runtime};

/// Run one tool call in a fresh sandbox; the result JSON goes to stdout.
#[derive(clap::Args)]
pub(crate) struct CallArgs {
    /// The tool's name.
    tool: String,
    /// The arguments, a JSON object; `@FILE` reads them from a file, `-` from stdin
    /// (for arguments too large for a command line).
    #[arg(default_value = "{}")]
    args: String,
    /// Seed of the guest's random streams.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Pin the guest's wall clock to this instant (seconds since the Unix epoch);
    /// default: now, to the second.
    #[arg(long, value_name = "UNIX_SECONDS")]
    clock: Option<u64>,
    /// Also store a one-call evidence trace; its id is printed on stderr.
    #[arg(long)]
    record: bool,
    /// With --record: name the trace (refs/NAME) as well.
    #[arg(long = "ref", value_name = "NAME", requires = "record")]
    ref_name: Option<String>,
    /// Answer the tool's HTTP requests from the cassettes imported into the store
    /// (`dive store import-cassette`), with no network at all.
    #[arg(long)]
    cassettes: bool,
}

/// `dive call`.
pub(crate) async fn run(g: &Global, a: &CallArgs) -> Result<u8> {
    let args = &read_args(&a.args)?;
    // A bad ref name is the caller's mistake: say so before anything runs.
    if let Some(name) = &a.ref_name {
        Store::check_ref_name(name).map_err(|e| usage(e.to_string()))?;
    }
    let runtime = open_runtime_for_one_call(g).await?;
    let store = if a.record || a.cassettes { Some(open_store(g)?) } else { None };
    let opts = call_options(a, store.as_ref())?;
    let result = match &store {
        Some(st) if a.record => record(&runtime, st, &opts, a, args).await?,
        _ => runtime.call(&a.tool, args, &opts).await,
    };
    match result {
        Ok(record) => Ok(print_outcome(&a.tool, &record.outcome)),
        Err(e) => Ok(report_call_error(&e)),
    }
}

/// The call's seed and pinned clock, and where its requests go (`--cassettes`: the
/// store's imported cassettes).
fn call_options(a: &CallArgs, store: Option<&Store>) -> Result<CallOptions> {
    let determinism = match a.clock {
        Some(secs) => DeterminismConfig { seed: a.seed, clock_ns: secs.saturating_mul(1_000_000_000) },
        None => DeterminismConfig::now(a.seed),
    };
    let mut opts = CallOptions::live(determinism);
    if let (true, Some(store)) = (a.cassettes, store) {
        let t = CassetteTransport::from_store(store)?;
        if t.is_empty() {
            return Err(usage("--cassettes: the store has no imported cassettes; run `dive store import-cassette FILE` first"));
        }
        opts.transport = Some(std::sync::Arc::new(t));
    }
    Ok(opts)
}

/// `--record`: run the call into a one-call trace (named by `--ref`); its id on stderr.
async fn record(runtime: &Runtime, store: &Store, opts: &CallOptions, a: &CallArgs, args: &str) -> Result<Result<CallRecord, CallError>> {
    let recorder = Recorder::with_options(runtime, store, opts.clone());
    let rec = match recorder.call(&a.tool, args).await {
        Ok(rec) => rec,
        Err(RecordError::Call(e)) => return Ok(Err(e)),
        Err(e) => return Err(e.into()),
    };
    let id = recorder.finish()?;
    if let Some(name) = &a.ref_name {
        store.set_ref(name, &id)?;
    }
    eprintln!("trace {id}");
    Ok(Ok(rec))
}

/// Print how the call ended (the result, or the error JSON and a sentence on stderr);
/// the exit code.
fn print_outcome(tool: &str, outcome: &Outcome) -> u8 {
    match outcome {
        Outcome::Ok(text) => println!("{text}"),
        failed => {
            let err = failed.error_report().expect("a failed outcome has an error report");
            println!("{}", err.to_json());
            eprintln!("error: {}", describe_failure(tool, failed));
        }
    }
    exit::of_outcome(outcome)
}

/// `@FILE` and `-` (stdin) forms of the call arguments.
fn read_args(args: &str) -> Result<String> {
    use dive_runtime::untrusted::{caps, read_at_most, read_text_bounded};
    if args == "-" {
        let bytes = read_at_most(std::io::stdin(), caps::ARGS_BYTES)
            .map_err(|e| usage(format!("cannot read the arguments from stdin: {e}")))?
            .ok_or_else(|| usage(format!("the arguments on stdin are over {} bytes", caps::ARGS_BYTES)))?;
        return String::from_utf8(bytes).map_err(|_| usage("the arguments on stdin are not UTF-8 text"));
    }
    if let Some(path) = args.strip_prefix('@') {
        return read_text_bounded(std::path::Path::new(path), caps::ARGS_BYTES, "the arguments size cap")
            .map_err(|e| usage(format!("cannot read the arguments: {e}")));
    }
    Ok(args.to_string())
}

/// A failed call in a sentence.
fn describe_failure(tool: &str, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok(_) => String::new(),
        Outcome::ToolError { kind, message } => format!("{tool} failed ({kind:?}): {message}"),
        Outcome::Violation { rule, message } => format!("{tool} broke sandbox rule '{rule}': {message}"),
        Outcome::Trap { message } => format!("{tool}: {message}"),
    }
}

/// A call that did not run: the error JSON on stdout, a sentence on stderr; the exit code.
fn report_call_error(e: &CallError) -> u8 {
    let kind = match e {
        CallError::UnknownTool { .. } => "unknown_tool",
        CallError::InvalidArgs { .. } => "invalid_args",
        CallError::MissingSecret(_) => "missing_secret",
        CallError::Internal { .. } => "internal",
    };
    println!("{}", serde_json::json!({ "error": { "kind": kind, "message": e.to_string() } }));
    eprintln!("error: {e}");
    exit::of_call_error(e)
}
