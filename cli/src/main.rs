//! The `dive` command line: argument parsing, output and exit codes over the runtime
//! library (ARCHITECTURE.md §6).

mod commands;
mod context;
mod exit;
mod report;

/// mimalloc instead of glibc's malloc: an instance's store is made on one thread and
/// dropped on dive's background thread, and glibc's per-arena lock turned those
/// cross-thread frees into contended futex wake-ups on the call path (a fresh-sandbox
/// echo call took 41 µs instead of 20 in half the runs of the per-call bench).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Result;
use clap::{Parser, Subcommand};
use context::Global;
use dive_runtime::DiveEnv;
use std::path::PathBuf;
use std::process::ExitCode;

/// `dive --version`: this build's version, commit, wasmtime and WIT package.
const VERSION_TEXT: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("DIVE_COMMIT"),
    ", wasmtime ",
    env!("DIVE_WASMTIME"),
    ", WIT ",
    env!("DIVE_WIT"),
    ")"
);

#[derive(Parser)]
#[command(name = "dive", version = VERSION_TEXT, about = "Run DIVE tools in a WebAssembly sandbox, record and replay their evidence")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List, inspect and export the tools.
    Tools {
        #[command(subcommand)]
        command: commands::tools::ToolsCommand,
    },
    /// Run one tool call in a fresh sandbox; the result JSON goes to stdout.
    Call(commands::call::CallArgs),
    /// Re-run a trace offline (byte-for-byte) or --live (report drift).
    Replay(commands::replay::ReplayArgs),
    /// Build verifiable tasks: sample seeds and toolsets, collect evidence in the
    /// sandbox, derive questions bound to trace values (DIR/tasks.jsonl).
    Synth(commands::synth::SynthArgs),
    /// Score answers with each task's verifier.
    Verify {
        /// The task file (JSON Lines).
        tasks: PathBuf,
        /// Answers: JSON Lines of {"uuid", "answer"}, or one JSON object uuid -> answer.
        #[arg(long, value_name = "FILE")]
        answers: PathBuf,
    },
    /// Replay each task's evidence offline (or --live) and check its answer still holds.
    Reverify {
        tasks: PathBuf,
        #[arg(long)]
        live: bool,
        /// Tasks re-verified at once.
        #[arg(long, default_value_t = 2)]
        workers: usize,
    },
    /// Diversity and coverage figures of a task set (DIVE's table).
    Stats { tasks: PathBuf },
    /// Join the task files of `dive synth --shard K/N` (one per shard, each with its
    /// manifest beside it) into the file one process would have written. A name
    /// `store:NAME` reads (or, for OUT, writes) the store's file NAME instead of a path.
    Merge {
        /// Where to write the merged task file (a path, or store:NAME).
        out: String,
        /// The shard task files, in any order (paths, or store:NAME).
        #[arg(required = true)]
        shards: Vec<String>,
    },
    /// Write tasks as training data: `messages` = one OpenAI chat-completions
    /// trajectory per task (question, tool calls along the evidence path with their
    /// recorded results, answer) with the task's toolset.
    Export(commands::export::ExportArgs),
    /// Serve the tools to agents: `mcp` (Model Context Protocol, stdio or HTTP) or
    /// `env` (an RL environment over a task file, rewards from the verifiers).
    Serve {
        #[command(subcommand)]
        command: commands::serve::ServeCommand,
    },
    /// Write a tool: scaffold a package (Rust, Python or JavaScript), build its
    /// component, check it in the sandbox.
    Tool {
        #[command(subcommand)]
        command: commands::tool::ToolCommand,
    },
    /// Maintain the evidence store.
    Store {
        #[command(subcommand)]
        command: commands::store::StoreCommand,
    },
    /// Print a shell completion script (e.g. `dive completions bash > /etc/bash_completion.d/dive`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; e.g. `dive man | man -l -`).
    Man,
}

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of our output goes away
    // (`dive tools list | head`) instead of failing to print.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE at start-up, before any
    // thread exists, is sound.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let mut cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    cli.global.env = DiveEnv::from_env();
    context::init_logging(cli.global.verbose, cli.global.env.log.as_deref());
    for problem in &cli.global.env.problems {
        eprintln!("warning: {problem}");
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(e.downcast_ref::<context::UsageError>().map(|_| exit::USAGE).unwrap_or(exit::FAILED))
        }
    }
}

/// Run the command; its exit code.
async fn run(cli: Cli) -> Result<u8> {
    let g = &cli.global;
    match &cli.command {
        Command::Tools { command } => commands::tools::run(g, command).await,
        Command::Call(a) => commands::call::run(g, a).await,
        Command::Replay(a) => commands::replay::run(g, a).await,
        Command::Synth(a) => commands::synth::synth(g, a).await,
        Command::Verify { tasks, answers } => commands::synth::verify(g, tasks, answers),
        Command::Reverify { tasks, live, workers } => commands::synth::reverify(g, tasks, *live, *workers).await,
        Command::Stats { tasks } => commands::synth::stats(g, tasks).await,
        Command::Merge { out, shards } => commands::synth::merge(g, out, shards),
        Command::Export(a) => commands::export::run(g, a, VERSION_TEXT).await,
        Command::Serve { command } => commands::serve::serve(g, command).await,
        Command::Tool { command } => commands::tool::run(g, command).await,
        Command::Store { command } => commands::store::run(g, command),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut <Cli as clap::CommandFactory>::command(), "dive", &mut std::io::stdout());
            Ok(exit::OK)
        }
        Command::Man => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut std::io::stdout())?;
            Ok(exit::OK)
        }
    }
}
