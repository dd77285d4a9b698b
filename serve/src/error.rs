//! The errors of starting a server: each says what was wrong and what to do.

use std::net::SocketAddr;
use std::path::PathBuf;
use thiserror::Error;

/// Why a server could not start (or stopped early).
#[derive(Debug, Error)]
pub enum ServeError {
    /// `--listen` names an address off this machine and no token guards it.
    #[error("--listen {addr} is reachable from other machines: pass --token-file FILE so every request must carry `Authorization: Bearer <token>`, or listen on 127.0.0.1")]
    ExposedWithoutToken {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// `--listen` is not an address.
    #[error("--listen {given}: not an address; write HOST:PORT (e.g. 127.0.0.1:8760) or a port")]
    BadListen {
        /// What was given.
        given: String,
    },
    /// The token file cannot be used.
    #[error("--token-file {path}: {message}")]
    TokenFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source} (is another server using the port?)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why not.
        source: std::io::Error,
    },
    /// `--tool NAME` names a tool the pool lacks.
    #[error("--tool: {0}")]
    UnknownTool(String),
    /// The selection serves nothing.
    #[error("no tools to serve: {0}")]
    NothingToServe(String),
    /// A task file that cannot be served.
    #[error(transparent)]
    Tasks(#[from] dive_deriver::verify::TaskFileError),
    /// A task names a tool the pool lacks.
    #[error("task {uuid}: its toolset names '{tool}', which is not in the pool (pass the --tools that built the tasks)")]
    TaskTool {
        /// The task.
        uuid: String,
        /// The tool.
        tool: String,
    },
    /// The store (or a trace in it) cannot be read.
    #[error("{0} (`dive store fsck` checks the whole store)")]
    Store(#[from] dive_runtime::store::StoreError),
    /// The MCP transport failed.
    #[error("the MCP connection failed: {0}")]
    Mcp(String),
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ServeError {
    /// Whether the caller asked for something wrong (a bad address, token file, task
    /// file or trace) rather than the server or the store failing: the CLI exits 2 for
    /// these, 1 for the rest (ARCHITECTURE.md §6).
    pub fn is_callers_fault(&self) -> bool {
        use dive_runtime::store::StoreError as S;
        !matches!(
            self,
            ServeError::Bind { .. }
                | ServeError::Mcp(_)
                | ServeError::Io(_)
                | ServeError::Store(S::Io { .. } | S::MissingObject(_) | S::CorruptObject { .. })
        )
    }
}
